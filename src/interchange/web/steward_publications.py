"""The console's publications: versions, the diff between two versions, approval with every precondition
the command checks (`operations.approval`), re-opening with a reason, and the approved exports.

Approval is `approve_checked`, as `interchange approve`: each blocker is shown with its count, and a
steward approves despite one only by ticking it (the command's `--despite`), which is kept with the
version. Stewards see unsuppressed figures here, in the diff too; the exports are the ministry's
files (published values only), downloaded through the ministry's view.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from interchange.errors import InterchangeError
from interchange.indicators.outbox import export_folder
from interchange.indicators.publications import (
    Publication,
    PublicationError,
    State,
    diff_cells,
    late_batches,
    list_publications,
    publication_cells_frame,
    reopen,
    staleness,
)
from interchange.operations.approval import ApprovalRefused, approval_blockers, approve_checked
from interchange.web.dependencies import Hub, audit, check_csrf, hub, require_role
from interchange.web.pages import render, see_other
from interchange.web.sessions import Session

router = APIRouter()
Steward = Annotated[Session, Depends(require_role("steward"))]
HubOf = Annotated[Hub, Depends(hub)]
DIFF_ROWS = 500  # cells of a diff on the page
EXPORTS = ("cells.csv", "cells.xlsx", "cells.json", "changes.csv", "metadata.json")


@router.get("/publications", response_class=HTMLResponse)
def publication_list(request: Request, session: Steward, found: HubOf) -> Response:
    periods: dict[str, list[Publication]] = defaultdict(list)
    for publication in list_publications(found.engine):
        periods[publication.period].append(publication)
    return render(request, "steward/publications.html", periods=sorted(periods.items()))


@router.get("/publications/{period}", response_class=HTMLResponse)
def period_page(request: Request, period: str, session: Steward, found: HubOf) -> Response:
    return _period(request, found, period)


def _period(request: Request, found: Hub, period: str, *, refused: str | None = None,
            status_code: int = 200) -> Response:
    versions = list_publications(found.engine, period)
    if not versions:
        raise HTTPException(status_code=404)
    latest = versions[-1]
    blockers = approval_blockers(found.engine, found.workspace, latest) if latest.state is State.DRAFT else []
    # A draft's staleness is among its blockers already (stale-inputs, stale-index): read the index once.
    changed = staleness(found.engine, latest) if latest.state is State.APPROVED else None
    late = late_batches(found.engine, period) if latest.state is State.APPROVED else []
    downloads = {p.version: [name for name in EXPORTS if (export_folder(found.workspace, period, p.version) / name)
                             .is_file()] for p in versions if p.approved_at is not None}
    return render(request, "steward/period.html", status_code=status_code, period=period, versions=versions,
                  latest=latest, blockers=blockers, changed=changed, late=late, downloads=downloads, refused=refused)


@router.get("/publications/{period}/diff", response_class=HTMLResponse)
def diff_page(request: Request, period: str, session: Steward, found: HubOf, before: int, after: int) -> Response:
    try:
        old = publication_cells_frame(found.engine, period, before)
        new = publication_cells_frame(found.engine, period, after)
    except PublicationError:
        raise HTTPException(status_code=404) from None
    changes = diff_cells(old, new)
    rows = changes.head(DIFF_ROWS).astype(object).where(changes.head(DIFF_ROWS).notna(), None).to_dict("records")
    counts = changes["change"].value_counts().to_dict() if len(changes) else {}
    return render(request, "steward/diff.html", period=period, before=before, after=after, rows=rows,
                  total=len(changes), counts=counts, shown=DIFF_ROWS)


@router.post("/publications/{period}/approve", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def approve(request: Request, period: str, session: Steward, found: HubOf, version: Annotated[int, Form()],
            despite: Annotated[list[str] | None, Form()] = None) -> Response:
    lang = request.state.lang
    try:
        publication, files = approve_checked(found.engine, found.workspace, period, version, by=session.user.login,
                                             despite=set(despite or ()))
    except ApprovalRefused as exc:
        audit(request, "publication.approve.refused", target=f"{period} v{version}",
              detail={"reasons": {b.reason.value: b.count for b in exc.unconfirmed}})
        return _period(request, found, period, refused=exc.message(lang), status_code=409)
    except InterchangeError as exc:
        return _period(request, found, period, refused=exc.message(lang), status_code=409)
    audit(request, "publication.approve", target=f"{period} v{publication.version}",
          detail={"despite": publication.approved_despite or {}, "files": len(files)})
    return see_other(f"/steward/publications/{period}")


@router.post("/publications/{period}/reopen", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def reopen_page(request: Request, period: str, session: Steward, found: HubOf,
                reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    try:
        publication = reopen(found.engine, period, by=session.user.login, reason=reason)
    except InterchangeError as exc:
        return _period(request, found, period, refused=exc.message(request.state.lang), status_code=409)
    audit(request, "publication.reopen", target=f"{period} v{publication.version}")
    return see_other(f"/steward/publications/{period}")
