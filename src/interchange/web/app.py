"""The web application: `create_app(workspace)` is what `interchange serve` runs.

One FastAPI application with server-rendered pages (Jinja2, web/templates) and static assets
vendored in the package (web/static: nothing from a CDN, the hub may have no internet). Areas, one
APIRouter each: the login pages (`web.login`), the partner portal (`web.partner`, under
`/partner/{org}`), the steward console (`web.steward`, `/steward`), the ministry's view
(`web.ministry`, `/ministry`) and the upload API (`web.api`, `/api/v1`). The routes are a thin
layer over the library, like the command line: they call what the CLI calls.

The pieces every route uses are in `web.dependencies` (the session, roles, CSRF, the audit) and
`web.pages` (rendering in the reader's language).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException
from starlette.types import Scope

from interchange.i18n import say
from interchange.web import api, login, ministry, partner, steward
from interchange.web.dependencies import SESSION_COOKIE, Hub, NotSignedIn, load_session, reader_lang
from interchange.web.middleware import BodyLimit, SafeFailures, SecurityHeaders
from interchange.web.pages import STATIC, render, size
from interchange.workspace.layout import Workspace

# Forms without a file: a login, a decision, a reason. Larger bodies are uploads only.
_FORM_BYTES = 64 * 1024
# What multipart framing adds to a file of the limit's size.
_MULTIPART_SLACK = 64 * 1024


def create_app(workspace: Workspace, engine: Engine | None = None) -> FastAPI:
    """The application for `workspace`; on `engine` when given (tests), else on the workspace's warehouse,
    opened when the server starts and disposed when it stops."""
    config = workspace.config  # a wrong interchange.yaml stops here, before the server listens

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with _warehouse(workspace, engine) as opened:
            app.state.hub = Hub(workspace, opened)
            yield

    app = FastAPI(title="Interchange", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(load_session)])
    if engine is not None:  # usable before (or without) the lifespan, e.g. in a TestClient without `with`
        app.state.hub = Hub(workspace, engine)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for router in (login.router, partner.router, steward.router, ministry.router, api.router):
        app.include_router(router)
    _handle_errors(app)
    largest_upload = config.web.max_upload_bytes + _MULTIPART_SLACK

    def limit_for(path: str) -> int:
        return largest_upload if path.startswith(("/partner/", "/api/")) else _FORM_BYTES

    def answer_413(scope: Scope, limit: int) -> tuple[bytes, bytes]:
        shown = size(max(limit - _MULTIPART_SLACK, 0) if limit > _FORM_BYTES else limit)
        if scope.get("path", "").startswith("/api/"):
            return b"application/json", json.dumps({"error": "too_large", "message_lt": say(
                "web.too_large", "lt", limit=shown), "message_en": say("web.too_large", "en", limit=shown)},
                ensure_ascii=False).encode()
        return b"text/plain; charset=utf-8", (say("web.too_large", "lt", limit=shown) + "\n"
                                              + say("web.too_large", "en", limit=shown) + "\n").encode()

    # Added last = outermost: failures are caught around everything, bodies bounded innermost.
    app.add_middleware(BodyLimit, limit_for=limit_for, answer_413=answer_413)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(SafeFailures)
    return app


@contextmanager
def _warehouse(workspace: Workspace, engine: Engine | None) -> Iterator[Engine]:
    if engine is not None:
        yield engine
        return
    from interchange.warehouse.engine import warehouse

    with ExitStack() as stack:
        yield stack.enter_context(warehouse(workspace.database_url))


def _handle_errors(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def _to_login(request: Request, _exc: Exception) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "not_signed_in"}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        ended = "&ended=1" if request.cookies.get(SESSION_COOKIE) else ""  # it had a session, now gone
        return RedirectResponse(f"/login?next={quote(target)}{ended}", status_code=303)

    @app.exception_handler(HTTPException)
    async def _error_page(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        detail = exc.detail if isinstance(exc, HTTPException) else None
        if request.url.path.startswith("/api/"):
            return _api_error(status, detail, getattr(exc, "headers", None))
        if not hasattr(request.state, "lang"):  # the route's dependencies never ran (no such route)
            request.state.lang = reader_lang(request)
            request.state.session = None
        key = {403: "web.csrf_failed" if detail == "csrf" else "web.forbidden", 404: "web.not_found"}.get(status)
        return render(request, "error.html", status_code=status, status=status, message_key=key)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: Exception) -> Response:
        # The fields named, never their values (a form may carry anything).
        fields = sorted({".".join(str(p) for p in error["loc"]) for error in getattr(exc, "errors", list)()})
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "bad_request", "fields": fields}, status_code=422)
        if not hasattr(request.state, "lang"):
            request.state.lang = reader_lang(request)
            request.state.session = None
        return render(request, "error.html", status_code=422, status=422, message_key=None, fields=fields)


def _api_error(status: int, detail: Any, headers: dict[str, str] | None) -> JSONResponse:
    if isinstance(detail, dict):
        return JSONResponse(detail, status_code=status, headers=headers)
    return JSONResponse({"error": {401: "not_signed_in", 403: "forbidden", 404: "not_found"}.get(status, str(status))},
                        status_code=status, headers=headers)
