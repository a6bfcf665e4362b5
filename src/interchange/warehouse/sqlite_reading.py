"""A SQLite warehouse read through ADBC in a process of its own, never in the hub's.

ADBC's SQLite driver carries its own copy of the SQLite library; the hub writes through Python's
sqlite3, another copy. Two copies in one process on one database file is what SQLite's "How To
Corrupt Your Database Files" (§2.2.1) warns of. POSIX locks belong to a process, not to a library,
so when the driver closed its file the process lost the write lock sqlite3 held: measured, another
process then took BEGIN IMMEDIATE while a linkage run held it, and two linkage runs both made the
same persons. And in WAL mode the driver, seeing no other process on the file, may reset the
shared memory the other copy has mapped: a test process died of a bus error.

So the hub never opens the warehouse with the driver. A reading process does
(warehouse/sqlite_read_process.py) and sends the batches back as Arrow IPC messages on a pipe.
It is locks, not speed, that this is about; the pipe costs one copy of each batch.

A process starts in about a sixth of a second, so the hub keeps up to two idle ones for its next
reads (each serves one reader at a time; two readers at once in two threads take two).
A reading process that dies or says nothing for SILENCE_LIMIT seconds fails the read, by name.
"""

from __future__ import annotations

import atexit
import itertools
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyarrow as pa

import interchange
from interchange.errors import visible_path
from interchange.warehouse.read_errors import ArrowReadError, read_error

_PROGRAM = "interchange.warehouse.sqlite_read_process"

# Seconds a reading process may take to answer: a batch comes in well under one; a query's first
# batch waits at most for SQLite's busy timeout (60 s) and a scan of the largest table.
SILENCE_LIMIT = 600.0

_KEEP_IDLE = 2


class SqliteReading:
    """`count` read-only connections to the SQLite database `path` (at `uri`), held by a reading process.

    Raises:
        ArrowReadError: the file cannot be opened, or the reading process could not start, died or went silent.
    """

    def __init__(self, path: str, uri: str, count: int, *, setup: Sequence[str] = ()) -> None:
        try:
            self._helper = _take()
        except OSError as exc:  # no process could be started (a limit on processes, say)
            raise ArrowReadError(key="error.warehouse_reader_unstarted", name=type(exc).__name__) from None
        self._streams = itertools.count()
        self._open_stream: int | None = None
        try:
            answer = self._helper.ask(("open", uri, count, list(setup)), "the warehouse")
        except BaseException:
            self._helper.stop()
            raise
        if answer[0] == "failed":
            _give_back(self._helper)
            raise ArrowReadError(key="error.warehouse_file_unreadable", path=visible_path(path), name=answer[2])
        self.count = count

    def stream(self, name: str, sqls: Sequence[str], *, probing: bool) -> pa.RecordBatchReader:
        """What AdbcConnections.stream answers, read in the reading process; failures said by `name`."""
        self._finish_stream(name)
        answer = self._helper.ask(("stream", list(sqls), probing), name)
        if answer[0] == "failed":
            raise read_error(name, answer[1], answer[2])
        schema = pa.ipc.read_schema(pa.py_buffer(answer[1]))
        self._open_stream = number = next(self._streams)
        return pa.RecordBatchReader.from_batches(schema, self._batches(name, schema, number))

    def fetch(self, name: str, sql: str) -> list[tuple[Any, ...]]:
        self._finish_stream(name)
        answer = self._helper.ask(("fetch", sql), name)
        if answer[0] == "failed":
            raise read_error(name, answer[1], answer[2])
        return [tuple(row) for row in answer[1]]

    def begin_together(self) -> None:
        """Each connection takes its snapshot now (the caller holds the write lock meanwhile)."""
        answer = self._helper.ask(("begin",), "the warehouse")
        if answer[0] == "failed":
            raise read_error("the warehouse", answer[1], answer[2])

    def close(self) -> None:
        """End the session: the process closes its connections and waits for the next reader.
        A stream not read to its end stops the process instead (its rest may be millions of rows)."""
        if self._open_stream is not None:
            self._helper.stop()
            return
        try:
            self._helper.ask(("close",), "the warehouse")
        except ArrowReadError:
            self._helper.stop()
            return
        _give_back(self._helper)

    def _batches(self, name: str, schema: pa.Schema, number: int) -> Iterator[pa.RecordBatch]:
        while True:
            if self._open_stream != number:
                raise ArrowReadError(f"reading {name} from the warehouse: the stream was left for another read")
            data = self._helper.answer_bytes(name)
            if not data:
                break
            yield pa.ipc.read_record_batch(pa.py_buffer(data), schema)
        self._open_stream = None
        end = self._helper.answer(name)
        if end[0] == "failed":
            raise read_error(name, end[1], end[2])

    def _finish_stream(self, name: str) -> None:
        """Read what is left of a stream its consumer stopped reading: the pipe carries one at a time."""
        if self._open_stream is None:
            return
        self._open_stream = None
        while self._helper.answer_bytes(name):
            pass
        self._helper.answer(name)


class _Helper:
    """One reading process and the two pipes to it."""

    def __init__(self) -> None:
        self.owner = os.getpid()  # a forked copy of this process must not use it
        requests_read, requests_write = os.pipe()
        answers_read, answers_write = os.pipe()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", _PROGRAM, str(requests_read), str(answers_write)],
                pass_fds=(requests_read, answers_write), stdin=subprocess.DEVNULL, env=_environment())
        except BaseException:
            for fd in (requests_write, answers_read):
                os.close(fd)
            raise
        finally:
            os.close(requests_read)
            os.close(answers_write)
        self._requests = Connection(requests_write, readable=False)
        self._answers = Connection(answers_read, writable=False)

    def usable(self) -> bool:
        return self.owner == os.getpid() and self._process.poll() is None

    def ask(self, request: tuple[Any, ...], name: str) -> tuple[Any, ...]:
        try:
            self._requests.send(request)
        except OSError:
            raise self._died(name) from None
        return self.answer(name)

    def answer(self, name: str) -> tuple[Any, ...]:
        """The next answer, a pickled tuple."""
        answer: tuple[Any, ...] = self._receive(name, self._answers.recv)
        return answer

    def answer_bytes(self, name: str) -> bytes:
        """The next answer as it was sent: a batch, or the empty message that ends a stream."""
        data: bytes = self._receive(name, self._answers.recv_bytes)
        return data

    def _receive(self, name: str, receive: Callable[[], Any]) -> Any:
        if not self._answers.poll(SILENCE_LIMIT):
            self._process.kill()
            self.stop()
            raise ArrowReadError(key="error.warehouse_reader_silent", name=name, seconds=round(SILENCE_LIMIT))
        try:
            return receive()
        except (EOFError, OSError):
            raise self._died(name) from None

    def stop(self) -> None:
        """Close the pipes (the process ends at once: it reads only) and wait for it."""
        for pipe in (self._requests, self._answers):
            if not pipe.closed:
                pipe.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # inside a query that does not look at the pipe
            self._process.kill()
            self._process.wait()

    def _died(self, name: str) -> ArrowReadError:
        self.stop()
        return ArrowReadError(key="error.warehouse_reader_died", name=name, code=self._process.returncode)


def _environment() -> dict[str, str]:
    """This process's environment, with the package found first where this process found it."""
    found = str(Path(interchange.__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": found if not path else os.pathsep.join([found, path])}


_idle: list[_Helper] = []
_idle_lock = threading.Lock()


def _take() -> _Helper:
    with _idle_lock:
        while _idle:
            helper = _idle.pop()
            if helper.usable():
                return helper
            if helper.owner == os.getpid():
                helper.stop()
    return _Helper()


def _give_back(helper: _Helper) -> None:
    with _idle_lock:
        if len(_idle) < _KEEP_IDLE and helper.usable():
            _idle.append(helper)
            return
    helper.stop()


@atexit.register
def stop_idle() -> None:
    """Stop this process's idle reading processes (and wait for them: a benchmark counts their CPU)."""
    with _idle_lock:
        helpers = [helper for helper in _idle if helper.owner == os.getpid()]
        _idle.clear()
    for helper in helpers:
        helper.stop()


__all__ = ["SILENCE_LIMIT", "SqliteReading", "stop_idle"]
