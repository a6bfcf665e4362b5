"""The master person index on SQLite and PostgreSQL: stable keys, merges, splits, review, households.

Person records come in by really ingesting drops; pairs come from a small scorer built here
(equal pseudonyms at probability 1, plus the pairs a test names), which tests the index's
own logic: clustering, keys, events and the review queue, whatever model scores the pairs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
import sqlalchemy
from drop_kit import MIMC, PERSON_HEADER, SPC, drop, ingest, pseudonym
from sqlalchemy import Engine, select

from interchange.indicators.lineage import index_digest
from interchange.linkage.households import person_households
from interchange.linkage.index import LinkSummary, link_persons
from interchange.linkage.keys import derive_key
from interchange.linkage.pairs import PAIR_COLUMNS, Scorer, pseudonym_pairs
from interchange.linkage.records import load_person_records
from interchange.linkage.review import Decision, decide_pair, decide_records, open_pairs
from interchange.linkage.store import index_digest_of
from interchange.warehouse.engine import warehouse
from interchange.warehouse.tables import (
    household_links,
    linkage_events,
    linkage_runs,
    person_keys,
    person_links,
    review_pairs,
)
from interchange.workspace.layout import Workspace

Pairs = dict[tuple[str, str], float]


def uid(org: str, record_id: str) -> str:
    return f"{org}:{record_id}"


def person(record_id: str, who: str, year: int = 1980) -> list[str]:
    """A person row; `who` stands for the personal code behind the pseudonym."""
    return [record_id, pseudonym(who), str(year), "moteris", "LT-22"]


def send_persons(root: Path, org: str, name: str, *rows: list[str]) -> None:
    """A person drop from `org`, ingested; a first row that is a header replaces PERSON_HEADER."""
    header = rows[0] if rows and rows[0][0] == "record_id" else PERSON_HEADER
    drop(root, f"{name}.person.csv", [header, *(r for r in rows if r is not header)], org=org)
    ingest(root)


def scorer(extra: Pairs | None = None) -> Scorer:
    """Equal pseudonyms at 1.0, plus `extra` pairs at the probability given."""
    def score(records: pd.DataFrame) -> pd.DataFrame:
        rows = [tuple(row) for row in pseudonym_pairs(records).itertuples(index=False)]
        rows += [(left, right, p, 0.0, "test") for (left, right), p in (extra or {}).items()]
        return pd.DataFrame(rows, columns=list(PAIR_COLUMNS))
    return score


@pytest.fixture
def engine(hub_root: Path) -> Iterator[Engine]:
    with warehouse(Workspace(hub_root).database_url) as engine:
        yield engine


def link(engine: Engine, extra: Pairs | None = None) -> LinkSummary:
    return link_persons(engine, scorer=scorer(extra), upper=0.95, lower=0.5)


def query(engine: Engine, statement: Any) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(statement)]


def keys(engine: Engine) -> dict[str, str]:
    return {uid(r["org"], r["record_id"]): r["person_key"] for r in query(engine, select(person_links))}


def events(engine: Engine, run_id: int, entity: str = "person") -> list[dict[str, Any]]:
    return query(engine, select(linkage_events).where(
        (linkage_events.c.run_id == run_id) & (linkage_events.c.entity == entity)).order_by(linkage_events.c.event_id))


def key_row(engine: Engine, key: str) -> dict[str, Any]:
    [row] = query(engine, select(person_keys).where(person_keys.c.person_key == key))
    return row


def test_relinking_the_same_data_keeps_every_key_and_logs_nothing(hub_root: Path, engine: Engine) -> None:
    send_persons(hub_root, SPC, "a", person("P1", "ona"), person("P2", "jonas"))
    send_persons(hub_root, MIMC, "b", person("M1", "ona"), person("M2", "petras"))
    first = link(engine)
    assert (first.records, first.persons, first.records_linked, first.new_persons) == (4, 3, 2, 3)
    found = keys(engine)
    assert found[uid(SPC, "P1")] == found[uid(MIMC, "M1")]
    # New keys come from the cluster's smallest uid: a fresh warehouse gets the same ones.
    assert found[uid(SPC, "P2")] == derive_key("p-", uid(SPC, "P2"), set())
    assert found[uid(MIMC, "M1")] == derive_key("p-", uid(MIMC, "M1"), set())

    second = link(engine)
    assert keys(engine) == found
    assert (second.new_persons, second.merges, second.splits) == (0, 0, 0)
    assert events(engine, second.run_id) == []


def test_each_run_stores_the_index_digest_which_changes_only_when_a_record_moves(hub_root: Path,
                                                                                 engine: Engine) -> None:
    def digests() -> tuple[str, str, str | None]:
        """What status reads, what the links hash to now, and what the latest run stored."""
        with engine.connect() as connection:
            stored = connection.execute(select(linkage_runs.c.index_sha256)
                                        .order_by(linkage_runs.c.run_id.desc()).limit(1)).scalar()
            return index_digest(connection), index_digest_of(connection), stored

    send_persons(hub_root, SPC, "a", person("P1", "ona"), person("P2", "ona-typo"))
    send_persons(hub_root, MIMC, "b", person("M1", "ona"))
    link(engine)
    first, hashed, stored = digests()
    assert first == hashed == stored

    link(engine)  # the same records, the same answer: the index has not moved
    assert digests() == (first, first, first)

    link(engine, {(uid(SPC, "P1"), uid(SPC, "P2")): 0.99})  # P2 joins ona: a record moves
    moved, hashed, stored = digests()
    assert moved != first
    assert moved == hashed == stored


def test_a_new_record_joins_the_existing_key(hub_root: Path, engine: Engine) -> None:
    send_persons(hub_root, SPC, "a", person("P1", "ona"))
    link(engine)
    key = keys(engine)[uid(SPC, "P1")]

    send_persons(hub_root, MIMC, "b", person("M9", "ona"), person("M2", "petras"))
    summary = link(engine)
    assert keys(engine)[uid(MIMC, "M9")] == key
    assert summary.new_persons == 1  # petras only
    [new] = events(engine, summary.run_id)
    assert (new["kind"], new["entity_key"]) == ("new", keys(engine)[uid(MIMC, "M2")])


def test_a_merge_keeps_the_key_covering_most_records_and_logs_why(hub_root: Path, engine: Engine) -> None:
    send_persons(hub_root, SPC, "a", person("P1", "ona"), person("P2", "ona-typo"))
    send_persons(hub_root, MIMC, "b", person("M1", "ona"))
    link(engine)
    before = keys(engine)
    big, small = before[uid(SPC, "P1")], before[uid(SPC, "P2")]
    assert big != small

    summary = link(engine, {(uid(SPC, "P1"), uid(SPC, "P2")): 0.99})
    after = keys(engine)
    assert {after[u] for u in before} == {big}
    assert summary.merges == 1
    [merge] = events(engine, summary.run_id)
    assert (merge["kind"], merge["entity_key"], merge["other_keys"], merge["records"]) == ("merge", big, [small], 1)
    assert f"model linked {uid(SPC, 'P1')} and {uid(SPC, 'P2')}" in merge["reason"]
    retired = key_row(engine, small)
    assert retired["retired_into"] == big and retired["retired_at"] is not None


def test_a_merge_of_equal_persons_keeps_the_older_key(hub_root: Path, engine: Engine) -> None:
    send_persons(hub_root, SPC, "a", person("P9", "ona"))
    link(engine)
    send_persons(hub_root, SPC, "b", person("P1", "ona-typo"))  # its uid sorts first, its key is younger
    link(engine)
    older, younger = keys(engine)[uid(SPC, "P9")], keys(engine)[uid(SPC, "P1")]

    link(engine, {(uid(SPC, "P1"), uid(SPC, "P9")): 0.97})
    assert set(keys(engine).values()) == {older}
    assert key_row(engine, younger)["retired_into"] == older


def test_a_different_decision_splits_a_person_and_the_minor_part_gets_a_new_key(
        hub_root: Path, engine: Engine) -> None:
    send_persons(hub_root, SPC, "a", person("P1", "ona"), person("P5", "ona-maybe"))
    send_persons(hub_root, MIMC, "b", person("M1", "ona"))
    model = {(uid(SPC, "P5"), uid(MIMC, "M1")): 0.97}
    link(engine, model)
    key = keys(engine)[uid(SPC, "P1")]
    assert set(keys(engine).values()) == {key}

    pair_id = decide_records(engine, uid(MIMC, "M1"), uid(SPC, "P5"), Decision.DIFFERENT,
                             decided_by="steward").pair.pair_id
    summary = link(engine, model)
    after = keys(engine)
    assert after[uid(SPC, "P1")] == after[uid(MIMC, "M1")] == key
    assert after[uid(SPC, "P5")] not in (key, None)
    assert summary.splits == 1
    [split] = events(engine, summary.run_id)
    assert (split["kind"], split["entity_key"], split["other_keys"], split["records"]) == (
        "split", after[uid(SPC, "P5")], [key], 1)
    assert f"steward decided different (pair {pair_id})" in split["reason"]

    # The decision holds in every later run, though the model still links the pair.
    later = link(engine, model)
    assert keys(engine) == after and events(engine, later.run_id) == []


def test_a_different_decision_holds_against_a_chain_of_links(hub_root: Path, engine: Engine) -> None:
    send_persons(hub_root, SPC, "a", person("A", "a"), person("B", "b"), person("C", "c"))
    a, b, c = (uid(SPC, x) for x in "ABC")
    decide_records(engine, a, c, Decision.DIFFERENT, decided_by="steward")
    link(engine, {(a, b): 0.99, (b, c): 0.96})
    found = keys(engine)
    assert found[a] == found[b] != found[c]  # the weaker link of the chain gives way


def test_a_same_decision_links_a_pair_the_model_was_unsure_about(hub_root: Path, engine: Engine) -> None:
    send_persons(hub_root, SPC, "a", person("P1", "ona"))
    send_persons(hub_root, MIMC, "b", person("M7", "ona-other-code"))
    model = {(uid(MIMC, "M7"), uid(SPC, "P1")): 0.7}
    first = link(engine, model)
    assert first.pairs_for_review == 1
    [pair] = open_pairs(engine)
    decided = decide_pair(engine, pair.pair_id, Decision.SAME, decided_by="steward", note="same birth record")
    assert decided.pair.decision == "same" and decided.before is None

    summary = link(engine, model)
    found = keys(engine)
    assert found[uid(SPC, "P1")] == found[uid(MIMC, "M7")]
    assert summary.merges == 1 and summary.pairs_for_review == 0 and open_pairs(engine) == []
    [merge] = events(engine, summary.run_id)
    assert f"steward decided same (pair {pair.pair_id})" in merge["reason"]
    # Even when a later model scores the pair low, the decision stands.
    link(engine, {(uid(MIMC, "M7"), uid(SPC, "P1")): 0.01})
    assert keys(engine) == found


def test_the_review_queue_holds_only_undecided_pairs_between_the_thresholds(hub_root: Path, engine: Engine) -> None:
    send_persons(hub_root, SPC, "a", person("P1", "1"), person("P2", "2"), person("P3", "3"), person("P4", "4"))
    p1, p2, p3, p4 = (uid(SPC, f"P{n}") for n in range(1, 5))
    summary = link(engine, {(p1, p2): 0.99, (p1, p3): 0.7, (p3, p4): 0.3, (p2, p4): 0.5})
    assert summary.pairs_for_review == 2
    queue = open_pairs(engine)
    assert {(p.uid_l, p.uid_r) for p in queue} == {(p1, p3), (p2, p4)}
    assert queue[0].uid_r == p4  # 0.5 is less certain than 0.7: it comes first
    assert queue[1].agreements["birth_year"] == "agree" and queue[1].agreements["person_pseudonym"] == "disagree"
    kept_id = next(p.pair_id for p in queue if p.uid_r == p3)

    # The model changes its mind: a pair that leaves the band becomes obsolete, and one that
    # comes back is the same pair again.
    link(engine, {(p1, p2): 0.99, (p1, p3): 0.2, (p2, p4): 0.6})
    statuses = {(r["uid_l"], r["uid_r"]): (r["pair_id"], r["status"]) for r in query(engine, select(review_pairs))}
    assert statuses[(p1, p3)] == (kept_id, "obsolete")
    assert statuses[(p2, p4)][1] == "open"
    link(engine, {(p1, p2): 0.99, (p1, p3): 0.8})
    assert [(p.pair_id, p.status) for p in open_pairs(engine)] == [(kept_id, "open")]


def test_a_pair_whose_records_are_already_one_person_is_not_queued(hub_root: Path, engine: Engine) -> None:
    send_persons(hub_root, SPC, "a", person("P1", "ona"), person("P2", "ona"))
    summary = link(engine, {(uid(SPC, "P1"), uid(SPC, "P2")): 0.6})
    assert summary.pairs_for_review == 0


def test_a_deleted_record_leaves_the_index_and_its_lone_key_is_retired(hub_root: Path, engine: Engine) -> None:
    send_persons(hub_root, SPC, "a", person("P1", "ona"), person("P2", "jonas"))
    link(engine)
    gone = keys(engine)[uid(SPC, "P2")]
    drop(hub_root, "b.person.csv", [[*PERSON_HEADER, "deleted"], [*person("P2", "jonas"), "true"]], org=SPC)
    ingest(hub_root)
    summary = link(engine)
    assert uid(SPC, "P2") not in keys(engine)
    assert key_row(engine, gone)["retired_at"] is not None
    assert [e["kind"] for e in events(engine, summary.run_id)] == ["retire"]


def test_households_across_agencies_share_a_key_through_their_pseudonym(hub_root: Path, engine: Engine) -> None:
    header = ["record_id", "household_pseudonym", "municipality", "children_count"]
    drop(hub_root, "a.household.csv", [header, ["H1", pseudonym("family-1"), "LT-22", "2"],
                                       ["H2", pseudonym("family-2"), "LT-22", "1"]], org=SPC)
    drop(hub_root, "b.household.csv", [header, ["N1", pseudonym("family-1"), "LT-22", "2"],
                                       ["N2", "", "LT-22", "3"]], org=MIMC)
    ingest(hub_root)
    summary = link(engine)
    assert summary.households == 3
    found = {uid(r["org"], r["record_id"]): r["household_key"] for r in query(engine, select(household_links))}
    assert found[uid(SPC, "H1")] == found[uid(MIMC, "N1")]
    assert len({found[uid(SPC, "H2")], found[uid(MIMC, "N2")], found[uid(SPC, "H1")]}) == 3
    assert all(key.startswith("h-") for key in found.values())
    assert [e["kind"] for e in events(engine, summary.run_id, "household")] == ["new"] * 3
    link(engine)
    assert {uid(r["org"], r["record_id"]): r["household_key"]
            for r in query(engine, select(household_links))} == found


def test_nothing_in_the_index_holds_a_pseudonym(hub_root: Path, engine: Engine) -> None:
    send_persons(hub_root, SPC, "a", person("P1", "ona"), person("P2", "jonas"))
    send_persons(hub_root, MIMC, "b", person("M1", "ona"))
    link(engine, {(uid(SPC, "P1"), uid(SPC, "P2")): 0.6})
    with engine.connect() as connection:
        stored = " ".join(str(row) for table in (person_keys, person_links, linkage_events, review_pairs)
                          for row in connection.execute(sqlalchemy.select(table)))
    assert pseudonym("ona") not in stored and pseudonym("jonas") not in stored


def test_ingest_may_run_while_pairs_are_scored_and_its_records_are_linked(hub_root: Path, engine: Engine) -> None:
    send_persons(hub_root, SPC, "a", person("P1", "ona"), person("P2", "jonas"))
    calls: list[int] = []

    def slow_scorer(records: pd.DataFrame) -> pd.DataFrame:
        calls.append(len(records))
        if len(calls) == 1:  # an ingest lands while the model is busy: the warehouse is not locked
            send_persons(hub_root, MIMC, "b", person("M1", "ona"))
        return scorer()(records)

    summary = link_persons(engine, scorer=slow_scorer)
    assert calls == [2, 3]
    assert summary.records == 3 and keys(engine)[uid(SPC, "P1")] == keys(engine)[uid(MIMC, "M1")]


def test_a_child_known_to_two_agencies_in_one_family_counts_once(hub_root: Path, engine: Engine) -> None:
    header = ["record_id", "household_pseudonym", "municipality", "children_count"]
    drop(hub_root, "a.household.csv", [header, ["H1", pseudonym("family-1"), "LT-22", "1"]], org=SPC)
    drop(hub_root, "b.household.csv", [header, ["N1", pseudonym("family-1"), "LT-22", "1"]], org=MIMC)
    ingest(hub_root)
    send_persons(hub_root, SPC, "c", [*PERSON_HEADER, "household_record_id"], [*person("P1", "vaikas"), "H1"])
    send_persons(hub_root, MIMC, "d", [*PERSON_HEADER, "household_record_id"], [*person("M1", "vaikas"), "N1"])
    link(engine)
    with engine.connect() as connection:
        found = person_households(connection)
    assert found == [(keys(engine)[uid(SPC, "P1")], household_key(engine, uid(MIMC, "N1")))]


def household_key(engine: Engine, record: str) -> str:
    org, record_id = record.split(":", 1)
    [key] = [r["household_key"] for r in query(engine, select(household_links).where(
        (household_links.c.org == org) & (household_links.c.record_id == record_id)))]
    return key


def test_a_record_the_model_moves_to_another_person_is_logged_as_a_split(hub_root: Path, engine: Engine) -> None:
    send_persons(hub_root, SPC, "a", person("A", "a"), person("B", "b"), person("C", "c"))
    a, b, c = (uid(SPC, x) for x in "ABC")
    link(engine, {(a, b): 0.99})
    before = keys(engine)

    summary = link(engine, {(b, c): 0.99})  # re-scored: B now goes with C
    after = keys(engine)
    # Each key stays with the part holding most of its records; a tie goes to the part with the smaller uid.
    assert after == {a: before[a], b: before[c], c: before[c]}
    [split] = events(engine, summary.run_id)
    assert (split["kind"], split["entity_key"], split["other_keys"], split["records"]) == (
        "split", before[c], [before[a]], 1)
    assert "no link of probability >= 0.95 connects them any more" in split["reason"]


def test_a_rerun_leaves_unchanged_open_pairs_as_they_are(hub_root: Path, engine: Engine) -> None:
    send_persons(hub_root, SPC, "a", person("P1", "1"), person("P2", "2"), person("P3", "3"))
    p1, p2, p3 = (uid(SPC, f"P{n}") for n in range(1, 4))
    first = link(engine, {(p1, p2): 0.7, (p1, p3): 0.6})
    second = link(engine, {(p1, p2): 0.7, (p1, p3): 0.8})
    runs = {(r["uid_l"], r["uid_r"]): (r["first_run"], r["last_run"], r["match_probability"])
            for r in query(engine, select(review_pairs))}
    assert runs == {(p1, p2): (first.run_id, first.run_id, 0.7), (p1, p3): (first.run_id, second.run_id, 0.8)}


def test_two_runs_at_once_take_turns_and_agree(hub_root: Path, engine: Engine) -> None:
    from concurrent.futures import ThreadPoolExecutor

    send_persons(hub_root, SPC, "a", person("P1", "ona"), person("P2", "jonas"))
    send_persons(hub_root, MIMC, "b", person("M1", "ona"))
    with ThreadPoolExecutor(2) as pool:
        summaries = list(pool.map(lambda _: link(engine), range(2)))
    assert sorted(s.new_persons for s in summaries) == [0, 2]
    assert len(set(keys(engine).values())) == 2


def _link_when_both_are_ready(url: str, ready: Any, results: Any) -> None:
    with warehouse(url) as engine:
        ready.wait()
        results.put(link(engine).new_persons)


def test_two_hub_processes_linking_at_once_take_turns_and_agree(hub_root: Path, engine: Engine) -> None:
    # Two Prefect workers, say. On SQLite the turn is the write lock (BEGIN IMMEDIATE), held while
    # the run reads the records through ADBC: when the driver read in the same process, closing
    # its file dropped that lock and both runs made the same two persons (1 run in 6).
    import multiprocessing

    send_persons(hub_root, SPC, "a", person("P1", "ona"), person("P2", "jonas"))
    send_persons(hub_root, MIMC, "b", person("M1", "ona"))
    context = multiprocessing.get_context("spawn")
    ready, results = context.Barrier(2), context.Queue()
    runs = [context.Process(target=_link_when_both_are_ready,
                            args=(Workspace(hub_root).database_url, ready, results)) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=120)
    assert [run.exitcode for run in runs] == [0, 0]
    assert sorted(results.get(timeout=5) for _ in runs) == [0, 2]
    assert len(set(keys(engine).values())) == 2


RAW_PERSON_HEADER = ["įrašo_id", "asmens_kodas", "vardas", "pavarde", "gimimo_data", "gatve", "namo_numeris",
                     "gyvenamoji_vietove", "pasto_kodas", "lytis", "savivaldybe"]


def _kit_drop(root: Path, org: str, name: str, rows: list[list[str]]) -> None:
    """Raw rows with codes, names and addresses, pseudonymised by the partner kit into the inbox."""
    from datetime import date

    from conftest import write_csv

    from interchange.contract.records import Kind
    from interchange.partner.keys import PseudonymKey
    from interchange.partner.pseudonymise import pseudonymise_file

    raw = write_csv(root / f"{org}-{name}.raw.csv", [RAW_PERSON_HEADER, *rows], encoding="utf-8", delimiter=";")
    folder = root / "inbox" / org
    folder.mkdir(parents=True, exist_ok=True)
    report = pseudonymise_file(raw, folder / f"{name}.person.csv", org=org, kind=Kind.PERSON,
                               key=PseudonymKey(bytes(range(32))), today=date(2026, 11, 1))
    assert report.rows_accepted == len(rows), report.problems


def test_the_model_makes_one_person_of_a_woman_at_two_agencies_and_keeps_her_family_apart(
        hub_root: Path, engine: Engine) -> None:
    # The real matching model on records made by the real partner kit. Ona Jonaitienė: at the
    # social services centre with her personal code; at the women's centre twice, without a
    # code, once with the Lithuanian letters dropped and the address written another way, once
    # with a typo in the surname. Her daughter lives with her; two Kazlauskas men share a
    # birth year and a surname.
    _kit_drop(hub_root, SPC, "spc", [
        ["S1", "48503141233", "Ona", "Jonaitienė", "", "Vilniaus g.", "12-5", "Kretinga", "LT-97111", "", ""],
        ["S2", "", "Rūta", "Jonaitytė", "2008-10-30", "Vilniaus g.", "12-5", "Kretinga", "LT-97111", "moteris",
         "LT-22"],
        ["S3", "", "Petras", "Kazlauskas", "1960-05-01", "", "", "", "", "vyras", "LT-22"],
    ])
    _kit_drop(hub_root, MIMC, "mimc", [
        ["M1", "", "ONA", "Jonaitiene", "1985-03-14", "Vilniaus gatvė", "12 - 5", "KRETINGA", "97111", "moteris",
         "LT-22"],
        ["M2", "", "Ona", "Jonaitine", "1985-03-14", "", "", "Kretinga", "", "moteris", "LT-22"],
        ["M3", "", "Jonas", "Kazlauskas", "1960-11-23", "", "", "", "", "vyras", "LT-22"],
    ])
    ingest(hub_root)

    summary = link_persons(engine, upper=0.95, lower=0.5)

    found = keys(engine)
    ona = {found[uid(SPC, "S1")], found[uid(MIMC, "M1")], found[uid(MIMC, "M2")]}
    assert len(ona) == 1
    assert found[uid(SPC, "S2")] not in ona
    assert found[uid(SPC, "S3")] != found[uid(MIMC, "M3")]
    assert (summary.records, summary.persons) == (6, 4)
    # Re-running on the same data changes nothing.
    link_persons(engine, upper=0.95, lower=0.5)
    assert keys(engine) == found


def test_person_records_load_in_uid_order_with_tokens_as_dictionaries(engine: Engine, hub_root: Path) -> None:
    send_persons(hub_root, SPC, "p", person("b1", "1"), person("B2", "2", 1990), person("a10", "3"), person("a9", "1"))
    with engine.connect() as connection:
        records = load_person_records(connection)
    assert list(records["uid"]) == [uid(SPC, r) for r in ("B2", "a10", "a9", "b1")]  # as Python sorts str
    pseudonyms = records["person_pseudonym"]
    assert pa.types.is_dictionary(pseudonyms.dtype.pyarrow_dtype)
    assert pseudonyms.tolist() == [pseudonym("2"), pseudonym("3"), pseudonym("1"), pseudonym("1")]
    assert records["given_name_bloom"].isna().all()  # not sent: missing, as before
    assert records["birth_year"].tolist() == [1990, 1980, 1980, 1980]
    assert records["birth_year"].dtype == "Int64"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # SQLite's own page cache
def test_a_run_gives_back_the_sqlite_page_cache_it_enlarged(hub_root: Path, engine: Engine) -> None:
    send_persons(hub_root, SPC, "a", person("P1", "ona"), person("P2", "jonas"))
    with engine.connect() as connection:
        before = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    link(engine)
    with engine.connect() as connection:  # the pool's one connection, the run's own
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar_one() == before
    assert len(keys(engine)) == 2


def digest_as_first_written(connection: sqlalchemy.Connection) -> str:
    """index_digest_of before it read the links as the driver's tuples (commit 5646178)."""
    import hashlib

    from interchange.linkage.store import HOUSEHOLDS, PERSONS

    digest = hashlib.sha256()
    for index in (PERSONS, HOUSEHOLDS):
        links = index.links
        digest.update(f"{links.name}\n".encode())
        rows = connection.execute(
            select(links.c.org, links.c.record_id, index.link_key).order_by(links.c.org, links.c.record_id),
            execution_options={"yield_per": 2})
        for part in rows.partitions():
            digest.update("".join(f"{org}\t{record_id}\t{key}\n" for org, record_id, key in part).encode())
    return digest.hexdigest()


def test_the_index_digest_is_the_one_publications_kept_before(hub_root: Path, engine: Engine) -> None:
    send_persons(hub_root, SPC, "a", person("P1", "ona"), person("P2", "jonas"), person("P:3", "ona"))
    send_persons(hub_root, MIMC, "b", person("M1", "ona"), person("M2", "rūta"))
    link(engine)
    with engine.begin() as connection:
        assert index_digest_of(connection) == digest_as_first_written(connection)
        connection.execute(sqlalchemy.delete(person_links).where(person_links.c.record_id == "P2"))
        # Inside the transaction that changed the links, as a linkage run computes it.
        assert index_digest_of(connection) == digest_as_first_written(connection)
