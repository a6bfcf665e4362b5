"""Many new rows into one table through the driver: what a Core insert stores, without its cost per row.

A Core ``connection.execute(table.insert(), rows)`` builds and type-processes a parameter
dictionary per row; a linkage run writes a key, a link and an event per person (300,000 rows
at a tenth of the national year, 3 million at the whole), and that per-row work was most of the
time it spent writing its index. Here the columns go through the same SQLAlchemy type
processors (load.py's, once per distinct value where values repeat: a run's one timestamp),
then to the driver as plain tuples: binary COPY on PostgreSQL with psycopg, executemany elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table

from interchange.warehouse.load import (
    WRITE_CHUNK,
    chunked,
    column_processors,
    copy_rows,
    copy_types,
    processed_values,
)

__all__ = ["insert_columns"]


def insert_columns(connection: Connection, table: Table, columns: Mapping[str, Sequence[Any]]) -> None:
    """Insert one row per position of `columns` (name -> values, all of one length) into `table`.

    Columns not named take the database's default (an autoincrement key); the table must have
    no Python-side default, which a Core insert would apply and this does not.
    """
    names = list(columns)
    count = len(columns[names[0]]) if names else 0
    if any(len(values) != count for values in columns.values()):
        raise ValueError(f"columns of different lengths for {table.name}")
    if not count:
        return
    defaulted = [c.name for c in table.c if c.name not in columns and (c.default is not None or c.onupdate)]
    if defaulted:
        raise ValueError(f"{table.name} has Python-side defaults a bulk insert would skip: {defaulted}")
    values: list[Sequence[Any]] = list(columns.values())
    for index, process in column_processors(connection, [table.c[name] for name in names]):
        values[index] = processed_values(process, values[index])
    dialect = connection.dialect
    quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    target = dialect.identifier_preparer.format_table(table)
    rows = zip(*values, strict=True)
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        driver = connection.connection.driver_connection
        if driver is None:  # SQLAlchemy's state for a connection invalidated under us
            raise RuntimeError("the warehouse connection was invalidated")
        # The driver's own connection, inside the transaction the caller began on it; binary, as
        # load.py's COPY: no value quoted and escaped.
        with driver.cursor() as cursor:
            copy_rows(cursor, f"COPY {target} ({quoted}) FROM STDIN (FORMAT BINARY)",
                      copy_types([table.c[name] for name in names]), rows)
        return
    if dialect.paramstyle not in ("qmark", "format", "pyformat"):
        raise NotImplementedError(f"no bulk insert for the {dialect.name}+{dialect.driver} driver")
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    statement = f"INSERT INTO {target} ({quoted}) VALUES ({', '.join([mark] * len(names))})"
    for chunk in chunked(rows, WRITE_CHUNK):  # bounds the tuples held at once
        connection.exec_driver_sql(statement, chunk)
