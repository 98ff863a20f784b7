"""Baseline: the ledger's thirteen tables as they were before migrations.

A ledger made by `create_all` before migrations existed has exactly these tables, and is
stamped at this revision instead of running it.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-12-06 03:23:19.263951
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0001_baseline'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('assets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reel_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('uri', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reel_id', 'kind')
    )
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assets_reel_id'), ['reel_id'], unique=False)

    op.create_table('channels',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('niche', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('costs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reel_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('day', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('backend', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('cpu_seconds', sa.Float(), nullable=False),
    sa.Column('usd', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('costs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_costs_channel'), ['channel'], unique=False)
        batch_op.create_index(batch_op.f('ix_costs_day'), ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_costs_reel_id'), ['reel_id'], unique=False)

    op.create_table('footage_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reel_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('scene', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('variant', sa.Integer(), nullable=False),
    sa.Column('job_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('submitted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('uri', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('usd', sa.Float(), nullable=False),
    sa.Column('submissions', sa.Integer(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('what', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('attribution', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reel_id', 'scene', 'source', 'variant')
    )
    with op.batch_alter_table('footage_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_footage_jobs_reel_id'), ['reel_id'], unique=False)

    op.create_table('publications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reel_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reel_id', 'platform')
    )
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publications_reel_id'), ['reel_id'], unique=False)

    op.create_table('quality_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reel_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('result', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reel_id', 'name')
    )
    with op.batch_alter_table('quality_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quality_checks_reel_id'), ['reel_id'], unique=False)

    op.create_table('quality_remedies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reel_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('what', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reel_id', 'attempt')
    )
    with op.batch_alter_table('quality_remedies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quality_remedies_reel_id'), ['reel_id'], unique=False)

    op.create_table('quota_usage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('day', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('exhausted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'account', 'day')
    )
    op.create_table('reels',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('day', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('topic', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('video_uri', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('total_usd', sa.Float(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reels_channel'), ['channel'], unique=False)
        batch_op.create_index(batch_op.f('ix_reels_day'), ['day'], unique=False)

    op.create_table('scout_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('candidates', sa.Integer(), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('scout_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scout_runs_channel'), ['channel'], unique=False)

    op.create_table('topic_queue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('facts_json', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('keywords_json', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('links_json', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('freshness', sa.Float(), nullable=False),
    sa.Column('traffic', sa.Float(), nullable=False),
    sa.Column('relevance', sa.Float(), nullable=False),
    sa.Column('novelty', sa.Float(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('taken_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('found_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('taken_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel', 'key')
    )
    with op.batch_alter_table('topic_queue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_topic_queue_channel'), ['channel'], unique=False)
        batch_op.create_index(batch_op.f('ix_topic_queue_status'), ['status'], unique=False)

    op.create_table('upload_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reel_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('session', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reel_id', 'platform')
    )
    with op.batch_alter_table('upload_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_upload_sessions_reel_id'), ['reel_id'], unique=False)

    op.create_table('visual_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reel_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('scene', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('estimate_usd', sa.Float(), nullable=False),
    sa.Column('usd', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('visual_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visual_decisions_reel_id'), ['reel_id'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('visual_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visual_decisions_reel_id'))

    op.drop_table('visual_decisions')
    with op.batch_alter_table('upload_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_upload_sessions_reel_id'))

    op.drop_table('upload_sessions')
    with op.batch_alter_table('topic_queue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_topic_queue_status'))
        batch_op.drop_index(batch_op.f('ix_topic_queue_channel'))

    op.drop_table('topic_queue')
    with op.batch_alter_table('scout_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scout_runs_channel'))

    op.drop_table('scout_runs')
    with op.batch_alter_table('reels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reels_day'))
        batch_op.drop_index(batch_op.f('ix_reels_channel'))

    op.drop_table('reels')
    op.drop_table('quota_usage')
    with op.batch_alter_table('quality_remedies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quality_remedies_reel_id'))

    op.drop_table('quality_remedies')
    with op.batch_alter_table('quality_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quality_checks_reel_id'))

    op.drop_table('quality_checks')
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publications_reel_id'))

    op.drop_table('publications')
    with op.batch_alter_table('footage_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_footage_jobs_reel_id'))

    op.drop_table('footage_jobs')
    with op.batch_alter_table('costs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_costs_reel_id'))
        batch_op.drop_index(batch_op.f('ix_costs_day'))
        batch_op.drop_index(batch_op.f('ix_costs_channel'))

    op.drop_table('costs')
    op.drop_table('channels')
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assets_reel_id'))

    op.drop_table('assets')
