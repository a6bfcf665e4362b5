"""linkage run index digest: the SHA-256 of the person and household index each run left

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 22:00:00.000000

A publication keeps the digest of the index it was computed on, and `interchange status`
compares it with today's. Hashing 1.2 million links row by row took 9.7 s at national size on
every status page; the run that writes the links now stores their digest once. Runs from before
this revision have none: until the next run, the digest is computed from the links as before.
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('linkage_runs') as batch:
        batch.add_column(sa.Column('index_sha256', sa.String(length=64), nullable=True,
                                   comment='SHA-256 of the person and household index (record -> key) as this run '
                                           'left it; empty for runs before it was kept'))


def downgrade() -> None:
    with op.batch_alter_table('linkage_runs') as batch:
        batch.drop_column('index_sha256')
