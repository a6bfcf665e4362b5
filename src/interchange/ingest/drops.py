"""Ingesting drop files from `inbox/<org>/`: claim, archive, validate, judge, load, receipt.

The order makes every crash recoverable. A drop is archived by SHA-256 and claimed as a
`received` batch (committed) before it leaves the inbox; the batch is then processed
from the archive and committed whole; its receipt is written last. A later run resumes
any `received` batch and writes any receipt that is missing, so the warehouse ends as
an uninterrupted run would have left it. A batch the hub cannot process ends `failed`
(process_batch) rather than holding up the partner's later drops.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError

from interchange.contract.manifest import Manifest
from interchange.contract.problems import Problem, ProblemError, error
from interchange.contract.receipt import BatchStatus, Receipt
from interchange.contract.records import SCHEMA_VERSION, Kind
from interchange.contract.rows import guess_kind
from interchange.errors import InterchangeError, failure_trace, is_transient
from interchange.ingest import overlap
from interchange.ingest.archive import Archived, archive_file, remove_leftovers
from interchange.ingest.batches import (
    BatchAlreadyClosed,
    EarlyLoad,
    Judging,
    batch_row,
    claim_batch,
    commit_batch,
    commit_simple,
    failpoint,
    judge,
    judge_rows,
    known_persons,
    load_early,
    will_load,
)
from interchange.ingest.expectations import BatchVerdict, get_ready
from interchange.ingest.file_names import name_problem, visible_name
from interchange.ingest.inbox import InboxFile, list_drops, read_manifest
from interchange.ingest.receipts import write_pending_receipts
from interchange.ingest.spool import SpooledRows
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
from interchange.tabular import DEFAULT_LIMITS, ReadLimits, read_table
from interchange.warehouse.locks import source_lock
from interchange.warehouse.tables import batches
from interchange.workspace.config import InboxSource
from interchange.workspace.layout import Workspace

log = logging.getLogger(__name__)
SOURCE = "inbox"

# How many times processing a batch may begin before it ends failed: a database restart or a lock
# passes within a run's retries or the next run; something that fails this often needs a person.
MAX_ATTEMPTS = 3


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
        drops = list_drops(hub.workspace.inbox(org), settle_seconds=settings.settle_seconds,
                           looks=hub.workspace.locks / f"{org}.{SOURCE}.looks.json")
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
        process_batch(hub, batch_id, max_bytes=settings.max_file_bytes, limits=settings.read_limits())
    _finish_purges(hub, org)
    removed = remove_leftovers(hub.workspace.archive(org))
    if removed:
        log.info("removed %d partial archive copies of %s left by an interrupted run", removed, org)


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


class _ChangedWhileClaimed(InterchangeError):
    """The drop moved after it was listed: its claim is rolled back and the file left for the next run."""


def _ingest_drop(hub: Hub, org: str, drop: InboxFile, settings: InboxSource) -> None:
    if drop.is_link:
        _refuse_link(hub, org, drop)
        return
    name_refused = name_problem(drop.name)
    if name_refused is not None:
        _refuse_name(hub, org, drop, name_refused)
        return
    archived = archive_file(drop.path, hub.workspace.archive(org))
    manifest, manifest_problem = read_manifest(drop.manifest_path)
    if not drop.unchanged() or (drop.fresh and manifest is not None and manifest.sha256 != archived.sha256):
        # Still being written (or its manifest came first), or replaced while we read it: the
        # partial copy goes, the file stays for the next run.
        _forget_copy(archived)
        return
    relative = str(archived.path.relative_to(hub.workspace.root))
    closed = False  # the claim already settled the batch (a duplicate, a bad manifest)
    try:
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
            if not drop.unchanged():  # a writer came back while the copy was hashed: no claim
                raise _ChangedWhileClaimed
    except _ChangedWhileClaimed:
        _forget_copy(archived)
        return
    failpoint("after_claim")
    # The claim is committed: the archive is now the only copy the hub works from. A file that
    # moved even now is never deleted (its writer still holds it): the next run takes it whole.
    if drop.unchanged():
        drop.path.unlink(missing_ok=True)
        drop.manifest_path.unlink(missing_ok=True)
    else:
        log.warning("%s of %s changed after it was claimed as batch %s; it stays in the inbox",
                    drop.name, org, same_file or batch_id)
    if same_file is not None:
        return  # a crashed run claimed it; _resume or the receipt step finishes it
    if not closed:
        process_batch(hub, batch_id, max_bytes=settings.max_file_bytes, limits=settings.read_limits())


def _forget_copy(archived: Archived) -> None:
    if archived.created:
        archived.path.unlink(missing_ok=True)


def _refuse_name(hub: Hub, org: str, drop: InboxFile, problem: Problem) -> None:
    """A name that is not UTF-8, holds control characters or is too long is never stored, printed or
    looked up as it is: the file is refused (not read, not kept) with a receipt that shows the name escaped."""
    try:
        with hub.engine.begin() as connection:
            batch_id = claim_batch(connection, org=org, source=SOURCE, file_name=visible_name(drop.name),
                                   sha256="0" * 64, size_bytes=drop.size, mtime_ns=drop.changed_ns,
                                   kind=str(drop.kind) if drop.kind else None)
            commit_simple(connection, batch_id, BatchStatus.REJECTED, [problem])
    except IntegrityError:
        pass  # refused before, by a run that crashed before removing it
    drop.path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # a manifest's name may be longer than a file name can be
        drop.manifest_path.unlink(missing_ok=True)


def process_batch(hub: Hub, batch_id: int, *, max_bytes: int = InboxSource().max_file_bytes,
                  limits: ReadLimits = DEFAULT_LIMITS) -> None:
    """Validate, judge and commit one claimed drop from its archived copy.

    A failure no retry can mend (bad bytes the database refuses, a bug: anything but an outage,
    interchange.errors.is_transient) ends the batch `failed` with a receipt, and the run goes on
    with the next drop; so does an outage that outlasts MAX_ATTEMPTS attempts. Otherwise the
    batch stays `received` and the failure is raised: the task's retry or the next run resumes it.
    """
    attempt = _begin_attempt(hub, batch_id)
    if attempt is None:
        log.info("batch %d was committed by another run; nothing to do", batch_id)
        return
    if attempt > MAX_ATTEMPTS:  # earlier attempts died with the process (killed, out of memory)
        log.error("batch %d of %s: %d attempts began and none finished; it ends failed",
                  batch_id, hub.workspace.root.name, attempt - 1)
        _end_failed(hub, batch_id)
        return
    try:
        _process(hub, batch_id, max_bytes, limits)
    except BatchAlreadyClosed:
        log.info("batch %d was committed by another run; nothing to do", batch_id)
    except Exception as exc:
        # Not the partner's fault. Nothing of the batch was committed; the error reaches the
        # hub's log by class, batch id and code location only, never with row data.
        retry = is_transient(exc) and attempt < MAX_ATTEMPTS
        log.error("batch %d of %s could not be processed (%s, attempt %d of %d); %s\n%s",
                  batch_id, hub.workspace.root.name, type(exc).__name__, attempt, MAX_ATTEMPTS,
                  "it will be resumed" if retry else "it ends failed until a steward re-runs it",
                  failure_trace(exc))
        if retry:
            raise
        try:
            _end_failed(hub, batch_id)
        except BatchAlreadyClosed:
            pass
        except Exception:
            raise exc from None  # the database is gone too: the batch stays received, resumed later


def _begin_attempt(hub: Hub, batch_id: int) -> int | None:
    """Count an attempt on a `received` batch (committed before any work, so an attempt the process
    dies in counts too); its number, or None when the batch is no longer received."""
    with hub.engine.begin() as connection:
        counted = connection.execute(batches.update().where(
            batches.c.batch_id == batch_id, batches.c.status == BatchStatus.RECEIVED.value,
        ).values(attempts=batches.c.attempts + 1))
        if counted.rowcount != 1:
            return None
        return int(connection.execute(select(batches.c.attempts).where(batches.c.batch_id == batch_id)).scalar_one())


def _end_failed(hub: Hub, batch_id: int) -> None:
    with hub.engine.begin() as connection:
        commit_simple(connection, batch_id, BatchStatus.FAILED, [error("batch.failed", batch=batch_id)])


def _process(hub: Hub, batch_id: int, max_bytes: int, limits: ReadLimits) -> None:
    with hub.engine.connect() as connection:
        head = batch_row(connection, batch_id)
    path = hub.workspace.root / head.archive_path
    manifest = Manifest.model_validate(head.manifest) if head.manifest else None
    kind = Kind(head.kind) if head.kind else None
    if head.size_bytes > max_bytes:
        batch = rejected(kind, [error("file.too_large", size=head.size_bytes, limit=max_bytes)])
    elif kind is not None and overlap.worthwhile(head.size_bytes, kind):
        _process_overlapped(hub, batch_id, head, path, manifest, kind, limits)
        return
    else:
        batch = read_and_validate(path, head.org, kind, hub.columns(head.org), limits)
    settled = _settle(hub, batch, manifest, head, path)
    failpoint("before_commit")
    with hub.engine.begin() as connection:
        verdict = None if batch.kind is None else judge(connection, batch, head.org, hub.judging)
        _commit(connection, batch_id, batch, verdict, settled)
    failpoint("after_commit")
    settled.finish(batch, path)


@dataclass
class _Settled:
    """What a read batch's archived copy becomes, once the whole file is known."""

    extra: dict[str, str | None]  # batch columns to set: the archive's new path, or none
    stripped: Path | None

    def finish(self, batch: ValidatedBatch, path: Path) -> None:
        """After the commit: the copy replaced by its stripped one, or gone for a refused file."""
        if batch.purge_archive or self.stripped is not None:
            path.unlink(missing_ok=True)


def _settle(hub: Hub, batch: ValidatedBatch, manifest: Manifest | None, head: Any, path: Path) -> _Settled:
    """The manifest checked and the archived copy stripped of what was left out, where needed."""
    if manifest is not None and batch.kind is not None:
        _check_manifest(batch, manifest, head)
    stripped = strip_unloaded(batch, path, hub.columns(head.org))
    extra: dict[str, str | None] = {"archive_path": None} if batch.purge_archive else {}
    if stripped is not None:
        extra = {"archive_path": str(stripped.relative_to(hub.workspace.root))}
    return _Settled(extra, stripped)


def _commit(connection: Connection, batch_id: int, batch: ValidatedBatch, verdict: BatchVerdict | None,
            settled: _Settled, early: EarlyLoad | None = None) -> None:
    if batch.kind is None:
        commit_simple(connection, batch_id, BatchStatus.REJECTED, batch.problems, **settled.extra)
    else:
        commit_batch(connection, batch_id, batch, verdict, extra=settled.extra, early=early)


def _process_overlapped(hub: Hub, batch_id: int, head: Any, path: Path, manifest: Manifest | None, kind: Kind,
                        limits: ReadLimits) -> None:
    """_process for a large drop: read, validated and judged by a child process while this one
    loads its rows (ingest/overlap.py); a batch that then does not load is committed without them."""
    columns = hub.columns(head.org)
    failpoint("before_commit")
    with hub.engine.connect() as connection:
        with connection.begin() as transaction:
            known = known_persons(connection, kind, head.org)
            get_ready(kind, parameters=hub.judging.parameters(), directory=hub.judging.suites)
            with overlap.ReadingProcess(
                    batch_id,
                    lambda spool: read_and_validate(path, head.org, kind, columns, limits, spool),
                    lambda read: judge_rows(read, hub.judging, known)) as reading:
                early = load_early(connection, batch_id, str(kind), reading.chunks())
                batch, verdict = reading.result()
            settled = _settle(hub, batch, manifest, head, path)
            loads = will_load(batch, verdict)
            if loads:
                _commit(connection, batch_id, batch, verdict, settled, early)
            else:
                transaction.rollback()  # the rows loaded before the whole file was known
        if not loads:
            with connection.begin():
                _commit(connection, batch_id, batch, verdict, settled)
    failpoint("after_commit")
    settled.finish(batch, path)


def read_and_validate(path: Path, org: str, kind: Kind | None, columns: ColumnMapping | None,
                      limits: ReadLimits = DEFAULT_LIMITS, spool: SpooledRows | None = None) -> ValidatedBatch:
    """A drop file read and validated; the kind guessed from its headers when not known.
    The valid rows go to `spool` when given."""
    try:
        table = read_table(path, limits=limits)
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
        rows = table.blocks() if table.blocks is not None else table.rows  # CSV: columns where it can
        return refuse_personal_codes(validate_rows(kind, org, table.headers, scan.watch(rows), columns=columns,
                                                   spool=spool), scan, columns)


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
        batch_id = claim_batch(connection, org=org, source=SOURCE, file_name=visible_name(drop.name),
                               sha256="0" * 64, size_bytes=0, mtime_ns=None)
        commit_simple(connection, batch_id, BatchStatus.REJECTED, [error("file.link")])
    drop.path.unlink(missing_ok=True)
