"""person address encodings: street, house number, locality and postcode tokens and filters

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 14:35:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_COLUMNS = (
    ("street_token", 64), ("street_bloom", 172), ("house_number_token", 64),
    ("locality_token", 64), ("locality_bloom", 172), ("postcode_token", 64),
)


def upgrade() -> None:
    # batch_alter_table: SQLite cannot add several columns in one ALTER otherwise.
    with op.batch_alter_table('person_records') as batch:
        for name, length in _COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length=length), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('person_records') as batch:
        for name, _ in reversed(_COLUMNS):
            batch.drop_column(name)
