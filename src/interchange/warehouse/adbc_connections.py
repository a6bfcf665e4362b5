"""ADBC connections to one database, whose statements answer as Arrow record batches.

The low-level ADBC API, not its DB-API layer: that one imports pandas, a third of a second
that the SQLite reading process (warehouse/sqlite_read_process.py) would pay at every start.
So this module imports only the standard library, pyarrow and the driver manager; what the
package says about an error is the caller's business (warehouse/arrow_reader.py).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator, Sequence
from typing import Any, Literal

import adbc_driver_manager
import pyarrow as pa

Driver = Literal["sqlite", "postgresql"]

BATCH_ROWS = 65_536  # rows per Arrow batch from SQLite: large enough that Python's share is nothing
_QUEUED_BATCHES = 2  # per part of an interleaved read: enough to keep the readers busy, a few MiB


def _database(driver: Driver, uri: str) -> Any:
    if driver == "sqlite":
        import adbc_driver_sqlite

        return adbc_driver_sqlite.connect(uri)
    import adbc_driver_postgresql

    return adbc_driver_postgresql.connect(uri)


class AdbcConnections:
    """`count` connections in one transaction each (read through, rolled back at `close`).

    Raises whatever the driver raises when the database cannot be opened.
    """

    def __init__(self, driver: Driver, uri: str, count: int, *, setup: Sequence[str] = ()) -> None:
        self._driver = driver
        self._databases: list[Any] = []
        self._connections: list[Any] = []
        self._statements: list[Any] = []
        self._interleaved: list[_Interleaved] = []
        try:
            for _ in range(count):
                database = _database(driver, uri)
                self._databases.append(database)
                connection = adbc_driver_manager.AdbcConnection(database)
                self._connections.append(connection)
                for sql in setup:  # before the transaction: a pragma such as the busy timeout
                    self._execute(connection, sql)
                connection.set_autocommit(False)
        except BaseException:
            self.close()
            raise

    @property
    def count(self) -> int:
        return len(self._connections)

    def stream(self, sqls: Sequence[str], *, probing: bool = False) -> pa.RecordBatchReader:
        """The rows of every query in `sqls`, each on its own connection (at once, if several), as one
        stream in no particular order. With `probing`, the first row of each query is left out.

        Raises (now, or as the stream is read) whatever the driver raises.
        """
        if not 0 < len(sqls) <= len(self._connections):
            raise ValueError(f"{len(sqls)} queries for {len(self._connections)} connection(s)")
        streams = [self._query(connection, sql, probing=probing)
                   for connection, sql in zip(self._connections, sqls, strict=False)]
        if len(streams) == 1:
            return streams[0]
        interleaved = _Interleaved(streams)
        self._interleaved.append(interleaved)
        return pa.RecordBatchReader.from_batches(streams[0].schema, interleaved.batches())

    def fetch(self, sql: str, *, on: int = 0) -> list[tuple[Any, ...]]:
        """The rows of a small query on connection `on`, as tuples of Python values."""
        table = self._query(self._connections[on], sql).read_all()
        return list(zip(*(column.to_pylist() for column in table.columns), strict=True))

    def begin_reads(self) -> None:
        """Each connection takes its snapshot now, with a read (SQLite begins a read transaction at
        its first read): its caller holds the write lock meanwhile, so no commit falls between them."""
        for on in range(self.count):
            self.fetch("SELECT count(*) FROM sqlite_master", on=on)

    def execute(self, sql: str, *, on: int = 0) -> None:
        """Run a statement that answers no rows (SET TRANSACTION, say) on connection `on`."""
        self._execute(self._connections[on], sql)

    def close(self) -> None:
        """Stop the reading threads, then close statements, connections and databases (ending their
        transactions: they only read)."""
        for interleaved in self._interleaved:  # before their statements go
            interleaved.stop()
        self._interleaved.clear()
        for statement in self._statements:
            statement.close()
        self._statements.clear()
        for connection in self._connections:
            # In autocommit still (closed while it was being set up): nothing to end.
            with contextlib.suppress(adbc_driver_manager.Error):
                connection.rollback()
            connection.close()
        self._connections.clear()
        for database in self._databases:
            database.close()
        self._databases.clear()

    def _query(self, connection: Any, sql: str, *, probing: bool = False) -> pa.RecordBatchReader:
        statement = adbc_driver_manager.AdbcStatement(connection)
        self._statements.append(statement)
        if self._driver == "sqlite":
            statement.set_options(**{"adbc.sqlite.query.batch_rows": str(BATCH_ROWS)})
        statement.set_sql_query(sql)
        handle, _ = statement.execute_query()
        batches = pa.RecordBatchReader._import_from_c(handle.address)
        return _without_first_row(batches) if probing else batches

    @staticmethod
    def _execute(connection: Any, sql: str) -> None:
        statement = adbc_driver_manager.AdbcStatement(connection)
        try:
            statement.set_sql_query(sql)
            statement.execute_update()
        finally:
            statement.close()


def _without_first_row(batches: pa.RecordBatchReader) -> pa.RecordBatchReader:
    def rest() -> Iterator[pa.RecordBatch]:
        first = True
        for batch in batches:
            if first:
                batch, first = batch.slice(1), False
            yield batch

    return pa.RecordBatchReader.from_batches(batches.schema, rest())


_DONE = object()


class _Interleaved:
    """The batches of several streams as they arrive, each stream read by a thread of its own
    (the drivers convert rows without holding the GIL, so the threads run on separate cores)."""

    def __init__(self, streams: Sequence[pa.RecordBatchReader]) -> None:
        self._arrived: queue.Queue[Any] = queue.Queue(maxsize=_QUEUED_BATCHES * len(streams))
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._pour, args=(s,), name="adbc read", daemon=True)
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
                    raise item
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


__all__ = ["BATCH_ROWS", "AdbcConnections", "Driver"]
