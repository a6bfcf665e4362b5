"""Alerts: a JSON webhook posted with requests, carrying flow, source, batch and counts only.

The webhook's URL comes from the environment variable the workspace names
(`alerts: webhook_url_env: NAME`), because a webhook URL usually holds a token. What an
alert carries is built here from counts, ids, organisation codes and problem codes, never
from a record value, a file's content or a partner's file name. Posting an alert never
raises: a broken webhook must not turn a finished run into a failed one, so it is logged
(without the URL) and reported back as False.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from interchange import clock
from interchange.workspace.config import AlertSettings

log = logging.getLogger(__name__)
ALERT_VERSION = 1
# Keys an alert may carry; anything else is dropped before posting, so a careless caller
# cannot add a record value to the payload by accident.
ALLOWED_KEYS = frozenset({
    "alert_version", "event", "flow", "flow_run", "flow_run_id", "state", "message", "workspace", "hub",
    "sent_at", "sources", "batches", "counts", "overdue", "steps",
})


@dataclass(frozen=True)
class AlertTarget:
    """Where alerts of one workspace go, resolved from the environment."""

    url: str | None
    timeout_s: float
    variable: str | None

    @property
    def configured(self) -> bool:
        return bool(self.url)


def alert_target(settings: AlertSettings) -> AlertTarget:
    """The webhook URL from the environment variable the workspace names (None when unset or empty)."""
    variable = settings.webhook_url_env
    url = (os.environ.get(variable) or "").strip() if variable else ""
    return AlertTarget(url or None, settings.timeout_s, variable)


def alert_payload(event: str, **fields: Any) -> dict[str, Any]:
    """The JSON body of an alert: the event, when and where it happened, and the given fields."""
    unknown = set(fields) - ALLOWED_KEYS
    if unknown:
        raise ValueError(f"alert fields not allowed: {', '.join(sorted(unknown))}")
    return {"alert_version": ALERT_VERSION, "event": event, "hub": socket.gethostname(),
            "sent_at": clock.now().isoformat(timespec="seconds"), **fields}


def send_alert(target: AlertTarget, payload: Mapping[str, Any]) -> bool:
    """POST `payload` as JSON to the target; True when the webhook answered 2xx. Never raises."""
    if not target.configured:
        log.info("alert %s not sent: no webhook URL in %s", payload.get("event"), target.variable or "alerts:")
        return False
    body = {key: value for key, value in payload.items() if key in ALLOWED_KEYS}
    try:
        response = requests.post(target.url, json=body, timeout=target.timeout_s)  # type: ignore[arg-type]
    except requests.RequestException as exc:
        # The exception's text can quote the URL (and its token): the class is enough.
        log.warning("alert %s not delivered: %s", payload.get("event"), type(exc).__name__)
        return False
    if not response.ok:
        log.warning("alert %s refused by the webhook: HTTP %d", payload.get("event"), response.status_code)
        return False
    return True


def batch_entries(receipts: Iterable[Any]) -> list[dict[str, Any]]:
    """Batches as alerts show them: org, source, batch id, kind, status and counts (no file names)."""
    return [{"org": r.org, "source": r.source, "batch": r.batch_id, "kind": r.kind, "status": r.status.value,
             "rows_read": r.counts.rows_read, "loaded": r.counts.loaded, "unchanged": r.counts.unchanged,
             "quarantined": r.counts.quarantined, "held": r.counts.held,
             "failed_checks": sorted(e.code for e in r.expectations if not e.success and e.severity == "critical"),
             "problem_codes": sorted({s.code for s in r.problem_summary if s.severity == "error"})}
            for r in receipts]
