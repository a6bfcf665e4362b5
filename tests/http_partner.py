"""A real partner API on 127.0.0.1 for tests: the contract of docs/http-source.md, plus faults.

    with PartnerApi() as api:
        api.set_records("person", [{"record_id": "p1", "org": "ORG", "updated_at": "2024-05-01T10:00:00Z"}])
        api.fail_next = [503]          # the next request gets a 503, then service is normal
        ...pull from api.base_url with api.token...
        assert len(api.requests_seen) == 2

The server speaks HTTP/1.0, so every response closes its connection and no handler thread
outlives a request; leaving the `with` block stops the server and joins all its threads.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

KINDS = ("person", "household", "contact", "group_session", "case")
MAX_PAGE_SIZE = 1000


def page_body(records: list[dict], next_page_token: str | None) -> bytes:
    """A well-formed response body, for tests that hand-craft pages with `respond_next`."""
    return json.dumps({"records": records, "next_page_token": next_page_token}).encode()


def _instant(value: str) -> datetime:
    instant = datetime.fromisoformat(value)
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


class PartnerApi:
    """A partner API server for one test; a context manager.

    Faults, each used up by the requests that meet it, checked in this order:
    `drop_next` (close the connection without a response), `delay_s` (sleep before
    answering, for every request), `fail_next` (answer with these statuses),
    `respond_next` (answer 200 with exactly these bodies, for invalid JSON or shapes).
    """

    def __init__(self, *, token: str = "test-token", base_path: str = "/api/v1") -> None:
        self.token = token
        self.base_path = base_path.rstrip("/")
        self.base_url = ""
        self.fail_next: list[int] = []
        self.retry_after: str | None = None  # sent with every fail_next answer when set
        self.drop_next = 0
        self.delay_s = 0.0
        self.respond_next: list[bytes] = []
        self.requests_seen: list[dict[str, Any]] = []
        self._records: dict[str, list[dict]] = {kind: [] for kind in KINDS}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def set_records(self, kind: str, records: list[dict]) -> None:
        """Serve `records` (each with record_id and updated_at) as the records of `kind`."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        for record in records:
            # Fail in the test, not in the handler thread.
            if "record_id" not in record or "updated_at" not in record:
                raise ValueError("every record needs record_id and updated_at")
            _instant(record["updated_at"])
        with self._lock:
            self._records[kind] = [dict(record) for record in records]

    def __enter__(self) -> PartnerApi:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.api = self
        self._server = server
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}{self.base_path}"
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="partner-api", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stopping.set()  # wakes handlers sleeping for delay_s
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # ---- used by the handler thread ----

    def _handle(self, path: str, query: dict[str, str], auth_ok: bool) -> tuple[int, bytes, dict[str, str]] | None:
        """The status, body and extra headers of the answer, or None to drop the connection."""
        with self._lock:
            # status stays None for a dropped connection.
            seen: dict[str, Any] = {"path": path, "query": query, "auth_ok": auth_ok, "status": None}
            self.requests_seen.append(seen)
            if self.drop_next > 0:
                self.drop_next -= 1
                return None
            delay = self.delay_s
        if delay and self._stopping.wait(delay):
            return None
        with self._lock:
            status, body, headers = self._answer(path, query, auth_ok)
            seen["status"] = status
        return status, body, headers

    def _answer(self, path: str, query: dict[str, str], auth_ok: bool) -> tuple[int, bytes, dict[str, str]]:
        if self.fail_next:
            status = self.fail_next.pop(0)
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            # A body the client must never repeat in its errors.
            return status, _error_body(f"injected failure SECRET-BODY-{status}"), headers
        if not auth_ok:
            return 401, _error_body("SECRET-BODY invalid token"), {"WWW-Authenticate": "Bearer"}
        kind = path.removeprefix(self.base_path + "/")
        if not path.startswith(self.base_path + "/") or kind not in KINDS:
            return 404, _error_body("SECRET-BODY no such endpoint"), {}
        if self.respond_next:
            return 200, self.respond_next.pop(0), {}
        return self._page(kind, query)

    def _page(self, kind: str, query: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        try:
            size = int(query["page_size"])
            offset = int(query.get("page_token", "0"))
            since = _instant(query["updated_since"]) if "updated_since" in query else None
        except (KeyError, ValueError):
            return 400, _error_body("SECRET-BODY bad query"), {}
        if not 1 <= size <= MAX_PAGE_SIZE or offset < 0:
            return 400, _error_body("SECRET-BODY bad page_size or page_token"), {}
        chosen = [r for r in self._records[kind] if since is None or _instant(r["updated_at"]) >= since]
        chosen.sort(key=lambda r: (_instant(r["updated_at"]), str(r["record_id"])))
        end = offset + size
        next_token = str(end) if end < len(chosen) else None
        return 200, page_body(chosen[offset:end], next_token), {}


class _Server(ThreadingHTTPServer):
    # server_close() joins only non-daemon handler threads (ThreadingHTTPServer makes them
    # daemons), so that no handler outlives the `with` block.
    daemon_threads = False
    block_on_close = True
    api: PartnerApi


def _error_body(message: str) -> bytes:
    return json.dumps({"error": message}).encode()


class _Handler(BaseHTTPRequestHandler):
    timeout = 10  # a client that connects and says nothing cannot hold a thread for long

    def do_GET(self) -> None:
        assert isinstance(self.server, _Server)
        api = self.server.api
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        auth_ok = self.headers.get("Authorization") == f"Bearer {api.token}"
        answer = api._handle(parts.path, query, auth_ok)
        if answer is None:
            self.close_connection = True  # no status line, no body: the client sees the socket close
            return
        status, body, headers = answer
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and left; nothing to tell it

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean
