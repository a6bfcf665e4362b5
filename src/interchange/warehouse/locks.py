"""One ingest at a time per source: a file lock on this host, an advisory lock across hosts."""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text


@contextmanager
def source_lock(engine: Engine, lock_dir: Path, name: str) -> Iterator[None]:
    """Hold the lock named `name` (e.g. `kretingos-spc.inbox`) for the block; waits for a holder.

    The file lock covers every process on this machine (and is all SQLite needs); on
    PostgreSQL a session advisory lock also covers workers on other hosts.
    """
    lock_dir.mkdir(parents=True, exist_ok=True)
    with (lock_dir / f"{name}.lock").open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            if engine.dialect.name != "postgresql":
                yield
                return
            key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
            with engine.connect() as connection:
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
                connection.commit()
                try:
                    yield
                finally:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    connection.commit()
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
