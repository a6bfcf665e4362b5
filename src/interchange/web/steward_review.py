"""The console's review queue: each uncertain pair side by side, and the steward's decision with a reason.

A pair is shown as `interchange review list` shows it: the two records by organisation and record
id, the model's probability, and for each compared field whether it agrees, disagrees or is
missing, or how similar two name encodings are: never a value. A decision goes through
`linkage.review.decide_pair` (its own history: who, when, why, what it changed) and to the audit
trail; changing an earlier decision takes a reason, as on the command line.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from interchange.i18n import say
from interchange.linkage.review import (
    AlreadyDecided,
    Decision,
    DecisionRefused,
    ReviewError,
    decide_pair,
    decision_history,
    open_pairs,
)
from interchange.warehouse.tables import review_pairs
from interchange.web.dependencies import Hub, audit, check_csrf, hub, require_role
from interchange.web.pages import render, see_other
from interchange.web.sessions import Session

router = APIRouter()
Steward = Annotated[Session, Depends(require_role("steward"))]
HubOf = Annotated[Hub, Depends(hub)]
LISTED = 200


@router.get("/review", response_class=HTMLResponse)
def queue(request: Request, session: Steward, found: HubOf, decided: int | None = None) -> Response:
    pairs = open_pairs(found.engine)
    history = decision_history(found.engine)[-20:][::-1]
    return render(request, "steward/review.html", pairs=pairs[:LISTED], more=max(len(pairs) - LISTED, 0),
                  history=history, decided=decided, side=side)


@router.get("/review/{pair_id}", response_class=HTMLResponse)
def pair_page(request: Request, pair_id: int, session: Steward, found: HubOf) -> Response:
    return _pair(request, found, pair_id)


def _pair(request: Request, found: Hub, pair_id: int, *, refused: str | None = None, change: bool = False,
          status_code: int = 200) -> Response:
    with found.engine.connect() as connection:
        row = connection.execute(select(review_pairs).where(review_pairs.c.pair_id == pair_id)).mappings().first()
    if row is None:
        raise HTTPException(status_code=404)
    fields = [field_row(name, value) for name, value in (row["agreements"] or {}).items()]
    queue_ids = [p.pair_id for p in open_pairs(found.engine)]
    following = next((i for i in queue_ids if i != pair_id), None)
    return render(request, "steward/pair.html", status_code=status_code, pair=row, left=side(row["uid_l"]),
                  right=side(row["uid_r"]), fields=fields, history=decision_history(found.engine, pair_id),
                  refused=refused, change=change, following=following)


def side(uid: str) -> tuple[str, str]:
    """A record's uid (`org:record_id`) as its organisation and record id."""
    org, _, record_id = uid.partition(":")
    return org, record_id


def field_row(name: str, value: Any) -> dict[str, Any]:
    """One compared field as the page shows it: its state and how strongly it agrees (0 to 1), never a value."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        strength = max(0.0, min(1.0, float(value)))
        state = "similar" if strength >= 0.8 else ("partial" if strength >= 0.5 else "unlike")
        return {"name": name, "state": state, "strength": strength, "percent": round(strength * 100)}
    state = str(value)
    known = {"agree": 1.0, "disagree": 0.0}.get(state)
    return {"name": name, "state": state, "strength": known, "percent": None if known is None else round(known * 100)}


@router.post("/review/{pair_id}", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def decide(request: Request, pair_id: int, session: Steward, found: HubOf,
           decision: Annotated[str, Form(max_length=10)], reason: Annotated[str, Form(max_length=500)] = "",
           change: Annotated[bool, Form()] = False) -> Response:
    lang = request.state.lang
    if decision not in {d.value for d in Decision}:
        raise HTTPException(status_code=422)
    if not reason.strip():
        return _pair(request, found, pair_id, refused=say("console.review_reason_needed", lang), change=change,
                     status_code=422)
    try:
        outcome = decide_pair(found.engine, pair_id, Decision(decision), decided_by=session.user.login,
                              note=reason, change=change)
    except AlreadyDecided as exc:
        return _pair(request, found, pair_id, refused=exc.message(lang), change=True, status_code=409)
    except (DecisionRefused, ReviewError) as exc:
        return _pair(request, found, pair_id, refused=exc.message(lang), change=change, status_code=409)
    audit(request, "review.decide", target=f"pair {pair_id}",
          detail={"decision": decision, "changed": outcome.before is not None and outcome.recorded,
                  "recorded": outcome.recorded})
    return see_other(f"/steward/review?decided={pair_id}")
