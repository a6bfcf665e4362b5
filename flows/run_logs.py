"""The package's own log lines reach the flow run's log in the Prefect UI.

`interchange` logs what a steward watching a run wants to see (the matching model's
parameters, the household guard's table, ingest counts): counts, record ids and row
numbers, never personal data (tests/test_ingest_flow.py and tests/test_linkage_model.py
check). Prefect sends only its own loggers to the API unless PREFECT_LOGGING_EXTRA_LOGGERS
names others, and that setting is read once, when Prefect is first imported: too early for
the `interchange` command and the tests to set it. So the flows attach Prefect's API handler
themselves; with the setting present, Prefect's own handler is kept instead.

Every line a run logs, Prefect's own included (the traceback of an exception that ends a run),
has its passwords masked on the way out (interchange.errors.MaskSecrets), so that no database
URL's password reaches the console or the Prefect database. A flow's body is wrapped in
`said_safely`, since Prefect puts the text of the exception that ends a run in its state.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from prefect import get_run_logger
from prefect.context import FlowRunContext, TaskRunContext
from prefect.logging.handlers import APILogHandler

from interchange.errors import InterchangeError, MaskSecrets, describe_failure, failure_trace

LIBRARY = "interchange"
Params = ParamSpec("Params")
Result = TypeVar("Result")
# The loggers of Prefect's run logs (the flow engine's own lines among them), by name: a filter on a
# logger sees what is logged to it, before any handler, the console's included.
RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")


class _InsideARun(logging.Filter):
    """Outside a flow or task run there is no run log to send to (Prefect would warn)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return FlowRunContext.get() is not None or TaskRunContext.get() is not None


def forward_library_logs() -> None:
    """Send `interchange` log lines at INFO and above to the current run's log; safe to call again."""
    mask_run_logs()
    logger = logging.getLogger(LIBRARY)
    for handler in logger.handlers:
        _mask(handler)  # Prefect's own, when PREFECT_LOGGING_EXTRA_LOGGERS names the library
    if any(isinstance(handler, APILogHandler) for handler in logger.handlers):
        return
    handler = APILogHandler()
    _mask(handler)
    handler.addFilter(_InsideARun())
    logger.addHandler(handler)
    if logger.level == logging.NOTSET:  # a steward's own logging configuration wins
        logger.setLevel(logging.INFO)


def mask_run_logs() -> None:
    """Mask passwords in every line of Prefect's run loggers; safe to call again."""
    for name in RUN_LOGGERS:
        _mask(logging.getLogger(name))


def _mask(filtered: logging.Logger | logging.Handler) -> None:
    if not any(isinstance(existing, MaskSecrets) for existing in filtered.filters):
        filtered.addFilter(MaskSecrets())


class FlowFailed(InterchangeError):
    """A flow run ended by an exception not of the package: said as describe_failure says it (its class)."""


def said_safely(body: Callable[Params, Result]) -> Callable[Params, Result]:
    """A flow's body whose failure reaches Prefect's state in words safe to store: our own error as it is
    (its message is masked), anything else (a driver's text may quote a row or a password) as a
    FlowFailed naming its class, its traceback as code locations in the run's log."""

    @functools.wraps(body)
    def run(*args: Params.args, **kwargs: Params.kwargs) -> Result:
        try:
            return body(*args, **kwargs)
        except InterchangeError:
            raise
        except Exception as exc:
            get_run_logger().error("%s failed: %s\n%s", body.__name__, describe_failure(exc), failure_trace(exc))
            raise FlowFailed.passing_on(exc) from None

    # Prefect reads the parameters' types from the signature, whose annotations `from __future__ import
    # annotations` leaves as text; it would resolve them in this module, not in the flow's own.
    run.__signature__ = inspect.signature(body, eval_str=True)  # type: ignore[attr-defined]
    return run
