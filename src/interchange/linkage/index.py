"""The master person index: one run of linkage over every non-deleted person record.

A run scores pairs, applies stewards' decisions, links pairs at or above `upper`,
queues undecided pairs in [lower, upper) for review, clusters records into persons
(clusters.py), keeps person keys stable (keys.py, where the survival rules are), logs
every new key, merge, split and retirement in `linkage_events`, and re-links households
by their pseudonyms (households.py). All of it is one transaction: a run that fails
changes nothing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, Engine, text, update

from interchange import clock
from interchange.linkage.clusters import Edge, cluster_records
from interchange.linkage.households import link_households
from interchange.linkage.keys import KeyEvent, assign_keys
from interchange.linkage.pairs import Scorer, normalise_pairs
from interchange.linkage.records import load_person_records
from interchange.linkage.review import Decision, load_decisions, sync_queue
from interchange.linkage.scorers import default_scorer
from interchange.linkage.store import PERSONS, index_digest_of, log_events, read_index, write_index
from interchange.progress import ProgressHook, report
from interchange.stage_times import stage_timer
from interchange.warehouse.tables import linkage_runs

log = logging.getLogger(__name__)
stage = stage_timer("linkage")
SAME_STRENGTH = 2.0  # above every probability: a steward's `same` is taken before any model link
# Arbitrary constant: the advisory lock that makes linkage runs on PostgreSQL take turns.
_LINK_LOCK = 7_404_222
_SQLITE_CACHE_KIB = 512 * 1024  # at most; SQLite takes pages as it needs them


@dataclass(frozen=True)
class LinkSummary:
    """What a run did, in counts only (safe for logs, artifacts and alerts)."""

    run_id: int
    records: int
    persons: int
    records_linked: int  # records that share their person with at least one other record
    pairs_scored: int
    pairs_linked: int
    new_persons: int
    merges: int
    splits: int
    retired: int
    pairs_for_review: int
    households: int
    # The household guard's match share (linkage/household_guard.py) when the model scored.
    household_share: float | None = None
    persons_linked: int = 0  # persons with more than one record

    def render(self) -> str:
        return (f"linkage run {self.run_id}: {self.records} person records -> {self.persons} persons "
                f"({self.records_linked} records linked across records); {self.new_persons} new persons, "
                f"{self.merges} merges, {self.splits} splits, {self.retired} keys retired; "
                f"{self.pairs_for_review} pairs awaiting review; {self.households} households"
                + ("" if self.household_share is None else f"; household guard share {self.household_share:.3f}"))


def link_persons(engine: Engine, *, scorer: Scorer | None = None, scorer_name: str | None = None,
                 upper: float = 0.95, lower: float = 0.5, on_progress: ProgressHook | None = None) -> LinkSummary:
    """Run linkage once over the warehouse; see the module docstring.

    Args:
        engine: The warehouse (schema upgraded).
        scorer: Records -> scored pairs (pairs.PAIR_COLUMNS); default: the matching model.
        scorer_name: How the run records the scorer; default: the scorer's function name.
        upper: Pairs at or above this probability are the same person.
        lower: Pairs from this probability up to `upper` go to the review queue.
        on_progress: Told ``link.stages`` 0..3 of 3 with the stage under way: load, score, write
            (interchange.progress).
    """
    if not 0 <= lower <= upper <= 1:
        raise ValueError(f"thresholds must satisfy 0 <= lower <= upper <= 1 (lower {lower}, upper {upper})")
    if scorer is None:
        default_name, scorer = default_scorer()
        scorer_name = scorer_name or default_name
    own_name: str = getattr(scorer, "__name__", type(scorer).__name__)  # a callable object has no __name__
    name = scorer_name or own_name
    started = clock.now()
    # Scoring may take minutes at national scale: it runs before the write transaction, so
    # that ingest (one writer at a time on SQLite) is not locked out meanwhile. The write
    # transaction reads the records again and scores again only if they changed.
    report(on_progress, "link.stages", 0, 3, "load")
    with engine.connect() as connection, stage("read records"):
        records = load_person_records(connection)
    report(on_progress, "link.stages", 1, 3, "score")
    scored = (records, _score(scorer, records))
    report(on_progress, "link.stages", 2, 3, "write")
    with engine.begin() as connection, _page_cache(connection):
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LINK_LOCK})
        with stage("read records"):
            current = load_person_records(connection)
            changed = not current.equals(scored[0])
        if changed:
            log.info("person records changed while scoring: scoring again")
            scored = (current, _score(scorer, current))
        now = clock.now()
        run_id = connection.execute(linkage_runs.insert().values(
            started_at=started, scorer=name[:64], upper=upper, lower=lower).returning(linkage_runs.c.run_id)
        ).scalar_one()
        summary = _run(connection, run_id, now, *scored, upper, lower)
        with stage("index digest"):
            digest = index_digest_of(connection)
        connection.execute(update(linkage_runs).where(linkage_runs.c.run_id == run_id).values(
            finished_at=clock.now(), records=summary.records, pairs_scored=summary.pairs_scored,
            pairs_linked=summary.pairs_linked, new_persons=summary.new_persons, merges=summary.merges,
            splits=summary.splits, pairs_for_review=summary.pairs_for_review, households=summary.households,
            household_share=summary.household_share, index_sha256=digest))
    report(on_progress, "link.stages", 3, 3, "write")
    log.info("%s", summary.render())
    return summary


@contextmanager
def _page_cache(connection: Connection) -> Iterator[None]:
    """On SQLite, a page cache that holds the index's B-trees while the run writes them.

    A run inserts a key, a link and an event per person, and the keys (hashes) land at random
    places in the key B-trees: with SQLite's default 2 MB cache every insert evicted a page,
    which went to the WAL and was read back (at a million records, 24 s CPU, most of it in the
    kernel). The connection goes back to the pool with its cache as it was.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{_SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


def _score(scorer: Scorer, records: pd.DataFrame) -> pd.DataFrame:
    uids = records["uid"]  # unique: a record's (org, record_id)
    scored = scorer(records) if len(uids) > 1 else pd.DataFrame()
    with stage("pairs"):
        pairs = normalise_pairs(scored, uids)
    pairs.attrs = dict(scored.attrs)  # what the scorer tells about its run (household_share)
    return pairs


def _run(connection: Connection, run_id: int, now: datetime, records: pd.DataFrame, pairs: pd.DataFrame,
         upper: float, lower: float) -> LinkSummary:
    uids = records["uid"].tolist()  # an Arrow string column: list() would make each str on its own
    with stage("clustering"):
        decisions = load_decisions(connection)
        same = [pair for pair, (_, decision) in decisions.items() if decision is Decision.SAME]
        different = [pair for pair, (_, decision) in decisions.items() if decision is Decision.DIFFERENT]
        # A decided pair is the steward's, whatever its score: `same` is an edge above, `different` none.
        strong = pairs[(pairs["match_probability"] >= upper) & _undecided(pairs, decisions)]
        edges = [Edge(left, right, SAME_STRENGTH) for left, right in same]
        edges += [Edge(left, right, float(p)) for left, right, p in
                  zip(strong["uid_l"], strong["uid_r"], strong["match_probability"], strict=True)]
        clusters = cluster_records(uids, edges, different, forced_above=1.0)

    with stage("keys"):
        current = read_index(connection, PERSONS)
        plan = assign_keys(clusters, current.links, current.age, prefix=PERSONS.prefix, taken=current.taken)
    with stage("write index"):
        write_index(connection, PERSONS, plan, current.links, run_id, now)
        log_events(connection, PERSONS, plan, run_id, _Explainer(edges, decisions, upper))

    with stage("review queue"):
        band = pairs[(pairs["match_probability"] >= lower) & (pairs["match_probability"] < upper)]
        # Only pairs whose answer would change who is who: records already one person need no review.
        band = band[pd.Series([(left, right) not in decisions and plan.key_of[left] != plan.key_of[right]
                               for left, right in zip(band["uid_l"], band["uid_r"], strict=True)],
                              index=band.index, dtype=bool)]
        for_review = sync_queue(connection, band, records, run_id)
    with stage("households"):
        households = link_households(connection, run_id, now)
    return LinkSummary(
        run_id=run_id, records=len(uids), persons=len(clusters),
        records_linked=sum(len(members) for members in clusters if len(members) > 1),
        pairs_scored=len(pairs), pairs_linked=len(edges), new_persons=plan.count("new"), merges=plan.count("merge"),
        splits=plan.count("split"), retired=len(plan.retired), pairs_for_review=for_review, households=households,
        household_share=pairs.attrs.get("household_share"),
        persons_linked=sum(len(members) > 1 for members in clusters))


def _undecided(pairs: pd.DataFrame, decisions: Mapping[tuple[str, str], object]) -> pd.Series:
    if not decisions:  # most runs: no steward has decided anything yet
        return pd.Series(True, index=pairs.index, dtype=bool)
    return pd.Series([(left, right) not in decisions for left, right in
                      zip(pairs["uid_l"], pairs["uid_r"], strict=True)], index=pairs.index, dtype=bool)


class _Explainer:
    """Reasons for events, naming records (uids), pair ids and scores: never a record value."""

    def __init__(self, edges: list[Edge], decisions: Mapping[tuple[str, str], tuple[int, Decision]],
                 upper: float) -> None:
        self.neighbours: dict[str, list[Edge]] = defaultdict(list)
        for edge in edges:
            self.neighbours[edge.uid_l].append(edge)
            self.neighbours[edge.uid_r].append(edge)
        self.decisions = decisions
        self.upper = upper

    def __call__(self, event: KeyEvent) -> str:
        if event.kind == "new":
            return f"{len(event.moved)} record(s) not linked to any person before"
        if event.kind == "retire":
            return "every record of this person was deleted"
        if event.kind == "merge":
            return f"{', '.join(event.other_keys)} retired into {event.key}: " + self._joins(event)
        return f"{len(event.moved)} record(s) left {event.other_keys[0]} for {event.key}: " + self._cuts(event)

    def _joins(self, event: KeyEvent) -> str:
        moved = set(event.moved)
        links = sorted({e for uid in event.moved for e in self.neighbours[uid]
                        if (e.uid_l in moved) != (e.uid_r in moved)}, key=lambda e: (-e.strength, e.uid_l, e.uid_r))
        if not links:
            return "linked through other records"
        more = f" and {len(links) - 3} more" if len(links) > 3 else ""
        return "; ".join(self._describe(e) for e in links[:3]) + more

    def _describe(self, edge: Edge) -> str:
        decided = self.decisions.get((edge.uid_l, edge.uid_r))
        if decided is not None:
            return f"steward decided same (pair {decided[0]}) for {edge.uid_l} and {edge.uid_r}"
        return f"model linked {edge.uid_l} and {edge.uid_r} (p={edge.strength:.3f})"

    def _cuts(self, event: KeyEvent) -> str:
        kept = set(event.kept)
        cut = sorted(pair_id for (left, right), (pair_id, decision) in self.decisions.items()
                     if decision is Decision.DIFFERENT and ((left in kept and right in event.moved)
                                                             or (right in kept and left in event.moved)))
        if cut:
            return f"steward decided different (pair {', '.join(map(str, cut))})"
        return f"no link of probability >= {self.upper} connects them any more (re-scored, changed or deleted records)"
