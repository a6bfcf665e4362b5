"""The ministry's view, under `/ministry/`: approved, disclosure-protected tables only.

Every route requires the `ministry` role (a steward may look too). Nothing here may read the
stewards' tables (`publications`, `publication_cells`): only what approval wrote for the ministry
(`ministry_publications`, `ministry_cells`, `ministry_indicators`) and the approved exports.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from interchange.web.dependencies import require_role
from interchange.web.pages import render
from interchange.web.sessions import Session

router = APIRouter(prefix="/ministry")
Reader = Annotated[Session, Depends(require_role("ministry", "steward"))]


@router.get("/", response_class=HTMLResponse)
def approved(request: Request, session: Reader) -> Response:
    return render(request, "ministry/index.html")
