"""Reading the warehouse as Arrow columns (ADBC), for work that DuckDB does rather than Python.

SQLAlchemy hands every row to Python as a tuple: at national scale (ten million contacts a
year) that alone is minutes of a two-core machine. The ADBC drivers read SQLite (with its C
library) and PostgreSQL (with binary COPY) straight into Arrow record batches, which DuckDB
scans without a Python loop. Statements are still SQLAlchemy Core, compiled for the
warehouse's dialect with their values inline.

The engine stays the one place that knows the address: the driver's URI is derived from its
URL. Driver errors pass through interchange.errors.mask_secrets, and a failed first connection
to a server says what `warehouse()` says (host, port, what to check), never the driver's text.

SQLite keeps a type per value, not per column, and its driver decides a column's Arrow type
from the values of the first batch: a column whose first batch is all empty would become
integers and fail at its first text. So on SQLite every statement is read behind one probe
row that gives each column a value of its kind, and the probe row is dropped again here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import pyarrow as pa
from sqlalchemy import Engine, func, literal, literal_column, select
from sqlalchemy.engine import URL

from interchange.errors import InterchangeError, mask_secrets, visible_path
from interchange.warehouse.address import unreachable
from interchange.warehouse.engine import SQLITE_BUSY_PRAGMA

Kind = Literal["text", "integer", "boolean", "date"]
"""What a column holds, as far as reading it goes (dates travel as ISO text from SQLite)."""

_PROBE: dict[Kind, Any] = {"text": "", "integer": 0, "boolean": 0, "date": "2000-01-01"}
_BATCH_ROWS = 65_536  # rows per Arrow batch from SQLite: large enough that Python's share is nothing


class ArrowReadError(InterchangeError, RuntimeError):
    """Reading the warehouse through its Arrow driver failed; the message names what was read."""


def arrow_uri(url: URL) -> str:
    """The ADBC driver's URI for the warehouse at `url`: a read-only SQLite URI, or libpq's URL."""
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            # Another connection would open another, empty database.
            raise ArrowReadError(key="error.warehouse_in_memory")
        return f"file:{quote(str(Path(url.database).resolve()))}?mode=ro"
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class ArrowReader:
    """One read-only connection to the warehouse that answers statements as Arrow record batches."""

    def __init__(self, connection: Any, dialect: Any) -> None:
        self._connection = connection
        self._dialect = dialect
        self._cursors: list[Any] = []

    def read(self, name: str, statement: Any, kinds: Mapping[str, Kind]) -> pa.RecordBatchReader:
        """The rows of `statement` (SQLAlchemy Core; its columns named and ordered as `kinds`), streamed.

        `name` says in an error what was being read.
        """
        probing = self._dialect.name == "sqlite"
        if probing:
            probe = select(*(literal(_PROBE[kind]).label(column) for column, kind in kinds.items()))
            statement = probe.union_all(statement)
        sql = str(statement.compile(dialect=self._dialect, compile_kwargs={"literal_binds": True}))
        cursor = self._connection.cursor()
        self._cursors.append(cursor)
        try:
            if probing:
                cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(_BATCH_ROWS)})
            cursor.execute(sql)
            batches = cursor.fetch_record_batch()
        except Exception as exc:
            raise _read_error(name, exc) from None
        return _without_probe(name, batches) if probing else batches

    def row_number(self, table: Any) -> Any:
        """A column that numbers the rows of one read of `table` (each row its own number): SQLite's
        rowid, which costs nothing to read; elsewhere row_number() over the read."""
        if self._dialect.name == "sqlite":
            return literal_column(f"{table.name}.rowid")
        return func.row_number().over()

    def close(self) -> None:
        for cursor in self._cursors:
            cursor.close()
        self._cursors.clear()


def _without_probe(name: str, batches: pa.RecordBatchReader) -> pa.RecordBatchReader:
    def rest() -> Iterator[pa.RecordBatch]:
        first = True
        try:
            for batch in batches:
                if first:
                    batch, first = batch.slice(1), False
                yield batch
        except Exception as exc:
            raise _read_error(name, exc) from None

    return pa.RecordBatchReader.from_batches(batches.schema, rest())


def _read_error(name: str, exc: BaseException) -> ArrowReadError:
    return ArrowReadError(f"reading {name} from the warehouse failed ({type(exc).__name__}): "
                          f"{mask_secrets(str(exc))}")


@contextmanager
def arrow_reader(engine: Engine) -> Iterator[ArrowReader]:
    """A reader on the warehouse behind `engine`; every statement it reads sees one snapshot.

    Raises:
        WarehouseUnreachable: the database server did not accept the connection.
        ArrowReadError: the SQLite file cannot be opened, or the warehouse is in memory.
    """
    url = engine.url
    uri = arrow_uri(url)
    try:
        if url.get_backend_name() == "sqlite":
            import adbc_driver_sqlite.dbapi

            connection = adbc_driver_sqlite.dbapi.connect(uri)
            with connection.cursor() as cursor:  # without it, a read met by a writer's lock fails at once
                cursor.execute(SQLITE_BUSY_PRAGMA)
        else:
            import adbc_driver_postgresql.dbapi

            connection = adbc_driver_postgresql.dbapi.connect(uri)
    except Exception as exc:
        if url.get_backend_name() == "sqlite":
            raise ArrowReadError(key="error.warehouse_file_unreadable", path=visible_path(url.database or ""),
                                 name=type(exc).__name__) from None
        raise unreachable(url, exc) from None
    reader = ArrowReader(connection, engine.dialect)
    try:
        if url.get_backend_name() == "postgresql":
            # Every statement of the run sees the warehouse as it was at the first one.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield reader
    finally:
        reader.close()
        connection.rollback()
        connection.close()


__all__ = ["ArrowReadError", "ArrowReader", "Kind", "arrow_reader", "arrow_uri"]
