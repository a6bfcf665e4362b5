"""The warehouse: tables, engine and migrations, and loading validated records."""
