"""The ministry's view, under `/ministry/`: approved, disclosure-protected tables only.

Every route requires the `ministry` role (a steward may look too). Nothing here reads the
stewards' tables (`publications`, `publication_cells`): only what approval wrote for the ministry
(`ministry_publications`, `ministry_cells`, `ministry_indicators`) and the approved exports, which
are written from those tables. A suppressed cell is shown as "suppressed" with its reason and drawn
as a gap in a chart: its value is in none of these tables.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy import select

from interchange.indicators.cells import ALL
from interchange.indicators.dictionary import EXPORT_COLUMNS, FILES, TABLES, figures_text
from interchange.indicators.outbox import export_folder
from interchange.operations.charts import indicator_series, published_indicators
from interchange.warehouse.engine import stored_utc
from interchange.warehouse.tables import ministry_cells, ministry_indicators, ministry_publications
from interchange.web.charts import chart_json, series_chart
from interchange.web.dependencies import Hub, hub, require_role
from interchange.web.pages import render
from interchange.web.sessions import Session

router = APIRouter(prefix="/ministry")
Reader = Annotated[Session, Depends(require_role("ministry", "steward"))]
HubOf = Annotated[Hub, Depends(hub)]
EXPORTS = {"cells.csv": "text/csv", "cells.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "cells.json": "application/json", "changes.csv": "text/csv", "metadata.json": "application/json"}


@router.get("/", response_class=HTMLResponse)
def approved(request: Request, session: Reader, found: HubOf, indicator: str | None = None,
             kind: str = "quarter") -> Response:
    with found.engine.connect() as connection:
        rows = connection.execute(select(ministry_publications).order_by(
            ministry_publications.c.period, ministry_publications.c.version)).all()
    versions = [{"period": r.period, "version": r.version, "start": r.period_start, "end": r.period_end,
                 "approved_at": stored_utc(r.approved_at), "cells": r.cells, "suppressed": r.suppressed_cells,
                 "changed": r.changed_cells} for r in rows]
    codes = published_indicators(found.engine)
    chosen = indicator if indicator in codes else (codes[0] if codes else None)
    kind = kind if kind in ("month", "quarter", "year") else "quarter"
    series = indicator_series(found.engine, chosen, kind=kind) if chosen else []
    return render(request, "ministry/index.html", versions=versions, indicators=codes, indicator=chosen, kind=kind,
                  series=series, series_chart=chart_json(series_chart(series)))


def _version(found: Hub, period: str, version: int) -> dict:
    with found.engine.connect() as connection:
        row = connection.execute(select(ministry_publications).where(
            ministry_publications.c.period == period, ministry_publications.c.version == version)).first()
    if row is None:
        raise HTTPException(status_code=404)
    return dict(row._mapping)


@router.get("/dictionary", response_class=HTMLResponse)
def data_dictionary(request: Request, session: Reader) -> Response:
    """The data dictionary of the ministry's tables and files, as docs/data-dictionary.md and the XLSX say it."""
    return render(request, "ministry/dictionary.html", tables=TABLES, export_columns=EXPORT_COLUMNS, files=FILES,
                  figures=figures_text())


@router.get("/{period}/v{version}", response_class=HTMLResponse)
def approved_version(request: Request, period: str, version: int, session: Reader, found: HubOf) -> Response:
    meta = _version(found, period, version)
    with found.engine.connect() as connection:
        definitions = connection.execute(select(ministry_indicators).where(
            ministry_indicators.c.period == period, ministry_indicators.c.version == version)
            .order_by(ministry_indicators.c.indicator_group, ministry_indicators.c.indicator)).all()
        totals = connection.execute(select(ministry_cells.c.indicator, ministry_cells.c.value, ministry_cells.c.unit,
                                           ministry_cells.c.target, ministry_cells.c.suppressed,
                                           ministry_cells.c.reason)
                                    .where(ministry_cells.c.period == period, ministry_cells.c.version == version,
                                           ministry_cells.c.breakdown == "total", ministry_cells.c.org == ALL,
                                           ministry_cells.c.month == ALL)
                                    .order_by(ministry_cells.c.indicator)).all()
    folder = export_folder(found.workspace, period, version)
    files = [name for name in EXPORTS if (folder / name).is_file()]
    defined = {d.indicator: d for d in definitions}
    totals_of = {t.indicator: t for t in totals}
    # Every indicator of the version, defined or not (a version from before definitions were kept has none).
    indicators = [*defined, *sorted(set(totals_of) - set(defined))]
    return render(request, "ministry/version.html", period=period, version=version, meta=meta,
                  rows=[(code, defined.get(code), totals_of.get(code)) for code in indicators], files=files)


@router.get("/{period}/v{version}/{name}")
def download(period: str, version: int, name: str, session: Reader, found: HubOf) -> Response:
    _version(found, period, version)  # approved versions only
    if name not in EXPORTS:
        raise HTTPException(status_code=404)
    path = export_folder(found.workspace, period, version) / name
    if not path.is_file():
        raise HTTPException(status_code=404)
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in period)
    return FileResponse(path, media_type=EXPORTS[name], filename=f"{safe}-v{version}-{name}")
