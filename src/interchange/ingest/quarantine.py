"""The quarantine's open rows, and how an entry is closed (never deleted).

A quarantine entry is one problem of one row of one batch. A row with an error stays open,
for `interchange status` and for approving a period, until one of these closes its entries:

- **loaded**: a later batch of the same organisation and kind loaded the same record_id
  (a corrected re-send, a later pull, or a re-run of the row);
- **replaced**: a later batch brought the record again and quarantined it again: the newer
  entry stands for the record from then on, so one bad record is one open row;
- **reprocessed**: `interchange reprocess` re-ran the row (its new entries, if any, are open);
- **superseded**: a re-run found a newer version of the record (closed as it is written);
- **dismissed**: a steward closed it by hand, saying why (`interchange quarantine dismiss`).

"Later" is by arrival, not by batch id: a re-run of an old drop keeps the drop's arrival
and never closes what a newer drop left open. Every closing keeps when, how, by which batch
or by whom, and why; a closed entry is never opened again. Nothing here reads a record value:
entries carry codes, columns, row numbers and record ids.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, Protocol

from sqlalchemy import ColumnElement, Connection, Engine, and_, select, update

from interchange import clock
from interchange.contract.problems import Problem, Severity
from interchange.errors import InterchangeError
from interchange.warehouse.engine import stored_utc
from interchange.warehouse.load import chunked
from interchange.warehouse.tables import batches, quarantine

How = Literal["loaded", "replaced", "reprocessed", "superseded", "dismissed"]


class QuarantineError(InterchangeError, ValueError):
    """A dismissal that cannot be done; the message names the organisation, batch, rows or code."""


class PeriodLike(Protocol):
    """What `open_quarantine` needs of a reporting period (interchange.indicators.periods.Period)."""

    @property
    def start(self) -> date: ...


@dataclass(frozen=True)
class OpenRow:
    """One quarantined row with an open error: where it is and which problems it has (no values)."""

    org: str
    kind: str | None
    batch_id: int
    row_number: int
    record_id: str | None
    codes: tuple[str, ...]
    received_at: datetime


@dataclass(frozen=True)
class Dismissal:
    """What a dismissal closed: rows and entries, and the rows of the batch still open after it."""

    org: str
    batch_id: int
    rows: int
    entries: int
    still_open: int


def is_open() -> ColumnElement[bool]:
    """The one test of an open entry: nothing has closed it."""
    return quarantine.c.closed_at.is_(None)


def open_row_entries() -> ColumnElement[bool]:
    """Entries that keep a row open: an error, on a row, not closed."""
    return and_(is_open(), quarantine.c.severity == Severity.ERROR.value, quarantine.c.row_number.is_not(None))


def close_entries(connection: Connection, where: ColumnElement[bool], how: How, *, batch_id: int | None = None,
                  by: str | None = None, reason: str | None = None) -> int:
    """Close the open entries `where` selects, keeping when, how and by what or whom; returns how many."""
    done = connection.execute(update(quarantine).where(where, is_open()).values(
        closed_at=clock.now(), closed_how=how, resolved_by_batch=batch_id,
        closed_by=by[:64] if by is not None else None, close_reason=reason))
    return int(done.rowcount or 0)


@dataclass
class EarlierEntries:
    """The open row errors of an organisation's earlier batches of a kind, which a later batch closes
    when it brings their records: loaded, or quarantined again.

    Read before the batch loads, so its rows are looked up as they stream into the warehouse: the
    open entries are few, the batch's rows may be a million, read once.
    """

    entries: list[tuple[int, str]]  # (quarantine_id, record_id)
    loaded: set[str] = field(default_factory=set)  # those of their record_ids the batch loaded

    def __post_init__(self) -> None:
        self._wanted = frozenset(record_id for _, record_id in self.entries)

    @classmethod
    def before(cls, connection: Connection, org: str, kind: str, batch_id: int,
               received_at: datetime) -> EarlierEntries:
        arrived = stored_utc(received_at)
        return cls([(entry_id, record_id) for entry_id, record_id, moment in connection.execute(
            select(quarantine.c.quarantine_id, quarantine.c.record_id, batches.c.received_at)
            .join(batches, batches.c.batch_id == quarantine.c.batch_id)
            .where(open_row_entries(), batches.c.org == org, batches.c.kind == kind, batches.c.batch_id != batch_id,
                   quarantine.c.record_id.is_not(None))) if stored_utc(moment) <= arrived])

    def note_loaded(self, record_ids: Iterable[str]) -> None:
        """Keep which of `record_ids` (loaded by the batch) have an entry: never a set of every loaded id."""
        if self._wanted:
            self.loaded.update(self._wanted.intersection(record_ids))

    def close(self, connection: Connection, batch_id: int, problems: Iterable[Problem]) -> None:
        """Close the entries of the records `batch_id` loaded or quarantined again, inside its transaction."""
        if not self.entries:
            return
        again = {p.record_id for p in problems if p.record_id is not None and p.severity is Severity.ERROR
                 and p.row is not None and p.code != "row.superseded"} - self.loaded
        closings: tuple[tuple[How, set[str]], ...] = (("loaded", self.loaded), ("replaced", again))
        for how, ids in closings:
            closing = [entry_id for entry_id, record_id in self.entries if record_id in ids]
            for chunk in chunked(closing, 500):
                close_entries(connection, quarantine.c.quarantine_id.in_(chunk), how, batch_id=batch_id)


@contextmanager
def _connected(bind: Engine | Connection) -> Iterator[Connection]:
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.connect() as connection:
            yield connection


def open_quarantine(bind: Engine | Connection, *, org: str | None = None, period: PeriodLike | None = None,
                    batch_id: int | None = None) -> list[OpenRow]:
    """Every quarantined row with an open error, oldest batch first; narrowed to an organisation,
    a batch, or the rows that may concern a reporting period.

    A row may concern a period when its batch arrived on or after the period's first day (a
    day's margin for time zones): a drop carries records of the days before it arrives, and
    the row's own dates are not known, since a quarantined row's values are not kept.
    """
    query = (select(batches.c.org, batches.c.kind, batches.c.received_at, quarantine.c.batch_id,
                    quarantine.c.row_number, quarantine.c.record_id, quarantine.c.code)
             .join(batches, batches.c.batch_id == quarantine.c.batch_id).where(open_row_entries())
             .order_by(quarantine.c.batch_id, quarantine.c.row_number, quarantine.c.quarantine_id))
    if org is not None:
        query = query.where(batches.c.org == org)
    if batch_id is not None:
        query = query.where(quarantine.c.batch_id == batch_id)
    since = datetime.combine(period.start - timedelta(days=1), time.min, tzinfo=UTC) if period is not None else None
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    with _connected(bind) as connection:
        for entry in connection.execute(query):
            arrived = stored_utc(entry.received_at)
            if since is not None and arrived < since:
                continue
            row = rows.setdefault((entry.batch_id, entry.row_number), {
                "org": entry.org, "kind": entry.kind, "batch_id": entry.batch_id, "row_number": entry.row_number,
                "record_id": entry.record_id, "codes": [], "received_at": arrived})
            if entry.code not in row["codes"]:
                row["codes"].append(entry.code)
    return [OpenRow(**{**row, "codes": tuple(row["codes"])}) for row in rows.values()]


@dataclass(frozen=True)
class ClosedEntry:
    """One closed entry as the history shows it."""

    org: str
    batch_id: int
    row_number: int | None
    code: str
    closed_at: datetime
    how: str
    closed_by_batch: int | None
    closed_by: str | None
    reason: str | None


def closed_quarantine(engine: Engine, *, org: str | None = None, batch_id: int | None = None) -> list[ClosedEntry]:
    """The closing history: every closed error entry on a row, in the order they were closed."""
    query = (select(batches.c.org, quarantine)
             .join(batches, batches.c.batch_id == quarantine.c.batch_id)
             .where(quarantine.c.closed_at.is_not(None), quarantine.c.severity == Severity.ERROR.value)
             .order_by(quarantine.c.closed_at, quarantine.c.quarantine_id))
    if org is not None:
        query = query.where(batches.c.org == org)
    if batch_id is not None:
        query = query.where(quarantine.c.batch_id == batch_id)
    with engine.connect() as connection:
        return [ClosedEntry(r.org, r.batch_id, r.row_number, r.code, stored_utc(r.closed_at), r.closed_how,
                            r.resolved_by_batch, r.closed_by, r.close_reason) for r in connection.execute(query)]


def dismiss(engine: Engine, org: str, batch_id: int, *, rows: Iterable[int] = (), code: str | None = None,
            by: str, reason: str) -> Dismissal:
    """Close open rows of one batch by hand: the rows given, or every row with `code`, or both at once.

    Raises:
        QuarantineError: no reason, neither rows nor a code, a batch that is not the
            organisation's, or nothing open that matches (the message says which).
    """
    wanted = sorted(set(rows))
    if not reason.strip():
        raise QuarantineError(key="error.dismiss_reason")
    if not wanted and code is None:
        raise QuarantineError(key="error.dismiss_what")
    with engine.begin() as connection:
        owner = connection.execute(select(batches.c.org).where(batches.c.batch_id == batch_id)).scalar()
        if owner != org:
            raise QuarantineError(key="error.dismiss_no_batch", batch=batch_id, org=org)
        where = and_(open_row_entries(), quarantine.c.batch_id == batch_id)
        if wanted:
            where = and_(where, quarantine.c.row_number.in_(wanted))
        if code is not None:
            where = and_(where, quarantine.c.code == code)
        closing = connection.execute(select(quarantine.c.row_number).where(where)).scalars().all()
        if not closing:
            raise QuarantineError(key="error.dismiss_nothing", batch=batch_id, org=org,
                                  rows=", ".join(map(str, wanted)) or "-", code=code or "-")
        entries = close_entries(connection, where, "dismissed", by=by, reason=reason.strip())
        still_open = len(set(connection.execute(select(quarantine.c.row_number).where(
            open_row_entries(), quarantine.c.batch_id == batch_id)).scalars()))
    return Dismissal(org, batch_id, len(set(closing)), entries, still_open)


def open_counts(rows: Iterable[OpenRow]) -> dict[str, tuple[int, int]]:
    """org -> (open rows, batches they are in)."""
    per_org: dict[str, list[OpenRow]] = defaultdict(list)
    for row in rows:
        per_org[row.org].append(row)
    return {org: (len(found), len({r.batch_id for r in found})) for org, found in sorted(per_org.items())}
