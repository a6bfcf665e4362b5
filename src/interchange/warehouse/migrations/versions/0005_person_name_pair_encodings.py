"""person name-pair encodings: token and Bloom filter of given name and surname in either order

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 15:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_COLUMNS = (("name_pair_token", 64), ("name_pair_bloom", 172))


def upgrade() -> None:
    # batch_alter_table: SQLite cannot add several columns in one ALTER otherwise.
    with op.batch_alter_table('person_records') as batch:
        for name, length in _COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length=length), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('person_records') as batch:
        for name, _ in reversed(_COLUMNS):
            batch.drop_column(name)
