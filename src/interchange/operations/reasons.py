"""The reasons an approval is refused until a steward confirms them (interchange.operations.approval).

Its own small module: the command line builds its `--despite` choices from it at start-up,
before anything heavy is imported.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """A reason approval is refused until confirmed: the code a steward types after --despite."""

    OPEN_REVIEW = "open-review"
    HELD_BATCHES = "held-batches"
    OPEN_QUARANTINE = "open-quarantine"
    ALL_ZERO = "all-zero"
    STALE_INPUTS = "stale-inputs"
    STALE_INDEX = "stale-index"
    FAILED_BATCHES = "failed-batches"
