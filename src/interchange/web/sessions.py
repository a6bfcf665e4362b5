"""Server-side sessions: the cookie carries a random token, the warehouse only its SHA-256.

A session ends on logout, when its account is disabled or given a new password, after
`web.session_idle_minutes` without a request, and `web.session_max_hours` after its login
(interchange.yaml). Each session has its own CSRF token (a synchroniser token) that every form
of the session sends back; interchange.web.dependencies checks it on every POST.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update

from interchange import clock
from interchange.warehouse.engine import stored_utc
from interchange.warehouse.tables import web_sessions, web_users
from interchange.web.accounts import Role, User, user_from_row
from interchange.workspace.config import WebSettings

# last_seen_at is written at most this often, so that every page view is not a write.
_TOUCH_EVERY = timedelta(seconds=30)


@dataclass(frozen=True)
class Session:
    """A signed-in user's session: who, and the CSRF token its forms carry."""

    user: User
    csrf_token: str
    session_hash: str
    created_at: datetime

    @property
    def role(self) -> Role:
        return self.user.role


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(engine: Engine, user: User) -> tuple[str, Session]:
    """A new session for `user`: the token for its cookie (never stored) and the session."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    moment = clock.now()
    with engine.begin() as connection:
        connection.execute(web_sessions.insert().values(
            session_hash=digest(token), user_id=user.user_id, csrf_token=csrf, created_at=moment,
            last_seen_at=moment))
    return token, Session(user, csrf, digest(token), moment)


def open_session(engine: Engine, token: str, settings: WebSettings) -> Session | None:
    """The live session the cookie's `token` names, or None (unknown, ended, idle or too old, account disabled)."""
    if not token or len(token) > 128:
        return None
    hashed = digest(token)
    with engine.connect() as connection:
        row = connection.execute(
            select(web_users, web_sessions.c.csrf_token, web_sessions.c.created_at.label("session_created_at"),
                   web_sessions.c.last_seen_at, web_sessions.c.ended_at)
            .join(web_users, web_users.c.user_id == web_sessions.c.user_id)
            .where(web_sessions.c.session_hash == hashed)).first()
    if row is None or row.ended_at is not None or row.disabled_at is not None:
        return None
    moment = clock.now()
    created, seen = stored_utc(row.session_created_at), stored_utc(row.last_seen_at)
    if (moment - seen > timedelta(minutes=settings.session_idle_minutes)
            or moment - created > timedelta(hours=settings.session_max_hours)):
        end_session(engine, hashed)
        return None
    if moment - seen > _TOUCH_EVERY:
        with engine.begin() as connection:
            connection.execute(update(web_sessions).where(web_sessions.c.session_hash == hashed)
                               .values(last_seen_at=moment))
    return Session(user_from_row(row), row.csrf_token, hashed, created)


def end_session(engine: Engine, session_hash: str) -> None:
    with engine.begin() as connection:
        connection.execute(update(web_sessions).where(
            web_sessions.c.session_hash == session_hash, web_sessions.c.ended_at.is_(None)).values(
            ended_at=clock.now()))


def csrf_matches(session: Session, sent: str | None) -> bool:
    return bool(sent) and secrets.compare_digest(session.csrf_token.encode(), (sent or "").encode())
