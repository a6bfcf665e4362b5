"""notifications: each event told to a partner by e-mail once

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 18:00:00.000000

`notifications` keeps every event (a held batch, quarantined rows, an overdue drop) that was
e-mailed to an organisation, or is being, so that an ingest every 15 minutes tells it once.
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'notifications',
        sa.Column('notification_id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('org', sa.String(length=32), nullable=False),
        sa.Column('event', sa.String(length=24), nullable=False, comment='batch_held, rows_quarantined, drop_overdue'),
        sa.Column('subject', sa.String(length=80), nullable=False,
                  comment='what the event is about: batch:<id>, or <source>/<period start> for an overdue drop'),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False, comment='when a run began sending it'),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True,
                  comment='when the SMTP server took it; empty while being sent'),
        sa.Column('recipients', sa.Integer(), nullable=True, comment='how many addresses it went to'),
        sa.PrimaryKeyConstraint('notification_id', name=op.f('pk_notifications')),
        sa.UniqueConstraint('org', 'event', 'subject', name=op.f('uq_notifications_org_event_subject')),
        comment='notifications to partners, each event once: counts and codes only, never a record value',
    )


def downgrade() -> None:
    op.drop_table('notifications')
