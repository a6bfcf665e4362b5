"""A large drop read on one core while the other loads it.

Reading, validating and judging a national drop (a million contacts) took about 2.5 s of CPU and
loading it about 5 s, one after the other, on a machine with a core to spare. For a large drop
of a known kind, a child process (forked: it starts with everything imported) reads, validates
and judges the archived file, and this process loads each chunk of valid rows into the batch's
transaction as soon as the child has spooled it.

The chunks go through the spool's file, which both processes hold open: an unnamed temporary
file, so nothing of the records is left behind whichever of them dies. The pipe carries only
where each chunk lies and, at the end, what the batch was (its problems by row and code, its
counts, the expectations' verdict), the child's log records and its stage times; never a
record. What only the whole file tells (a personal code in its last row, a manifest's row
count, a held verdict) is known after the load: the caller then rolls the transaction back and
commits the batch as the one-process path would, without its rows (ingest/drops.py).

INTERCHANGE_OVERLAP=0 keeps every drop in one process; =1 overlaps every drop of a known kind
(the tests do, with small drops).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from types import TracebackType
from typing import IO, Any

from interchange.errors import InterchangeError, describe_failure, failure_trace, is_transient
from interchange.i18n import LANGS
from interchange.ingest.expectations import BatchVerdict
from interchange.ingest.spool import SpooledRows, read_chunk
from interchange.ingest.validate import ValidatedBatch
from interchange.stage_times import record_stage
from interchange.warehouse.load import RowColumns

log = logging.getLogger(__name__)

OVERLAP_ENV = "INTERCHANGE_OVERLAP"
# Below this (some 40,000 contacts) a drop loads in a fifth of a second: a second process buys little.
MIN_BYTES = 2 * 1024 * 1024

# Rows a chunk the child tells the parent of: a fifth of the spool's own chunk, so that the parent
# starts loading (and the child's chunks keep coming) early in a drop of a hundred thousand rows.
CHUNK_ROWS = 10_000

# Seconds the child may go without a word: a chunk takes well under one, judging ten million rows
# well under a minute.
SILENCE_LIMIT = 600

Read = Callable[[SpooledRows], ValidatedBatch]
Judge = Callable[[ValidatedBatch], BatchVerdict | None]


def worthwhile(size_bytes: int, kind: str | None) -> bool:
    """Whether a drop of `size_bytes` and `kind` is read in a child while it loads."""
    setting = os.environ.get(OVERLAP_ENV, "")
    # Linux only: macOS offers fork, but its system libraries may crash a forked child.
    if setting == "0" or kind is None or not sys.platform.startswith("linux"):
        return False
    return setting == "1" or (size_bytes >= MIN_BYTES and _cores() >= 2)


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class ReadingFailed(InterchangeError, RuntimeError):
    """The child reading a batch failed: said as the one-process path would say its error."""


class ReadingProcess:
    """The child that reads, validates and judges one batch: `chunks()` while it reads, then `result()`.

    Use it as a context manager: leaving it stops a child that is still at work (the load
    failed) and lets go of the spool unless `result()` handed it on.
    """

    def __init__(self, batch_id: int, read: Read, judge: Judge) -> None:
        self._batch_id = batch_id
        self._file: IO[bytes] | None = tempfile.TemporaryFile(prefix="interchange-batch-")  # noqa: SIM115 - the spool's
        context = multiprocessing.get_context("fork")
        self._receiver, sender = context.Pipe(duplex=False)
        self._process = context.Process(target=_read_in_child, args=(sender, self._file, read, judge),
                                        name=f"interchange-read-{batch_id}", daemon=True)
        self._process.start()
        sender.close()  # the child's end: EOF here once the child is gone
        self._told: list[tuple[int, int, int]] = []  # (offset, size, rows) of each chunk
        self._end: tuple[Any, ...] | None = None

    def __enter__(self) -> ReadingProcess:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._receiver.close()
        if self._file is not None:
            self._file.close()

    def chunks(self) -> Iterator[RowColumns]:
        """Each chunk of valid rows as soon as the child has spooled it, in row order, until the
        child has read the whole file."""
        assert self._file is not None
        while (told := self._next_chunk()) is not None:
            yield read_chunk(self._file, told[0], told[1], digests=True)

    def result(self) -> tuple[ValidatedBatch, BatchVerdict | None]:
        """The batch as the child read it (its rows: the chunks told) and its verdict; waits for the child."""
        while self._next_chunk() is not None:
            pass
        assert self._end is not None and self._file is not None
        self._process.join()
        if self._end[0] == "failed":
            said, transient, trace = self._end[1:]
            log.error("the process reading batch %d failed:\n%s", self._batch_id, trace)
            failure = ReadingFailed(said["en"])
            failure.said, failure.transient = said, transient
            raise failure
        batch, shared, length, verdict, times = self._end[1:]
        for name, (wall, cpu) in times.items():
            record_stage("ingest", name, wall, cpu)
        if shared:
            batch.rows = SpooledRows.written(self._file, self._told, digests=True)
            self._file = None  # the batch's rows own it now
            if len(batch.rows) != length:
                raise RuntimeError(f"batch {self._batch_id}: {length} rows read, {len(batch.rows)} told")
        return batch, verdict

    def _next_chunk(self) -> tuple[int, int, int] | None:
        """Where the next chunk lies, or None once the child has said how the batch ended."""
        if self._end is not None:
            return None
        if not self._receiver.poll(SILENCE_LIMIT):
            # Alive and silent this long: stuck (a lock another thread held when it was forked, say).
            log.error("the process reading batch %d said nothing for %d s; it is stopped", self._batch_id,
                      SILENCE_LIMIT)
            raise ReadingFailed(key="error.reader_silent", batch=self._batch_id, seconds=SILENCE_LIMIT)
        try:
            message = self._receiver.recv()
        except EOFError:
            self._process.join()
            log.error("the process reading batch %d ended before it finished (exit code %s)",
                      self._batch_id, self._process.exitcode)
            raise ReadingFailed(key="error.reader_died", batch=self._batch_id, code=self._process.exitcode) from None
        if message[0] == "chunk":
            told: tuple[int, int, int] = message[1:]
            self._told.append(told)
            return told
        for fields in message[-1]:  # the child's log records, told last
            record = logging.makeLogRecord(fields)
            logging.getLogger(record.name).handle(record)
        self._end = message[:-1]
        return None


def _read_in_child(sender: Connection, file: IO[bytes], read: Read, judge: Judge) -> None:
    kept = _keep_logs()
    try:
        spool = SpooledRows(file=file, digests=True, chunk_rows=CHUNK_ROWS,
                            on_spill=lambda offset, size, rows: sender.send(("chunk", offset, size, rows)))
        times: dict[str, tuple[float, float]] = {}
        with _timed(times, "read+validate"):
            batch = read(spool)
            shared = batch.rows is spool
            if shared:
                spool.flush()  # the last, unfilled chunk too: the parent can load every row now
        with _timed(times, "expectations"):
            verdict = judge(batch)
        length = len(batch.rows)
        batch.rows = SpooledRows()  # the rows are in the file; the pipe takes the rest
        sender.send(("done", batch, shared, length, verdict, times, kept.records))
    except BaseException as exc:  # everything goes back to the parent, which decides
        with contextlib.suppress(OSError):  # the parent is gone: nobody to tell
            sender.send(("failed", {lang: describe_failure(exc, lang) for lang in LANGS}, is_transient(exc),
                         failure_trace(exc), kept.records))
    finally:
        sender.close()


@contextlib.contextmanager
def _timed(times: dict[str, tuple[float, float]], name: str) -> Iterator[None]:
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    times[name] = (time.perf_counter() - wall, time.process_time() - cpu)


class _KeptLogs(logging.Handler):
    """The child's log records, made plain (message formatted, no live objects) to cross the pipe."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        fields = dict(record.__dict__, msg=record.getMessage(), args=None, exc_info=None)
        if record.exc_info:
            fields["exc_text"] = logging.Formatter().formatException(record.exc_info)
        self.records.append({k: v for k, v in fields.items() if v is None or isinstance(v, (str, int, float))})


def _keep_logs() -> _KeptLogs:
    """Every record this child logs kept for the parent to log: the parent's handlers (Prefect's,
    which sends from a thread this child does not have) are not this process's to use."""
    kept = _KeptLogs()
    root = logging.getLogger()
    for logger in (root, *logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
            logger.propagate = True
    root.addHandler(kept)
    return kept
