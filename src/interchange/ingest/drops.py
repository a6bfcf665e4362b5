"""Ingesting drop files from `inbox/<org>/`: claim, archive, validate, judge, load, receipt.

The order makes every crash recoverable. A drop is archived by SHA-256 and claimed as a
`received` batch (committed) before it leaves the inbox; the batch is then processed
from the archive and committed whole; its receipt is written last. A later run resumes
any `received` batch and writes any receipt that is missing, so the warehouse ends as
an uninterrupted run would have left it.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from interchange.contract.manifest import Manifest
from interchange.contract.problems import ProblemError, error
from interchange.contract.receipt import BatchStatus, Receipt
from interchange.contract.records import SCHEMA_VERSION, Kind
from interchange.contract.rows import guess_kind
from interchange.ingest.archive import archive_file
from interchange.ingest.batches import (
    BatchAlreadyClosed,
    Judging,
    batch_row,
    claim_batch,
    commit_batch,
    commit_simple,
    failpoint,
    judge,
)
from interchange.ingest.inbox import InboxFile, list_drops, read_manifest
from interchange.ingest.receipts import write_pending_receipts
from interchange.ingest.stripped_archive import finish_stripping, strip_unloaded
from interchange.ingest.validate import (
    ValidatedBatch,
    refuse_identifiers,
    refuse_personal_codes,
    rejected,
    validate_rows,
)
from interchange.partner.code_scan import CodeScan
from interchange.partner.columns import ColumnMapping
from interchange.progress import ProgressHook, report
from interchange.tabular import read_table
from interchange.warehouse.locks import source_lock
from interchange.warehouse.tables import batches
from interchange.workspace.config import InboxSource
from interchange.workspace.layout import Workspace

log = logging.getLogger(__name__)
SOURCE = "inbox"


@dataclass(frozen=True)
class Hub:
    """What every ingest step needs: the workspace, its warehouse and how batches are judged."""

    workspace: Workspace
    engine: Engine
    judging: Judging

    def columns(self, org: str) -> ColumnMapping | None:
        """The organisation's own column names (its `columns:` in interchange.yaml), if it has any."""
        try:
            return self.workspace.config.organisation(org).columns
        except KeyError:  # an organisation no longer configured: its files are read by the contract's names
            return None


def ingest_inbox(hub: Hub, org: str, settings: InboxSource, *,
                 on_progress: ProgressHook | None = None) -> list[Receipt]:
    """Process every complete drop in `org`'s inbox; returns the receipts written, oldest first."""
    with source_lock(hub.engine, hub.workspace.locks, f"{org}.{SOURCE}"):
        _resume(hub, org, settings)
        drops = list_drops(hub.workspace.inbox(org), settle_seconds=settings.settle_seconds)
        for position, drop in enumerate(drops, start=1):
            report(on_progress, "ingest.drops", position - 1, len(drops), f"{org}/{SOURCE}")
            _ingest_drop(hub, org, drop, settings)
            report(on_progress, "ingest.drops", position, len(drops), f"{org}/{SOURCE}")
        finish_stripping(hub.engine, hub.workspace.archive(org), org, SOURCE)
        return write_pending_receipts(hub.engine, hub.workspace.receipts(org), org)


def _resume(hub: Hub, org: str, settings: InboxSource) -> None:
    """Finish what a crashed run left: batches claimed but not processed."""
    with hub.engine.connect() as connection:
        unfinished = connection.scalars(select(batches.c.batch_id).where(
            batches.c.org == org, batches.c.source == SOURCE, batches.c.status == BatchStatus.RECEIVED.value,
        ).order_by(batches.c.batch_id)).all()
    for batch_id in unfinished:
        log.info("resuming batch %d of %s", batch_id, org)
        process_batch(hub, batch_id, max_bytes=settings.max_file_bytes)
    _finish_purges(hub, org)


def _finish_purges(hub: Hub, org: str) -> None:
    """A file refused for direct identifiers keeps no archived copy, even when a crash came between
    the commit (which empties its archive_path) and the unlink."""
    with hub.engine.connect() as connection:
        refused = set(connection.scalars(select(batches.c.sha256).distinct().where(
            batches.c.org == org, batches.c.source == SOURCE, batches.c.status == BatchStatus.REJECTED.value,
            batches.c.archive_path.is_(None))))
    folder = hub.workspace.archive(org)
    if not refused or not folder.is_dir():
        return
    # One listing of the archive, not one glob per refused file on every run.
    for leftover in folder.iterdir():
        if leftover.name.partition(".")[0] in refused:
            leftover.unlink(missing_ok=True)


def _ingest_drop(hub: Hub, org: str, drop: InboxFile, settings: InboxSource) -> None:
    if drop.is_link:
        _refuse_link(hub, org, drop)
        return
    archived = archive_file(drop.path, hub.workspace.archive(org))
    if not drop.unchanged():
        # Still being written, or replaced while we read it: leave it for the next run.
        if archived.created:
            archived.path.unlink(missing_ok=True)
        return
    manifest, manifest_problem = read_manifest(drop.manifest_path)
    relative = str(archived.path.relative_to(hub.workspace.root))
    closed = False  # the claim already settled the batch (a duplicate, a bad manifest)
    with hub.engine.begin() as connection:
        same_file = connection.execute(select(batches.c.batch_id).where(
            batches.c.org == org, batches.c.source == SOURCE, batches.c.sha256 == archived.sha256,
            batches.c.file_name == drop.name, batches.c.mtime_ns == drop.changed_ns)).scalar()
        if same_file is None:
            loaded_before = connection.execute(select(batches.c.batch_id).where(
                batches.c.org == org, batches.c.sha256 == archived.sha256,
                batches.c.status == BatchStatus.LOADED.value).order_by(batches.c.batch_id)).scalar()
            try:
                with connection.begin_nested():
                    batch_id = claim_batch(
                        connection, org=org, source=SOURCE, file_name=drop.name, sha256=archived.sha256,
                        size_bytes=archived.size, mtime_ns=drop.changed_ns, archive_path=relative,
                        kind=str(manifest.kind) if manifest else (str(drop.kind) if drop.kind else None),
                        manifest=manifest.model_dump(mode="json") if manifest else None,
                    )
            except IntegrityError:
                return  # another run claimed this very file a moment ago
            closed = loaded_before is not None or manifest_problem is not None
            if loaded_before is not None:
                commit_simple(connection, batch_id, BatchStatus.DUPLICATE,
                              [error("file.duplicate", batch=loaded_before)], duplicate_of=loaded_before)
            elif manifest_problem is not None:
                commit_simple(connection, batch_id, BatchStatus.REJECTED, [manifest_problem])
    failpoint("after_claim")
    # The claim is committed: the archive is now the only copy the hub works from.
    drop.path.unlink(missing_ok=True)
    drop.manifest_path.unlink(missing_ok=True)
    if same_file is not None:
        return  # a crashed run claimed it; _resume or the receipt step finishes it
    if not closed:
        process_batch(hub, batch_id, max_bytes=settings.max_file_bytes)


def process_batch(hub: Hub, batch_id: int, *, max_bytes: int = InboxSource().max_file_bytes) -> None:
    """Validate, judge and commit one claimed drop from its archived copy."""
    try:
        _process(hub, batch_id, max_bytes)
    except BatchAlreadyClosed:
        log.info("batch %d was committed by another run; nothing to do", batch_id)
    except Exception:
        # A bug or an outage, not the partner's fault. The batch stays `received` (nothing of
        # it was committed), so the task's retry or the next run resumes it from the archive;
        # the error reaches the flow run by class and batch id only, never with row data.
        log.error("batch %d of %s could not be processed (%s); it will be resumed",
                  batch_id, hub.workspace.root.name, type(sys.exc_info()[1]).__name__)
        raise


def _process(hub: Hub, batch_id: int, max_bytes: int) -> None:
    with hub.engine.connect() as connection:
        head = batch_row(connection, batch_id)
    path = hub.workspace.root / head.archive_path
    manifest = Manifest.model_validate(head.manifest) if head.manifest else None
    kind = Kind(head.kind) if head.kind else None
    if head.size_bytes > max_bytes:
        batch = rejected(kind, [error("file.too_large", size=head.size_bytes, limit=max_bytes)])
    else:
        batch = _read_and_validate(path, head.org, kind, hub.columns(head.org))
    if manifest is not None and batch.kind is not None:
        _check_manifest(batch, manifest, head)
    stripped = strip_unloaded(batch, path, hub.columns(head.org))
    failpoint("before_commit")
    extra: dict[str, str | None] = {"archive_path": None} if batch.purge_archive else {}
    if stripped is not None:
        extra = {"archive_path": str(stripped.relative_to(hub.workspace.root))}
    with hub.engine.begin() as connection:
        if batch.kind is None:
            commit_simple(connection, batch_id, BatchStatus.REJECTED, batch.problems, **extra)
        else:
            verdict = judge(connection, batch, head.org, hub.judging)
            commit_batch(connection, batch_id, batch, verdict, extra=extra)
    failpoint("after_commit")
    if batch.purge_archive or stripped is not None:
        path.unlink(missing_ok=True)


def _read_and_validate(path: Path, org: str, kind: Kind | None, columns: ColumnMapping | None) -> ValidatedBatch:
    try:
        table = read_table(path)
    except ProblemError as exc:
        return rejected(kind, exc.problems)
    with table:
        refused = refuse_identifiers(kind, table.headers, table.rows, columns)
        if refused is not None:  # before guessing the kind: such a file is never kept, whatever it holds
            return refused
        if kind is None:
            kind = guess_kind(table.headers, supplied=["org"], extra_aliases=columns.by_kind() if columns else None)
        scan = CodeScan(table.headers)  # a personal code in any cell refuses the file
        if kind is None:
            scan.drain(table.rows)
            return refuse_personal_codes(rejected(None, [error("file.kind", kinds=", ".join(k.value for k in Kind))]),
                                         scan, columns)
        return refuse_personal_codes(validate_rows(kind, org, table.headers, scan.watch(table.rows), columns=columns),
                                     scan, columns)


def _check_manifest(batch: ValidatedBatch, manifest: Manifest, head: object) -> None:
    """A drop must be what its manifest says; anything else means a changed or cut-short file."""
    if manifest.sha256 != head.sha256:  # type: ignore[attr-defined]
        batch.reject(error("manifest.sha256"))
    if manifest.row_count != batch.rows_read:
        batch.reject(error("manifest.row_count", expected=manifest.row_count, found=batch.rows_read))
    if manifest.kind != batch.kind:
        batch.reject(error("manifest.kind", expected=manifest.kind, found=str(batch.kind)))
    if manifest.org != head.org:  # type: ignore[attr-defined]
        batch.reject(error("manifest.org", expected=manifest.org, found=head.org))  # type: ignore[attr-defined]
    if manifest.schema_version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        batch.reject(error("manifest.schema_version", expected=SCHEMA_VERSION, found=manifest.schema_version))


def _refuse_link(hub: Hub, org: str, drop: InboxFile) -> None:
    """A link could point anywhere on the hub: it is never followed, only reported and removed."""
    with hub.engine.begin() as connection:
        batch_id = claim_batch(connection, org=org, source=SOURCE, file_name=drop.name,
                               sha256="0" * 64, size_bytes=0, mtime_ns=None)
        commit_simple(connection, batch_id, BatchStatus.REJECTED, [error("file.link")])
    drop.path.unlink(missing_ok=True)
