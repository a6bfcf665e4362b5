"""A batch's life in the warehouse: claimed, judged, committed whole, receipted.

Everything a batch changes (records, versions, quarantine, the earlier quarantine entries
of the records it brought, expectation results, its own counts and receipt, an HTTP cursor)
is written in one transaction, so a crash at any point leaves either the whole batch or none of it.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from interchange import clock
from interchange.contract.manifest import Manifest
from interchange.contract.problems import Problem, warning
from interchange.contract.receipt import (
    MAX_LISTED_PROBLEMS,
    BatchStatus,
    Counts,
    ExpectationEntry,
    ProblemCount,
    ProblemEntry,
    Receipt,
)
from interchange.errors import InterchangeError
from interchange.ingest import spool
from interchange.ingest.expectations import BatchVerdict, ExpectationOutcome, judge_columns
from interchange.ingest.quarantine import EarlierEntries
from interchange.ingest.validate import ValidatedBatch
from interchange.warehouse.engine import stored_utc
from interchange.warehouse.load import LoadCounts, RowColumns, live_record_ids, load_columns
from interchange.warehouse.tables import batches, expectation_results, quarantine, source_cursors
from interchange.workspace.config import ExpectationSettings

FAILPOINT_ENV = "INTERCHANGE_FAILPOINT"


_RAISED: set[str] = set()


class FailpointError(InterchangeError, RuntimeError):
    """What `<point>:raise` raises: a bug in the hub (not transient), as far as anything that catches it can tell."""


def failpoint(name: str) -> None:
    """Die here, as a power cut would, when INTERCHANGE_FAILPOINT names this point (crash tests).

    `<point>:raise` raises a FailpointError there instead (a bug), `<point>:raise-once` only the
    first time in the process (one bad batch among good ones), and `<point>:outage` the error a
    database that cannot be reached raises (an outage): fault tests.
    """
    wanted = os.environ.get(FAILPOINT_ENV)
    if wanted == name:
        os._exit(97)
    if wanted == f"{name}:raise" or (wanted == f"{name}:raise-once" and name not in _RAISED):
        _RAISED.add(name)
        raise FailpointError(f"failpoint {name} (a fault test)")
    if wanted == f"{name}:outage":
        _meet_an_outage()


def _meet_an_outage() -> None:
    from sqlalchemy import create_engine

    # A real driver's error: a database file in a folder that is not there cannot be opened.
    engine = create_engine(f"sqlite:///{Path(os.devnull) / 'unreachable' / 'warehouse.sqlite'}")
    try:
        engine.connect().close()
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Judging:
    """What batch expectations need besides the batch: today, the settings, where the suites are."""

    settings: ExpectationSettings
    today: date
    suites: Path | None = None

    def parameters(self) -> dict[str, Any]:
        return {
            "today": self.today,
            "period_start": self.today - timedelta(days=self.settings.period_days),
            "min_linkage_share": self.settings.min_linkage_share,
            "min_known_reference_share": self.settings.min_known_reference_share,
            "min_in_period_share": self.settings.min_in_period_share,
        }


def judge(connection: Connection, batch: ValidatedBatch, org: str, judging: Judging) -> BatchVerdict | None:
    """The batch expectations' verdict, or None when no row reached them."""
    if batch.fatal or not batch.rows:
        return None
    return judge_rows(batch, judging, known_persons(connection, batch.kind, org))


def known_persons(connection: Connection, kind: str | None, org: str) -> set[str] | None:
    """What the expectations of a batch of `kind` need from the warehouse: the ids of `org`'s
    persons, for the kinds that refer to them; else None."""
    if kind in ("contact", "group_session"):
        return live_record_ids(connection, "person", org)
    return None


def judge_rows(batch: ValidatedBatch, judging: Judging, known: set[str] | None) -> BatchVerdict | None:
    """`judge` with the warehouse's part (known_persons) read beforehand: no connection needed."""
    if batch.fatal or not batch.rows:
        return None
    # A chunk of rows at a time: a national drop is never one frame in memory; chunks smaller than
    # the spool's own (ingest/overlap.py) joined, since a frame costs the same whatever its size.
    chunks = batch.rows.column_chunks(at_least=spool.CHUNK_ROWS)
    return judge_columns(str(batch.kind), chunks, parameters=judging.parameters(),
                         known_person_ids=known, directory=judging.suites)


def batch_status(batch: ValidatedBatch, verdict: BatchVerdict | None) -> BatchStatus:
    """What commit_batch makes of a judged batch: rejected, held or loaded."""
    if batch.fatal or not batch.rows:
        # Not one usable row: as good as a refused file, and the steward should see it as one.
        return BatchStatus.REJECTED
    if verdict is not None and verdict.held:
        return BatchStatus.HELD
    return BatchStatus.LOADED


def will_load(batch: ValidatedBatch, verdict: BatchVerdict | None) -> bool:
    """Whether commit_batch loads the batch's rows (rather than holding or rejecting it)."""
    return batch_status(batch, verdict) is BatchStatus.LOADED


@dataclass
class EarlyLoad:
    """A batch's rows loaded, in its transaction, before the batch was judged (ingest/overlap.py)."""

    counts: LoadCounts
    earlier: EarlierEntries


def load_early(connection: Connection, batch_id: int, kind: str, chunks: Iterable[RowColumns]) -> EarlyLoad:
    """Load `chunks` as commit_batch would, before the batch is judged; the caller commits the
    transaction only if commit_batch(early=...) is then called, that is if the batch will_load."""
    head = _open_batch(connection, batch_id)
    earlier = EarlierEntries.before(connection, head.org, kind, batch_id, head.received_at)
    failpoint("before_load")
    counts = load_columns(connection, kind, head.org, batch_id, _noting_loaded(chunks, earlier))
    failpoint("after_load")
    return EarlyLoad(counts, earlier)


def now() -> datetime:
    return clock.now()


def claim_batch(connection: Connection, **values: Any) -> int:
    """Insert a batch row (status `received` unless given) and return its id."""
    values.setdefault("status", BatchStatus.RECEIVED.value)
    values.setdefault("received_at", now())
    values.setdefault("receipt_written", False)
    return connection.execute(batches.insert().values(**values).returning(batches.c.batch_id)).scalar_one()


def batch_row(connection: Connection, batch_id: int) -> Any:
    return connection.execute(select(batches).where(batches.c.batch_id == batch_id)).one()


class BatchAlreadyClosed(InterchangeError, RuntimeError):
    """Another run committed this batch first; this run's work on it is rolled back."""

    transient = True  # a race between two runs: the next attempt finds the batch done and moves on


def _open_batch(connection: Connection, batch_id: int) -> Any:
    """The batch row, locked for this transaction, if it is still `received`.

    The source locks already keep two runs apart; this holds even when a host's lock
    folder is misconfigured: on PostgreSQL the row lock makes a second committer wait and
    then find the batch closed, on SQLite the write transaction is exclusive anyway.
    """
    touched = connection.execute(batches.update().where(
        batches.c.batch_id == batch_id, batches.c.status == BatchStatus.RECEIVED.value,
    ).values(status=BatchStatus.RECEIVED.value))
    if touched.rowcount != 1:
        raise BatchAlreadyClosed(key="error.batch_closed", batch=batch_id)
    return batch_row(connection, batch_id)


def commit_batch(
    connection: Connection,
    batch_id: int,
    batch: ValidatedBatch,
    verdict: BatchVerdict | None,
    *,
    extra: Mapping[str, Any] | None = None,
    cursor: tuple[str, str, str] | None = None,
    on_loaded: Callable[[], None] | None = None,
    early: EarlyLoad | None = None,
) -> Receipt:
    """Load (or hold, or reject) a judged batch and record everything about it; returns its receipt.

    `cursor` is (source, kind, updated_since) to store when the batch loads; `extra` are
    more batch columns to set (kind, parts, cursors); `early` is the load already done in this
    transaction (load_early), for a batch that will_load.
    """
    if early is not None and not will_load(batch, verdict):
        raise ValueError("a batch that does not load was loaded early: its transaction must be rolled back")
    head = _open_batch(connection, batch_id)
    earlier = early.earlier if early is not None else EarlierEntries.before(
        connection, head.org, str(batch.kind), batch_id, head.received_at)
    status = batch_status(batch, verdict)
    counts = LoadCounts()
    problems = list(batch.problems)
    if status is BatchStatus.LOADED:
        if early is not None:
            counts = early.counts
        else:
            failpoint("before_load")
            counts = load_columns(connection, str(batch.kind), head.org, batch_id,
                                  _noting_loaded(batch.rows.column_chunks(), earlier))
            failpoint("after_load")
        problems += [warning("delete.unknown", row=number, record_id=record_id)
                     for number, record_id in counts.unknown_deletions]
        if cursor is not None:
            _store_cursor(connection, head.org, batch_id, *cursor)
        if on_loaded is not None:
            on_loaded()
    problems.sort(key=lambda p: (p.row is not None, p.row or 0))
    _quarantine(connection, batch_id, problems)
    earlier.close(connection, batch_id, problems)
    outcomes = verdict.outcomes if verdict is not None else []
    _expectations(connection, batch_id, outcomes)
    final = Counts(
        rows_read=batch.rows_read,
        inserted=counts.inserted, updated=counts.updated, deleted=counts.deleted, unchanged=counts.unchanged,
        quarantined=batch.quarantined,
        held=len(batch.rows) if status is BatchStatus.HELD else 0,
    )
    values = {"kind": str(batch.kind), **(extra or {})}
    receipt = _receipt(head, values, status, final, problems, outcomes,
                       persons_without_consent=batch.persons_without_consent)
    connection.execute(batches.update().where(batches.c.batch_id == batch_id).values(
        **values, status=status.value, processed_at=receipt.processed_at,
        rows_read=final.rows_read, rows_inserted=final.inserted, rows_updated=final.updated,
        rows_deleted=final.deleted, rows_unchanged=final.unchanged, rows_quarantined=final.quarantined,
        rows_held=final.held, receipt=receipt.model_dump(mode="json"), receipt_written=False,
    ))
    return receipt


def _noting_loaded(chunks: Iterable[RowColumns], earlier: EarlierEntries) -> Iterator[RowColumns]:
    """`chunks` as they go into the warehouse, their record_ids noted against the earlier entries."""
    for chunk in chunks:
        earlier.note_loaded(chunk.record_ids)
        yield chunk


def commit_simple(connection: Connection, batch_id: int, status: BatchStatus, problems: Iterable[Problem],
                  **values: Any) -> Receipt:
    """Close a batch that had no rows to judge: a duplicate, or a file refused before reading."""
    head = _open_batch(connection, batch_id)
    problems = list(problems)
    _quarantine(connection, batch_id, problems)
    receipt = _receipt(head, values, status, Counts(), problems, [])
    connection.execute(batches.update().where(batches.c.batch_id == batch_id).values(
        **values, status=status.value, processed_at=receipt.processed_at, rows_read=0, rows_inserted=0,
        rows_updated=0, rows_deleted=0, rows_unchanged=0, rows_quarantined=0, rows_held=0,
        receipt=receipt.model_dump(mode="json"), receipt_written=False))
    return receipt


def _store_cursor(connection: Connection, org: str, batch_id: int, source: str, kind: str, value: str) -> None:
    key = (source_cursors.c.org == org) & (source_cursors.c.source == source) & (source_cursors.c.kind == kind)
    changed = connection.execute(source_cursors.update().where(key).values(updated_since=value, batch_id=batch_id))
    if changed.rowcount == 0:
        connection.execute(source_cursors.insert().values(org=org, source=source, kind=kind,
                                                          updated_since=value, batch_id=batch_id))


def _quarantine(connection: Connection, batch_id: int, problems: list[Problem]) -> None:
    rows = [{"batch_id": batch_id, "row_number": p.row, "record_id": p.record_id, "column_name": p.column,
             "code": p.code, "severity": p.severity.value, "message_lt": p.message_lt, "message_en": p.message_en}
            for p in problems]
    if rows:
        connection.execute(quarantine.insert(), rows)


def _expectations(connection: Connection, batch_id: int, outcomes: list[ExpectationOutcome]) -> None:
    rows = [{"batch_id": batch_id, "code": o.code, "severity": o.severity, "success": o.success,
             "column_name": o.column, "element_count": o.element_count, "unexpected_count": o.unexpected_count,
             "unexpected_rows": o.unexpected_rows, "message_lt": o.message_lt, "message_en": o.message_en}
            for o in outcomes]
    if rows:
        connection.execute(expectation_results.insert(), rows)


def _receipt(head: Any, values: Mapping[str, Any], status: BatchStatus, counts: Counts,
             problems: list[Problem], outcomes: list[ExpectationOutcome], *,
             persons_without_consent: int | None = None) -> Receipt:
    def pick(name: str) -> Any:
        return values.get(name, getattr(head, name))

    manifest = Manifest.model_validate(head.manifest) if head.manifest else None

    return Receipt(
        batch_id=head.batch_id, org=head.org, kind=pick("kind"), source=head.source, file_name=head.file_name,
        sha256=pick("sha256"), size_bytes=pick("size_bytes"), received_at=stored_utc(head.received_at),
        processed_at=now(), status=status, held=status is BatchStatus.HELD, duplicate_of=pick("duplicate_of"),
        cursor_from=pick("cursor_from"), cursor_to=pick("cursor_to"), counts=counts,
        problems=[ProblemEntry(**p.as_dict()) for p in problems[:MAX_LISTED_PROBLEMS]],
        problems_total=len(problems), problem_summary=_summary(problems),
        expectations=[ExpectationEntry(code=o.code, severity=o.severity, success=o.success, column=o.column,
                                       element_count=o.element_count, unexpected_count=o.unexpected_count,
                                       unexpected_rows=o.unexpected_rows, message_lt=o.message_lt,
                                       message_en=o.message_en) for o in outcomes],
        persons_without_consent=persons_without_consent,
        extract=manifest.extract if manifest is not None else None,
    )


def _summary(problems: list[Problem]) -> list[ProblemCount]:
    counts: Counter[tuple[str, str]] = Counter()
    first: dict[tuple[str, str], int | None] = {}
    for problem in problems:
        key = (problem.code, problem.severity.value)
        counts[key] += 1
        first.setdefault(key, problem.row)
    return [ProblemCount(code=code, severity=severity, count=count, first_row=first[(code, severity)])
            for (code, severity), count in counts.most_common()]
