"""The package's own log lines reach the flow run's log in the Prefect UI.

`interchange` logs what a steward watching a run wants to see (the matching model's
parameters, the household guard's table, ingest counts): counts, record ids and row
numbers, never personal data (tests/test_ingest_flow.py and tests/test_linkage_model.py
check). Prefect sends only its own loggers to the API unless PREFECT_LOGGING_EXTRA_LOGGERS
names others, and that setting is read once, when Prefect is first imported: too early for
the `interchange` command and the tests to set it. So the flows attach Prefect's API handler
themselves; with the setting present, Prefect's own handler is kept instead.
"""

from __future__ import annotations

import logging

from prefect.context import FlowRunContext, TaskRunContext
from prefect.logging.handlers import APILogHandler

LIBRARY = "interchange"


class _InsideARun(logging.Filter):
    """Outside a flow or task run there is no run log to send to (Prefect would warn)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return FlowRunContext.get() is not None or TaskRunContext.get() is not None


def forward_library_logs() -> None:
    """Send `interchange` log lines at INFO and above to the current run's log; safe to call again."""
    logger = logging.getLogger(LIBRARY)
    if any(isinstance(handler, APILogHandler) for handler in logger.handlers):
        return
    handler = APILogHandler()
    handler.addFilter(_InsideARun())
    logger.addHandler(handler)
    if logger.level == logging.NOTSET:  # a steward's own logging configuration wins
        logger.setLevel(logging.INFO)
