"""Overdue drops: a partner whose regular drop (or pull) has not arrived by the configured day.

A source with `expected_drop: {every: month, by_day: 5}` owes one drop per calendar month;
it is overdue from the 6th when nothing has arrived from it since the 1st. Any batch
counts as arrived, even a rejected one: the partner did send something, and the receipt
tells them what was wrong with it.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select

from interchange import clock
from interchange.ingest.run import SourceRef, configured_sources
from interchange.warehouse.engine import stored_utc
from interchange.warehouse.tables import batches
from interchange.workspace.config import ExpectedDrop
from interchange.workspace.layout import Workspace


@dataclass(frozen=True)
class OverdueDrop:
    org: str
    source: str
    period_start: date
    due: date
    last_arrival: datetime | None

    @property
    def key(self) -> str:
        """One alert per source and period."""
        return f"{self.org}/{self.source}/{self.period_start.isoformat()}"

    def as_alert(self) -> dict[str, str | None]:
        return {"org": self.org, "source": self.source, "period_start": self.period_start.isoformat(),
                "due": self.due.isoformat(),
                "last_arrival": self.last_arrival.isoformat(timespec="minutes") if self.last_arrival else None}


def period_start(expected: ExpectedDrop, today: date) -> date:
    """The first day of the period `today` falls in."""
    if expected.every == "week":
        return today - timedelta(days=today.weekday())
    if expected.every == "quarter":
        return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    return today.replace(day=1)


def due_date(expected: ExpectedDrop, start: date) -> date:
    """The last day a drop of the period starting `start` is on time (by_day 31 means the month's last day)."""
    if expected.every == "week":
        return start + timedelta(days=expected.by_day - 1)
    last = calendar.monthrange(start.year, start.month)[1]
    return start.replace(day=min(expected.by_day, last))


def overdue_drops(workspace: Workspace, engine: Engine, *, today: date | None = None) -> list[OverdueDrop]:
    """Every source with an expected drop that is past its day with nothing arrived this period."""
    today = today or clock.today()
    found = []
    for ref in configured_sources(workspace):
        expected = ref.source.expected_drop
        if expected is None:
            continue
        start = period_start(expected, today)
        due = due_date(expected, start)
        if today <= due:
            continue
        last = _last_arrival(engine, ref)
        if last is None or last.date() < start:
            found.append(OverdueDrop(ref.org, ref.name, start, due, last))
    return found


def _last_arrival(engine: Engine, ref: SourceRef) -> datetime | None:
    with engine.connect() as connection:
        last = connection.execute(select(func.max(batches.c.received_at)).where(
            batches.c.org == ref.org, batches.c.source == ref.name)).scalar()
    return None if last is None else stored_utc(last)


class AlertLedger:
    """Which overdue drops were already alerted, so an ingest every 15 minutes alerts once per period.

    A small JSON file in the workspace's `.locks/` folder: it is bookkeeping of this hub,
    not warehouse data, and losing it only means one repeated alert.
    """

    def __init__(self, workspace: Workspace) -> None:
        self.path: Path = workspace.locks / "overdue-alerts.json"

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def new(self, overdue: Iterable[OverdueDrop]) -> list[OverdueDrop]:
        """The overdue drops not alerted yet."""
        seen = self._read()
        return [drop for drop in overdue if drop.key not in seen]

    def remember(self, overdue: Iterable[OverdueDrop]) -> None:
        seen = self._read()
        seen.update({drop.key: clock.now().isoformat(timespec="seconds") for drop in overdue})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(seen, indent=1, sort_keys=True), encoding="utf-8")
        temporary.replace(self.path)


def overdue_as_dicts(overdue: Iterable[OverdueDrop]) -> list[dict]:
    return [asdict(drop) for drop in overdue]
