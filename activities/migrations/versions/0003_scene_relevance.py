"""scene_relevance: the reel's mean relevance and each scene's, and what a stock clip shows.

Revision ID: 0003_scene_relevance
Revises: 0002_reel_performance
Create Date: 2026-12-06 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0003_scene_relevance'
down_revision: str | Sequence[str] | None = '0002_reel_performance'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Reels recorded before had no scene scored: -1 and no per-scene values.
    with op.batch_alter_table('reels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('relevance', sa.Float(), nullable=False,
                                      server_default='-1'))
        batch_op.add_column(sa.Column('scene_relevance', sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=False, server_default='[]'))
    with op.batch_alter_table('footage_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shows', sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('footage_jobs', schema=None) as batch_op:
        batch_op.drop_column('shows')
    with op.batch_alter_table('reels', schema=None) as batch_op:
        batch_op.drop_column('scene_relevance')
        batch_op.drop_column('relevance')
