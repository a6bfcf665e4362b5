"""Progress of long operations, told to whoever listens: a command's progress bar, or nobody.

A long library function takes ``on_progress: ProgressHook | None = None`` and calls
:func:`report` as it goes. The event goes to the hook it was given; without one, to the
listeners a command installed for this process with :func:`listening`; without those,
nowhere. So a flow passes nothing (flows only orchestrate), and a command that runs the
flow in its own process still draws the bar; a flow on a worker reports to no one.

A leaf module: every layer may import it, it imports nothing of the project. Events
carry stage keys, counts and labels of sources or batches: never a record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """`done` of `total` units of `stage` are finished; `detail` says which source, batch or step."""

    stage: str  # "ingest.source", "ingest.drops", "link.stages", "publish.stages", "reprocess.batches"
    done: int
    total: int | None  # None: not known in advance
    detail: str = ""


ProgressHook = Callable[[Progress], None]

_listeners: list[ProgressHook] = []


def report(hook: ProgressHook | None, stage: str, done: int, total: int | None, detail: str = "") -> None:
    """Tell `hook`, or else every installed listener, that `done` of `total` units of `stage` are finished."""
    if hook is None and not _listeners:
        return
    event = Progress(stage, done, total, detail)
    for listener in (hook,) if hook is not None else tuple(_listeners):
        listener(event)


@contextmanager
def listening(hook: ProgressHook) -> Iterator[None]:
    """Send the progress of every library call in this process to `hook` while the block runs."""
    _listeners.append(hook)
    try:
        yield
    finally:
        _listeners.remove(hook)
