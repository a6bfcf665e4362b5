"""Login throttling: after a few failed logins an account, or a client address, must wait.

An account that failed `web.login_failures_per_account` times since its last successful login,
within `web.throttle_minutes`, waits until the oldest of those failures is that old; so does an
address with `web.login_failures_per_address` failures (one address guessing many accounts). While
it waits, no password is even tried: a guess then costs nothing and tells nothing. The attempts
are rows of `login_attempts` in the warehouse, so every worker of the server counts the same.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, Engine, delete, func, select

from interchange import clock
from interchange.warehouse.engine import stored_utc
from interchange.warehouse.tables import login_attempts
from interchange.workspace.config import WebSettings

# Attempts older than this are no longer needed by any window.
_KEEP = timedelta(days=2)


def wait_minutes(engine: Engine, settings: WebSettings, *, user_id: int | None, address: str) -> int:
    """How many minutes the next login of this account (if known) from this address must wait: 0 = none."""
    moment = clock.now()
    window = timedelta(minutes=settings.throttle_minutes)
    since = moment - window
    waits = [0.0]
    with engine.connect() as connection:
        if user_id is not None:
            last_success = connection.execute(select(func.max(login_attempts.c.at)).where(
                login_attempts.c.user_id == user_id, login_attempts.c.succeeded.is_(True))).scalar()
            start = max(since, stored_utc(last_success)) if last_success is not None else since
            waits.append(_wait(connection, moment, window, settings.login_failures_per_account,
                               login_attempts.c.user_id == user_id, start))
        waits.append(_wait(connection, moment, window, settings.login_failures_per_address,
                           login_attempts.c.address == address, since))
    return math.ceil(max(waits))


def _wait(connection: Connection, moment: datetime, window: timedelta, allowed: int, who: ColumnElement[bool],
          start: datetime) -> float:
    failures = connection.execute(
        select(login_attempts.c.at).where(who, login_attempts.c.succeeded.is_(False), login_attempts.c.at > start)
        .order_by(login_attempts.c.at.desc()).limit(allowed)).scalars().all()
    if len(failures) < allowed:
        return 0.0
    free_at = stored_utc(failures[-1]) + window
    return max(0.0, (free_at - moment).total_seconds() / 60)


def record_attempt(engine: Engine, *, user_id: int | None, address: str, succeeded: bool) -> None:
    moment = clock.now()
    with engine.begin() as connection:
        connection.execute(login_attempts.insert().values(at=moment, user_id=user_id, address=address[:64],
                                                          succeeded=succeeded))
        connection.execute(delete(login_attempts).where(login_attempts.c.at < moment - _KEEP))
