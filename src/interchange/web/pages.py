"""Rendering pages: the Jinja2 templates under web/templates, in the reader's language.

`render(request, "partner/drops.html", batches=...)` gives every template:

- `t("web.key", **params)`: a message of the catalogue (interchange.i18n) in the reader's
  language; `t_both("problem.x", ...)` is not needed: a Problem carries `message_lt`/`message_en`.
- `lang` (`lt`/`en`), `other_lang`, `user` (the signed-in User or None), `csrf_token` and
  `csrf_field()` (the hidden field every POST form must carry), `path` (for the language switch),
  `state_name(code)` (a batch or publication state as `steward.state.*` names it), `when(moment)`
  (a UTC time as `YYYY-MM-DD HH:MM`), `size(bytes)`.

Templates extend `base.html` and fill `{% block content %}`; the navigation follows the role.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from interchange.i18n import name_of, say
from interchange.web.dependencies import CSRF_FIELD, current_session

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
templates = Jinja2Templates(directory=str(TEMPLATES))


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = getattr(request.state, "lang", "lt")
    session = current_session(request)
    csrf = context.pop("csrf_token", None) or (session.csrf_token if session else "")

    def t(key: str, **params: object) -> str:
        return say(key, lang, **params)

    return templates.TemplateResponse(request, template, status_code=status_code, context={
        "t": t, "lang": lang, "other_lang": "en" if lang == "lt" else "lt",
        "user": session.user if session else None, "csrf_token": csrf,
        "csrf_field": lambda: Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf)}">'),
        "path": request.url.path, "state_name": lambda code: name_of("steward.state", code, lang),
        "when": when, "size": size, **context})


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def size(count: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}".replace(".0 ", " ")
    return f"{count} B"


def see_other(url: str) -> RedirectResponse:
    """After a POST: the browser GETs `url` (303), so a reload does not send the form again."""
    return RedirectResponse(url, status_code=303)


def local_path(target: str | None, default: str = "/") -> str:
    """`target` when it is a path on this site (an open redirect otherwise), else `default`."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default
