"""The municipality's SMTP server, through the standard library's smtplib: one connection per run.

`notifications: smtp:` in interchange.yaml says where and how (STARTTLS, SSL or plain inside the
hub's network); the password is read from the environment variable it names, never from the
file, and is masked in every error text from then on. Every failure is a `MailError` of the
project's error family that names the server, the step and the SMTP code, never the server's own
words (they may quote an address or a line of the message).
"""

from __future__ import annotations

import base64
import os
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

from interchange.errors import InterchangeError, remember_secret
from interchange.workspace.config import ConfigError, SmtpSettings


class MailError(InterchangeError):
    """The SMTP server could not be reached, or refused the login or a message; `transient` when a later try may
    succeed."""


def smtp_password(settings: SmtpSettings) -> str | None:
    """The password from the environment variable the config names (None when no login is configured).

    Raises:
        ConfigError: the variable is not set, or empty.
    """
    if settings.password_env is None:
        return None
    password = os.environ.get(settings.password_env) or ""
    if not password:
        raise ConfigError(key="error.smtp_password_missing", env=settings.password_env)
    remember_secret(password)
    return password


def tls_context(settings: SmtpSettings, root: Path) -> ssl.SSLContext:
    """Certificates checked against the system's CAs, or the workspace's `ca_file`."""
    if settings.ca_file is None:
        return ssl.create_default_context()
    path = root / settings.ca_file
    try:
        return ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError):
        raise ConfigError(key="error.smtp_ca_file", path=path) from None


class Mailer:
    """An open, logged-in connection: `send` a message at a time."""

    def __init__(self, connection: smtplib.SMTP, settings: SmtpSettings) -> None:
        self._connection = connection
        self._settings = settings

    def send(self, message: EmailMessage) -> None:
        """Hand `message` to the server; MailError when it refuses it (any of its recipients)."""
        try:
            refused = self._connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise self._refused(_first_code(exc.recipients.values())) from None
        except smtplib.SMTPResponseException as exc:
            raise self._refused(exc.smtp_code) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise _unreachable(self._settings, exc) from None
        if refused:  # some recipients taken, some not: the message must be sent again to reach them all
            raise self._refused(_first_code(refused.values()))

    def _refused(self, code: int) -> MailError:
        error = MailError(key="error.smtp_refused", host=self._settings.host, port=self._settings.port, code=code)
        error.transient = 400 <= code < 500  # 4xx: try again later; 5xx: the server will not take it
        return error


@contextmanager
def open_mailer(settings: SmtpSettings, root: Path) -> Iterator[Mailer]:
    """Connect, secure and log in as `settings` say; the connection is closed on exit.

    Raises:
        ConfigError: the password variable is missing, or the ca_file cannot be read.
        MailError: the server cannot be reached, TLS fails, or the login is refused.
    """
    password = smtp_password(settings)
    context = tls_context(settings, root) if settings.security != "none" else None
    try:
        if settings.security == "ssl":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout_s,
                                                        context=context)
        else:
            connection = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s)
    except ssl.SSLError as exc:
        raise _tls_failed(settings, exc) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise _unreachable(settings, exc) from None
    try:
        _secure_and_login(connection, settings, context, password)
        yield Mailer(connection, settings)
    finally:
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()


def _secure_and_login(connection: smtplib.SMTP, settings: SmtpSettings, context: ssl.SSLContext | None,
                      password: str | None) -> None:
    try:
        if settings.security == "starttls":
            connection.starttls(context=context)
        if settings.user is not None and password is not None:
            _login(connection, settings.user, password)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(key="error.smtp_login", host=settings.host, port=settings.port, code=exc.smtp_code) from None
    except ssl.SSLError as exc:
        raise _tls_failed(settings, exc) from None
    except smtplib.SMTPNotSupportedError as exc:  # no STARTTLS, or no AUTH, offered
        raise _tls_failed(settings, exc) from None
    except smtplib.SMTPResponseException as exc:
        raise MailError(key="error.smtp_login", host=settings.host, port=settings.port, code=exc.smtp_code) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise _unreachable(settings, exc) from None


def _login(connection: smtplib.SMTP, user: str, password: str) -> None:
    if (user + password).isascii():
        connection.login(user, password)
        return
    # smtplib encodes credentials as ASCII; AUTH PLAIN is UTF-8 (RFC 4616), and a Lithuanian password
    # may well hold a letter like ž.
    connection.ehlo_or_helo_if_needed()
    if not connection.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("AUTH")
    token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode("ascii")
    code, answer = connection.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, answer)


def _unreachable(settings: SmtpSettings, exc: BaseException) -> MailError:
    error = MailError(key="error.smtp_unreachable", host=settings.host, port=settings.port, name=type(exc).__name__)
    error.transient = True
    return error


def _tls_failed(settings: SmtpSettings, exc: BaseException) -> MailError:
    return MailError(key="error.smtp_tls", host=settings.host, port=settings.port, name=type(exc).__name__)


def _first_code(answers: object) -> int:
    for answer in answers:  # type: ignore[attr-defined]
        if isinstance(answer, tuple) and answer and isinstance(answer[0], int):
            return answer[0]
    return 550
