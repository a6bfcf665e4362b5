"""Pull records of one kind from a partner's HTTP API, page by page (see docs/http-source.md).

Nothing here logs or raises with a response body, a record value, a token or a query
string: only the URL path, the HTTP status, the page number and counts. The hub archives
each page's raw body itself before parsing it.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from interchange.contract.problems import ProblemError, error
from interchange.contract.records import Kind
from interchange.errors import remember_secret
from interchange.workspace.urls import check_base_url

log = logging.getLogger(__name__)

# A partner API that keeps handing out new page tokens is broken; stop long before memory runs out.
_MAX_PAGES = 100_000
# Neither our doubling backoff nor a server's Retry-After may block a pull for longer than this.
_MAX_WAIT_S = 120.0
# A body cut short or badly compressed is as likely to be fine on the next attempt as a timeout.
_RETRYABLE_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                     requests.exceptions.ContentDecodingError)
_HEADERS = {"Accept": "application/json", "User-Agent": "interchange-hub"}


class _PathOnly(logging.Filter):
    """urllib3 logs every request line at DEBUG with its query string (cursor, page token): keep the path."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(arg.split("?", 1)[0] if isinstance(arg, str) else arg for arg in record.args)
        return True


_PATH_ONLY = _PathOnly()
logging.getLogger("urllib3.connectionpool").addFilter(_PATH_ONLY)


@dataclass(frozen=True)
class HttpEndpoint:
    """Where and how to pull one partner's records."""

    base_url: str
    page_size: int = 500
    timeout_s: float = 30.0  # connect+read
    max_attempts: int = 5  # per request, including the first
    backoff_s: float = 0.5  # first wait; doubles; tests pass a tiny value

    def __post_init__(self) -> None:
        check_base_url(self.base_url)
        if self.page_size < 1:
            raise ValueError("page_size must be at least 1")
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.backoff_s < 0:
            raise ValueError("backoff_s must not be negative")


@dataclass(frozen=True)
class Page:
    """One page of records as the partner API sent it."""

    number: int  # 1-based
    records: list[dict[str, Any]]
    raw: bytes  # the exact response body (the hub archives it before parsing)


class _BearerAuth(requests.auth.AuthBase):
    """Sets the bearer token; as an auth object it also wins over a ~/.netrc entry for the host."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_BearerAuth(<hidden>)"


def token_from_env(variable: str) -> str:
    """The API token held in environment variable `variable`.

    Raises:
        ProblemError: `http.token_missing` when the variable is unset or blank.
    """
    # Tokens pasted from files often carry a trailing newline, which no server accepts.
    token = os.environ.get(variable, "").strip()
    if not token:
        raise ProblemError(error("http.token_missing", variable=variable))
    remember_secret(token)  # a server or a library may quote it back in an error's text
    return token


def pull_pages(endpoint: HttpEndpoint, kind: str, *, token: str, updated_since: str | None,
               session: requests.Session | None = None) -> Iterator[Page]:
    """The pages of `kind` records updated at or after `updated_since`, as a lazy iterator.

    Arguments are checked at once; nothing is requested before the first `next()`, and an
    abandoned iterator requests nothing more. A session made here is closed when the
    iterator ends or is closed; a session passed in is left open.

    Raises:
        ProblemError: `http.unauthorized`, `http.not_found`, `http.client_error`,
            `http.unavailable` or `http.bad_response`, with `path` and `page` in its params.
        ValueError: an unknown kind, a malformed `updated_since` or an unusable token.
    """
    url = f"{endpoint.base_url.rstrip('/')}/{Kind(kind).value}"
    _check_token(token)
    if updated_since is not None:
        _parse_instant(updated_since, "updated_since")
    # Checked above, before the first next(), so that a bad argument fails at the call.
    return _pull(endpoint, url, _BearerAuth(token), updated_since, session)


def max_updated_at(records: Iterable[dict[str, Any]]) -> str | None:
    """The largest `updated_at` of `records` as the partner wrote it, or None when there are none.

    Values are compared as instants, so "...Z" and "...+00:00" agree; a value without a
    time zone counts as UTC. This is the candidate for the next pull's `updated_since`.

    Raises:
        ProblemError: `http.bad_response` when a record has no valid `updated_at`.
    """
    best: tuple[datetime, str] | None = None
    for record in records:
        stamp = _updated_at(record)
        if stamp is None:
            raise ProblemError(error("http.bad_response", reason="a record has no valid updated_at"))
        if best is None or stamp[0] > best[0]:
            best = stamp
    return None if best is None else best[1]


def _pull(endpoint: HttpEndpoint, url: str, auth: _BearerAuth, updated_since: str | None,
          session: requests.Session | None) -> Iterator[Page]:
    # Made inside the generator: an iterator that is never started holds no connection.
    http = requests.Session() if session is None else session
    try:
        yield from _pages(http, endpoint, url, auth, updated_since)
    finally:
        if session is None:
            http.close()


def _pages(http: requests.Session, endpoint: HttpEndpoint, url: str, auth: _BearerAuth,
           updated_since: str | None) -> Iterator[Page]:
    path = urlsplit(url).path
    seen_tokens: set[str] = set()
    page_token: str | None = None
    number = 1
    while True:
        if number > _MAX_PAGES:
            raise _problem("http.bad_response", path, number, reason=f"more than {_MAX_PAGES} pages")
        params = _query(endpoint.page_size, updated_since, page_token)
        response = _get(http, endpoint, url, auth, params, path, number)
        records, page_token = _parse_page(response.content, path, number)
        log.debug("GET %s page %d: %d records", path, number, len(records))
        yield Page(number=number, records=records, raw=response.content)
        if page_token is None:
            return
        if page_token in seen_tokens:
            raise _problem("http.bad_response", path, number,
                           reason=f"page {number} repeats an earlier next_page_token")
        seen_tokens.add(page_token)
        number += 1


def _query(page_size: int, updated_since: str | None, page_token: str | None) -> dict[str, str]:
    params = {"page_size": str(page_size)}
    if updated_since is not None:
        params["updated_since"] = updated_since
    if page_token is not None:
        params["page_token"] = page_token
    return params


def _get(http: requests.Session, endpoint: HttpEndpoint, url: str, auth: _BearerAuth,
         params: dict[str, str], path: str, number: int) -> requests.Response:
    """One page's response with status 200, retrying 5xx, connection errors and timeouts."""
    for attempt in range(1, endpoint.max_attempts + 1):
        outcome = _attempt(http, endpoint, url, auth, params)
        retry_after = None
        if isinstance(outcome, str):
            failure = outcome
        elif outcome.status_code >= 500:
            failure, retry_after = f"HTTP {outcome.status_code}", _retry_after_s(outcome)
        else:
            _raise_for_status(outcome.status_code, path, number)
            return outcome
        if attempt < endpoint.max_attempts:
            wait = _wait_s(endpoint.backoff_s, attempt, retry_after)
            log.warning("GET %s page %d: %s, attempt %d of %d; retrying in %.2f s",
                        path, number, failure, attempt, endpoint.max_attempts, wait)
            time.sleep(wait)
    log.warning("GET %s page %d: %s, giving up after %d attempts", path, number, failure, endpoint.max_attempts)
    raise _problem("http.unavailable", path, number, attempts=endpoint.max_attempts, last_failure=failure)


def _attempt(http: requests.Session, endpoint: HttpEndpoint, url: str, auth: _BearerAuth,
             params: dict[str, str]) -> requests.Response | str:
    """The response, or the name of the error that a later attempt may not meet."""
    try:
        # Redirects are not followed: the configured address must be the final one, and a
        # redirect is the usual way a token ends up at a host it was never meant for.
        return http.get(url, params=params, headers=_HEADERS, auth=auth,
                        timeout=(endpoint.timeout_s, endpoint.timeout_s), allow_redirects=False)
    except _RETRYABLE_ERRORS as exc:
        # Only the class name: the exception's text holds the query string. Returning (not
        # raising from here) also keeps the exception out of the chain of the ProblemError.
        return type(exc).__name__


def _raise_for_status(status: int, path: str, number: int) -> None:
    """Stop on anything but 200 below 500: none of these gets better by asking again."""
    if status == 200:
        return
    if status in (401, 403):
        raise _problem("http.unauthorized", path, number, status=status)
    if status == 404:
        raise _problem("http.not_found", path, number, status=status)
    if 400 <= status < 500:
        raise _problem("http.client_error", path, number, status=status)
    reason = f"unexpected HTTP status {status}"
    if 300 <= status < 400:
        reason += " (redirects are not followed: configure the final address)"
    raise _problem("http.bad_response", path, number, status=status, reason=reason)


def _wait_s(backoff_s: float, attempt: int, retry_after: float | None) -> float:
    wait = backoff_s * 2.0 ** (attempt - 1)
    if retry_after is not None:
        wait = max(wait, retry_after)
    return min(wait, _MAX_WAIT_S)


def _retry_after_s(response: requests.Response) -> float | None:
    """Seconds asked for by a Retry-After header (delay or HTTP date), or None."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _parse_page(raw: bytes, path: str, number: int) -> tuple[list[dict[str, Any]], str | None]:
    """The records and the next page token of one body, or `http.bad_response`."""
    try:
        body = json.loads(raw, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        reason = f"the body is not valid JSON (line {exc.lineno}, column {exc.colno})"
    except (UnicodeDecodeError, ValueError):
        reason = "the body is not valid JSON"
    else:
        shape = _shape_problem(body)
        if shape is None:
            return body["records"], body["next_page_token"]
        reason = shape
    raise _problem("http.bad_response", path, number, reason=reason)


def _refuse_constant(name: str) -> Any:
    raise ValueError("NaN and Infinity are not JSON")


def _shape_problem(body: Any) -> str | None:
    """What is wrong with the shape of a parsed body, without quoting any of it."""
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    if "records" not in body:
        return "records is missing"
    records = body["records"]
    if not isinstance(records, list):
        return "records is not a list"
    for index, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            return f"record {index} on the page is not an object"
        if _updated_at(record) is None:
            return f"record {index} on the page has no valid updated_at"
    if "next_page_token" not in body:
        return "next_page_token is missing"
    token = body["next_page_token"]
    if token is not None and not isinstance(token, str):
        return "next_page_token is neither a string nor null"
    if token == "":
        return "next_page_token is an empty string"
    return None


def _updated_at(record: object) -> tuple[datetime, str] | None:
    """A record's `updated_at` as an instant and as written, or None when it has no valid one."""
    value = record.get("updated_at") if isinstance(record, dict) else None
    if not isinstance(value, str):
        return None
    try:
        return _parse_instant(value, "updated_at"), value
    except ValueError:
        return None


def _parse_instant(value: str, name: str) -> datetime:
    """An ISO-8601 date-time ('Z' allowed) as an aware datetime; no zone means UTC."""
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} is not an ISO-8601 date-time") from None
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def usable_token(token: str) -> bool:
    """Whether `token` can go into an Authorization header: non-empty printable ASCII, no spaces."""
    return bool(token) and token.isascii() and token.isprintable() and not any(c.isspace() for c in token)


def _check_token(token: str) -> None:
    # requests quotes an invalid header value in its exception, so refuse such a token first.
    if not usable_token(token):
        raise ValueError("the token must be non-empty printable ASCII without spaces")


def _problem(code: str, path: str, page: int, **params: Any) -> ProblemError:
    return ProblemError(error(code, path=path, page=page, **params))
