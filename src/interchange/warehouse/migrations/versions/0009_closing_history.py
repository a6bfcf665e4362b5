"""closing history: how, when, by whom and why a quarantine entry was closed; every review decision

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 11:40:00.000000

A quarantine entry is open until `closed_at` is set. Entries a re-run already closed
(`resolved_by_batch`) are closed as of that batch's processing; a `row.superseded` entry was
closed when it was written. Every decision already taken on a review pair becomes that
pair's first row of `review_decisions`.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('quarantine') as batch:
        batch.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('closed_how', sa.String(length=12), nullable=True,
                                   comment='loaded, replaced, reprocessed, superseded, dismissed'))
        batch.add_column(sa.Column('closed_by', sa.String(length=64), nullable=True,
                                   comment='who dismissed it; empty when a batch closed it'))
        batch.add_column(sa.Column('close_reason', sa.Text(), nullable=True,
                                   comment='why it was dismissed, as the steward wrote it'))
        batch.create_index('ix_quarantine_severity_closed_at', ['severity', 'closed_at'], unique=False)
    op.create_table(
        'review_decisions',
        sa.Column('decision_id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('pair_id', sa.Integer(), nullable=False),
        sa.Column('decision', sa.String(length=10), nullable=False, comment='same or different'),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_by', sa.String(length=64), nullable=False),
        sa.Column('note', sa.Text(), nullable=True,
                  comment='why, as the steward wrote it; required when it changes an earlier decision'),
        sa.Column('replaces', sa.Integer(), nullable=True,
                  comment="the decision this one changed; empty for a pair's first decision"),
        sa.ForeignKeyConstraint(['pair_id'], ['review_pairs.pair_id'],
                                name=op.f('fk_review_decisions_pair_id_review_pairs')),
        sa.ForeignKeyConstraint(['replaces'], ['review_decisions.decision_id'],
                                name=op.f('fk_review_decisions_replaces_review_decisions')),
        sa.PrimaryKeyConstraint('decision_id', name=op.f('pk_review_decisions')),
        comment='every decision ever taken on a pair, append-only; review_pairs holds the current one',
    )
    with op.batch_alter_table('review_decisions') as batch:
        batch.create_index(batch.f('ix_review_decisions_pair_id'), ['pair_id'], unique=False)
    _backfill()


def _backfill() -> None:
    meta = sa.MetaData()
    batches = sa.Table('batches', meta, sa.Column('batch_id', sa.Integer), sa.Column('processed_at', sa.DateTime(True)),
                       sa.Column('received_at', sa.DateTime(True)))
    quarantine = sa.Table('quarantine', meta, sa.Column('batch_id', sa.Integer), sa.Column('code', sa.String),
                          sa.Column('resolved_by_batch', sa.Integer), sa.Column('closed_at', sa.DateTime(True)),
                          sa.Column('closed_how', sa.String))
    pairs = sa.Table('review_pairs', meta, sa.Column('pair_id', sa.Integer), sa.Column('decision', sa.String),
                     sa.Column('decided_at', sa.DateTime(True)), sa.Column('decided_by', sa.String),
                     sa.Column('note', sa.Text))
    decisions = sa.Table('review_decisions', meta, sa.Column('pair_id', sa.Integer), sa.Column('decision', sa.String),
                         sa.Column('decided_at', sa.DateTime(True)), sa.Column('decided_by', sa.String),
                         sa.Column('note', sa.Text))

    def when(batch_id: sa.ColumnElement) -> sa.ScalarSelect:
        return (sa.select(sa.func.coalesce(batches.c.processed_at, batches.c.received_at))
                .where(batches.c.batch_id == batch_id).scalar_subquery())

    bind = op.get_bind()
    resolved = quarantine.c.resolved_by_batch.is_not(None)
    superseded = quarantine.c.code == 'row.superseded'
    bind.execute(quarantine.update().where(resolved, superseded).values(
        closed_at=when(quarantine.c.batch_id), closed_how='superseded'))
    bind.execute(quarantine.update().where(resolved, ~superseded).values(
        closed_at=when(quarantine.c.resolved_by_batch), closed_how='reprocessed'))
    bind.execute(decisions.insert().from_select(
        ['pair_id', 'decision', 'decided_at', 'decided_by', 'note'],
        sa.select(pairs.c.pair_id, pairs.c.decision,
                  sa.func.coalesce(pairs.c.decided_at, sa.literal(datetime.now(UTC), sa.DateTime(True))),
                  sa.func.coalesce(pairs.c.decided_by, sa.literal('unknown')), pairs.c.note)
        .where(pairs.c.decision.is_not(None)).order_by(pairs.c.pair_id)))


def downgrade() -> None:
    op.drop_table('review_decisions')
    with op.batch_alter_table('quarantine') as batch:
        batch.drop_index('ix_quarantine_severity_closed_at')
        for name in ('close_reason', 'closed_by', 'closed_how', 'closed_at'):
            batch.drop_column(name)
