"""Raw data is immutable: every drop and every pulled page is kept under its SHA-256 before parsing."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

_SAFE_SUFFIXES = {".csv", ".txt", ".xlsx", ".jsonl", ".ndjson", ".json"}


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
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as target, source.open("rb") as stream:
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
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".incoming-")
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    return _settle(Path(temporary), folder, sha, len(data), suffix)


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
