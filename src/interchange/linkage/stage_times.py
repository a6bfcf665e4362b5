"""Where a linkage run's time goes: wall and CPU seconds per stage.

Each stage of a run (the pseudonym pass, decoding the Bloom filters, training u and m,
predicting, the household guard, clustering) is timed with :func:`stage` and logged at DEBUG.
A caller that wants the figures (the FEBRL benchmark) wraps the run in :func:`recording`
and reads them afterwards. CPU seconds are the whole process's (``time.process_time``), so
DuckDB's worker threads count; a Spark cluster's executors do not. Nothing here sees record
values: only stage names and seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

__all__ = ["StageTimes", "recording", "stage"]


@dataclass
class StageTimes:
    """Seconds per stage, in the order the stages first ran; a stage run twice adds up."""

    wall: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, wall: float, cpu: float) -> None:
        self.wall[name] = self.wall.get(name, 0.0) + wall
        self.cpu[name] = self.cpu.get(name, 0.0) + cpu


_current: ContextVar[StageTimes | None] = ContextVar("linkage_stage_times", default=None)


@contextmanager
def recording() -> Iterator[StageTimes]:
    """Collect the times of every stage run inside the ``with`` block."""
    times = StageTimes()
    token = _current.set(times)
    try:
        yield times
    finally:
        _current.reset(token)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Time one stage: logged at DEBUG, and added to the enclosing :func:`recording` if any."""
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        log.debug("linkage stage %s: %.2f s wall, %.2f s CPU", name, wall, cpu)
        times = _current.get()
        if times is not None:
            times.add(name, wall, cpu)
