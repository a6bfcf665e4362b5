"""Scoring pairs of person records: deterministic pseudonym links plus a Splink model.

Two records with the same person pseudonym are the same person (probability 1). Everything
else is scored by a Fellegi-Sunter model (Splink; DuckDB in this process, or a caller's Spark
session: :mod:`interchange.linkage.backends`) on the keyed exact-match tokens, the Dice
similarity of the keyed Bloom filters, birth year, sex and municipality, after which a move
counts once and the household guard limits what a shared address is worth.
On enough data u values come from random sampling and m values from EM; on small municipal
data sets the documented defaults in :mod:`interchange.linkage.model_settings` are used.
Nothing here logs record contents: only counts.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from interchange.contract.records import Encoding, Linkage, linkage_fields
from interchange.linkage.backends import TABLE, Backend, DuckDBBackend, SparkBackend
from interchange.linkage.bloom_columns import decode_blooms
from interchange.linkage.household_guard import guard_households, household_evidence
from interchange.linkage.model_settings import (
    BLOOM_FIELDS,
    MOVE_COMPARISONS,
    TRAINING_COLUMNS,
    TRAINING_RULES,
    MatchSettings,
    settings_dict,
)
from interchange.linkage.pairs import PAIR_COLUMNS, PSEUDONYM_WEIGHT, pseudonym_pairs
from interchange.linkage.text_columns import decode_distinct, fixed_width_chunks
from interchange.linkage.u_sampling import estimate_u
from interchange.stage_times import stage_timer

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

RECORD_COLUMNS = ("uid", *linkage_fields(Linkage.IDENTITY, Linkage.CLEAR))
# Address encodings came later (contract v1.1), the name pair later still (v1.2); a frame
# without them is read as "no address" / "no name pair".
ADDRESS_COLUMNS = linkage_fields(Linkage.ADDRESS)
NAME_PAIR_COLUMNS = linkage_fields(Linkage.NAME_PAIR)
_TOKEN_COLUMNS = linkage_fields(encodings=(Encoding.TOKEN,))

log = logging.getLogger(__name__)
stage = stage_timer("linkage")

__all__ = ["ADDRESS_COLUMNS", "NAME_PAIR_COLUMNS", "PAIR_COLUMNS", "RECORD_COLUMNS", "MatchSettings",
           "prepare_records", "score_pairs"]


def score_pairs(records: pd.DataFrame, settings: MatchSettings | None = None, *,
                spark: SparkSession | None = None) -> pd.DataFrame:
    """Score candidate pairs of person records.

    Args:
        records: one row per person record with the columns of ``RECORD_COLUMNS``; ``uid``
            must be unique.
        settings: model options; defaults to ``MatchSettings()``.
        spark: run the model in this Spark session (local or a cluster) instead of an
            in-process DuckDB database; the same model, for national scale.

    Returns:
        One row per pair with ``PAIR_COLUMNS``: ``uid_l < uid_r``, probability in [0, 1],
        method "pseudonym" (equal pseudonyms, probability 1.0) or "model"; only pairs with
        probability >= ``settings.min_probability``. ``attrs["household_share"]`` holds the
        household guard's match share of the run (counts-derived, no record values).
    """
    settings = settings or MatchSettings()
    # Arrow keeps the buffers a caller's read freed (a national parquet read leaves ~0.8 GB
    # there) for reuse, but the table below is numpy's: return them first, or the two add up.
    _release_arrow_memory()
    table = prepare_records(records)
    if len(table) < 2:
        return _empty()
    # On the caller's full pseudonyms, not the table's 64-bit prefixes: exact means exact.
    with stage("pseudonym pass"):
        exact = pseudonym_pairs(records).loc[:, ["uid_l", "uid_r"]]
    # Nothing below reads the text columns again: a caller that passes its frame without
    # keeping it (the national benchmark) gets their memory back before the model runs.
    del records
    _release_arrow_memory()
    backend: Backend = SparkBackend(spark) if spark is not None else DuckDBBackend(settings)
    try:
        scored = _model_pairs(table, settings, backend)
    finally:
        backend.close()  # before the guard: DuckDB's memory is the run's largest part
    with stage("household guard"):
        share = _household_share(table, settings)
        model = guard_households(count_moves_once(scored), table, settings, share)
    with stage("combine"):
        pairs = _combine(model.loc[:, ["uid_l", "uid_r", "match_probability", "match_weight"]], exact,
                         settings.min_probability)
    pairs.attrs["household_share"] = share
    return pairs


def _release_arrow_memory() -> None:
    # Arrow's allocator keeps freed buffers for reuse; hand them back to the system so the
    # model's working memory can use them (pyarrow-backed text columns are the bulk of input).
    try:
        import pyarrow
    except ImportError:  # pragma: no cover - pandas without pyarrow
        return
    pyarrow.default_memory_pool().release_unused()


def prepare_records(records: pd.DataFrame) -> pd.DataFrame:
    """The table Splink reads: tokens as 64-bit integers, Bloom filters as integer words."""
    missing = [c for c in RECORD_COLUMNS if c not in records.columns]
    if missing:
        raise ValueError(f"records lack columns: {', '.join(missing)}")
    if records["uid"].duplicated().any():
        raise ValueError("uid must be unique")
    # Column by column, so the caller's token strings are never copied as a whole frame.
    with stage("tokens"):
        table = pd.DataFrame({"uid": records["uid"].astype(str)})
        for column in _TOKEN_COLUMNS:
            table[column] = _token_ids(_column(records, column))
        for column in ("sex", "municipality"):
            table[column] = records[column].astype("string[pyarrow]")
        table["birth_year"] = pd.to_numeric(records["birth_year"], errors="coerce").astype("Int64")
    with stage("Bloom decoding"):
        blooms = [decode_blooms(_column(records, f"{f}_bloom"), f) for f in BLOOM_FIELDS]
    return pd.concat([table, *blooms], axis=1).reset_index(drop=True)


def _column(records: pd.DataFrame, name: str) -> pd.Series:
    if name in records.columns:
        return records[name]
    return pd.Series([None] * len(records), index=records.index, dtype=object)


def _token_ids(tokens: pd.Series) -> pd.Series:
    """The first 64 bits of each 64-hex token as a signed BIGINT (NULL when empty).

    Tokens are HMAC outputs, so their first 64 bits are uniformly random: two different
    values collide with probability 2^-64, about 3e-8 over all pairs of a million distinct
    names. Integers take 8 bytes instead of ~70 and join several times faster than strings.
    """
    ids, present = _token_arrays(tokens)
    result = pd.array(ids, dtype="Int64")
    result[~present] = pd.NA
    return pd.Series(result, index=tokens.index)


def _token_arrays(tokens: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    ids = np.zeros(len(tokens), dtype=np.int64)
    present = np.zeros(len(tokens), dtype=bool)
    if decode_distinct(tokens, _token_arrays, ids, present):  # each distinct token decoded once
        return ids, present
    for stretch in fixed_width_chunks(tokens, _TOKEN_LENGTH):
        prefixes = None if stretch.matrix is None else _HEX[stretch.matrix[:, :16]]
        if prefixes is not None and (prefixes != 255).all():
            rows = stretch.start + stretch.rows
            # 16 hex digits, two to a byte: the big-endian 64-bit prefix.
            packed = np.ascontiguousarray((prefixes[:, 0::2] << 4) | prefixes[:, 1::2])
            ids[rows] = packed.view(">u8")[:, 0].astype(np.uint64).view(np.int64)
            present[rows] = True
        else:  # another length, or not hex: cell by cell (bytes.fromhex says what is wrong)
            values = stretch.values if stretch.values is not None else tokens.iloc[
                stretch.start:stretch.start + stretch.length].to_numpy(dtype=object, na_value=None)
            _token_cells(values, ids[stretch.start:stretch.start + stretch.length],
                         present[stretch.start:stretch.start + stretch.length])
    return ids, present


_TOKEN_LENGTH = 64  # hex digits of an HMAC-SHA256 token
_HEX = np.full(256, 255, dtype=np.uint8)
for _digit, _char in enumerate("0123456789abcdef"):
    _HEX[ord(_char)] = _HEX[ord(_char.upper())] = _digit


def _token_cells(values: np.ndarray, ids: np.ndarray, present: np.ndarray) -> None:
    """Cell by cell into ``ids`` and ``present`` (views of the caller's arrays)."""
    found = np.array([isinstance(v, str) and len(v) >= 16 for v in values], dtype=bool)
    if found.any():
        packed = bytes.fromhex("".join(v[:16] for v in values[found]))
        ids[found] = np.frombuffer(packed, dtype=">u8").astype(np.uint64).view(np.int64)
        present[found] = True


def _model_pairs(table: pd.DataFrame, settings: MatchSettings, backend: Backend) -> pd.DataFrame:
    """Splink's scored pairs near or above ``settings.min_probability``, with the address weights."""
    trained = len(table) >= settings.min_records_for_training
    with stage("register"):
        frame = backend.register(table)
    model = settings_dict(settings, len(table), backend.filters)
    if trained:
        with stage("prior"):
            model["probability_two_random_records_match"] = _estimate_prior(backend, len(table), settings)
    linker = _linker(frame, model)
    if trained:
        linker, trained = _train(linker, frame, settings, table)
    log.info("person model: %d records, parameters %s", len(table),
             "estimated" if trained else "default")
    probability = min(max(settings.min_probability, 1e-12), 1.0 - 1e-12)
    threshold = float(np.log2(probability / (1.0 - probability)))
    with stage("predict"):
        return _predict(linker, backend, threshold)


def _predict(linker: Any, backend: Backend, threshold: float) -> pd.DataFrame:
    # count_moves_once may raise a weight by up to _move_margin bits: ask Splink for that much
    # less, then keep what clears the threshold after the adjustment.
    predictions = linker.inference.predict(threshold_match_weight=threshold - _move_margin(linker))
    # Only the columns used below, fetched column by column: Splink's as_pandas_dataframe goes
    # through Python dictionaries, several GB for the millions of pairs of a national run.
    wanted = ["uid_l", "uid_r", "match_weight", "match_probability",
              *(f"mw_{c}" for c in MOVE_COMPARISONS)]
    negative = [f"least(mw_{c}, 0)" for c in MOVE_COMPARISONS]
    adjusted = f"match_weight - ({' + '.join(negative)}) + least({', '.join(negative)})"
    # (an upper bound of count_moves_once's result, which adds the gain only to moves)
    pairs = backend.query(f"SELECT {', '.join(wanted)} FROM {predictions.physical_name} "
                          f"WHERE {adjusted} >= {threshold}")
    predictions.drop_table_from_database_and_remove_from_cache()
    return pairs


def _move_margin(linker: object) -> float:
    """The most :func:`count_moves_once` can add to a weight under the model's parameters.

    Read from Splink's settings object (not a public API): should a Splink release rename
    it, the margin is 0 and movers just below the threshold are missed, with a warning.
    """
    worst = []
    try:
        for comparison in linker._settings_obj.comparisons:  # type: ignore[attr-defined]
            if comparison.output_column_name in MOVE_COMPARISONS:
                weights = [level._log2_bayes_factor for level in comparison.comparison_levels
                           if not level.is_null_level and (level._bayes_factor or 0.0) > 0.0]
                worst.append(min([*weights, 0.0]))
    except AttributeError:
        log.warning("person model: cannot read the address weights; moves may be missed")
        return 0.0
    return float(min(worst, default=0.0) - sum(worst))


def _household_share(table: pd.DataFrame, settings: MatchSettings) -> float:
    """The data's estimate that a pair at one address on which nothing personal agrees is one person."""
    if not settings.household_guard:
        return 1.0
    evidence = household_evidence(table, settings)
    share = evidence.match_share(settings.household_min_pairs)
    log.info("household guard: pairs at one address sharing a surname: %d agree on given name and birth, "
             "%d on the given name only, %d on the birth only, %d on neither; a shared address is worth "
             "at most a match probability of %.3f", evidence.both, evidence.given_only,
             evidence.birth_only, evidence.neither, share)
    return share


def count_moves_once(pairs: pd.DataFrame) -> pd.DataFrame:
    """For a move, keep only the most negative of the street, house, place and municipality weights.

    A pair is a move when none of street, house and place agrees (a missing one counts as
    not agreeing) and at least one of the four disagrees: to another municipality, or
    across town, where the municipality agrees and keeps its weight. When a person moves,
    the address parts disagree at once: one event (m about 5 % a year), not four independent
    ones. Summed, their negative weights (each a log of m/u with m around 0.1-0.2 for
    "different") came to about -19 bits on the national benchmark, which with a prior of one
    in three million sank the records of movers even when name and birth date agreed exactly
    (5,300 of its 6,000 missed pairs). Inside one municipality the same sum (-17 bits on the
    demo's data as on 2028-03-01) left a woman whose name and birth date agreed exactly at a
    match probability of 0.21, counted as two persons.
    Positive address weights are left to :func:`guard_households`.

    Args:
        pairs: Splink's predictions with ``match_weight`` and ``mw_<comparison>`` of every
            comparison in ``MOVE_COMPARISONS``.
    """
    if pairs.empty:
        return pairs
    weights = np.column_stack([pairs[f"mw_{c}"].to_numpy(dtype=float) for c in MOVE_COMPARISONS])
    negative = weights.clip(max=0.0)
    moved = (weights[:, :-1].max(axis=1) <= 0.0) & (weights.min(axis=1) < 0.0)
    gain = np.where(moved, negative.min(axis=1) - negative.sum(axis=1), 0.0)
    weight = pairs["match_weight"].to_numpy(dtype=float) + gain
    return pairs.assign(match_weight=weight, match_probability=1.0 / (1.0 + np.exp2(-weight)))


def _train(linker: Any, frame: Any, settings: MatchSettings, table: pd.DataFrame) -> tuple[Any, bool]:
    """Estimate u (random sampling: :mod:`interchange.linkage.u_sampling`) and m (EM).

    Returns the linker to score with, and False when the data will not do.

    A failed or degenerate estimate falls back to the defaults rather than stopping the run:
    a municipality with an odd data set still gets its links, scored conservatively. An EM
    session that fails (e.g. every pair sharing a birth date is a match, so EM's match share
    reaches 1, or a level's m value underflows to 0) leaves the model as it was before the
    session, so the other session's estimates are kept. Splink raises part-way through
    writing a session's m values, so the model is rebuilt from a copy taken before: on the
    demo's data as on 2026-12-31 the half-written model joined 46 pairs of different people
    and sent 493 pairs to review, where the rebuilt one joins none and sends one.

    A session whose blocking rule no two records can meet (fewer than two carry its tokens:
    partners that send a pseudonym for every person and no names) is not run: it would only
    fail, with warnings from Splink and from here on every run, and leave the model as it was.
    """
    try:
        with stage("training u"):
            estimate_u(linker, settings.u_max_pairs, settings.seed)
    except Exception as exc:  # any estimation failure means "use defaults"
        log.warning("person model: estimation failed (%s); using default parameters",
                    type(exc).__name__)
        return linker, False
    for number, (columns, rule) in enumerate(zip(TRAINING_COLUMNS, TRAINING_RULES, strict=True), start=1):
        if table[list(columns)].notna().all(axis=1).sum() < 2:
            log.info("person model: EM session %d not run: fewer than two records carry %s; its comparisons "
                     "keep their default m values", number, " and ".join(columns))
            continue
        before = linker.misc.save_model_to_json()
        try:
            with stage("training m (EM)"):
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, max_pairs=settings.em_max_pairs)
        except Exception as exc:  # each session may fail on its own
            log.warning("person model: EM session %d failed (%s); the model is kept as it was before it",
                        number, type(exc).__name__)
            linker = _linker(frame, before)
    return _floor_moves(linker, frame, settings), True


def _floor_moves(linker: Any, frame: Any, settings: MatchSettings) -> Any:
    """The linker with every address "different" level's m at least ``settings.min_move_m``."""
    model = linker.misc.save_model_to_json()
    raised = 0
    for comparison in model["comparisons"]:
        if comparison["output_column_name"] not in MOVE_COMPARISONS:
            continue
        for level in comparison["comparison_levels"]:
            m = level.get("m_probability")
            if level.get("sql_condition") == "ELSE" and m is not None and m < settings.min_move_m:
                level["m_probability"] = settings.min_move_m
                raised += 1
    if not raised:
        return linker
    log.info("person model: %d address 'different' m values raised to %.3f (moves)", raised, settings.min_move_m)
    return _linker(frame, model)


def _linker(frame: Any, model: dict[str, Any]) -> Any:
    """Splink's linker over `frame` with `model`, without Splink's settings check.

    The check only logs columns its SQL parser cannot find in the input; the settings are ours
    (settings_dict, tested on both backends), and parsing every comparison level's SQL again for
    each of a run's one to three linkers cost about 0.25 s CPU a linker: 0.5 s of a trained run
    on 3,000 records (7 %), 0.2 s of a run with the default parameters on 800 (18 %).
    """
    # Imported here so that importing this module (e.g. for PAIR_COLUMNS) stays cheap.
    from splink import Linker

    return Linker(frame, model, log_level=None, validate_settings=False)


def _estimate_prior(backend: Backend, n_records: int, settings: MatchSettings) -> float:
    """Share of all pairs that are the same person, from near-certain pairs and their recall.

    Near-certain: equal pseudonym, or equal given name, surname and birth date tokens. Done
    here rather than by Splink's estimator because a data set with no such pair must fall
    back to the default prior, not to a prior of 0 (which breaks the weights).
    """
    sure = int(backend.query(
        f"SELECT count(*) AS n FROM (SELECT l.uid AS a, r.uid AS b FROM {TABLE} l JOIN {TABLE} r "
        "ON l.person_pseudonym = r.person_pseudonym AND l.uid < r.uid UNION "
        f"SELECT l.uid AS a, r.uid AS b FROM {TABLE} l JOIN {TABLE} r "
        "ON l.given_name_token = r.given_name_token AND l.surname_token = r.surname_token "
        "AND l.birth_date_token = r.birth_date_token AND l.uid < r.uid) sure").iloc[0, 0])
    if not sure:
        return settings.prior
    pairs = n_records * (n_records - 1) / 2
    return min(sure / settings.prior_recall / pairs, 0.5)


def _combine(model: pd.DataFrame, exact: pd.DataFrame, min_probability: float) -> pd.DataFrame:
    # Splink puts the smaller id on the left already; normalise anyway, the contract says so.
    swap = model["uid_l"] > model["uid_r"]
    model.loc[swap, ["uid_l", "uid_r"]] = model.loc[swap, ["uid_r", "uid_l"]].to_numpy()
    model = model.assign(method="model")
    if not exact.empty:
        exact = exact.merge(model[["uid_l", "uid_r", "match_weight"]], how="left", on=["uid_l", "uid_r"])
        exact["match_weight"] = exact["match_weight"].clip(lower=PSEUDONYM_WEIGHT).fillna(PSEUDONYM_WEIGHT)
        exact = exact.assign(match_probability=1.0, method="pseudonym")
        keys = pd.MultiIndex.from_frame(exact[["uid_l", "uid_r"]])
        model = model.loc[~pd.MultiIndex.from_frame(model[["uid_l", "uid_r"]]).isin(keys)]
    pairs = pd.concat([exact.loc[:, list(PAIR_COLUMNS)], model.loc[:, list(PAIR_COLUMNS)]],
                      ignore_index=True) if not exact.empty else model.loc[:, list(PAIR_COLUMNS)]
    pairs["match_probability"] = pairs["match_probability"].astype(float).clip(0.0, 1.0)
    pairs["match_weight"] = pairs["match_weight"].astype(float)
    keep = pairs["match_probability"] >= min_probability
    return pairs.loc[keep].sort_values(["uid_l", "uid_r"]).reset_index(drop=True)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64" if c.startswith("match_") else "object")
                         for c in PAIR_COLUMNS})


