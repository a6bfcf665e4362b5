"""The steward console, under `/steward/`: every route requires the steward role.

The pages call what the steward's commands call: the `status` screen
(`operations.status.collect_status`) with links to each flow run in the Prefect UI when
`PREFECT_API_URL` is set; charts drawn by the vendored Chart.js from `operations.charts`. The other
areas of the console have a module each and are included here: batches, held batches, quarantine
and re-processing (`web.steward_batches`), the review queue (`web.steward_review`), publications
and approval (`web.steward_publications`). Every POST checks the CSRF token; every decision,
re-process, approval and re-opening goes to the audit trail.

Stewards see unsuppressed figures; a ministry account never reaches these pages (403).
"""

from __future__ import annotations

import os
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from interchange.indicators.progress import ProgressError
from interchange.operations.charts import completeness, indicator_series, progress_chart, published_indicators
from interchange.operations.status import collect_status
from interchange.web import steward_batches, steward_publications, steward_review
from interchange.web.charts import chart_json, completeness_chart, progress_data, series_chart
from interchange.web.dependencies import Hub, hub, require_role
from interchange.web.pages import render
from interchange.web.sessions import Session

router = APIRouter(prefix="/steward")
Steward = Annotated[Session, Depends(require_role("steward"))]
HubOf = Annotated[Hub, Depends(hub)]


@router.get("/", response_class=HTMLResponse)
def status_page(request: Request, session: Steward, found: HubOf) -> Response:
    api_url = os.environ.get("PREFECT_API_URL") or None
    report = collect_status(found.workspace, found.engine, prefect_api_url=api_url)
    waiting = [(key, count, key.replace(".waiting_", ".next_")) for key, count in report.waiting().items()]
    return render(request, "steward/status.html", report=report, waiting=waiting, prefect_ui=prefect_ui_url(api_url),
                  chart=chart_json(_completeness_chart(found)))


def prefect_ui_url(api_url: str | None) -> str | None:
    """The Prefect UI of the API the hub's flows report to: PREFECT_UI_URL, else the API's address without `/api`."""
    if not api_url:
        return None
    chosen = os.environ.get("PREFECT_UI_URL") or api_url.rstrip("/").removesuffix("/api")
    return chosen.rstrip("/")


@router.get("/charts", response_class=HTMLResponse)
def charts_page(request: Request, session: Steward, found: HubOf, indicator: str | None = None,
                kind: str = "quarter") -> Response:
    lang = request.state.lang
    programmes = []
    for programme in found.workspace.config.programmes:
        try:
            bars = progress_chart(found.workspace, found.engine, programme.code)
        except ProgressError:
            bars = []
        programmes.append((programme, chart_json(progress_data(bars, lang)), bars))
    codes = published_indicators(found.engine)
    chosen = indicator if indicator in codes else (codes[0] if codes else None)
    kind = kind if kind in ("month", "quarter", "year") else "quarter"
    series = indicator_series(found.engine, chosen, kind=kind) if chosen else []
    return render(request, "steward/charts.html", completeness=chart_json(_completeness_chart(found)),
                  programmes=programmes, indicators=codes, indicator=chosen, kind=kind, series=series,
                  series_chart=chart_json(series_chart(series)))


def _completeness_chart(found: Hub) -> dict[str, Any]:
    return completeness_chart(completeness(found.workspace, found.engine))


router.include_router(steward_batches.router)
router.include_router(steward_review.router)
router.include_router(steward_publications.router)
