"""Alembic environment: the connection comes from `upgrade_schema`, inside its transaction."""

from alembic import context

from interchange.warehouse.tables import metadata

connection = context.config.attributes["connection"]
# render_as_batch: SQLite can only alter tables by copying them; batch mode does that safely.
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
