"""the bulk-written tables name their batch or linkage run without a foreign key

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 23:20:00.000000

Records, their history, and linkage's links and events are written a million rows at a time. On PostgreSQL every foreign key is a trigger fired per inserted row: for a national
contact drop it took more server time than the insert itself (issue 18). Each of these rows is
written in the same transaction as the batch or linkage run it names, and neither is ever
deleted, so the reference cannot dangle; see warehouse/tables.py. The links' reference to
their person or household key stays a foreign key: that one is between two bulk tables. So do
the keys' references to the run that made them: SQLite would have to rebuild the key tables,
which the links refer to, and a key is written once per new person, not on every run.
On SQLite dropping a constraint rebuilds the table (batch mode), which keeps every row.
"""

from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

# (table, column, referred table, referred column)
_DROPPED = [
    *((f"{kind}_records", "batch_id", "batches", "batch_id")
      for kind in ("person", "contact", "group_session", "case", "household")),
    ("record_versions", "batch_id", "batches", "batch_id"),
    ("person_links", "run_id", "linkage_runs", "run_id"),
    ("household_links", "run_id", "linkage_runs", "run_id"),
    ("linkage_events", "run_id", "linkage_runs", "run_id"),
]


def _name(table: str, column: str, referred: str) -> str:
    return f"fk_{table}_{column}_{referred}"


def upgrade() -> None:
    for table, column, referred, _ in _DROPPED:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(_name(table, column, referred), type_="foreignkey")


def downgrade() -> None:
    for table, column, referred, referred_column in _DROPPED:
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(_name(table, column, referred), referred, [column], [referred_column])
