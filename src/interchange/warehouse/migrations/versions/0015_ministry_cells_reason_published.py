"""ministry_cells.reason says only "suppressed": why a cell is hidden is not published

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 15:30:00.000000

A published "primary" told a reader that the hidden cell is 1 .. threshold-1, which with the
published totals pinned small cells (issue 16, case 1). Approved versions already in the
ministry tables say "suppressed" from now on too; the hub's own publication_cells keep the reason.
Downgrade cannot bring the reasons back (the ministry tables never had them elsewhere); it only
restores the column's comment.
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE ministry_cells SET reason = 'suppressed' WHERE suppressed")
    op.execute("UPDATE ministry_cells SET reason = '' WHERE NOT suppressed")
    with op.batch_alter_table('ministry_cells') as batch:
        batch.alter_column('reason', existing_type=sa.String(length=16), existing_nullable=False,
                           comment='"suppressed" or empty: why a cell is suppressed is not published',
                           existing_comment='empty, primary, secondary, ratio or consent')


def downgrade() -> None:
    with op.batch_alter_table('ministry_cells') as batch:
        batch.alter_column('reason', existing_type=sa.String(length=16), existing_nullable=False,
                           comment='empty, primary, secondary, ratio or consent',
                           existing_comment='"suppressed" or empty: why a cell is suppressed is not published')
