"""A warehouse's address: the URL forms accepted, how it is shown, which database it names, and
what a failed first connection says.

People copy PostgreSQL URLs from other tools (`postgres://...` from Heroku-style settings,
`postgresql://...` from psql); both name the same server, so both are read as the project's
driver (`postgresql+psycopg`) rather than failing deep inside SQLAlchemy. Any other scheme or
driver is refused with the forms to write. Messages never repeat a URL as given: it may hold a
password.

A URL is read only when it can be read one way. A password with an unescaped '@' (`postgres:S3cr@t@host`)
is cut at the first '@' by SQLAlchemy and libpq and at the last by most other tools: the rest of the
password would become the host, and the driver would then print it in "failed to resolve host". So
a user name or password holding '@', '/', '?', '#' or a second ':' is refused, naming the URL with
its password masked and how to percent-encode it. Every password read is remembered for
interchange.errors.mask_secrets.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from interchange.errors import MASK, InterchangeError, mask_secrets, remember_secret

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

POSTGRES_DRIVER = "postgresql+psycopg"
_POSTGRES_SCHEMES = ("postgres", "postgresql", "postgresql+psycopg", "postgres+psycopg")
_SQLITE_SCHEMES = ("sqlite", "sqlite+pysqlite")
_POSTGRES_PORT = 5432


class DatabaseUrlError(InterchangeError, ValueError):
    """A database URL of a form the hub cannot open."""


class DatabaseUrlAmbiguous(DatabaseUrlError):
    """A database URL whose password could end at more than one place; `url` shows it masked."""

    def __init__(self, url: str) -> None:
        super().__init__(key="error.database_url_ambiguous", url=url)
        self.url = url


class WarehouseUnreachable(InterchangeError):
    """The first connection to the warehouse failed: the message names host, port and what to check."""

    transient = True  # a server that is down now may be up at the next run


def normal_url(text: str) -> URL:
    """`text` as a URL the hub opens with its own drivers; DatabaseUrlError (naming the forms) otherwise."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    _refuse_ambiguous(text.strip())
    try:
        url = make_url(text.strip())
    except (ArgumentError, ValueError):
        raise DatabaseUrlError(key="error.database_url_form") from None
    remember_secret(url.password if isinstance(url.password, str) else None)
    remember_secret(_query_password(url))
    if url.drivername in _POSTGRES_SCHEMES:
        return url.set(drivername=POSTGRES_DRIVER)
    if url.drivername in _SQLITE_SCHEMES:
        return url
    raise DatabaseUrlError(key="error.database_url_form")


def _refuse_ambiguous(text: str) -> None:
    """DatabaseUrlAmbiguous when the user name or password of `text` holds a character that ends it.

    The user information is everything before the last '@' (where other tools end it); SQLAlchemy
    and libpq end it at the first. Any '@', '/', '?', '#' or second ':' in it means the two disagree,
    or that a '/' already cut it short.
    """
    scheme, separator, rest = text.partition("://")
    if not separator or scheme.lower() in _SQLITE_SCHEMES:
        return  # not a URL (said elsewhere), or a file path, which may hold any character
    credentials, at, _place = rest.rpartition("@")
    if not at or (not any(char in credentials for char in _ENDS_USER_INFO) and credentials.count(":") <= 1):
        return
    password = credentials.partition(":")[2]
    for secret in (password, *re.split(r"[@/?#]", password)):  # whichever part a parser takes for a host
        remember_secret(secret)
    raise DatabaseUrlAmbiguous(masked_url(text))


_ENDS_USER_INFO = "@/?#"


def masked_url(text: str) -> str:
    """A URL that may not parse one way, as a person may read it: `scheme://user:***@` and what follows
    its last '@' (mask_secrets over it all, for a password in the query)."""
    scheme, _, rest = text.partition("://")
    credentials, at, place = rest.rpartition("@")
    if not at:
        return mask_secrets(text)
    user = re.split(r"[:@/?#]", credentials, maxsplit=1)[0]
    return mask_secrets(f"{scheme}://{user}:{MASK}@{place}")


def password_of(url: URL) -> str | None:
    """The password a URL gives the driver: in its user information or as libpq's `password` option."""
    return url.password if isinstance(url.password, str) and url.password else _query_password(url)


def _query_password(url: URL) -> str | None:
    value = url.query.get("password")
    if isinstance(value, tuple):
        value = value[-1] if value else None
    return value or None


def shown(url: str | URL) -> str:
    """The URL as a person may read it: no password (not even stars; nor a `password` option), everything
    else as it is."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url) if isinstance(url, str) else url
    # _replace, not set(): URL.set(password=None) leaves the password as it was.
    plain = parsed._replace(password=None).difference_update_query(["password"])
    return mask_secrets(plain.render_as_string(hide_password=False))


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
