"""Per-organisation API tokens for machine uploads (`POST /api/v1/orgs/<org>/drops`).

A token is `ix_` and 40 random URL-safe characters, shown once when it is made; the warehouse
keeps its SHA-256 (a random token needs no slow hash) and its first characters, so that a
steward can tell tokens apart and revoke one. Every use is audited by that prefix.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select, update

from interchange import clock
from interchange.warehouse.engine import stored_utc
from interchange.warehouse.tables import api_tokens
from interchange.web.accounts import AccountError

_PREFIX_CHARS = 8


@dataclass(frozen=True)
class ApiToken:
    token_id: int
    org: str
    prefix: str
    label: str | None
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(engine: Engine, org: str, *, created_by: str, label: str | None = None) -> tuple[str, ApiToken]:
    """A new token for `org`: the token itself (show it once, then forget it) and what is kept of it."""
    token = "ix_" + secrets.token_urlsafe(30)
    with engine.begin() as connection:
        token_id = connection.execute(api_tokens.insert().values(
            org=org, token_hash=_digest(token), prefix=token[:_PREFIX_CHARS], label=(label or None) and label[:80],
            created_at=clock.now(), created_by=created_by[:64])).inserted_primary_key[0]  # type: ignore[index]
    return token, _token(engine, token_id)


def tokens_of(engine: Engine, org: str | None = None) -> list[ApiToken]:
    query = select(api_tokens).order_by(api_tokens.c.org, api_tokens.c.token_id)
    if org is not None:
        query = query.where(api_tokens.c.org == org)
    with engine.connect() as connection:
        return [_as_token(row) for row in connection.execute(query)]


def revoke_token(engine: Engine, token_id: int, *, org: str | None = None) -> ApiToken:
    """Revoke a token (of `org`, when given); AccountError when there is no such token."""
    query = update(api_tokens).where(api_tokens.c.token_id == token_id, api_tokens.c.revoked_at.is_(None))
    if org is not None:
        query = query.where(api_tokens.c.org == org)
    with engine.begin() as connection:
        connection.execute(query.values(revoked_at=clock.now()))
    found = _token(engine, token_id)
    if org is not None and found.org != org:
        raise AccountError(key="web.token_missing", prefix=str(token_id))
    return found


def revoke_by_prefix(engine: Engine, prefix: str) -> ApiToken:
    with engine.connect() as connection:
        token_id = connection.execute(select(api_tokens.c.token_id).where(api_tokens.c.prefix == prefix)).scalar()
    if token_id is None:
        raise AccountError(key="web.token_missing", prefix=prefix)
    return revoke_token(engine, token_id)


def token_owner(engine: Engine, token: str) -> ApiToken | None:
    """The live token `token` is, with its use recorded; None when it is unknown or revoked."""
    if not token.startswith("ix_") or len(token) > 128:
        return None
    with engine.connect() as connection:
        row = connection.execute(select(api_tokens).where(api_tokens.c.token_hash == _digest(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    with engine.begin() as connection:
        connection.execute(update(api_tokens).where(api_tokens.c.token_id == row.token_id)
                           .values(last_used_at=clock.now()))
    return _as_token(row)


def _token(engine: Engine, token_id: int) -> ApiToken:
    with engine.connect() as connection:
        row = connection.execute(select(api_tokens).where(api_tokens.c.token_id == token_id)).first()
    if row is None:
        raise AccountError(key="web.token_missing", prefix=str(token_id))
    return _as_token(row)


def _as_token(row: object) -> ApiToken:
    data = row._mapping  # type: ignore[attr-defined]
    return ApiToken(token_id=data["token_id"], org=data["org"], prefix=data["prefix"], label=data["label"],
                    created_at=stored_utc(data["created_at"]), created_by=data["created_by"],
                    last_used_at=stored_utc(data["last_used_at"]) if data["last_used_at"] else None,
                    revoked_at=stored_utc(data["revoked_at"]) if data["revoked_at"] else None)
