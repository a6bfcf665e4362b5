"""The package's one error family, and the one place that decides what of a failure may be shown.

Every exception the package (and `flows/`) raises on purpose is an `InterchangeError`, kept
next to the builtin it has always been (`class PeriodError(InterchangeError, ValueError)`), so
an `except ValueError` still catches it. Its message names codes, ids, row numbers, counts,
settings and paths: never a record value. Anything else (a database error can quote the row it
failed on) is shown by its class only: `describe_failure` makes that choice for the CLI, the
flows' states and the alerts, and `failure_trace` says where a failure came from without any
exception's text.

An error whose wording is fixed carries a catalogue key (`error.*`, interchange.i18n) and its
parameters: `message(lang)` says it in Lithuanian or English, and `str(error)` is the English.
An error that only passes on a detail another layer wrote (a config key's complaint, a
suite's) says it in English in both languages. `transient` says whether trying again later
may help: an outage, a lock, a server not up yet.

Bottom layer: imports nothing of the package but the catalogue.
"""

from __future__ import annotations

import errno
import traceback
from pathlib import Path
from typing import Any, Self

from interchange.i18n import LANGS, say


class InterchangeError(Exception):
    """An error of the package: its message is safe to show (no personal data)."""

    transient: bool = False  # whether a later attempt may succeed; a class may decide per instance

    def __init__(self, *args: object, key: str | None = None, **params: object) -> None:
        """Either the English text as `args` (a detail, said the same in both languages) or a
        catalogue `key` (`error.*`) with its `params`."""
        super().__init__(*((say(key, "en", **params),) if key is not None else args))
        self.key = key
        self.params = params
        self.said: dict[str, str] = {}  # lang -> text, when this error passes on another's words

    @classmethod
    def passing_on(cls, cause: BaseException, **kwargs: Any) -> Self:
        """This error (a flow's LinkFailed, say) saying what `cause` says, as describe_failure says it,
        in every language. `cause` itself is not kept: its traceback holds the values it failed on."""
        error = cls(describe_failure(cause), **kwargs)
        error.said = {lang: describe_failure(cause, lang) for lang in LANGS}
        return error

    def message(self, lang: str = "en") -> str:
        """What went wrong, in `lang` (`lt` or `en`)."""
        if self.key is not None:
            return say(self.key, lang, **self.params)
        return self.said.get(lang, str(self))


def describe_failure(exc: BaseException, lang: str = "en") -> str:
    """A failure in words that carry no record values: our own error's message, or another's class
    (with the path it concerns, for an operating system's error: a path is the hub's, not a record)."""
    if isinstance(exc, InterchangeError):
        return exc.message(lang)
    if isinstance(exc, OSError) and exc.filename is not None:
        return say("error.os_path", lang, name=type(exc).__name__, path=visible_path(exc.filename),
                   code=errno.errorcode.get(exc.errno or 0, "?"))
    return say("error.unexpected", lang, name=type(exc).__name__)


def visible_path(path: object) -> str:
    """A path as text a terminal shows and never obeys: control, escape and undecodable characters
    written as Python escapes."""
    text = path.decode(errors="surrogateescape") if isinstance(path, bytes) else str(path)
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


# Errors of the hub's own machine that no retry within minutes will mend: a permission, a full
# or read-only disk, a path that is not there or cannot be. Other OS errors (a network share's
# hiccup, a busy file, a timeout) may pass.
_LASTING_ERRNOS = frozenset(getattr(errno, name) for name in (
    "EACCES", "EPERM", "ENOSPC", "EDQUOT", "EROFS", "ENOENT", "ENOTDIR", "EISDIR", "ENAMETOOLONG", "ELOOP",
    "EEXIST", "EINVAL", "EFBIG", "EMFILE", "ENFILE", "EXDEV", "EBADF", "ENOTEMPTY") if hasattr(errno, name))
# The database's own words for "try again": SQLite result codes (busy, locked, I/O, cannot open)
# and PostgreSQL SQLSTATE classes 08 (connection), 40 (rollback: deadlock, serialisation),
# 57 (operator intervention: a restart, a cancelled statement), 55P03 (lock not available).
_SQLITE_PASSING = frozenset({5, 6, 10, 14})
_SQLSTATE_PASSING = ("08", "40", "57", "55P03", "53300")


def is_transient(exc: BaseException) -> bool:
    """Whether a later attempt may succeed where this one failed.

    Yes for an outage: the database restarting or unreachable, a lock timeout, a partner API
    down (our own errors say so themselves). No for what stays until someone acts: a
    permission, a full or read-only disk, bad data the database refused (DataError,
    IntegrityError), text that is not valid Unicode, memory, and every other exception (a bug).
    """
    if isinstance(exc, InterchangeError):
        return exc.transient
    if type(exc).__module__.startswith("sqlalchemy"):
        return _database_transient(exc)
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    if isinstance(exc, OSError):
        # errno None: a library's network error (requests'), not the file system's.
        return exc.errno is None or exc.errno not in _LASTING_ERRNOS
    return False


def _database_transient(exc: BaseException) -> bool:
    from sqlalchemy import exc as sa

    if isinstance(exc, sa.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, (sa.DisconnectionError, sa.TimeoutError, sa.InterfaceError)):
        return True  # a dropped connection, or no connection free in the pool in time
    if not isinstance(exc, sa.OperationalError):
        return False  # DataError, IntegrityError, ProgrammingError...: the data or the code
    cause = exc.orig
    sqlite_code = getattr(cause, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return sqlite_code & 0xFF in _SQLITE_PASSING  # extended codes keep the primary in the low byte
    state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if state:
        return str(state).startswith(_SQLSTATE_PASSING)
    return True  # no code said otherwise: an OperationalError is the driver's "the server failed"


def failure_trace(exc: BaseException) -> str:
    """Where `exc` came from, frame by frame, with exception classes but no messages.

    A message may quote a record (a database error shows the row it failed on); the
    file, line and function names are enough to find the bug.
    """
    lines = []
    current: BaseException | None = exc
    while current is not None:
        lines.append(f"{type(current).__name__}, raised at:")
        lines += [f"  {Path(frame.filename).name}:{frame.lineno} in {frame.name}"
                  for frame in traceback.extract_tb(current.__traceback__)]
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "\n".join(lines)
