"""Where a run's time goes: wall and CPU seconds per stage, for linkage, the indicators and publishing alike.

A national run spends its time in a few stages (for linkage: the pseudonym pass, Bloom decoding,
training u and m, predicting, the household guard, clustering; for the indicators: each table
read, the persons, events, facts and each indicator's counts; for publishing: computing,
disclosure control, storing, the approval checks, approving and the export files). Each is timed by the context
manager of :func:`stage_timer` and logged at DEBUG on ``interchange.<area>.stages``, so a slow
run can be looked into without a profiler. A caller that wants the figures (the FEBRL and
national pipeline benchmarks) wraps the run in :func:`recording` and reads them afterwards.

CPU seconds are the whole process's (``time.process_time``), so DuckDB's worker threads count
and on a loaded machine they are the figure to compare; a Spark cluster's executors do not.
A stage is named by code (a table, an indicator code): nothing here sees a record's value.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

__all__ = ["StageTimes", "record_stage", "recording", "stage_timer"]


@dataclass
class StageTimes:
    """Seconds per stage, in the order the stages first ran; a stage run twice adds up."""

    wall: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, wall: float, cpu: float) -> None:
        self.wall[name] = self.wall.get(name, 0.0) + wall
        self.cpu[name] = self.cpu.get(name, 0.0) + cpu


_current: ContextVar[StageTimes | None] = ContextVar("stage_times", default=None)


@contextmanager
def recording() -> Iterator[StageTimes]:
    """Collect the times of every stage run inside the ``with`` block."""
    times = StageTimes()
    token = _current.set(times)
    try:
        yield times
    finally:
        _current.reset(token)


def stage_timer(area: str) -> Callable[[str], AbstractContextManager[None]]:
    """``stage(name)`` for `area`: logs ``<area> stage <name>: … s wall, … s CPU`` at DEBUG on
    ``interchange.<area>.stages`` and adds to the enclosing :func:`recording`, if any."""
    log = logging.getLogger(f"interchange.{area}.stages")

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        times = _current.get()
        if times is None and not log.isEnabledFor(logging.DEBUG):
            yield  # nobody reads the figures: not even the clocks are read
            return
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            record_stage(area, name, time.perf_counter() - wall, time.process_time() - cpu)

    return stage


def record_stage(area: str, name: str, wall: float, cpu: float) -> None:
    """A stage of `area` timed elsewhere (in another process), logged and recorded as stage_timer does."""
    logging.getLogger(f"interchange.{area}.stages").debug("%s stage %s: %.2f s wall, %.2f s CPU", area, name, wall, cpu)
    times = _current.get()
    if times is not None:
        times.add(name, wall, cpu)
