"""publication checks: the person index a version was computed and approved on, what approval was confirmed despite

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 11:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('publications') as batch:
        batch.add_column(sa.Column('index_sha256', sa.String(length=64), nullable=True,
                                   comment='digest of the person and household index when computed: '
                                           'another digest now means the version is stale'))
        batch.add_column(sa.Column('approved_despite', sa.JSON(), nullable=True,
                                   comment='{reason: count} the steward confirmed when approving '
                                           '(interchange approve --despite)'))
        batch.add_column(sa.Column('approved_index_sha256', sa.String(length=64), nullable=True,
                                   comment='digest of the index when approved: another digest now means '
                                           'the approved version is stale'))


def downgrade() -> None:
    with op.batch_alter_table('publications') as batch:
        batch.drop_column('approved_index_sha256')
        batch.drop_column('approved_despite')
        batch.drop_column('index_sha256')
