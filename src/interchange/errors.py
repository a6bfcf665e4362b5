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

Secrets: `mask_secrets` is the one function every error text passes through on its way to a
terminal, a log file, Prefect's logs or a flow-run state (our errors' messages, describe_failure,
failure_trace, the log filter the flows and the command's log file use). It removes the
passwords the hub has read (`remember_secret`, called where a database URL is parsed), the
password of any `user:password@` in a URL and any `password=...` of a libpq connection string.

Bottom layer: imports nothing of the package but the catalogue.
"""

from __future__ import annotations

import errno
import logging
import re
import traceback
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any, Self

from interchange.i18n import LANGS, say


class InterchangeError(Exception):
    """An error of the package: its message is safe to show (no personal data)."""

    transient: bool = False  # whether a later attempt may succeed; a class may decide per instance

    def __init__(self, *args: object, key: str | None = None, **params: object) -> None:
        """Either the English text as `args` (a detail, said the same in both languages) or a
        catalogue `key` (`error.*`) with its `params`."""
        text = (say(key, "en", **params),) if key is not None else args
        super().__init__(*(mask_secrets(part) if isinstance(part, str) else part for part in text))
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
            return mask_secrets(say(self.key, lang, **self.params))
        return mask_secrets(self.said.get(lang, str(self)))


def describe_failure(exc: BaseException, lang: str = "en") -> str:
    """A failure in words that carry no record values: our own error's message, or another's class
    (with the path it concerns, for an operating system's error: a path is the hub's, not a record)."""
    if isinstance(exc, InterchangeError):
        return exc.message(lang)
    if isinstance(exc, OSError) and exc.filename is not None:
        return mask_secrets(say("error.os_path", lang, name=type(exc).__name__, path=visible_path(exc.filename),
                                code=errno.errorcode.get(exc.errno or 0, "?")))
    return mask_secrets(say("error.unexpected", lang, name=type(exc).__name__))


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
    return mask_secrets("\n".join(lines))


# --- secrets ---------------------------------------------------------------------------------------

MASK = "***"
# The passwords this process has read; a set for the process, since the one database URL (an
# environment variable) is read by whichever layer opens the warehouse first.
_remembered: set[str] = set()
_ANYWHERE_FROM = 8  # characters: a secret this long is masked inside other words too
# `scheme://user:password@`: the password runs to the last '@' of the URL (an unescaped '@' in it
# is what makes a URL ambiguous, and the whole of it is masked then too). The catalogue's own
# example of the form (`user:password@host`) stays as it is.
_URL_PASSWORD = re.compile(
    r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/?#@'\"]*):(?!(?:password|slaptažodis)@)[^\s'\"]*@")
# libpq's `password=...` (a connection string, or a URL's query): quoted or up to a separator.
_DSN_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^\s&;,)'\"]+)",
                           re.IGNORECASE)


def remember_secret(secret: str | None) -> None:
    """From now on, mask `secret` (a password the hub has read) wherever mask_secrets looks."""
    if secret:
        _remembered.add(secret)


def mask_secrets(text: str, known: Iterable[str] = ()) -> str:
    """`text` without passwords: the remembered ones and `known` (as written or percent-encoded, in any
    case, wherever they stand as a word of their own), and any URL's or connection string's password."""
    masked = _DSN_PASSWORD.sub(rf"\g<head>{MASK}", _URL_PASSWORD.sub(rf"\g<head>:{MASK}@", text))
    for secret in sorted({*_remembered, *known} - {""}, key=len, reverse=True):
        masked = _secret_pattern(secret).sub(MASK, masked)
    return masked


@cache
def _secret_pattern(secret: str) -> re.Pattern[str]:
    # Each character as written or percent-encoded (a URL shows a password escaped). A short one only
    # as a word of its own, so that a password such as "postgres" hides the user name it equals but
    # leaves "postgresql" readable; a long one wherever it stands.
    chars = "".join(f"(?:{re.escape(char)}|{''.join(f'%{byte:02x}' for byte in char.encode())})" for char in secret)
    if len(secret) >= _ANYWHERE_FROM:
        return re.compile(chars, re.IGNORECASE)
    return re.compile(rf"(?<![A-Za-z0-9]){chars}(?![A-Za-z0-9])", re.IGNORECASE)


class MaskSecrets(logging.Filter):
    """A log filter that passes every record on with its message and traceback masked (mask_secrets).

    On a handler it sees every record the handler writes; on a logger, those logged to it by name."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = mask_secrets(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:  # a formatter writes this instead of formatting exc_info again
            record.exc_text = mask_secrets(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_secrets(record.stack_info)
        return True
