"""Reporting periods: "2026-09", "2026-Q3", "2026", or a programme's own date range.

A period is a labelled, closed range of dates [start, end]. Its label is what the cell
table's ``period`` column holds and what ``interchange publish --period`` takes.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from interchange import clock
from interchange.errors import InterchangeError
from interchange.workspace.config import Programme, WorkspaceConfig

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_PROGRAMME = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")
_FIRST_YEAR, _LAST_YEAR = 2000, 2100
RELATIVE_PERIODS = ("previous-month", "previous-quarter", "previous-year")
MUNICIPALITY_TIME_ZONE = clock.MUNICIPALITY_TIME_ZONE


class PeriodError(InterchangeError, ValueError):
    """The period text is not a month, quarter, year or known programme code; the message says what is."""


@dataclass(frozen=True)
class Period:
    """A reporting period: ``label`` (e.g. "2026-Q3"), and the dates it covers, both ends included."""

    label: str
    start: date
    end: date
    kind: Literal["month", "quarter", "year", "programme"]

    def months(self) -> list[tuple[str, date, date]]:
        """("YYYY-MM", first day, last day) of every calendar month the period touches, clipped to it."""
        found = []
        year, month = self.start.year, self.start.month
        while date(year, month, 1) <= self.end:
            first = max(date(year, month, 1), self.start)
            last = min(date(year, month, monthrange(year, month)[1]), self.end)
            found.append((f"{year:04d}-{month:02d}", first, last))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def month_period(year: int, month: int) -> Period:
    return Period(f"{year:04d}-{month:02d}", date(year, month, 1), date(year, month, monthrange(year, month)[1]),
                  "month")


def programme_period(programme: Programme) -> Period:
    """A programme's own period: its code as the label, its dates."""
    return Period(programme.code, programme.start, programme.end, "programme")


def parse_period(text: str, config: WorkspaceConfig | None = None) -> Period:
    """The period a label names: "2026-09", "2026-Q3", "2026", or a programme code of ``config``.

    Raises:
        PeriodError: for anything else, saying which forms are accepted (and which programmes exist).
    """
    cleaned = str(text).strip()
    if match := _MONTH.match(cleaned):
        year, month = int(match[1]), int(match[2])
        _check_year(cleaned, year)
        if not 1 <= month <= 12:
            raise PeriodError(f"period {cleaned!r}: month {month:02d} is not 01-12")
        return month_period(year, month)
    if match := _QUARTER.match(cleaned):
        year, quarter = int(match[1]), int(match[2])
        _check_year(cleaned, year)
        first_month = 3 * (quarter - 1) + 1
        end = date(year, first_month + 2, monthrange(year, first_month + 2)[1])
        return Period(f"{year:04d}-Q{quarter}", date(year, first_month, 1), end, "quarter")
    if match := _YEAR.match(cleaned):
        year = int(match[1])
        _check_year(cleaned, year)
        return Period(f"{year:04d}", date(year, 1, 1), date(year, 12, 31), "year")
    programmes = {p.code: p for p in config.programmes} if config is not None else {}
    if cleaned in programmes:
        return programme_period(programmes[cleaned])
    known = f"; programmes in the workspace: {', '.join(sorted(programmes))}" if programmes else (
        "; no programmes are configured" if config is not None else "")
    # "26-09" or "2026/09" is a mistyped period more likely than a programme's code.
    looks_like_code = _PROGRAMME.match(cleaned) and not cleaned[:1].isdigit()
    what = "unknown programme code" if looks_like_code else "not a period"
    raise PeriodError(f"period {cleaned!r}: {what}. Expected a month (2026-09), a quarter (2026-Q3), "
                      f"a year (2026) or a programme code{known}")


def resolve_relative_period(text: str, now: datetime | None = None, *,
                            time_zone: str = MUNICIPALITY_TIME_ZONE) -> str:
    """The label "previous-month", "previous-quarter" or "previous-year" stands for at `now`; other text as it is.

    The calendar is the municipality's: at 00:30 on 1 October in Vilnius (21:30 UTC on
    30 September) the previous month is already September. A scheduled publish passes the
    relative name, so each run publishes the period that has just ended.

    Args:
        text: A relative name, or any period label (returned unchanged, stripped).
        now: The moment of the run, with a time zone; default: the current time.
        time_zone: The municipality's time zone.
    """
    cleaned = str(text).strip()
    if cleaned not in RELATIVE_PERIODS:
        return cleaned
    moment = now or clock.now(ZoneInfo(time_zone))
    if moment.tzinfo is None:
        raise ValueError("resolve_relative_period needs a time-zone-aware moment")
    today = moment.astimezone(ZoneInfo(time_zone)).date()
    return previous_period(cleaned.removeprefix("previous-"), today)


def _check_year(text: str, year: int) -> None:
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        raise PeriodError(f"period {text!r}: year {year} is outside {_FIRST_YEAR}-{_LAST_YEAR}")


def period_days(period: Period) -> list[date]:
    """Every day of the period, in order."""
    return [period.start + timedelta(days=n) for n in range(period.days)]


def previous_period(granularity: str, today: date) -> str:
    """The label of the last whole month, quarter or year before `today` (the flow's default period)."""
    if granularity == "month":
        year, month = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
        return f"{year:04d}-{month:02d}"
    if granularity == "quarter":
        quarter = (today.month - 1) // 3  # the current quarter's number - 1: 0 means last year's Q4
        return f"{today.year - 1:04d}-Q4" if quarter == 0 else f"{today.year:04d}-Q{quarter}"
    if granularity == "year":
        return f"{today.year - 1:04d}"
    raise ValueError(f"granularity must be month, quarter or year, not {granularity!r}")


__all__ = ["MUNICIPALITY_TIME_ZONE", "RELATIVE_PERIODS", "Period", "PeriodError", "month_period", "parse_period",
           "period_days", "previous_period", "programme_period", "resolve_relative_period"]
