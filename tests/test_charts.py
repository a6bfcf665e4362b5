"""Chart data for the steward console: completeness per organisation and month, an indicator across periods.

What a steward relies on: every organisation has every month (a gap is a zero, not a missing bar),
a re-run drop is not counted twice, held and quarantined rows are what is still open now; an
indicator's series holds approved figures only, and a suppressed cell stays a gap with its reason.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from drop_kit import MIMC, SPC, TODAY, steward_scene
from sqlalchemy import Engine

from interchange.indicators.cells import ALL, CELL_COLUMNS, DIMENSIONS
from interchange.indicators.publications import Span, approve_version, read_inputs, store_publication
from interchange.ingest.reprocess import find_candidates, reprocess
from interchange.ingest.run import open_hub
from interchange.operations.charts import completeness, indicator_series, progress_chart, published_indicators
from interchange.warehouse.engine import warehouse
from interchange.workspace.layout import Workspace

pytestmark = pytest.mark.dates
this_month = f"{TODAY.year:04d}-{TODAY.month:02d}"


def test_completeness_counts_each_drop_once_and_what_is_still_open(hub_root: Path) -> None:
    steward_scene(hub_root)  # SPC: 3 persons, 1 quarantined; MIMC: 4 contacts, held
    workspace = Workspace(hub_root)
    with open_hub(workspace) as hub:  # a re-run of the held batch: the same drop, still held
        reprocess(hub, find_candidates(hub.engine, org=MIMC))
    with warehouse(workspace.database_url) as engine:
        found = completeness(workspace, engine, months=3, today=TODAY)

    assert [(m.org, m.month) for m in found][:3] == [(SPC, m) for m in _months(3)]
    assert len(found) == 6
    now = {m.org: (m.received, m.held, m.quarantined) for m in found if m.month == this_month}
    assert now == {SPC: (3, 0, 1), MIMC: (4, 4, 0)}
    assert all((m.received, m.held, m.quarantined) == (0, 0, 0) for m in found if m.month != this_month)


def _months(count: int) -> list[str]:
    found, year, month = [], TODAY.year, TODAY.month
    for _ in range(count):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found[::-1]


def _cells(period: str, total: float, *, suppressed: bool = False) -> pd.DataFrame:
    row = {c: ALL for c in DIMENSIONS} | {
        "indicator": "dv_persons", "period": period, "breakdown": "total", "value": total, "numerator": total,
        "denominator": float("nan"), "unit": "persons", "sensitivity": "dv", "suppressed": suppressed,
        "reason": "primary" if suppressed else "", "published_value": float("nan") if suppressed else total}
    return pd.DataFrame([row], columns=[*CELL_COLUMNS, "suppressed", "reason", "published_value"])


def _publish(engine: Engine, label: str, start: date, end: date, total: float, *, approve: bool = True,
             suppressed: bool = False) -> None:
    store_publication(engine, Span(label, start, end), _cells(label, total, suppressed=suppressed),
                      inputs=read_inputs(engine), catalogue_version="2026.1",
                      rules={"min_count": 5, "dv_min_count": 10, "consent": "exclude"}, created_by="ona")
    if approve:
        approve_version(engine, label, None, by="ona")


def test_an_indicator_across_periods_shows_approved_figures_and_keeps_suppressed_cells_gaps(
        database_url: str) -> None:
    with warehouse(database_url) as engine:
        _publish(engine, "2026-Q2", date(2026, 4, 1), date(2026, 6, 30), 7.0, suppressed=True)
        _publish(engine, "2026-Q1", date(2026, 1, 1), date(2026, 3, 31), 41.0)
        _publish(engine, "2026-Q3", date(2026, 7, 1), date(2026, 9, 30), 52.0)
        _publish(engine, "2026-Q4", date(2026, 10, 1), date(2026, 12, 31), 60.0, approve=False)  # a draft
        _publish(engine, "2026-09", date(2026, 9, 1), date(2026, 9, 30), 20.0)  # a month: another series
        quarters = indicator_series(engine, "dv_persons", kind="quarter")
        months = indicator_series(engine, "dv_persons", kind="month")
        codes = published_indicators(engine)

    assert [(p.period, p.value, p.suppressed, p.reason) for p in quarters] == [
        ("2026-Q1", 41.0, False, ""), ("2026-Q2", None, True, "suppressed"), ("2026-Q3", 52.0, False, "")]
    assert [(p.period, p.value) for p in months] == [("2026-09", 20.0)]
    assert [str(p.value) for p in quarters] == ["41", "None", "52"]  # a count reads as the exports write it
    assert codes == ["dv_persons"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_programme_progress_gives_each_target_its_figure_and_share(hub_root: Path) -> None:
    config = hub_root / "interchange.yaml"
    config.write_text(config.read_text(encoding="utf-8") + (
        "programmes:\n  - code: kompleksines-kretinga\n    name: Kompleksinės paslaugos\n"
        "    start: 2026-07-01\n    end: 2026-09-30\n    orgs: [kretingos-spc]\n    targets:\n"
        "      - {service: psychologist_child, persons: 10}\n      - {service: legal_consultation, persons: 0}\n"),
        encoding="utf-8")
    workspace = Workspace(hub_root)
    with warehouse(workspace.database_url) as engine:
        bars = progress_chart(workspace, engine, "kompleksines-kretinga")

    assert [(b.service, b.figure, b.value, b.target, b.share) for b in bars] == [
        ("psychologist_child", "persons", 0.0, 10.0, 0.0), ("legal_consultation", "persons", 0.0, 0.0, None)]
    assert bars[0].name_en and bars[0].name_lt  # the chart's labels, in both languages
