"""Opening the warehouse: SQLite in the workspace by default, PostgreSQL when the URL says so.

`with warehouse(url) as engine:` is the one way in; the engine is disposed when the block
ends. An open compares the stored Alembic revision with the head (one query) and runs the
migrations only when they differ, so an upgraded program never runs against an old schema
(an upgrade never drops data) and an open of an up-to-date warehouse costs no Alembic run.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import InterfaceError, OperationalError

from interchange.warehouse.address import normal_url, unreachable

if TYPE_CHECKING:
    from alembic.config import Config

_MIGRATIONS = Path(__file__).with_name("migrations")
# Arbitrary constant: the advisory lock that serialises schema upgrades on PostgreSQL.
_UPGRADE_LOCK = 7_404_221
# Keeps two threads of one process from upgrading side by side (processes: the advisory
# lock on PostgreSQL, BEGIN IMMEDIATE on SQLite).
_upgrading = threading.Lock()
_CONNECT_TIMEOUT_S = 15


@contextmanager
def warehouse(url: str, *, upgrade: bool = True) -> Iterator[Engine]:
    """An engine for `url`, its schema at the newest revision (unless `upgrade=False`); disposed on exit."""
    engine = _make_engine(url)
    try:
        _first_connection(engine)
        if upgrade:
            _upgrade_once(engine)
        yield engine
    finally:
        engine.dispose()


def _first_connection(engine: Engine) -> None:
    """Connect once (the pool keeps it for the block): a server that cannot be reached is said in one
    line naming host, port and what to check, not as the driver's traceback."""
    if engine.dialect.name == "sqlite":
        return  # a file: its own errors name it well enough, and opening it makes it
    try:
        with engine.connect():
            pass
    except (OperationalError, InterfaceError) as exc:
        raise unreachable(engine.url, exc) from None


def _upgrade_once(engine: Engine) -> None:
    with _upgrading:
        if schema_revision(engine) != _head_revision():
            upgrade_schema(engine)


@cache
def _head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


# How long a SQLite connection waits for another's lock (a loader's commit, the switch to WAL)
# before it says "database is locked": the engine's connections and the Arrow reader's alike.
SQLITE_BUSY_PRAGMA = "PRAGMA busy_timeout=60000"


def _make_engine(url: str) -> Engine:
    address = normal_url(url)  # postgres:// and postgresql:// mean the project's driver
    if address.get_backend_name() == "sqlite":
        engine = create_engine(address, connect_args={"timeout": 60})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    # A host that drops packets would otherwise keep the command waiting for minutes.
    patience = {} if "connect_timeout" in address.query else {"connect_timeout": _CONNECT_TIMEOUT_S}
    return create_engine(address, pool_pre_ping=True, connect_args=patience)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, decide where transactions begin (SQLAlchemy's SQLite
    # docs, "Serializable isolation"), so a write transaction takes its lock up front.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(SQLITE_BUSY_PRAGMA)
    _use_wal(cursor)  # readers do not block the loader
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable at each checkpoint; safe with WAL
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _use_wal(cursor: Any, *, patience_s: float = 60.0) -> None:
    # WAL is a property of the file, set once. Switching to it needs an exclusive lock,
    # and SQLite answers "database is locked" at once, without its busy handler, when
    # another process opens the same new file at that moment; so wait here instead.
    deadline = time.monotonic() + patience_s
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                return
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _sqlite_on_begin(connection: Any) -> None:
    # IMMEDIATE: two runs that both want to write queue up here instead of failing later
    # with "database is locked" when a reader tries to become a writer.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def upgrade_schema(engine: Engine) -> None:
    """Run every pending migration, one process at a time."""
    from alembic import command

    config = _alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def stored_utc(moment: datetime) -> datetime:
    """A time read from the warehouse, aware: SQLite hands back naive datetimes; every time the hub stores is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def schema_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
