"""Accounts of the web application: who may log in, with which role, and for which organisation.

Roles: `partner` (bound to one organisation of interchange.yaml: sees and sends only its own
data), `steward` (the hub's data stewards) and `ministry` (approved, disclosure-protected tables
only). A password is kept only as its argon2id hash (argon2-cffi's defaults, RFC 9106's second
recommended setting); it is never stored, logged or echoed. Disabling an account or setting a new
password ends its sessions at once (sessions live in the warehouse: interchange.web.sessions).

The same functions serve `interchange users ...` and the pages; both write the audit trail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, Engine, Row, select, update

from interchange import clock
from interchange.errors import InterchangeError
from interchange.warehouse.engine import stored_utc
from interchange.warehouse.tables import web_sessions, web_users

MIN_PASSWORD_CHARS = 10
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
_hasher = PasswordHasher()


@cache
def _nobody() -> str:
    """Verified against when no account has the login typed, so that a wrong name costs what a wrong
    password costs and the answer's timing does not say which accounts exist."""
    return _hasher.hash("no account has this password")


class Role(StrEnum):
    PARTNER = "partner"
    STEWARD = "steward"
    MINISTRY = "ministry"


class AccountError(InterchangeError, ValueError):
    """An account that cannot be made or changed as asked; the message says why (never a password)."""


@dataclass(frozen=True)
class User:
    user_id: int
    login: str
    role: Role
    org: str | None
    created_at: datetime
    password_set_at: datetime
    disabled_at: datetime | None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


def normal_login(login: str) -> str:
    return login.strip().lower()


def add_user(engine: Engine, login: str, role: Role, password: str, *, org: str | None = None,
             known_orgs: tuple[str, ...] = ()) -> User:
    """A new account; AccountError when the login is taken or malformed, the role and organisation do
    not fit, the organisation is not in `known_orgs` or the password is too short."""
    login = normal_login(login)
    if not _LOGIN.fullmatch(login):
        raise AccountError(key="web.login_form")
    if role is Role.PARTNER and not org:
        raise AccountError(key="web.org_needed")
    if role is not Role.PARTNER and org:
        raise AccountError(key="web.org_not_for_role")
    if org is not None and org not in known_orgs:
        raise AccountError(key="web.org_unknown", org=org, known=", ".join(known_orgs))
    check_password(password)
    moment = clock.now()
    with engine.begin() as connection:
        if _user_row(connection, login) is not None:
            raise AccountError(key="web.user_exists", login=login)
        connection.execute(web_users.insert().values(
            login=login, role=role.value, org=org, password_hash=_hasher.hash(password), created_at=moment,
            password_set_at=moment))
        return user_from_row(_user_row(connection, login))


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(key="web.password_short", length=MIN_PASSWORD_CHARS)


def list_users(engine: Engine) -> list[User]:
    with engine.connect() as connection:
        return [user_from_row(row) for row in connection.execute(select(web_users).order_by(web_users.c.login))]


def find_user(engine: Engine, login: str) -> User:
    with engine.connect() as connection:
        row = _user_row(connection, normal_login(login))
    if row is None:
        raise AccountError(key="web.user_missing", login=normal_login(login))
    return user_from_row(row)


def disable_user(engine: Engine, login: str) -> tuple[User, int]:
    """Disable the account and end its sessions; returns it and how many sessions were ended."""
    user = find_user(engine, login)
    moment = clock.now()
    with engine.begin() as connection:
        connection.execute(update(web_users).where(web_users.c.user_id == user.user_id,
                                                   web_users.c.disabled_at.is_(None)).values(disabled_at=moment))
        ended = end_sessions_of(connection, user.user_id)
    return find_user(engine, login), ended


def reset_password(engine: Engine, login: str, password: str, *, enable: bool = False) -> tuple[User, int]:
    """A new password for the account (and, with `enable`, the account enabled again); its sessions end."""
    check_password(password)
    user = find_user(engine, login)
    values: dict[str, object] = {"password_hash": _hasher.hash(password), "password_set_at": clock.now()}
    if enable:
        values["disabled_at"] = None
    with engine.begin() as connection:
        connection.execute(update(web_users).where(web_users.c.user_id == user.user_id).values(**values))
        ended = end_sessions_of(connection, user.user_id)
    return find_user(engine, login), ended


def end_sessions_of(connection: Connection, user_id: int) -> int:
    result = connection.execute(update(web_sessions).where(
        web_sessions.c.user_id == user_id, web_sessions.c.ended_at.is_(None)).values(ended_at=clock.now()))
    return result.rowcount


def password_matches(engine: Engine, login: str, password: str) -> User | None:
    """The account when `password` is its password, else None (a wrong login costs as much time).

    A disabled account's user is returned too: the caller refuses it, and says so only in the audit.
    A hash made with older parameters is replaced by one with today's on the way.
    """
    with engine.connect() as connection:
        row = _user_row(connection, normal_login(login))
    if row is None:
        _verify(_nobody(), password)
        return None
    if not _verify(row.password_hash, password):
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        with engine.begin() as connection:
            connection.execute(update(web_users).where(web_users.c.user_id == row.user_id).values(
                password_hash=_hasher.hash(password)))
    return user_from_row(row)


def user_id_of(engine: Engine, login: str) -> int | None:
    with engine.connect() as connection:
        row = _user_row(connection, normal_login(login))
    return None if row is None else row.user_id


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _user_row(connection: Connection, login: str) -> Row[Any] | None:
    return connection.execute(select(web_users).where(web_users.c.login == login)).first()


def user_from_row(row: Row[Any] | None) -> User:
    assert row is not None
    data = row._mapping
    disabled = data["disabled_at"]
    return User(user_id=data["user_id"], login=data["login"], role=Role(data["role"]), org=data["org"],
                created_at=stored_utc(data["created_at"]), password_set_at=stored_utc(data["password_set_at"]),
                disabled_at=None if disabled is None else stored_utc(disabled))
