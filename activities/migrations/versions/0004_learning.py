"""learning: a queued topic's predicted performance, and the hook style a reel opened with.

Revision ID: 0004_learning
Revises: 0003_scene_relevance
Create Date: 2026-12-06 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0004_learning'
down_revision: str | Sequence[str] | None = '0003_scene_relevance'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('topic_queue', schema=None) as batch_op:
        batch_op.add_column(sa.Column('performance', sa.Float(), nullable=True))
    with op.batch_alter_table('reels', schema=None) as batch_op:
        # Reels made before the experiment opened with no named style.
        batch_op.add_column(sa.Column('hook_style', sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('reels', schema=None) as batch_op:
        batch_op.drop_column('hook_style')
    with op.batch_alter_table('topic_queue', schema=None) as batch_op:
        batch_op.drop_column('performance')
