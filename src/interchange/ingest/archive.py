"""Raw data is immutable: every drop and every pulled page is kept under its SHA-256 before parsing."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_SAFE_SUFFIXES = {".csv", ".txt", ".xlsx", ".jsonl", ".ndjson", ".json"}
_PARTIAL_PREFIX = ".incoming-"
# A partial copy untouched this long, with no process holding its lock, was left by a run that
# died (kill -9, power cut). The age guards the moment between creating the file and locking it.
_LEFTOVER_AGE_SECONDS = 60.0


@dataclass(frozen=True)
class Archived:
    sha256: str
    size: int
    path: Path  # absolute
    created: bool  # False when the same bytes were archived before


def archive_file(source: Path, folder: Path) -> Archived:
    """Copy `source` into `folder` as `<sha256><suffix>`, hashing while copying.

    The copy is written to a temporary name, flushed to disk and renamed, so the archive
    never holds a partial file under a real name.
    """
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=_PARTIAL_PREFIX)
    try:
        with os.fdopen(handle, "wb") as target, _held(target.fileno()), source.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
                target.write(chunk)
                size += len(chunk)
            target.flush()
            os.fsync(target.fileno())
        return _settle(Path(temporary), folder, digest.hexdigest(), size, _suffix(source))
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def archive_bytes(data: bytes, folder: Path, suffix: str) -> Archived:
    """Keep `data` (a pulled page) as `<sha256><suffix>` in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    sha = hashlib.sha256(data).hexdigest()
    target = folder / f"{sha}{suffix}"
    if target.exists():
        return Archived(sha, len(data), target, created=False)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=_PARTIAL_PREFIX)
    with os.fdopen(handle, "wb") as stream, _held(stream.fileno()):
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    return _settle(Path(temporary), folder, sha, len(data), suffix)


def remove_leftovers(folder: Path, *, older_than_s: float = _LEFTOVER_AGE_SECONDS) -> int:
    """Delete the partial copies (`.incoming-*`) in `folder` that a killed run left; returns how many.

    A copy in progress holds a lock on its file for as long as its process lives, so only the
    copies of dead processes (unlocked) that nobody touched for a minute are removed.
    """
    if not folder.is_dir():
        return 0
    removed = 0
    moment = time.time()
    for leftover in folder.glob(f"{_PARTIAL_PREFIX}*"):
        try:
            if moment - leftover.stat(follow_symlinks=False).st_mtime < older_than_s or _locked(leftover):
                continue
            leftover.unlink()
        except OSError:
            continue  # finished (renamed) or removed by another run meanwhile, or not ours to remove
        removed += 1
    return removed


@contextlib.contextmanager
def _held(handle: int) -> Iterator[None]:
    """Lock a partial copy for as long as this process writes it (the kernel drops the lock if it dies)."""
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    yield


def _locked(path: Path) -> bool:
    handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(handle)  # closing the only descriptor releases a lock taken here
    return False


def _settle(temporary: Path, folder: Path, sha: str, size: int, suffix: str) -> Archived:
    target = folder / f"{sha}{suffix}"
    if target.exists():
        temporary.unlink()
        return Archived(sha, size, target, created=False)
    os.replace(temporary, target)
    os.chmod(target, 0o440)  # archived bytes are never edited
    return Archived(sha, size, target, created=True)


def _suffix(source: Path) -> str:
    # The partner chose the name; only a known suffix is reused, never anything else of it.
    suffix = source.suffix.lower()
    return suffix if suffix in _SAFE_SUFFIXES else ".bin"
