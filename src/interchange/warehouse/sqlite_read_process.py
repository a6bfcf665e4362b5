"""The process that reads a SQLite warehouse through ADBC for the hub process that started it.

Run as ``python -m interchange.warehouse.sqlite_read_process REQUESTS ANSWERS`` (two pipe file
descriptors) by warehouse/sqlite_reading.py, which says why it exists. It imports only the
standard library, pyarrow and ADBC's driver manager, so it starts in about a sixth of a second,
and it serves one reading session after another until its requests pipe closes.

Requests and answers are pickled tuples, except the batches of a stream, which are Arrow IPC
messages as they are (no pickling, no copy beyond the pipe's):

  ("open", uri, connections, setup)  -> ("ready",) | ("failed", "open", class name)
  ("begin",)                         -> ("begun",) once every connection has taken its snapshot
  ("fetch", sql)                     -> ("rows", rows) | ("failed", class name, text)
  ("stream", sqls, probing)          -> ("schema", bytes) | ("failed", ...); then one message per
                                        batch, an empty message, and ("end",) | ("failed", ...)
  ("close",)                         -> ("closed",): the connections are gone, the next "open" may come

A failure's text is the driver's (a missing table, a locked file), never a row's values: this
process only reads what its hub asked for and sends it back on the pipe.
"""

from __future__ import annotations

import os
import signal
import sys
from multiprocessing.connection import Connection
from typing import Any

from interchange.warehouse.adbc_connections import AdbcConnections


def serve(requests: Connection, answers: Connection) -> None:
    """Answer `requests` until the hub closes them (or goes away)."""
    opened: AdbcConnections | None = None
    try:
        while True:
            try:
                request = requests.recv()
            except EOFError:
                return
            opened = _answer(request, opened, answers)
    except (BrokenPipeError, ConnectionResetError):
        return  # the hub stopped listening (it closed its reader mid-stream, or ended)
    finally:
        if opened is not None:
            opened.close()


def _answer(request: tuple[Any, ...], opened: AdbcConnections | None, answers: Connection) -> AdbcConnections | None:
    """Answer one request; the connections open after it."""
    what = request[0]
    if what == "open":
        _, uri, count, setup = request
        try:
            opened = AdbcConnections("sqlite", uri, count, setup=setup)
        except Exception as exc:
            answers.send(("failed", "open", type(exc).__name__))
            return None
        answers.send(("ready",))
        return opened
    if what == "close":
        if opened is not None:
            opened.close()
        answers.send(("closed",))
        return None
    if opened is None:
        raise RuntimeError(f"{what!r} before 'open'")
    try:
        if what == "begin":
            opened.begin_reads()
            answers.send(("begun",))
        elif what == "fetch":
            answers.send(("rows", opened.fetch(request[1])))
        elif what == "stream":
            _stream(opened, request[1], request[2], answers)
        else:
            raise RuntimeError(f"unknown request {what!r}")
    except (BrokenPipeError, ConnectionResetError):
        raise
    except Exception as exc:
        answers.send(("failed", type(exc).__name__, str(exc)))
    return opened


def _stream(opened: AdbcConnections, sqls: list[str], probing: bool, answers: Connection) -> None:
    batches = opened.stream(sqls, probing=probing)
    answers.send(("schema", batches.schema.serialize().to_pybytes()))
    try:
        for batch in batches:
            if batch.num_rows:
                answers.send_bytes(batch.serialize())
    except (BrokenPipeError, ConnectionResetError):
        raise
    except Exception as exc:
        answers.send_bytes(b"")
        answers.send(("failed", type(exc).__name__, str(exc)))
        return
    answers.send_bytes(b"")
    answers.send(("end",))


def main(argv: list[str]) -> None:
    requests = Connection(int(argv[0]), writable=False)
    answers = Connection(int(argv[1]), readable=False)
    # Nothing may write to the hub's pipe but the answers: stray output goes to stderr.
    os.dup2(2, 1)
    # Ctrl-C in the hub's terminal reaches this process too: the hub handles it, and this process
    # ends when the hub closes its pipe, without a traceback of its own on the terminal.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(requests, answers)


if __name__ == "__main__":
    main(sys.argv[1:])
