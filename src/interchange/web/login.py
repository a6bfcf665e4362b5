"""Logging in and out, the language switch, and the start page that sends each role to its own
(also from `/partner/`, the address a partner is most likely to type).

The login form is protected against cross-site posting too, before any session exists: its
token is also set as a cookie (SameSite=Strict) and the two must match. Every attempt is audited
(`login`, `login.failed` with why: no such account, wrong password, disabled; `login.throttled`),
never with the password. The session cookie is HttpOnly, SameSite=Lax, and Secure when the request
came over HTTPS (or `web.secure_cookies: always`).
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from interchange.web.accounts import Role, password_matches, user_id_of
from interchange.web.audit import record_event
from interchange.web.dependencies import (
    LANG_COOKIE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Hub,
    SessionOf,
    audit,
    check_csrf,
    client_address,
    current_session,
    current_user,
    hub,
)
from interchange.web.pages import local_path, render, see_other
from interchange.web.sessions import end_session, start_session
from interchange.web.throttle import record_attempt, wait_minutes

router = APIRouter()


def home_of(role: Role, org: str | None) -> str:
    if role is Role.PARTNER:
        return f"/partner/{org}/"
    return "/steward/" if role is Role.STEWARD else "/ministry/"


@router.get("/")
@router.get("/partner/")
def start(request: Request) -> Response:
    user = current_user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(home_of(user.role, user.org), status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None, ended: bool = False, out: bool = False) -> Response:
    key = "web.logged_out" if out else "web.login_expired" if ended else None
    return _login_form(request, next_path=local_path(next, ""), message_key=key)


def _login_form(request: Request, *, next_path: str = "", message_key: str | None = None, minutes: int = 0,
                status_code: int = 200, login: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", status_code=status_code, csrf_token=token, next_path=next_path,
                      message_key=message_key, minutes=minutes, login=login)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login",
                        secure=_secure(request))
    return response


@router.post("/login")
def log_in(request: Request, found: Annotated[Hub, Depends(hub)], login: Annotated[str, Form(max_length=200)],
           password: Annotated[str, Form(max_length=1024)], csrf_token: Annotated[str, Form(max_length=200)] = "",
           next: Annotated[str, Form(max_length=2000)] = "") -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected.encode(), csrf_token.encode()):
        return _login_form(request, next_path=local_path(next, ""), message_key="web.csrf_failed", status_code=403)
    address = client_address(request)
    settings = found.workspace.config.web
    user_id = user_id_of(found.engine, login)
    shown_login = login.strip().lower()[:64]
    waiting = wait_minutes(found.engine, settings, user_id=user_id, address=address)
    if waiting:
        record_event(found.engine, "login.throttled", actor=shown_login if user_id else None, address=address,
                     detail={"wait_minutes": waiting})
        return _login_form(request, next_path=local_path(next, ""), message_key="web.login_throttled",
                           minutes=waiting, status_code=429, login=shown_login)
    user = password_matches(found.engine, login, password)
    if user is None or not user.active:
        record_attempt(found.engine, user_id=user_id, address=address, succeeded=False)
        reason = "no_account" if user_id is None else ("disabled" if user is not None else "wrong_password")
        record_event(found.engine, "login.failed", actor=shown_login if user_id else None, address=address,
                     detail={"reason": reason})
        return _login_form(request, next_path=local_path(next, ""), message_key="web.login_failed", status_code=401,
                           login=shown_login)
    record_attempt(found.engine, user_id=user.user_id, address=address, succeeded=True)
    earlier = current_session(request)
    if earlier is not None:  # a login always begins a session of its own, never continues one
        end_session(found.engine, earlier.session_hash)
    token, _ = start_session(found.engine, user)
    record_event(found.engine, "login", actor=user.login, role=user.role.value, org=user.org, address=address)
    response = RedirectResponse(local_path(next, home_of(user.role, user.org)), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=_secure(request), path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", dependencies=[Depends(check_csrf)])
def log_out(request: Request, session: SessionOf, found: Annotated[Hub, Depends(hub)]) -> Response:
    end_session(found.engine, session.session_hash)
    audit(request, "logout")
    response = see_other("/login?out=1")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{lang}")
def switch_language(lang: str, request: Request, next: str | None = None) -> Response:
    response = RedirectResponse(local_path(next, "/"), status_code=303)
    if lang in ("lt", "en"):
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", secure=_secure(request),
                            path="/")
    return response


def _secure(request: Request) -> bool:
    # uvicorn has already taken X-Forwarded-Proto from a trusted proxy into the scheme.
    chosen = request.app.state.hub.workspace.config.web.secure_cookies
    return chosen == "always" or (chosen == "auto" and request.url.scheme == "https")
