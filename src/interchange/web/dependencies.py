"""What the routes of every area depend on: the hub, the signed-in user, roles, CSRF, the audit.

Use them in a route of any router (partner, steward, ministry, api):

    from interchange.web.dependencies import Hub, audit, check_csrf, hub, require_role
    from interchange.web.pages import render, see_other
    from interchange.web.sessions import Session

    @router.get("/queue")
    def queue(request: Request, session: Annotated[Session, Depends(require_role("steward"))],
              found: Annotated[Hub, Depends(hub)]) -> HTMLResponse:
        return render(request, "steward/queue.html", pairs=open_pairs(found.engine))

    @router.post("/queue/{pair}", dependencies=[Depends(check_csrf)])
    def decide(request: Request, pair: int, session: Annotated[Session, Depends(require_role("steward"))],
               found: Annotated[Hub, Depends(hub)], verdict: Annotated[str, Form()]) -> Response:
        ...
        audit(request, "review.decide", target=f"pair {pair}", detail={"decision": verdict})
        return see_other("/steward/queue")  # 303: a reload does not post the form again

- `current_user(request)`: the signed-in `User`, or None. Every request's session is looked up
  once, before the route, by `load_session` (the app's global dependency); it also sets
  `request.state.lang` (`lt` or `en`: the language cookie, else the browser's, else Lithuanian).
- `require_role(*roles)`: a dependency returning the `Session`; a visitor who is not signed in is
  sent to the login page (and back afterwards), a signed-in user of another role gets 403.
- `require_org(org)`: raises 403 unless the session may see organisation `org` (its partner, or a
  steward). Partner routes carry `{org}` in their path and call it first.
- `check_csrf`: put it in `dependencies=[...]` of every POST route (forms send the field
  `csrf_token`; `render` gives templates `csrf_token`, and `{{ csrf_field() }}` writes the field).
  A POST without the session's token gets 403 and changes nothing.
- `audit(request, action, target=..., org=..., detail=...)`: one row of the audit trail with who
  (login, role, organisation of the session), when and from which address. `detail` holds codes
  and counts only (interchange.web.audit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from sqlalchemy import Engine

from interchange.errors import InterchangeError
from interchange.i18n import LANGS
from interchange.web.accounts import Role, User
from interchange.web.audit import record_event
from interchange.web.sessions import Session, csrf_matches, open_session
from interchange.workspace.layout import Workspace

SESSION_COOKIE = "interchange_session"
LANG_COOKIE = "interchange_lang"
LOGIN_CSRF_COOKIE = "interchange_login_csrf"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class Hub:
    """The workspace the application serves and its open warehouse."""

    workspace: Workspace
    engine: Engine


class NotSignedIn(InterchangeError):
    """Raised by `require_role` for a visitor without a live session: the app answers with the login page."""


def hub(request: Request) -> Hub:
    found: Hub = request.app.state.hub
    return found


def load_session(request: Request) -> None:
    """Before every route: the session its cookie names (or None) and the reader's language."""
    found = hub(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    request.state.session = open_session(found.engine, token, found.workspace.config.web) if token else None
    request.state.lang = reader_lang(request)


def reader_lang(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE, "")
    if chosen in LANGS:
        return chosen
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGS:
            return tag
    return "lt"


def current_session(request: Request) -> Session | None:
    return getattr(request.state, "session", None)


def current_user(request: Request) -> User | None:
    session = current_session(request)
    return session.user if session is not None else None


def require_role(*roles: str) -> Callable[[Request], Session]:
    """A dependency that lets through a session of one of `roles` (`steward`, `partner`, `ministry`)."""
    wanted = {Role(role) for role in roles}

    def signed_in_as(request: Request) -> Session:
        session = current_session(request)
        if session is None:
            raise NotSignedIn
        if session.role not in wanted:
            raise HTTPException(status_code=403)
        return session

    return signed_in_as


def require_org(session: Session, org: str) -> None:
    """403 unless `session` may see organisation `org`: a partner only its own, a steward any."""
    user = session.user
    if user.role is Role.STEWARD:
        return
    if user.role is not Role.PARTNER or user.org != org:
        raise HTTPException(status_code=403)


async def check_csrf(request: Request) -> None:
    """403 unless the POST carries the session's CSRF token (form field `csrf_token` or header X-CSRF-Token)."""
    session = current_session(request)
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if session is None or not csrf_matches(session, sent):
        raise HTTPException(status_code=403, detail="csrf")


def client_address(request: Request) -> str:
    # uvicorn has already put a trusted proxy's X-Forwarded-For here (web.trusted_proxies).
    return request.client.host if request.client else "unknown"


def audit(request: Request, action: str, *, target: str | None = None, org: str | None = None,
          detail: dict[str, Any] | None = None, actor: str | None = None, role: str | None = None) -> None:
    """Record `action` in the audit trail as done by the signed-in user (or `actor`/`role` when given)."""
    user = current_user(request)
    record_event(hub(request).engine, action, actor=actor or (user.login if user else None),
                 role=role or (user.role.value if user else None), org=org or (user.org if user else None),
                 target=target, detail=detail, address=client_address(request))


SessionOf = Annotated[Session, Depends(require_role("steward", "partner", "ministry"))]
