"""Which files in `inbox/<org>/` are complete drops, ready to be claimed.

A drop is complete (docs/ingest.md, "When a drop is complete") when it has its real name (a
temporary or hidden name is never taken: the rename into the real name is the partner's commit),
no process has it open for writing (where the hub can tell, see `open_files`), and either its
manifest lies beside it (the manifest, sent last, is the commit signal; the hub checks its SHA-256)
or, without a manifest, it has not changed for `settle_seconds`.
"""

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
from interchange.ingest.open_files import open_for_writing

DROP_SUFFIXES = (".csv", ".txt", ".xlsx", ".jsonl", ".ndjson")
# Names that editors, browsers and copy tools give a file while they are still writing it.
_TEMPORARY_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".filepart", ".swp", ".download", ".lock")
_MAX_MANIFEST_BYTES = 64 * 1024
# With `settle_seconds: 0` and no way to see open files, a drop without a manifest still has to be
# this old: 0 means "the partner renames or sends a manifest", never "take a file being written".
_SETTLE_FLOOR_SECONDS = 1.0
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
    mtime_ns: int = 0
    ctime_ns: int = 0
    inode: int = 0
    # Changed within settle_seconds when listed: taken for its manifest, which must then match it.
    fresh: bool = False

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def manifest_path(self) -> Path:
        return self.path.with_name(self.path.name + MANIFEST_SUFFIX)

    def unchanged(self) -> bool:
        """True when the file is still exactly as listed (not growing, not touched, not replaced)
        and no process has it open for writing."""
        try:
            stat = self.path.stat(follow_symlinks=False)
        except OSError:
            return False
        same = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino) == (
            self.size, self.mtime_ns, self.ctime_ns, self.inode)
        return same and not open_for_writing(self.path)


def changed_ns(stat: os.stat_result) -> int:
    return max(stat.st_mtime_ns, stat.st_ctime_ns)


def list_drops(folder: Path, *, settle_seconds: float, now: float | None = None,
               looks: Path | None = None) -> list[InboxFile]:
    """The drops in `folder` that look complete, persons first, then by age.

    Skipped for now: hidden and temporary names, manifests (they travel with their file),
    folders, files a process still has open for writing, and files without a manifest changed
    within the last `settle_seconds` (at least 1 s when open files cannot be seen). A symbolic
    link is listed (as a link) so that it can be refused with a receipt.

    `looks` is a small state file remembering each file as this listing saw it: a file the
    hub saw exactly so (size, stamps, inode) at least `settle_seconds` ago has settled too,
    even when its mtime says otherwise (a share whose clock runs ahead, a copy tool that kept
    a modification time from the future would otherwise leave it waiting for ever).
    """
    return sorted(_listing(folder, settle_seconds, now, looks)[0], key=_order)


def settling_drops(folder: Path, *, settle_seconds: float, now: float | None = None) -> list[Path]:
    """The files in `folder` that `list_drops` leaves for a later run because they changed within
    the last `settle_seconds`: said after a run, so that a file just dropped is not silently missed."""
    return sorted(_listing(folder, settle_seconds, now, None)[1])


def _listing(folder: Path, settle_seconds: float, now: float | None,
             looks: Path | None) -> tuple[list[InboxFile], list[Path]]:
    """The drops ready in `folder`, and the files still settling (changed lately, or open for writing)."""
    if not folder.is_dir():
        return [], []
    moment = time.time() if now is None else now
    remembered = _read_looks(looks)
    seen: dict[str, list[float]] = {}
    found: list[InboxFile] = []
    settling: list[Path] = []
    with os.scandir(folder) as listing:
        entries = list(listing)
    names = {entry.name for entry in entries}
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
        path = Path(entry.path)
        stat = entry.stat(follow_symlinks=False)
        with_manifest = name + MANIFEST_SUFFIX in names
        writing = open_for_writing(path)
        if with_manifest and not writing:
            writing = open_for_writing(path.with_name(name + MANIFEST_SUFFIX))
        settle = settle_seconds if settle_seconds > 0 or writing is False else _SETTLE_FLOOR_SECONDS
        stamp = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]
        earlier = remembered.get(name)
        since = earlier[4] if earlier is not None and earlier[:4] == stamp else moment
        seen[name] = [*stamp, since]
        fresh = moment - stat.st_mtime_ns / 1e9 < settle and moment - since < settle
        if writing or (fresh and not with_manifest):
            settling.append(path)
            continue
        found.append(InboxFile(path, stat.st_size, changed_ns(stat), kind_from_name(name),
                               mtime_ns=stat.st_mtime_ns, ctime_ns=stat.st_ctime_ns, inode=stat.st_ino,
                               fresh=fresh))
    if looks is not None:
        _write_looks(looks, seen)
    return found, settling


def _read_looks(path: Path | None) -> dict[str, list[float]]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="ascii"))
    except (OSError, ValueError):  # none yet, or a crash mid-write: every file is seen for the first time
        return {}
    return {name: look for name, look in data.items() if isinstance(look, list) and len(look) == 5}


def _write_looks(path: Path, seen: dict[str, list[float]]) -> None:
    """Remember the files seen now (only those: a file taken or removed is forgotten)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(seen), encoding="ascii")  # names not UTF-8 stay as \udcxx escapes
    os.replace(part, path)


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
        if isinstance(exc, OSError):
            return None, error("manifest.unreadable", reason="it could not be read")
        return None, error("manifest.unreadable", reason="not a JSON document")
