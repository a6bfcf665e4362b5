"""A warehouse's address: the URL forms accepted, how it is shown, which database it names, and
what a failed first connection says.

People copy PostgreSQL URLs from other tools (`postgres://...` from Heroku-style settings,
`postgresql://...` from psql); both name the same server, so both are read as the project's
driver (`postgresql+psycopg`) rather than failing deep inside SQLAlchemy. Any other scheme or
driver is refused with the forms to write. Messages never repeat a URL as given: it may hold a
password.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from interchange.errors import InterchangeError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

POSTGRES_DRIVER = "postgresql+psycopg"
_POSTGRES_SCHEMES = ("postgres", "postgresql", "postgresql+psycopg", "postgres+psycopg")
_SQLITE_SCHEMES = ("sqlite", "sqlite+pysqlite")
_POSTGRES_PORT = 5432


class DatabaseUrlError(InterchangeError, ValueError):
    """A database URL of a form the hub cannot open."""


class WarehouseUnreachable(InterchangeError):
    """The first connection to the warehouse failed: the message names host, port and what to check."""

    transient = True  # a server that is down now may be up at the next run


def normal_url(text: str) -> URL:
    """`text` as a URL the hub opens with its own drivers; DatabaseUrlError (naming the forms) otherwise."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(text.strip())
    except (ArgumentError, ValueError):
        raise DatabaseUrlError(key="error.database_url_form") from None
    if url.drivername in _POSTGRES_SCHEMES:
        return url.set(drivername=POSTGRES_DRIVER)
    if url.drivername in _SQLITE_SCHEMES:
        return url
    raise DatabaseUrlError(key="error.database_url_form")


def shown(url: str | URL) -> str:
    """The URL as a person may read it: no password (not even stars), everything else as it is."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url) if isinstance(url, str) else url
    # _replace, not set(): URL.set(password=None) leaves the password as it was.
    return parsed._replace(password=None).render_as_string(hide_password=False)


def identity(url: str | URL) -> str:
    """Which database `url` names, whatever the driver, user or options: `postgresql://host:port/db`,
    or `sqlite:///path` for a file. Two URLs with one identity reach the same data."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite:///{parsed.database or ':memory:'}"
    host = (parsed.host or "localhost").lower()
    return f"{parsed.get_backend_name()}://{host}:{parsed.port or _POSTGRES_PORT}/{parsed.database or ''}"


def unreachable(url: URL, cause: BaseException) -> WarehouseUnreachable:
    """What to tell a steward when the first connection to a database server fails.

    The driver's own text is read, never repeated: it decides between a refused login, a
    missing database and a server that does not answer.
    """
    said = str(cause).lower()
    place = {"host": url.host or "localhost", "port": url.port or _POSTGRES_PORT, "database": url.database or ""}
    if "authentication failed" in said or "no password supplied" in said:
        error = WarehouseUnreachable(key="error.database_login", user=url.username or "", **place)
    elif "does not exist" in said and "database" in said:
        error = WarehouseUnreachable(key="error.database_missing", **place)
    else:
        return WarehouseUnreachable(key="error.database_unreachable", **place)
    error.transient = False  # a login or a database that is not there needs a person, not a later run
    return error
