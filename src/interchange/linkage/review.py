"""The review queue: uncertain pairs for a data steward, and the steward's decisions.

A decision (`same` or `different`) is kept for good and overrides the model in every
later run. Every decision is appended to `review_decisions` with who, when and why; the
pair's row holds the current one, which is what a linkage run reads. A pair decided once is
changed only on purpose: with `change` and a reason, never by deciding it again.

The queue holds the undecided pairs the model scores between the two thresholds whose
records are not already one person; a pair that leaves that band (or whose records are
now one person anyway) becomes `obsolete`, and comes back `open` if it returns. Nothing
here holds a record value: pairs name records by uid, and agreements say only whether
fields agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, select, update

from interchange import clock
from interchange.errors import InterchangeError
from interchange.i18n import say
from interchange.linkage.pairs import agreements
from interchange.warehouse.engine import stored_utc
from interchange.warehouse.load import chunked
from interchange.warehouse.tables import review_decisions, review_pairs

OPEN, DECIDED, OBSOLETE = "open", "decided", "obsolete"


class Decision(StrEnum):
    SAME = "same"
    DIFFERENT = "different"


class ReviewError(InterchangeError, ValueError):
    """A decision that cannot be recorded; the message says why, naming only pair ids and uids."""


@dataclass(frozen=True)
class ReviewPair:
    pair_id: int
    uid_l: str
    uid_r: str
    match_probability: float | None
    method: str | None
    agreements: dict[str, Any]
    status: str
    decision: str | None


def load_decisions(connection: Connection) -> dict[tuple[str, str], tuple[int, Decision]]:
    """(uid_l, uid_r) -> (pair id, decision) for every decided pair."""
    rows = connection.execute(select(review_pairs.c.uid_l, review_pairs.c.uid_r, review_pairs.c.pair_id,
                                     review_pairs.c.decision).where(review_pairs.c.status == DECIDED))
    return {(left, right): (pair_id, Decision(decision)) for left, right, pair_id, decision in rows}


def sync_queue(connection: Connection, candidates: pd.DataFrame, records: pd.DataFrame, run_id: int) -> int:
    """Make the open queue exactly `candidates` (undecided pairs to review); returns how many are open.

    Writes only what changed: a pair already open with the same score and agreements is left
    as it is (its `last_run` is the last run that changed it), so a re-run on national data
    does not rewrite the whole queue.
    """
    wanted = {(row.uid_l, row.uid_r): row for row in candidates.itertuples(index=False)}
    stored = {(r.uid_l, r.uid_r): r for r in connection.execute(
        select(review_pairs.c.pair_id, review_pairs.c.uid_l, review_pairs.c.uid_r, review_pairs.c.status,
               review_pairs.c.match_probability, review_pairs.c.match_weight, review_pairs.c.method,
               review_pairs.c.agreements).where(review_pairs.c.status.in_((OPEN, OBSOLETE))))}
    needed = {uid for pair in wanted for uid in pair}
    by_uid = records[records["uid"].isin(needed)].set_index("uid", drop=False).to_dict("index") if needed else {}
    new = []
    for pair, row in sorted(wanted.items()):
        values = {"match_probability": float(row.match_probability), "match_weight": _finite(row.match_weight),
                  "method": str(row.method), "agreements": agreements(by_uid[pair[0]], by_uid[pair[1]])}
        old = stored.get(pair)
        if old is None:
            new.append({"uid_l": pair[0], "uid_r": pair[1], "status": OPEN, "first_run": run_id, "last_run": run_id,
                        **values})
        elif old.status != OPEN or any(getattr(old, name) != value for name, value in values.items()):
            connection.execute(update(review_pairs).where(review_pairs.c.pair_id == old.pair_id)
                               .values(status=OPEN, last_run=run_id, **values))
    for chunk in chunked(new, 1000):
        connection.execute(review_pairs.insert(), chunk)
    gone = [old.pair_id for pair, old in stored.items() if old.status == OPEN and pair not in wanted]
    for chunk in chunked(gone, 500):
        connection.execute(update(review_pairs).where(review_pairs.c.pair_id.in_(chunk))
                           .values(status=OBSOLETE, last_run=run_id))
    return len(wanted)


def open_pairs(engine: Engine) -> list[ReviewPair]:
    """The open queue, most uncertain first (probability nearest to one half)."""
    with engine.connect() as connection:
        rows = connection.execute(select(review_pairs).where(review_pairs.c.status == OPEN)).mappings().all()
    pairs = [ReviewPair(r["pair_id"], r["uid_l"], r["uid_r"], r["match_probability"], r["method"],
                        r["agreements"] or {}, r["status"], r["decision"]) for r in rows]
    return sorted(pairs, key=lambda p: (abs(p.match_probability - 0.5) if p.match_probability is not None else 0.0,
                                        p.pair_id))


@dataclass(frozen=True)
class Decided:
    """One decision of a pair's history: what, when, by whom and why; `replaces` is the decision it changed."""

    decision_id: int
    pair_id: int
    uid_l: str
    uid_r: str
    decision: str
    decided_at: datetime
    decided_by: str
    note: str | None
    replaces: str | None  # the earlier decision's verdict, when this one changed it


@dataclass(frozen=True)
class Outcome:
    """What deciding did: `before` is the pair's decision before it (None: this is the first);
    `recorded` is False when the pair was already decided so and nothing was written."""

    pair: ReviewPair
    before: Decided | None
    recorded: bool


class DecisionRefused(InterchangeError, ValueError):
    """A decision not recorded on purpose: it would change an earlier one without saying so, or why."""


class AlreadyDecided(DecisionRefused):
    """A pair decided otherwise before: changing it takes --change and a reason. The message says
    what it was decided as, by whom and when."""

    def __init__(self, current: Decided) -> None:
        super().__init__(key="error.review_decided_before", pair=current.pair_id, decision=current.decision,
                         by=current.decided_by, at=current.decided_at.strftime("%Y-%m-%d %H:%M"))
        self.current = current


def decide_pair(engine: Engine, pair_id: int, decision: Decision, *, decided_by: str,
                note: str | None = None, change: bool = False) -> Outcome:
    """Record a steward's decision on a pair of the queue (open, obsolete, or decided before).

    Raises:
        AlreadyDecided: the pair was decided otherwise and `change` is not given.
        DecisionRefused: `change` without a `note` saying why.
        ReviewError: no such pair.
    """
    with engine.begin() as connection:
        # Locked on PostgreSQL: two stewards deciding one pair at once are taken one after the other.
        row = connection.execute(select(review_pairs).where(review_pairs.c.pair_id == pair_id)
                                 .with_for_update()).mappings().first()
        if row is None:
            raise ReviewError(key="error.review_no_pair", pair=pair_id)
        before, recorded = _record(connection, pair_id, decision, decided_by, note, change=change)
    return Outcome(ReviewPair(pair_id, row["uid_l"], row["uid_r"], row["match_probability"], row["method"],
                              row["agreements"] or {}, DECIDED, decision.value), before, recorded)


def decide_records(engine: Engine, uid_a: str, uid_b: str, decision: Decision, *, decided_by: str,
                   note: str | None = None, known: Iterable[str] | None = None, change: bool = False) -> Outcome:
    """Record a decision on any two records, e.g. to cut a link the model made.

    `known`, when given, is the uids that exist: a decision about a record that does not
    exist is refused rather than kept waiting for it. Raises as `decide_pair` does.
    """
    left, right = sorted((uid_a, uid_b))
    if left == right:
        raise ReviewError(key="error.review_same_record")
    if known is not None:
        missing = [uid for uid in (left, right) if uid not in set(known)]
        if missing:
            raise ReviewError(key="error.review_no_record", uids=", ".join(missing))
    with engine.begin() as connection:
        pair_id = connection.execute(select(review_pairs.c.pair_id).where(
            (review_pairs.c.uid_l == left) & (review_pairs.c.uid_r == right)).with_for_update()).scalar()
        if pair_id is None:
            pair_id = connection.execute(review_pairs.insert().values(
                uid_l=left, uid_r=right, status=DECIDED).returning(review_pairs.c.pair_id)).scalar_one()
        before, recorded = _record(connection, pair_id, decision, decided_by, note, change=change)
    return Outcome(ReviewPair(int(pair_id), left, right, None, None, {}, DECIDED, decision.value), before, recorded)


def _record(connection: Connection, pair_id: int, decision: Decision, decided_by: str, note: str | None, *,
            change: bool) -> tuple[Decided | None, bool]:
    """Append the decision to the pair's history and make it the pair's current one.

    A decision the pair already has is not written again; a different one needs `change` and a note.
    """
    note = note.strip() if note and note.strip() else None
    if change and note is None:
        raise DecisionRefused(key="error.review_change_reason")
    history = decision_history(connection, pair_id)
    current = history[-1] if history else None
    if current is not None and current.decision == decision.value:
        return current, False
    if current is not None and not change:
        raise AlreadyDecided(current)
    now, who = clock.now(), decided_by[:64]
    connection.execute(review_decisions.insert().values(
        pair_id=pair_id, decision=decision.value, decided_at=now, decided_by=who, note=note,
        replaces=current.decision_id if current is not None else None))
    connection.execute(update(review_pairs).where(review_pairs.c.pair_id == pair_id).values(
        status=DECIDED, decision=decision.value, decided_at=now, decided_by=who, note=note))
    return current, True


def decision_history(bind: Engine | Connection, pair_id: int | None = None) -> list[Decided]:
    """Every decision taken (on one pair, or on all), oldest first: who, when, why, and what each changed."""
    earlier = review_decisions.alias("earlier")
    query = (select(review_decisions, review_pairs.c.uid_l, review_pairs.c.uid_r,
                    earlier.c.decision.label("replaced"))
             .join(review_pairs, review_pairs.c.pair_id == review_decisions.c.pair_id)
             .outerjoin(earlier, earlier.c.decision_id == review_decisions.c.replaces)
             .order_by(review_decisions.c.decision_id))
    if pair_id is not None:
        query = query.where(review_decisions.c.pair_id == pair_id)
    if isinstance(bind, Connection):
        rows = bind.execute(query).all()
    else:
        with bind.connect() as connection:
            rows = connection.execute(query).all()
    return [Decided(r.decision_id, r.pair_id, r.uid_l, r.uid_r, r.decision, stored_utc(r.decided_at), r.decided_by,
                    r.note, r.replaced) for r in rows]


def _finite(value: Any) -> float | None:
    number = float(value) if value is not None and not pd.isna(value) else None
    return number if number is not None and abs(number) != float("inf") else None


def describe_agreements(found: Mapping[str, Any]) -> str:
    """`birth_year=agree sex=agree surname_bloom=0.83`: what a reviewer sees of a pair."""
    return " ".join(f"{name}={value}" for name, value in found.items() if value != "missing")


def render_review(pairs: Sequence[ReviewPair], limit: int, lang: str) -> str:
    """The open pairs, most uncertain first: pair id, both record uids, probability, agreeing fields."""
    if not pairs:
        return say("steward.review_none", lang)
    lines = [say("steward.review_count", lang, count=len(pairs))]
    for pair in pairs[:limit]:
        probability = "?" if pair.match_probability is None else f"{pair.match_probability:.3f}"
        lines.append(f"  {pair.pair_id:>6}  {pair.uid_l}  {pair.uid_r}  p={probability}  "
                     f"{describe_agreements(pair.agreements)}")
    if len(pairs) > limit:
        lines.append(say("steward.review_more", lang, count=len(pairs) - limit))
    return "\n".join(lines)
