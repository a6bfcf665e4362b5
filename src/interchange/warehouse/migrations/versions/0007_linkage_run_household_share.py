"""linkage run household share: the household guard's estimated match share, per run

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 21:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('linkage_runs') as batch:
        batch.add_column(sa.Column('household_share', sa.Float(), nullable=True,
                                   comment='the household guard: highest match probability of a pair at one address '
                                           'on which nothing personal agrees (estimated from the data); '
                                           'empty when the scorer has no guard'))


def downgrade() -> None:
    with op.batch_alter_table('linkage_runs') as batch:
        batch.drop_column('household_share')
