"""The audit trail: who did what, and when, in the web application and the accounts command.

`record_event(engine, action, actor=..., ...)` writes one row of `audit_events`; in a route, the
request-aware `interchange.web.dependencies.audit(request, action, ...)` fills in the signed-in
user, their role and organisation and the client's address. `action` is a short code
(`login`, `login.failed`, `login.throttled`, `logout`, `upload`, `upload.refused`, `token.use`,
`token.create`, `token.revoke`, `user.add`, `user.disable`, `user.reset`; the steward console adds
its own: `review.decide`, `publication.approve`, `publication.reopen`, `reprocess` ...). `detail`
holds codes, ids and counts only: never a password, a token or a record value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from interchange import clock
from interchange.warehouse.engine import stored_utc
from interchange.warehouse.tables import audit_events


@dataclass(frozen=True)
class AuditEvent:
    event_id: int
    at: datetime
    actor: str | None
    role: str | None
    org: str | None
    action: str
    target: str | None
    detail: dict[str, Any] | None
    address: str | None


def record_event(engine: Engine, action: str, *, actor: str | None = None, role: str | None = None,
                 org: str | None = None, target: str | None = None, detail: dict[str, Any] | None = None,
                 address: str | None = None) -> None:
    with engine.begin() as connection:
        connection.execute(audit_events.insert().values(
            at=clock.now(), actor=actor and actor[:64], role=role, org=org, action=action[:40],
            target=target and target[:120], detail=detail, address=address and address[:64]))


def audit_trail(engine: Engine, *, org: str | None = None, action: str | None = None,
                limit: int = 200) -> list[AuditEvent]:
    """The newest events first; only `org`'s or one `action`'s when given."""
    query = select(audit_events).order_by(audit_events.c.event_id.desc()).limit(limit)
    if org is not None:
        query = query.where(audit_events.c.org == org)
    if action is not None:
        query = query.where(audit_events.c.action == action)
    with engine.connect() as connection:
        return [AuditEvent(**{**row._mapping, "at": stored_utc(row.at)}) for row in connection.execute(query)]
