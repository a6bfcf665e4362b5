"""Which files in `inbox/<org>/` are complete drops, ready to be claimed."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from interchange.contract.manifest import MANIFEST_SUFFIX, Manifest
from interchange.contract.problems import Problem, error
from interchange.contract.records import Kind

DROP_SUFFIXES = (".csv", ".txt", ".xlsx", ".jsonl", ".ndjson")
# Names that editors, browsers and copy tools give a file while they are still writing it.
_TEMPORARY_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".filepart", ".swp", ".download", ".lock")
_MAX_MANIFEST_BYTES = 64 * 1024
# Kinds that others refer to come first, so a contact file finds the persons sent with it.
KIND_ORDER = (Kind.PERSON, Kind.HOUSEHOLD, Kind.CASE, Kind.GROUP_SESSION, Kind.CONTACT)


@dataclass(frozen=True)
class InboxFile:
    path: Path
    size: int
    # Last change of the file, content or metadata (the later of mtime and ctime), as listed. A
    # re-upload that keeps the original mtime (WinSCP, rsync -t, cp -p) is still a new file, while
    # a file left in the inbox by a crashed run keeps its stamp. Stored as batches.mtime_ns.
    changed_ns: int
    kind: Kind | None  # from the file name, if it says; the manifest's wins later
    is_link: bool = False

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def manifest_path(self) -> Path:
        return self.path.with_name(self.path.name + MANIFEST_SUFFIX)

    def unchanged(self) -> bool:
        """True when the file is still exactly as listed (not growing, not replaced)."""
        try:
            stat = self.path.stat(follow_symlinks=False)
        except FileNotFoundError:
            return False
        return stat.st_size == self.size and changed_ns(stat) == self.changed_ns


def changed_ns(stat: os.stat_result) -> int:
    return max(stat.st_mtime_ns, stat.st_ctime_ns)


def list_drops(folder: Path, *, settle_seconds: float, now: float | None = None) -> list[InboxFile]:
    """The drops in `folder` that look complete, persons first, then by age.

    Skipped for now: hidden and temporary names, manifests (they travel with their file),
    folders, and files changed within the last `settle_seconds` (still being written). A
    symbolic link is listed (as a link) so that it can be refused with a receipt.
    """
    return sorted(_listing(folder, settle_seconds, now)[0], key=_order)


def settling_drops(folder: Path, *, settle_seconds: float, now: float | None = None) -> list[Path]:
    """The files in `folder` that `list_drops` leaves for a later run because they changed within
    the last `settle_seconds`: said after a run, so that a file just dropped is not silently missed."""
    return sorted(_listing(folder, settle_seconds, now)[1])


def _listing(folder: Path, settle_seconds: float, now: float | None) -> tuple[list[InboxFile], list[Path]]:
    """The drops ready in `folder`, and the files still settling."""
    if not folder.is_dir():
        return [], []
    moment = time.time() if now is None else now
    found: list[InboxFile] = []
    settling: list[Path] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            if name.startswith((".", "~")) or name.lower().endswith(_TEMPORARY_SUFFIXES):
                continue
            if name.endswith(MANIFEST_SUFFIX):
                continue
            if entry.is_symlink():
                found.append(InboxFile(Path(entry.path), 0, 0, None, is_link=True))
                continue
            if not entry.is_file(follow_symlinks=False):
                continue
            stat = entry.stat(follow_symlinks=False)
            if moment - stat.st_mtime_ns / 1e9 < settle_seconds:
                settling.append(Path(entry.path))
                continue
            found.append(InboxFile(Path(entry.path), stat.st_size, changed_ns(stat), kind_from_name(name)))
    return found, settling


def _order(drop: InboxFile) -> tuple[int, int, str]:
    rank = KIND_ORDER.index(drop.kind) if drop.kind in KIND_ORDER else len(KIND_ORDER)
    return rank, drop.changed_ns, drop.name


def kind_from_name(name: str) -> Kind | None:
    """`<anything>.<kind>.<ext>` or `<kind>.<ext>`, as the pseudonymiser names its drops."""
    parts = name.lower().split(".")
    for part in reversed(parts[:-1]):
        if part in Kind._value2member_map_:
            return Kind(part)
    return None


def read_manifest(path: Path) -> tuple[Manifest | None, Problem | None]:
    """The manifest beside a drop; a problem instead when it is there but unreadable."""
    try:
        if not path.is_file() or path.is_symlink():
            return None, None
        if path.stat().st_size > _MAX_MANIFEST_BYTES:
            return None, error("manifest.unreadable", reason="larger than 64 KiB")
        data = json.loads(path.read_bytes())
        return Manifest.model_validate(data), None
    except (OSError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            fields = sorted({".".join(str(p) for p in e["loc"]) or "file" for e in exc.errors()})
            return None, error("manifest.unreadable", reason="invalid fields: " + ", ".join(fields))
        return None, error("manifest.unreadable", reason="not a JSON document")
