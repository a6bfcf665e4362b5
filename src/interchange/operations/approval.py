"""What must be true before a steward approves a version, and approving it when it is (or is confirmed).

A version goes to the ministry once approved, so approval first looks for every reason its
figures may be wrong or incomplete: review pairs that still wait for a decision, held and
failed batches and open quarantine that may hold the period's records, a version whose every indicator is
zero, and a version computed before batches or a relink that changed it ("stale"). Each
reason found refuses the approval, with its count, until the steward confirms it by its code
(`interchange approve --despite open-review`); what was confirmed is kept with the version.

Held batches and quarantined rows are not loaded, so which days they cover is unknown: those
of a batch received since the period began may hold its records and count.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from interchange.i18n import say
from interchange.indicators.publications import (
    Publication,
    PublicationError,
    State,
    get_publication,
    publication_cells_frame,
    staleness,
)
from interchange.ingest.quarantine import open_quarantine
from interchange.operations.reasons import Reason
from interchange.operations.status import failed_batches, held_batches, open_review_pairs
from interchange.stage_times import stage_timer

stage = stage_timer("publishing")

if TYPE_CHECKING:
    from interchange.workspace.layout import Workspace


@dataclass(frozen=True)
class Blocker:
    reason: Reason
    count: int

    def line(self, lang: str) -> str:
        return say(_SAID[self.reason], lang, code=self.reason.value, count=self.count)


_SAID = {Reason.OPEN_REVIEW: "steward.blocker_open_review", Reason.HELD_BATCHES: "steward.blocker_held_batches",
         Reason.OPEN_QUARANTINE: "steward.blocker_open_quarantine", Reason.ALL_ZERO: "steward.blocker_all_zero",
         Reason.STALE_INPUTS: "steward.blocker_stale_inputs", Reason.STALE_INDEX: "steward.blocker_stale_index",
         Reason.FAILED_BATCHES: "steward.blocker_failed_batches"}


class ApprovalRefused(PublicationError):
    """Approval refused: reasons found that the steward did not confirm. The message lists each, with its count."""

    def __init__(self, publication: Publication, unconfirmed: list[Blocker]) -> None:
        self.publication = publication
        self.unconfirmed = unconfirmed
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        p = self.publication
        despite = " ".join(f"--despite {b.reason.value}" for b in self.unconfirmed)
        return "\n".join([say("steward.approve_blocked", lang, period=p.period, version=p.version),
                          *(b.line(lang) for b in self.unconfirmed),
                          say("steward.approve_blocked_hint", lang, period=p.period, despite=despite)])


def approval_blockers(engine: Engine, workspace: Workspace, publication: Publication) -> list[Blocker]:
    """Every reason `publication` should not be approved as it is, with its count (none: approve freely)."""
    orgs = _counted_orgs(workspace, publication.period)
    began = datetime.combine(publication.period_start, time.min, tzinfo=UTC)
    held = [h for h in held_batches(engine) if h.received_at >= began and (orgs is None or h.org in orgs)]
    failed = [f for f in failed_batches(engine) if f.received_at >= began and (orgs is None or f.org in orgs)]
    quarantined = sum(1 for row in open_quarantine(engine)
                      if row.received_at >= began and (orgs is None or row.org in orgs))
    changed = staleness(engine, publication)
    found = [
        Blocker(Reason.OPEN_REVIEW, open_review_pairs(engine)),
        Blocker(Reason.HELD_BATCHES, len(held)),
        Blocker(Reason.FAILED_BATCHES, len(failed)),
        Blocker(Reason.OPEN_QUARANTINE, quarantined),
        Blocker(Reason.ALL_ZERO, _zero_indicators(engine, publication)),
        Blocker(Reason.STALE_INPUTS, len(changed.batches)),
        Blocker(Reason.STALE_INDEX, max(changed.runs_since, 1) if changed.index_changed else 0),
    ]
    return [b for b in found if b.count]


def approve_checked(engine: Engine, workspace: Workspace, period: str, version: int | None = None, *, by: str,
                    despite: Collection[str] = ()) -> tuple[Publication, list[Path]]:
    """Approve and export a version (interchange.indicators.outbox.approve) once nothing blocks it.

    Raises:
        ApprovalRefused: a reason in approval_blockers that `despite` does not name.
        PublicationError: the version cannot be approved at all (not the latest, provisional, ...).
    """
    from interchange.indicators.outbox import approve

    current = get_publication(engine, period, version)
    confirmed: dict[str, int] = {}
    if current.state is State.DRAFT:  # anything else is refused, or re-exported, by approve itself
        with stage("approval checks"):
            blockers = approval_blockers(engine, workspace, current)
        unconfirmed = [b for b in blockers if b.reason.value not in despite]
        if unconfirmed:
            raise ApprovalRefused(current, unconfirmed)
        confirmed = {b.reason.value: b.count for b in blockers}
    return approve(engine, workspace, period, current.version, by=by, despite=confirmed)


def _counted_orgs(workspace: Workspace, period: str) -> set[str] | None:
    """The organisations whose records a period counts: a programme's own, else all (None)."""
    for programme in workspace.config.programmes:
        if programme.code == period and programme.orgs:
            return set(programme.orgs)
    return None


def _zero_indicators(engine: Engine, publication: Publication) -> int:
    """The number of indicators when every one's total is zero or empty (a version of nothing), else 0."""
    cells = publication_cells_frame(engine, publication.period, publication.version)
    totals = cells.loc[cells["breakdown"] == "total", "value"].fillna(0)
    if len(totals) and (totals != 0).any():
        return 0
    return max(int(cells["indicator"].nunique()), 1)
