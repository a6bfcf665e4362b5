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

A large table can be read in parts, one per connection, at once (``arrow_reader(engine,
connections=2)``, ``ArrowReader.split`` and ``read_parts``): a two-core machine then converts
rows on both cores while the consumer (DuckDB) works. The connections see one snapshot: on
PostgreSQL the first exports its snapshot to the others; on SQLite they begin their reads while
the engine holds the write lock (BEGIN IMMEDIATE), so no commit can fall between them.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import pyarrow as pa
from sqlalchemy import Engine, func, literal, literal_column, select, true
from sqlalchemy.engine import URL

from interchange.errors import InterchangeError, mask_secrets, visible_path
from interchange.warehouse.address import unreachable
from interchange.warehouse.engine import SQLITE_BUSY_PRAGMA

Kind = Literal["text", "integer", "boolean", "date"]
"""What a column holds, as far as reading it goes (dates travel as ISO text from SQLite)."""

_PROBE: dict[Kind, Any] = {"text": "", "integer": 0, "boolean": 0, "date": "2000-01-01"}
_BATCH_ROWS = 65_536  # rows per Arrow batch from SQLite: large enough that Python's share is nothing
PART_IDS = 10**11
"""Row numbers of part i of a split read start at i * PART_IDS + 1 (PostgreSQL; SQLite's are rowids)."""
_QUEUED_BATCHES = 2  # per part: enough to keep the readers busy, a few MiB


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


@dataclass(frozen=True)
class Part:
    """One part of a split read of a table: the condition that keeps its rows, and their numbers."""

    where: Any
    row_number: Any


class ArrowReader:
    """Read-only connections to the warehouse, on one snapshot, that answer statements as Arrow record batches."""

    def __init__(self, connections: Sequence[Any], dialect: Any) -> None:
        self._connections = list(connections)
        self._dialect = dialect
        self._cursors: list[Any] = []
        self._interleaved: list[_Interleaved] = []

    def read(self, name: str, statement: Any, kinds: Mapping[str, Kind]) -> pa.RecordBatchReader:
        """The rows of `statement` (SQLAlchemy Core; its columns named and ordered as `kinds`), streamed.

        `name` says in an error what was being read.
        """
        return self._read_on(self._connections[0], name, statement, kinds)

    def read_parts(self, name: str, statements: Sequence[Any], kinds: Mapping[str, Kind]) -> pa.RecordBatchReader:
        """The rows of all `statements` (one per connection at most, e.g. made with `split`), as one
        stream in no particular order; each statement is read on its own connection, at once.

        The reading threads stop at the end of the stream, or when the reader closes.
        """
        if len(statements) > len(self._connections):
            raise ValueError(f"{len(statements)} parts for {len(self._connections)} connection(s)")
        streams = [self._read_on(connection, name, statement, kinds)
                   for connection, statement in zip(self._connections, statements, strict=False)]
        if len(streams) == 1:
            return streams[0]
        interleaved = _Interleaved(name, streams)
        self._interleaved.append(interleaved)
        return pa.RecordBatchReader.from_batches(streams[0].schema, interleaved.batches())

    def split(self, table: Any) -> list[Part]:
        """`table`'s rows in one part per connection, by where they are stored (SQLite's rowid,
        PostgreSQL's pages): each part is a range the database reads without scanning the others.
        Each row's number is its own across the parts (as `row_number`'s within one read)."""
        parts = len(self._connections)
        if parts == 1:
            return [Part(true(), self.row_number(table))]
        with self._connections[0].cursor() as cursor:
            if self._dialect.name == "sqlite":
                cursor.execute(f"SELECT coalesce(min(rowid), 0), coalesce(max(rowid), 0) FROM {table.name}")
                low, high = cursor.fetchone()
                rowid: Any = literal_column(f"{table.name}.rowid")
                bounds = [low + (high - low + 1) * k // parts for k in range(parts + 1)]
                return [Part(rowid.between(bounds[k], bounds[k + 1] - 1) if k < parts - 1 else rowid >= bounds[k],
                             rowid) for k in range(parts)]
            cursor.execute(f"SELECT pg_relation_size('{table.name}') / current_setting('block_size')::bigint")
            (pages,) = cursor.fetchone()
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

    def _read_on(self, connection: Any, name: str, statement: Any, kinds: Mapping[str, Kind]) -> pa.RecordBatchReader:
        probing = self._dialect.name == "sqlite"
        if probing:
            probe = select(*(literal(_PROBE[kind]).label(column) for column, kind in kinds.items()))
            statement = probe.union_all(statement)
        sql = str(statement.compile(dialect=self._dialect, compile_kwargs={"literal_binds": True}))
        cursor = connection.cursor()
        self._cursors.append(cursor)
        try:
            if probing:
                cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(_BATCH_ROWS)})
            cursor.execute(sql)
            batches = cursor.fetch_record_batch()
        except Exception as exc:
            raise _read_error(name, exc) from None
        return _without_probe(name, batches) if probing else batches

    def close(self) -> None:
        for interleaved in self._interleaved:  # before their cursors go
            interleaved.stop()
        self._interleaved.clear()
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


_DONE = object()


class _Interleaved:
    """The batches of several streams as they arrive, each stream read by a thread of its own
    (the drivers convert rows without holding the GIL, so the threads run on separate cores)."""

    def __init__(self, name: str, streams: Sequence[pa.RecordBatchReader]) -> None:
        self._name = name
        self._arrived: queue.Queue[Any] = queue.Queue(maxsize=_QUEUED_BATCHES * len(streams))
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._pour, args=(s,), name=f"read {name}", daemon=True)
                         for s in streams]
        for thread in self._threads:
            thread.start()

    def batches(self) -> Iterator[pa.RecordBatch]:
        try:
            running = len(self._threads)
            while running:
                item = self._arrived.get()
                if item is _DONE:
                    running -= 1
                elif isinstance(item, BaseException):
                    raise (item if isinstance(item, ArrowReadError) else _read_error(self._name, item)) from None
                else:
                    yield item
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop the threads (after the batch each is reading) and wait for them."""
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _pour(self, stream: pa.RecordBatchReader) -> None:
        try:
            for batch in stream:
                if not self._offer(batch):
                    return
            self._offer(_DONE)
        except BaseException as exc:  # handed to the consumer, which raises it as the read's error
            self._offer(exc)

    def _offer(self, item: Any) -> bool:
        """Put `item` in the queue unless the reading was stopped; whether it was put."""
        while not self._stop.is_set():
            try:
                self._arrived.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False


def _read_error(name: str, exc: BaseException) -> ArrowReadError:
    return ArrowReadError(f"reading {name} from the warehouse failed ({type(exc).__name__}): "
                          f"{mask_secrets(str(exc))}")


@contextmanager
def arrow_reader(engine: Engine, *, connections: int = 1) -> Iterator[ArrowReader]:
    """A reader on the warehouse behind `engine`; every statement it reads sees one snapshot.

    With several `connections` (for ``read_parts``) on SQLite, the reader takes the engine's write
    lock for a moment as it begins, so it waits for a transaction that holds it: a caller that
    holds it itself must use one connection.

    Raises:
        WarehouseUnreachable: the database server did not accept the connection.
        ArrowReadError: the SQLite file cannot be opened, or the warehouse is in memory.
    """
    with ExitStack() as opened:
        found = [opened.enter_context(_connection(engine)) for _ in range(connections)]
        reader = ArrowReader(found, engine.dialect)
        opened.callback(reader.close)
        _share_snapshot(engine, found)
        yield reader


@contextmanager
def _connection(engine: Engine) -> Iterator[Any]:
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
    try:
        yield connection
    finally:
        connection.rollback()
        connection.close()


def _share_snapshot(engine: Engine, connections: Sequence[Any]) -> None:
    """Start each connection's transaction on one snapshot of the warehouse."""
    if engine.url.get_backend_name() == "sqlite":
        if len(connections) == 1:
            return  # its first read takes the snapshot the rest of its transaction sees
        with engine.begin():  # BEGIN IMMEDIATE (engine.py): no commit until every reader has begun
            for connection in connections:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT count(*) FROM sqlite_master")
                    cursor.fetchall()
        return
    snapshot = None
    for connection in connections:
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            if snapshot is not None:
                cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            elif len(connections) > 1:
                cursor.execute("SELECT pg_export_snapshot()")
                (snapshot,) = cursor.fetchone()


__all__ = ["PART_IDS", "ArrowReadError", "ArrowReader", "Kind", "Part", "arrow_reader", "arrow_uri"]
