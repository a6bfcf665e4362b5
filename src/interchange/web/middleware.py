"""ASGI wrappers around the whole application: safe failures, security headers, a bound on bodies.

- `SafeFailures`: an exception no route expected is answered with a plain 500 page naming its
  class, and logged as `interchange.errors.failure_trace` writes it (frames, no messages): its
  text may quote a record, so neither the browser nor the server's log ever shows it.
- `SecurityHeaders`: no framing, no sniffing, no referrer to other sites, scripts and styles from
  this site only, and no caching of pages that may hold an organisation's data.
- `BodyLimit`: a request body larger than the limit is refused with 413 as soon as it is known
  (its Content-Length, or the bytes counted so far), before the form parser spools it to disk.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from interchange.errors import InterchangeError, failure_trace
from interchange.i18n import say

log = logging.getLogger("interchange.web")

_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                 b"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class SafeFailures:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            log.error("unexpected %s while answering %s %s\n%s", type(exc).__name__, scope.get("method"),
                      scope.get("path"), failure_trace(exc))
            if not started:
                name = type(exc).__name__
                said = "".join(f"<p>{say('web.unexpected', lang, name=name)}" for lang in ("lt", "en"))
                body = f"<!doctype html><meta charset=utf-8><title>500</title>{said}".encode()
                await send({"type": "http.response.start", "status": 500,
                            "headers": [(b"content-type", b"text/html; charset=utf-8"), *_HEADERS]})
                await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope.get("path", "").startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name for name, _ in headers}
                headers += [(name, value) for name, value in _HEADERS if name not in names]
                if not static and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class TooLarge(InterchangeError):
    """A request body grew past its limit while it was read."""


# A client sends its whole body before it reads the answer: the refused rest is read and dropped, up
# to this much, so that it gets its 413 rather than a connection reset; beyond it, the connection ends.
_DRAIN_BYTES = 64 * 1024 * 1024


async def _drain(receive: Receive) -> None:
    drained = 0
    while drained < _DRAIN_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return
        drained += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


class BodyLimit:
    """Bodies of POST requests up to `limit_for(path)` bytes; larger ones get 413 and `answer_413`'s page."""

    def __init__(self, app: ASGIApp, *, limit_for: Callable[[str], int],
                 answer_413: Callable[[Scope, int], tuple[bytes, bytes]]) -> None:
        self.app = app
        self.limit_for = limit_for
        self.answer_413 = answer_413

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0
        exceeded = answered = finished = False

        async def counted() -> Message:
            nonlocal received, exceeded, finished
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                finished = not message.get("more_body", False)
                if received > limit:
                    exceeded = True
                    raise TooLarge
            return message

        async def answer() -> None:
            nonlocal answered
            answered = True
            if not finished:  # the rest of the body is still on its way: read it, so the 413 is read
                await _drain(receive)
            await self._answer(scope, send, limit)

        async def watch(message: Message) -> None:
            if not exceeded:
                await send(message)
            elif not answered:  # the form parser's failure became some other answer: ours instead
                await answer()

        with contextlib.suppress(TooLarge):
            await self.app(scope, counted, watch)
        if exceeded and not answered:
            await answer()

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        await _drain(receive)
        await self._answer(scope, send, limit)

    async def _answer(self, scope: Scope, send: Send, limit: int) -> None:
        content_type, body = self.answer_413(scope, limit)
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", content_type), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
