"""batch attempts and source runs: nothing retried forever, a source failing on every run is seen

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 15:00:00.000000

`batches.attempts` counts how often processing a batch began (a batch still `received` after
a bounded number ends `failed`); `source_runs` keeps every attempt at a source by an ingest
run, with the failure's class only, so `interchange status` can tell a source whose last runs
all failed.
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not a batch (copy-and-move) alteration: other tables' foreign keys point at batches, and
    # both databases add a column with a constant default in place.
    op.add_column('batches', sa.Column('attempts', sa.Integer(), server_default='0', nullable=False,
                                       comment='how many times processing the batch began; bounded, then it ends '
                                               'failed'))
    _status_comment('received, loaded, held, rejected, duplicate, failed', 'received, loaded, held, rejected, duplicate')
    op.create_table(
        'source_runs',
        sa.Column('run_id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('org', sa.String(length=32), nullable=False),
        sa.Column('source', sa.String(length=40), nullable=False, comment='inbox, or http:<name>'),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('outcome', sa.String(length=12), nullable=False, comment='ok or failed'),
        sa.Column('error_class', sa.String(length=80), nullable=True,
                  comment="the exception's class when it failed; never its message"),
        sa.PrimaryKeyConstraint('run_id', name=op.f('pk_source_runs')),
        comment='every attempt at a source by an ingest run, newest last',
    )
    with op.batch_alter_table('source_runs') as batch:
        batch.create_index('ix_source_runs_org_source_run_id', ['org', 'source', 'run_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('source_runs') as batch:
        batch.drop_index('ix_source_runs_org_source_run_id')
    op.drop_table('source_runs')
    _status_comment('received, loaded, held, rejected, duplicate', 'received, loaded, held, rejected, duplicate, failed')
    op.drop_column('batches', 'attempts')


def _status_comment(comment: str, before: str) -> None:
    if op.get_bind().dialect.name != 'sqlite':  # SQLite keeps no column comments
        op.alter_column('batches', 'status', existing_type=sa.String(length=16), existing_nullable=False,
                        comment=comment, existing_comment=before)
