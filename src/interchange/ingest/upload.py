"""A drop that arrives over HTTP (the web portal or the upload API), handed to the inbox.

An upload is held to the inbox's own rules before it is let in: its name (`file_names`), its
size (the smaller of `web.max_upload_bytes` and the inbox's `max_file_bytes`), its reading
limits, and the partner kit's pre-flight check (`partner.check.check_drop`, which also looks for
personal codes in every cell). Only a file the check passes is handed on, and it is handed on as a
partner would send it (docs/ingest.md, "When a drop is complete"): written under a hidden
temporary name in `inbox/<org>/`, renamed into its real name when whole, and followed by its
manifest. From there the ordinary ingest takes it, exactly once; nothing here loads a row.

A file whose rows have errors is refused unless the sender asks for it to be sent anyway (its bad
rows then go to quarantine, as with any drop); an error of the whole file (its header, a personal
code, a file that cannot be read) always refuses it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from interchange import __version__, clock
from interchange.contract.manifest import MANIFEST_SUFFIX, Manifest
from interchange.contract.problems import Problem, Severity, error
from interchange.contract.records import SCHEMA_VERSION, Kind
from interchange.contract.services import CATALOGUE_VERSION
from interchange.errors import InterchangeError
from interchange.ingest.file_names import name_problem, visible_name
from interchange.partner.check import check_drop
from interchange.partner.report import FileReport
from interchange.workspace.config import InboxSource
from interchange.workspace.layout import Workspace

_CHUNK = 1 << 20
_STAGED = ".upload-"
# A staged upload this old was left by a server that stopped mid-upload: nobody will finish it.
_STALE_SECONDS = 3600
# Problems of a row that still refuse the whole file at the hub (a personal code anywhere).
_WHOLE_FILE_CODES = frozenset({"value.personal_code"})


class NoInbox(InterchangeError, ValueError):
    """The organisation sends through its own API: the hub takes no files from it."""


@dataclass
class Upload:
    """What became of one uploaded file: the check's report and, when it was let in, its name in the inbox."""

    file_name: str  # as the sender named it, escaped for showing (file_names.visible_name)
    report: FileReport | None = None
    problems: list[Problem] = field(default_factory=list)
    sent_as: str | None = None
    size_bytes: int = 0
    sha256: str | None = None

    @property
    def accepted(self) -> bool:
        return self.sent_as is not None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def whole_file_refused(self) -> bool:
        return any(p.row is None or p.code in _WHOLE_FILE_CODES for p in self.errors)

    def audited(self) -> dict[str, object]:
        """What the audit trail keeps of the upload: size, digest, counts and problem codes, never a value."""
        report = self.report
        return {"kind": report.kind if report else None, "rows_read": report.rows_read if report else 0,
                "rows_rejected": report.rows_rejected if report else 0, "size_bytes": self.size_bytes,
                "sha256": self.sha256, "codes": dict(Counter(p.code for p in self.problems))}

    def as_dict(self) -> dict[str, object]:
        """The API's answer: what was checked, whether it was sent on, every problem in both languages."""
        report = self.report
        return {
            "file_name": self.file_name,
            "accepted": self.accepted,
            "sent_as": self.sent_as,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "kind": report.kind if report else None,
            "rows_read": report.rows_read if report else 0,
            "rows_accepted": report.rows_accepted if report else 0,
            "rows_rejected": report.rows_rejected if report else 0,
            "problems": [p.as_dict() for p in self.problems],
        }


def inbox_settings(workspace: Workspace, org: str) -> InboxSource:
    """The organisation's inbox source; NoInbox when it has none (it sends through its API)."""
    for source in workspace.config.organisation(org).sources:
        if isinstance(source, InboxSource):
            return source
    raise NoInbox(key="web.no_inbox", org=org)


def upload_limit(workspace: Workspace, org: str) -> int:
    return min(workspace.config.web.max_upload_bytes, inbox_settings(workspace, org).max_file_bytes)


def receive_upload(workspace: Workspace, org: str, file_name: str, stream: BinaryIO, *, kind: Kind | None = None,
                   send_with_row_problems: bool = False) -> Upload:
    """Check an uploaded file and, when it passes, hand it to `org`'s inbox with its manifest.

    Args:
        workspace: the hub's workspace.
        org: the sending organisation (the caller has made sure the sender acts for it).
        file_name: the name the sender gave; only its last part counts (a browser on Windows may
            send a whole path).
        stream: the file's bytes; read up to the limit and one byte more.
        kind: the record kind, when the sender says; else told from the header.
        send_with_row_problems: hand on a file whose only errors are in single rows (they go to
            quarantine at ingest); an error of the whole file refuses it all the same.
    """
    settings = inbox_settings(workspace, org)
    limit = upload_limit(workspace, org)
    name = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    upload = Upload(file_name=visible_name(name))
    refused = name_problem(name) if name else error("file.name", limit=0)
    if refused is not None:
        upload.problems.append(refused)
        return upload
    inbox = workspace.inbox(org)
    inbox.mkdir(parents=True, exist_ok=True)
    _remove_stale_uploads(inbox)
    staged = inbox / f"{_STAGED}{secrets.token_hex(8)}{Path(name).suffix.lower()}"
    try:
        upload.size_bytes, upload.sha256 = _copy(stream, staged, limit)
        if upload.size_bytes > limit:
            upload.problems.append(error("file.too_large", size=upload.size_bytes, limit=limit))
            return upload
        report = check_drop(staged, kind=kind, org=org, columns=workspace.config.organisation(org).columns,
                            limits=settings.read_limits())
        upload.report = report
        upload.problems = report.problems
        if report.kind is None or report.rows_accepted == 0 or (
                upload.errors and (upload.whole_file_refused or not send_with_row_problems)):
            if report.rows_accepted == 0 and not upload.errors:
                upload.problems.append(error("file.no_rows"))
            return upload
        upload.sent_as = _hand_over(staged, inbox, name, org, Kind(report.kind), upload.sha256, report.rows_read)
        return upload
    finally:
        staged.unlink(missing_ok=True)


def _remove_stale_uploads(inbox: Path) -> None:
    # File ages are real time (interchange.clock moves the calendar, not the file system).
    cutoff = time.time() - _STALE_SECONDS
    for leftover in inbox.glob(f"{_STAGED}*"):
        with contextlib.suppress(OSError):  # another upload's, finishing or removed just now
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()


def _copy(stream: BinaryIO, target: Path, limit: int) -> tuple[int, str]:
    """Copy at most `limit` + 1 bytes of `stream` to `target`: the size copied and its SHA-256."""
    digest = hashlib.sha256()
    size = 0
    with target.open("xb") as out:
        while size <= limit:
            chunk = stream.read(min(_CHUNK, limit + 1 - size))
            if not chunk:
                break
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _hand_over(staged: Path, inbox: Path, name: str, org: str, kind: Kind, sha256: str, rows: int) -> str:
    """Rename the checked file into the inbox under a name of its own, then write its manifest (the commit)."""
    moment = clock.now()
    while True:  # a name of its own: a rename never replaces another upload waiting in the inbox
        final = f"{moment:%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}-{name}"
        if name_problem(final) is not None:  # the prefix made a long name too long: keep its suffix
            final = f"{moment:%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}{Path(name).suffix.lower()}"
        target = inbox / final
        if not target.exists():
            break
    os.replace(staged, target)
    manifest = Manifest(org=org, kind=kind, file_name=final, sha256=sha256, row_count=rows,
                        schema_version=SCHEMA_VERSION, service_catalogue_version=CATALOGUE_VERSION,
                        created_at=moment.replace(microsecond=0), generator=f"interchange {__version__} upload")
    part = inbox / f".{final}{MANIFEST_SUFFIX}.part"
    part.write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    os.replace(part, inbox / f"{final}{MANIFEST_SUFFIX}")
    return final
