"""Reading the warehouse as Arrow columns (ADBC), for work that DuckDB does rather than Python.

SQLAlchemy hands every row to Python as a tuple: at national scale (ten million contacts a
year) that alone is minutes of a two-core machine. The ADBC drivers read SQLite (with its C
library) and PostgreSQL (with binary COPY) straight into Arrow record batches, which DuckDB
scans without a Python loop. Statements are still SQLAlchemy Core, compiled for the
warehouse's dialect with their values inline.

On SQLite the driver runs in a reading process of its own, never in the hub's
(warehouse/sqlite_reading.py says why: two SQLite libraries in one process lose each other's
locks). PostgreSQL's driver is a client like psycopg and reads in this process.

The engine stays the one place that knows the address: the driver's URI is derived from its
URL. Driver errors pass through interchange.errors.mask_secrets, and a failed first connection
to a server says what `warehouse()` says (host, port, what to check), never the driver's text.

SQLite keeps a type per value, not per column, and its driver decides a column's Arrow type
from the values of the first batch: a column whose first batch is all empty would become
integers and fail at its first text. So on SQLite every statement is read behind one probe
row that gives each column a value of its kind, and the probe row is dropped again.

A large table can be read in parts, one per connection, at once (``arrow_reader(engine,
connections=2)``, ``ArrowReader.split`` and ``read_parts``): a two-core machine then converts
rows on both cores while the consumer (DuckDB) works. The connections see one snapshot: on
PostgreSQL the first exports its snapshot to the others; on SQLite they begin their reads while
the engine holds the write lock (BEGIN IMMEDIATE), so no commit can fall between them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import quote

import pyarrow as pa
from sqlalchemy import Engine, func, literal, literal_column, select, true
from sqlalchemy.engine import URL

from interchange.errors import visible_path
from interchange.warehouse.adbc_connections import AdbcConnections
from interchange.warehouse.address import unreachable
from interchange.warehouse.engine import SQLITE_BUSY_PRAGMA
from interchange.warehouse.read_errors import ArrowReadError, read_error
from interchange.warehouse.sqlite_reading import SqliteReading

Kind = Literal["text", "integer", "boolean", "date"]
"""What a column holds, as far as reading it goes (dates travel as ISO text from SQLite)."""

_PROBE: dict[Kind, Any] = {"text": "", "integer": 0, "boolean": 0, "date": "2000-01-01"}
PART_IDS = 10**11
"""Row numbers of part i of a split read start at i * PART_IDS + 1 (PostgreSQL; SQLite's are rowids)."""


def arrow_uri(url: URL) -> str:
    """The ADBC driver's URI for the warehouse at `url`: a read-only SQLite URI, or libpq's URL."""
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            # Another connection would open another, empty database.
            raise ArrowReadError(key="error.warehouse_in_memory")
        return f"file:{quote(str(Path(url.database).resolve()))}?mode=ro"
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass(frozen=True)
class Part:
    """One part of a split read of a table: the condition that keeps its rows, and their numbers."""

    where: Any
    row_number: Any


class _Connections(Protocol):
    """Where the reader's statements run: a reading process (SQLite) or this one (_InProcess)."""

    count: int

    def stream(self, name: str, sqls: Sequence[str], *, probing: bool) -> pa.RecordBatchReader: ...

    def fetch(self, name: str, sql: str) -> list[tuple[Any, ...]]: ...

    def begin_together(self) -> None: ...

    def close(self) -> None: ...


class ArrowReader:
    """Read-only connections to the warehouse, on one snapshot, that answer statements as Arrow record batches."""

    def __init__(self, connections: _Connections, dialect: Any) -> None:
        self._connections = connections
        self._dialect = dialect

    def read(self, name: str, statement: Any, kinds: Mapping[str, Kind]) -> pa.RecordBatchReader:
        """The rows of `statement` (SQLAlchemy Core; its columns named and ordered as `kinds`), streamed.

        `name` says in an error what was being read.
        """
        return self.read_parts(name, [statement], kinds)

    def read_parts(self, name: str, statements: Sequence[Any], kinds: Mapping[str, Kind]) -> pa.RecordBatchReader:
        """The rows of all `statements` (one per connection at most, e.g. made with `split`), as one
        stream in no particular order; each statement is read on its own connection, at once.

        A reader streams one read at a time: read each stream to its end before the next.
        """
        if len(statements) > self._connections.count:
            raise ValueError(f"{len(statements)} parts for {self._connections.count} connection(s)")
        probing = self._dialect.name == "sqlite"
        return self._connections.stream(name, [self._sql(statement, kinds, probing=probing)
                                               for statement in statements], probing=probing)

    def split(self, table: Any) -> list[Part]:
        """`table`'s rows in one part per connection, by where they are stored (SQLite's rowid,
        PostgreSQL's pages): each part is a range the database reads without scanning the others.
        Each row's number is its own across the parts (as `row_number`'s within one read)."""
        parts = self._connections.count
        if parts == 1:
            return [Part(true(), self.row_number(table))]
        if self._dialect.name == "sqlite":
            ((low, high),) = self._connections.fetch(
                table.name, f"SELECT coalesce(min(rowid), 0), coalesce(max(rowid), 0) FROM {table.name}")
            rowid: Any = literal_column(f"{table.name}.rowid")
            bounds = [low + (high - low + 1) * k // parts for k in range(parts + 1)]
            return [Part(rowid.between(bounds[k], bounds[k + 1] - 1) if k < parts - 1 else rowid >= bounds[k],
                         rowid) for k in range(parts)]
        ((pages,),) = self._connections.fetch(
            table.name, f"SELECT pg_relation_size('{table.name}') / current_setting('block_size')::bigint")
        ctid: Any = literal_column(f"{table.name}.ctid")
        bounds = [literal_column(f"'({pages * k // parts},0)'::tid") for k in range(parts + 1)]
        return [Part((ctid >= bounds[k]) & (ctid < bounds[k + 1]) if k < parts - 1 else ctid >= bounds[k],
                     func.row_number().over() + k * PART_IDS) for k in range(parts)]

    def row_number(self, table: Any) -> Any:
        """A column that numbers the rows of one read of `table` (each row its own number): SQLite's
        rowid, which costs nothing to read; elsewhere row_number() over the read."""
        if self._dialect.name == "sqlite":
            return literal_column(f"{table.name}.rowid")
        return func.row_number().over()

    def close(self) -> None:
        self._connections.close()

    def _sql(self, statement: Any, kinds: Mapping[str, Kind], *, probing: bool) -> str:
        if probing:
            probe = select(*(literal(_PROBE[kind]).label(column) for column, kind in kinds.items()))
            statement = probe.union_all(statement)
        return str(statement.compile(dialect=self._dialect, compile_kwargs={"literal_binds": True}))


class _InProcess:
    """ADBC connections in this process (PostgreSQL's driver; SQLite's only where locks are not
    POSIX's, see _reads_in_process), with the driver's errors said as the package says them."""

    def __init__(self, connections: AdbcConnections) -> None:
        self._connections = connections
        self.count = connections.count

    def stream(self, name: str, sqls: Sequence[str], *, probing: bool) -> pa.RecordBatchReader:
        try:
            batches = self._connections.stream(sqls, probing=probing)
        except Exception as exc:
            raise _driver_error(name, exc) from None
        return pa.RecordBatchReader.from_batches(batches.schema, _said(name, batches))

    def fetch(self, name: str, sql: str) -> list[tuple[Any, ...]]:
        try:
            return self._connections.fetch(sql)
        except Exception as exc:
            raise _driver_error(name, exc) from None

    def begin_together(self) -> None:
        self._connections.begin_reads()

    def share_snapshot(self) -> None:
        """PostgreSQL: every connection's transaction on the first one's snapshot."""
        snapshot = None
        for on in range(self.count):
            self._connections.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", on=on)
            if snapshot is not None:
                self._connections.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'", on=on)
            elif self.count > 1:
                ((snapshot,),) = self._connections.fetch("SELECT pg_export_snapshot()")

    def close(self) -> None:
        self._connections.close()


def _said(name: str, batches: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
    try:
        yield from batches
    except ArrowReadError:
        raise
    except Exception as exc:
        raise _driver_error(name, exc) from None


def _driver_error(name: str, exc: BaseException) -> ArrowReadError:
    return read_error(name, type(exc).__name__, str(exc))


def _reads_in_process(url: URL) -> bool:
    """Whether this process reads `url` with the driver itself: PostgreSQL always; SQLite only
    where file locks belong to a handle, not to a process (Windows), so two libraries cannot
    drop each other's."""
    return url.get_backend_name() != "sqlite" or os.name != "posix"


@contextmanager
def arrow_reader(engine: Engine, *, connections: int = 1) -> Iterator[ArrowReader]:
    """A reader on the warehouse behind `engine`; every statement it reads sees one snapshot.

    With several `connections` (for ``read_parts``) on SQLite, the reader takes the engine's write
    lock for a moment as it begins, so it waits for a transaction that holds it: a caller that
    holds it itself must use one connection.

    Raises:
        WarehouseUnreachable: the database server did not accept the connection.
        ArrowReadError: the SQLite file cannot be opened, the warehouse is in memory, or SQLite's reading
            process could not be started.
    """
    with ExitStack() as opened:
        found = _open(engine, connections)
        opened.callback(found.close)
        _share_snapshot(engine, found)
        yield ArrowReader(found, engine.dialect)


def _open(engine: Engine, count: int) -> _Connections:
    url = engine.url
    uri = arrow_uri(url)
    sqlite = url.get_backend_name() == "sqlite"
    # Without the busy timeout, a read met by a writer's lock fails at once.
    setup = [SQLITE_BUSY_PRAGMA] if sqlite else []
    try:
        if not _reads_in_process(url):
            return SqliteReading(url.database or "", uri, count, setup=setup)
        return _InProcess(AdbcConnections("sqlite" if sqlite else "postgresql", uri, count, setup=setup))
    except ArrowReadError:
        raise
    except Exception as exc:
        if sqlite:
            raise ArrowReadError(key="error.warehouse_file_unreadable", path=visible_path(url.database or ""),
                                 name=type(exc).__name__) from None
        raise unreachable(url, exc) from None


def _share_snapshot(engine: Engine, connections: _Connections) -> None:
    """Start each connection's transaction on one snapshot of the warehouse."""
    if engine.url.get_backend_name() == "sqlite":
        if connections.count == 1:
            return  # its first read takes the snapshot the rest of its transaction sees
        with engine.begin():  # BEGIN IMMEDIATE (engine.py): no commit until every reader has begun
            connections.begin_together()
        return
    assert isinstance(connections, _InProcess)
    connections.share_snapshot()


__all__ = ["PART_IDS", "ArrowReadError", "ArrowReader", "Kind", "Part", "arrow_reader", "arrow_uri"]
