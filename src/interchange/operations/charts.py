"""What the console's charts draw, as plain data: lists of small frozen records, no drawing library.

- `completeness`: per organisation and month of arrival, the rows its drops brought, the rows
  still held (in batches no re-run has settled) and the rows still in quarantine.
- `progress_chart`: a programme's figures against its targets (unsuppressed: stewards only).
- `indicator_series`: one indicator's published figure across the approved periods of one kind,
  read from the ministry's tables, so a suppressed cell stays a gap with its reason, never a number.

Only organisation codes, months, counts and published figures: never a record.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, func, select

from interchange import clock
from interchange.contract.receipt import BatchStatus
from interchange.indicators.cells import ALL
from interchange.indicators.export_format import DECIMALS, figure
from interchange.indicators.periods import PeriodError, parse_period
from interchange.ingest.quarantine import open_quarantine
from interchange.operations.status import held_batches
from interchange.warehouse.engine import stored_utc
from interchange.warehouse.tables import batches, ministry_cells, ministry_publications
from interchange.workspace.layout import Workspace

COMPLETENESS_MONTHS = 12


@dataclass(frozen=True)
class MonthOfOrg:
    """One organisation's drops that arrived in one month (YYYY-MM), as they stand now."""

    org: str
    month: str
    received: int  # rows read from its drops and pulls (each drop once: its re-runs are not counted again)
    held: int  # rows of its batches still held
    quarantined: int  # its rows still in quarantine


def completeness(workspace: Workspace, engine: Engine, *, months: int = COMPLETENESS_MONTHS,
                 today: date | None = None) -> list[MonthOfOrg]:
    """Every configured organisation x each of the last `months` months up to today's, in config order.

    A month with nothing from an organisation is there with zeros: a gap is what a steward looks for.
    """
    wanted = _last_months(today or clock.today(), months)
    first = date.fromisoformat(f"{wanted[0]}-01")
    received: dict[tuple[str, str], int] = defaultdict(int)
    with engine.connect() as connection:
        # A re-run keeps its drop's arrival and SHA-256: the first batch of each is the drop itself.
        drops = (select(batches.c.org, batches.c.sha256, batches.c.received_at,
                        func.min(batches.c.batch_id).label("batch_id"))
                 .where(batches.c.status != BatchStatus.DUPLICATE.value)
                 .group_by(batches.c.org, batches.c.sha256, batches.c.received_at).subquery())
        rows = connection.execute(select(batches.c.org, batches.c.received_at, batches.c.rows_read)
                                  .where(batches.c.batch_id.in_(select(drops.c.batch_id)),
                                         batches.c.received_at >= first)).all()
    for org, at, rows_read in rows:
        received[(org, _month(stored_utc(at).date()))] += rows_read or 0
    held: dict[tuple[str, str], int] = defaultdict(int)
    for batch in held_batches(engine):
        held[(batch.org, _month(batch.received_at.date()))] += batch.rows_held
    quarantined: dict[tuple[str, str], int] = defaultdict(int)
    for row in open_quarantine(engine):
        quarantined[(row.org, _month(row.received_at.date()))] += 1
    return [MonthOfOrg(org.code, month, received[(org.code, month)], held[(org.code, month)],
                       quarantined[(org.code, month)])
            for org in workspace.config.organisations for month in wanted]


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _last_months(today: date, count: int) -> list[str]:
    year, month = today.year, today.month
    found = []
    for _ in range(count):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found[::-1]


@dataclass(frozen=True)
class TargetBar:
    """One target of a programme: the figure so far and the target (unsuppressed: for stewards only)."""

    indicator: str
    name_lt: str
    name_en: str
    service: str
    figure: str
    value: float
    target: float
    share: float | None  # value / target; None when the target is 0


def progress_chart(workspace: Workspace, engine: Engine, programme: str) -> list[TargetBar]:
    """The programme's progress against its targets, as interchange.indicators.progress computes it."""
    from interchange.indicators.progress import programme_progress
    from interchange.indicators.publications import load_workspace_catalogue

    frame = programme_progress(engine, load_workspace_catalogue(workspace), workspace.config, programme)
    return [TargetBar(r.indicator, r.name_lt, r.name_en, r.service, r.figure, float(r.value), float(r.target),
                      None if math.isnan(r.share) else float(r.share)) for r in frame.itertuples(index=False)]


@dataclass(frozen=True)
class PublishedPoint:
    """An indicator's cell in one approved period (its newest approved version)."""

    period: str
    version: int
    value: int | float | None  # as the exports write it (a count as 41, not 41.0); None when suppressed or 0/0
    suppressed: bool
    reason: str  # why suppressed (primary, secondary, ratio, consent); empty otherwise


def indicator_series(engine: Engine, indicator: str, *, kind: str = "quarter", breakdown: str = "total",
                     org: str = ALL) -> list[PublishedPoint]:
    """`indicator`'s published cell in every approved period of `kind` (month, quarter, year), oldest first.

    Read from the ministry's tables only: what approval let out, with suppressed cells as gaps.
    `breakdown` and `org` pick the cell (default: the total).
    """
    newest = (select(ministry_publications.c.period, func.max(ministry_publications.c.version).label("version"))
              .group_by(ministry_publications.c.period).subquery())
    with engine.connect() as connection:
        rows = connection.execute(
            select(ministry_cells.c.period, ministry_cells.c.version, ministry_cells.c.value,
                   ministry_cells.c.suppressed, ministry_cells.c.reason, ministry_cells.c.unit, ministry_cells.c.month,
                   ministry_cells.c.municipality, ministry_cells.c.sex, ministry_cells.c.age_group)
            .join(newest, (ministry_cells.c.period == newest.c.period) & (ministry_cells.c.version == newest.c.version))
            .where(ministry_cells.c.indicator == indicator, ministry_cells.c.breakdown == breakdown,
                   ministry_cells.c.org == org)).all()
    found = []
    for row in rows:
        if breakdown == "total" and any(v != ALL for v in (row.month, row.municipality, row.sex, row.age_group)):
            continue
        try:
            period = parse_period(row.period)
        except PeriodError:  # a programme's own range: not one of a kind
            continue
        if period.kind != kind:
            continue
        suppressed = bool(row.suppressed)
        value = None if suppressed else figure(row.value, DECIMALS.get(row.unit, 0))
        found.append((period.start, PublishedPoint(row.period, row.version, value, suppressed, row.reason or "")))
    return [point for _, point in sorted(found, key=lambda pair: pair[0])]


def published_indicators(engine: Engine) -> list[str]:
    """Indicators with a cell in some approved version, by code: what `indicator_series` can draw."""
    with engine.connect() as connection:
        return list(connection.execute(select(ministry_cells.c.indicator).distinct()
                                       .order_by(ministry_cells.c.indicator)).scalars())
