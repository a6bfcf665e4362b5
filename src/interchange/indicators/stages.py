"""The wall and CPU time of each stage of compute_indicators, at DEBUG level.

A national year spends its time in a few stages (reading the warehouse, the persons, the events,
the facts, each indicator's counts); this log says which, so a slow run can be looked into
without a profiler. CPU time is the process's (DuckDB's threads included), so on a loaded
machine it is the figure to compare, not the wall time.

A stage is named by the code (a table, an indicator code): the log never holds a value from
the records (no pseudonym, key or record id).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Log, at DEBUG, the wall and CPU seconds the body takes, as ``indicators stage <name>: ...``."""
    if not log.isEnabledFor(logging.DEBUG):
        yield
        return
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        log.debug("indicators stage %s: %.2f s wall, %.2f s CPU", name, time.perf_counter() - wall,
                  time.process_time() - cpu)


__all__ = ["stage"]
