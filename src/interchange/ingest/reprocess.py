"""Re-running a held batch, or the quarantined rows of a loaded one, after a fix at the hub.

When the steward fixes what held a batch or quarantined rows (a threshold in
`interchange.yaml`, an expectation suite, a code list), the same file is processed again
from its archived copy (never from the inbox) as a new batch with a new receipt:

- A **held** batch is re-run whole, and so is a **failed** one (the hub could not process it:
  a bug, or bytes its database refused, fixed since). A **loaded** batch with quarantined rows has just those
  rows re-run; its loaded rows stay as they are. So has a batch **rejected** because not
  one of its rows was usable.
- The re-run batch keeps the original's arrival (`received_at`), file name and SHA-256:
  it *is* that drop, processed again. Re-runs go in arrival order, and a row is never
  loaded over a newer version of its record that arrived later: such a row is quarantined
  as `row.superseded`, already resolved by the batch that brought the newer version.
- Everything one re-run changes (the new batch, its records, its quarantine, and closing
  the old quarantine entries, interchange.ingest.quarantine) is one transaction under the source's
  lock, so a crash leaves all or nothing, and running `reprocess` twice re-runs nothing
  the first run settled. Counts add up as for every batch: rows read = loaded + unchanged
  + quarantined (+ held).

Inbox drops are re-run here, and failed pulls (from their archived pages; the cursor moves
when the re-run loads). A held pull has not moved its cursor, so the next pull brings the
same records again; pulled rows in quarantine come back when the partner changes them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, Engine, and_, select

from interchange.contract.problems import ProblemError, error
from interchange.contract.receipt import BatchStatus, Receipt
from interchange.contract.records import Kind
from interchange.errors import InterchangeError
from interchange.ingest.batches import claim_batch, commit_batch, commit_simple, judge
from interchange.ingest.drops import SOURCE, Hub, read_and_validate
from interchange.ingest.pulls import archived_pull, commit_pull
from interchange.ingest.quarantine import close_entries, open_row_entries
from interchange.ingest.receipts import write_pending_receipts
from interchange.ingest.spool import SpooledRows
from interchange.ingest.validate import ValidatedBatch, rejected, validate_rows
from interchange.progress import ProgressHook, report
from interchange.tabular import ReadLimits, read_table
from interchange.warehouse.engine import stored_utc
from interchange.warehouse.load import chunked
from interchange.warehouse.locks import source_lock
from interchange.warehouse.tables import RECORD_TABLES, batches, quarantine
from interchange.workspace.config import InboxSource

Reason = Literal["held", "failed", "quarantined"]


@dataclass(frozen=True)
class Candidate:
    """A batch to re-run: all of it (held or failed) or the rows of its open quarantine entries."""

    batch_id: int
    org: str
    kind: str | None
    received_at: datetime
    reason: Reason
    rows: frozenset[int] | None  # None: the whole file
    source: str = SOURCE  # or http:<name>: a failed pull, re-run from its archived pages

    @property
    def row_count(self) -> int | None:
        return None if self.rows is None else len(self.rows)


@dataclass(frozen=True)
class Rerun:
    """What re-running one candidate made: the new batch's receipt."""

    candidate: Candidate
    receipt: Receipt


class ReprocessError(InterchangeError, ValueError):
    """Batches that cannot be re-run; the message names the batches and why, never a record."""

    def __init__(self, batch_ids: list[int]) -> None:
        super().__init__(f"batch {', '.join(map(str, batch_ids))}: nothing to re-run (not a held or failed inbox "
                         f"batch not "
                         f"re-run since, and no quarantined rows open; `interchange status` lists what is)")
        self.batch_ids = batch_ids


def open_quarantine_rows(connection: Connection, batch_ids: Iterable[int] | None = None) -> dict[int, set[int]]:
    """batch id -> row numbers with an open error, for inbox batches with an archived file that loaded,
    or were rejected because not one row was usable (after a fix at the hub, some may be)."""
    query = (select(quarantine.c.batch_id, quarantine.c.row_number).distinct()
             .join(batches, batches.c.batch_id == quarantine.c.batch_id)
             .where(open_row_entries(),
                    batches.c.status.in_([BatchStatus.LOADED.value, BatchStatus.REJECTED.value]),
                    batches.c.source == SOURCE, batches.c.archive_path.is_not(None)))
    if batch_ids is not None:
        query = query.where(quarantine.c.batch_id.in_(list(batch_ids)))
    found: dict[int, set[int]] = defaultdict(set)
    for batch_id, row_number in connection.execute(query):
        found[batch_id].add(row_number)
    return dict(found)


def open_held_batches(connection: Connection) -> list[Any]:
    """Held inbox batches not re-run since: the newest batch of their arrival is still held."""
    return _still_whole(connection, BatchStatus.HELD)


def open_failed_batches(connection: Connection) -> list[Any]:
    """Failed inbox batches not re-run since: the hub could not process them, nothing of them loaded."""
    return _still_whole(connection, BatchStatus.FAILED)


def open_failed_pulls(connection: Connection) -> list[Any]:
    """Failed pulls that no later pull of their source and kind has loaded, held or re-run."""
    return [row for row in newest_settled_pulls(connection) if row.status == BatchStatus.FAILED.value]


def newest_settled_pulls(connection: Connection) -> list[Any]:
    """The newest pull of each (org, source, kind) that ended loaded, held or failed: a held or
    failed one leaves its cursor, so it stays a concern until a later pull of its kind settles."""
    rows = connection.execute(select(batches.c.batch_id, batches.c.org, batches.c.source, batches.c.kind,
                                     batches.c.status, batches.c.received_at).where(batches.c.source.like("http:%"))
                              .order_by(batches.c.batch_id)).all()
    newest: dict[tuple, Any] = {}
    for row in rows:
        if row.status in (BatchStatus.HELD.value, BatchStatus.LOADED.value, BatchStatus.FAILED.value):
            newest[(row.org, row.source, row.kind)] = row
    return list(newest.values())


def _still_whole(connection: Connection, status: BatchStatus) -> list[Any]:
    rows = connection.execute(select(
        batches.c.batch_id, batches.c.org, batches.c.source, batches.c.kind, batches.c.status, batches.c.sha256,
        batches.c.file_name, batches.c.received_at, batches.c.archive_path,
    ).where(batches.c.source == SOURCE, batches.c.status.in_([BatchStatus.HELD.value, BatchStatus.LOADED.value,
                                                             BatchStatus.REJECTED.value, BatchStatus.FAILED.value]))
        .order_by(batches.c.batch_id)).all()
    newest: dict[tuple, Any] = {}
    for row in rows:  # later batch ids of one arrival are its re-runs
        newest[arrival_key(row)] = row
    return [row for row in newest.values() if row.status == status.value and row.archive_path]


def arrival_key(row: Any) -> tuple:
    """What makes batches one arrival: the drop as received, and every re-run of it."""
    return (row.org, row.sha256, row.file_name, stored_utc(row.received_at))


def find_candidates(engine: Engine, *, org: str | None = None,
                    batch_ids: Iterable[int] | None = None) -> list[Candidate]:
    """What `reprocess` would re-run, in arrival order; `org` and `batch_ids` narrow it down.

    Raises ReprocessError for a batch id given that has nothing to re-run.
    """
    wanted = set(batch_ids) if batch_ids is not None else None
    with engine.connect() as connection:
        held = open_held_batches(connection)
        failed = open_failed_batches(connection) + open_failed_pulls(connection)
        held_ids = {row.batch_id for row in held}
        quarantined = open_quarantine_rows(connection)
        heads = {row.batch_id: row for row in connection.execute(select(
            batches.c.batch_id, batches.c.org, batches.c.kind, batches.c.received_at,
        ).where(batches.c.batch_id.in_(list(quarantined)))).all()} if quarantined else {}
    found = [Candidate(row.batch_id, row.org, row.kind, stored_utc(row.received_at), "held", None) for row in held]
    found += [Candidate(row.batch_id, row.org, row.kind, stored_utc(row.received_at), "failed", None, row.source)
              for row in failed]
    found += [Candidate(batch_id, heads[batch_id].org, heads[batch_id].kind, stored_utc(heads[batch_id].received_at),
                        "quarantined", frozenset(rows))
              for batch_id, rows in quarantined.items() if batch_id not in held_ids]
    if wanted is not None:
        missing = sorted(wanted - {c.batch_id for c in found})
        if missing:
            raise ReprocessError(missing)
        found = [c for c in found if c.batch_id in wanted]
    if org is not None:
        found = [c for c in found if c.org == org]
    return sorted(found, key=lambda c: (c.received_at, c.batch_id))


def reprocess(hub: Hub, candidates: list[Candidate], *, on_progress: ProgressHook | None = None) -> list[Rerun]:
    """Re-run each candidate in the order given (find_candidates gives arrival order).

    Progress: ``reprocess.batches`` when each candidate starts and when it is done, detailed by
    its organisation and batch id.
    """
    done = []
    for position, candidate in enumerate(candidates, start=1):
        report(on_progress, "reprocess.batches", position - 1, len(candidates), f"{candidate.org} {candidate.batch_id}")
        with source_lock(hub.engine, hub.workspace.locks, f"{candidate.org}.{candidate.source.replace(':', '-')}"):
            current = _still_open(hub.engine, candidate)
            if current is not None:
                batch_id = _rerun(hub, current) if current.source == SOURCE else _rerun_pull(hub, current)
                receipts = write_pending_receipts(hub.engine, hub.workspace.receipts(candidate.org), candidate.org)
                done += [Rerun(current, r) for r in receipts if r.batch_id == batch_id]
        report(on_progress, "reprocess.batches", position, len(candidates), f"{candidate.org} {candidate.batch_id}")
    return done


def _still_open(engine: Engine, candidate: Candidate) -> Candidate | None:
    """The candidate as it stands under the lock: another run may have settled it meanwhile."""
    with engine.connect() as connection:
        if candidate.reason in ("held", "failed"):
            whole = (open_held_batches(connection) if candidate.reason == "held"
                     else open_failed_batches(connection) + open_failed_pulls(connection))
            return candidate if candidate.batch_id in {row.batch_id for row in whole} else None
        rows = open_quarantine_rows(connection, [candidate.batch_id]).get(candidate.batch_id)
    return replace(candidate, rows=frozenset(rows)) if rows else None


def _rerun(hub: Hub, candidate: Candidate) -> int:
    with hub.engine.connect() as connection:
        head = connection.execute(select(batches).where(batches.c.batch_id == candidate.batch_id)).one()
    batch = _read_again(hub, head, candidate.rows)
    with hub.engine.begin() as connection:
        batch_id = claim_batch(
            connection, org=head.org, source=SOURCE, file_name=head.file_name, sha256=head.sha256,
            size_bytes=head.size_bytes, mtime_ns=None, archive_path=head.archive_path, kind=head.kind,
            manifest=head.manifest, received_at=head.received_at)
        if batch.kind is None:  # a failed batch whose file turns out not to say its kind
            commit_simple(connection, batch_id, BatchStatus.REJECTED, batch.problems)
            return batch_id
        superseded = _set_aside_superseded(connection, batch, head)
        verdict = judge(connection, batch, head.org, hub.judging)
        commit_batch(connection, batch_id, batch, verdict)
        old = quarantine.c.batch_id == head.batch_id
        if candidate.rows is not None:
            old = and_(old, quarantine.c.row_number.in_(sorted(candidate.rows)))
        close_entries(connection, old, "reprocessed", batch_id=batch_id)
        for newer_batch, numbers in superseded.items():
            for chunk in chunked(sorted(numbers), 500):
                close_entries(connection, and_(quarantine.c.batch_id == batch_id, quarantine.c.code == "row.superseded",
                                               quarantine.c.row_number.in_(chunk)), "superseded", batch_id=newer_batch)
    return batch_id


def _rerun_pull(hub: Hub, candidate: Candidate) -> int:
    with hub.engine.connect() as connection:
        head = connection.execute(select(batches).where(batches.c.batch_id == candidate.batch_id)).one()
    return commit_pull(hub, archived_pull(hub, head))


def _read_limits(hub: Hub, org: str) -> ReadLimits:
    """The limits the file was first read under: its organisation's inbox source's."""
    try:
        sources = hub.workspace.config.organisation(org).sources
    except KeyError:
        return ReadLimits()
    return next((s.read_limits() for s in sources if isinstance(s, InboxSource)), ReadLimits())


def _read_again(hub: Hub, head: Any, rows: frozenset[int] | None) -> ValidatedBatch:
    """The archived file validated again: all of it, or only the given row numbers."""
    kind = Kind(head.kind) if head.kind else None
    path = hub.workspace.root / head.archive_path
    if not path.is_file():
        return rejected(kind, [error("file.missing")])
    if head.status == BatchStatus.FAILED.value or kind is None:  # never read through: read as a new drop is
        return read_and_validate(path, head.org, kind, hub.columns(head.org), _read_limits(hub, head.org))
    try:
        table = read_table(path, limits=_read_limits(hub, head.org))
    except ProblemError as exc:
        return rejected(kind, exc.problems)
    with table:
        raw_rows = table.rows if rows is None else (raw for raw in table.rows if raw.number in rows)
        return validate_rows(kind, head.org, table.headers, raw_rows, columns=hub.columns(head.org))


def _set_aside_superseded(connection: Connection, batch: ValidatedBatch, head: Any) -> dict[int, set[int]]:
    """Move rows whose record has a version that arrived after this drop into quarantine.

    Returns newer batch id -> row numbers, so their quarantine entries can be marked resolved.
    """
    if batch.fatal or not batch.rows:
        return {}
    table = RECORD_TABLES[str(batch.kind)]
    setter: dict[str, int] = {}
    for chunk in chunked(sorted({row.record_id for row in batch.rows}), 500):
        setter.update(connection.execute(select(table.c.record_id, table.c.batch_id).where(
            table.c.org == head.org, table.c.record_id.in_(chunk))).tuples().all())
    arrived = {}
    for chunk in chunked(sorted(set(setter.values())), 500):
        arrived.update({batch_id: stored_utc(moment) for batch_id, moment in connection.execute(
            select(batches.c.batch_id, batches.c.received_at).where(batches.c.batch_id.in_(chunk))).tuples()})
    mine = stored_utc(head.received_at)
    kept, superseded = SpooledRows(), defaultdict(set)
    for row in batch.rows:
        newer = setter.get(row.record_id)
        if newer is not None and arrived[newer] > mine:
            superseded[newer].add(row.number)
            batch.rejected_rows.add(row.number)
            batch.problems.append(error("row.superseded", row=row.number, record_id=row.record_id, batch=newer))
        else:
            kept.append(row)
    batch.rows = kept
    return dict(superseded)
