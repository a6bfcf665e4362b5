"""The steward console, under `/steward/`: every route requires the steward role.

This module holds the console's start page; the console's pages (status, held batches and
quarantine with re-process, the review queue, publications and approval, charts) are added here
as routes of `router`, with the dependencies of `interchange.web.dependencies`: `require_role("steward")`,
`check_csrf` on every POST, and `audit(request, "review.decide", target=..., detail=...)` for every
decision and approval.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from interchange.web.dependencies import require_role
from interchange.web.pages import render
from interchange.web.sessions import Session

router = APIRouter(prefix="/steward")
Steward = Annotated[Session, Depends(require_role("steward"))]


@router.get("/", response_class=HTMLResponse)
def console(request: Request, session: Steward) -> Response:
    organisations = request.app.state.hub.workspace.config.organisations
    return render(request, "steward/index.html", organisations=organisations)
