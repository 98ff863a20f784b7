"""reel_performance: one row per fetch of a reel's figures from a platform.

Revision ID: 0002_reel_performance
Revises: 0001_baseline
Create Date: 2026-12-06 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0002_reel_performance'
down_revision: str | Sequence[str] | None = '0001_baseline'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reel_performance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reel_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('fetched_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('age_hours', sa.Float(), nullable=False),
    sa.Column('views', sa.Integer(), nullable=True),
    sa.Column('watch_minutes', sa.Float(), nullable=True),
    sa.Column('avg_view_seconds', sa.Float(), nullable=True),
    sa.Column('avg_view_percentage', sa.Float(), nullable=True),
    sa.Column('likes', sa.Integer(), nullable=True),
    sa.Column('comments', sa.Integer(), nullable=True),
    sa.Column('shares', sa.Integer(), nullable=True),
    sa.Column('saves', sa.Integer(), nullable=True),
    sa.Column('reach', sa.Integer(), nullable=True),
    sa.Column('subscribers_gained', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('raw_json', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reel_performance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reel_performance_channel'), ['channel'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_reel_performance_fetched_at'), ['fetched_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_reel_performance_reel_id'), ['reel_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reel_performance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reel_performance_reel_id'))
        batch_op.drop_index(batch_op.f('ix_reel_performance_fetched_at'))
        batch_op.drop_index(batch_op.f('ix_reel_performance_channel'))
    op.drop_table('reel_performance')
