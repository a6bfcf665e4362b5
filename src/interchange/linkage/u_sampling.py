"""u probabilities from random pairs: every comparison in one pass over the sampled pairs.

Splink's ``estimate_u_using_random_sampling`` samples records, then for each comparison in
turn joins the sample with itself chunk by chunk and counts that comparison's levels,
stopping early once every level has been seen ``min_count_per_level`` times. With nine
comparisons that is up to nine passes over the same pairs: 77 % of a FEBRL3 run's CPU
(8.4 of 11.0 s).

:func:`estimate_u` does the same sampling, the same chunks, the same early stop per
comparison and the same level SQL, but computes every comparison's level on each chunk's
pairs at once, each Bloom field's Dice similarity once per pair (``_dice_once``), and
counts the level patterns with one GROUP BY: the counts, and so the u values, are Splink's
own (``tests/test_linkage_u_sampling.py`` compares them). It reads
Splink's internals (Splink 4 and 5); should a release rename them, or on Spark (whose
intermediate tables Splink manages differently), it falls back to Splink's public method.
Nothing here reads record values into Python: only level counts.
"""

from __future__ import annotations

import logging
from copy import deepcopy
from typing import Any

log = logging.getLogger(__name__)

_MIN_COUNT_PER_LEVEL = 100  # Splink's defaults, so the counts are the ones it would take
_NUM_CHUNKS = 10
_PROBE_MULTIPLIER = 10
_TRAINING = "estimate u by random sampling"

__all__ = ["estimate_u"]


def estimate_u(linker: Any, max_pairs: float, seed: int | None) -> None:
    """Set the linker's u probabilities from ``max_pairs`` random pairs, as Splink would.

    Args:
        linker: a Splink linker (dedupe_only) over one input table.
        max_pairs: pairs in the random sample (Splink's ``max_pairs``).
        seed: the sample's seed (Splink's ``seed``).
    """
    try:
        one_pass = _one_pass_possible(linker)
    except (ImportError, AttributeError) as exc:
        log.warning("u estimation: Splink's internals have changed (%s); using its per-comparison method",
                    type(exc).__name__)
        one_pass = False
    if one_pass:
        try:
            _estimate_u_one_pass(linker, max_pairs, seed)
            return
        except Exception as exc:
            # Any failure of our pass (a DuckDB error, a Splink internal that changed shape): the pass
            # writes u only after every comparison is counted, so Splink's method starts clean.
            log.warning("u estimation: the one-pass count failed (%s); using Splink's per-comparison method",
                        type(exc).__name__)
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)


def _one_pass_possible(linker: Any) -> bool:
    # Imported here: a Splink without them makes this an ImportError, i.e. the fallback.
    from splink.internals.estimate_u import _estimate_u_comparison_vector_sqls  # noqa: F401
    from splink.internals.m_u_records_to_parameters import (  # noqa: F401
        append_u_probability_to_comparison_level_trained_probabilities,
    )

    settings = linker._settings_obj
    return (linker._sql_dialect_str == "duckdb" and hasattr(linker._db_api, "duckdb_con")
            and settings._link_type == "dedupe_only"
            and len(linker._input_tables_dict) == 1)


def _estimate_u_one_pass(linker: Any, max_pairs: float, seed: int | None) -> None:
    from splink.internals.constants import LEVEL_NOT_OBSERVED_TEXT
    from splink.internals.estimate_u import _estimate_u_comparison_vector_sqls, _rows_needed_for_n_pairs
    from splink.internals.m_u_records_to_parameters import (
        append_u_probability_to_comparison_level_trained_probabilities,
        m_u_records_to_lookup_dict,
    )
    from splink.internals.pipeline import CTEPipeline
    from splink.internals.vertically_concatenate import enqueue_df_concat

    from interchange.linkage.bloom_columns import widened_select

    settings = linker._settings_obj
    db_api = linker._db_api
    uid_columns = settings.column_info_settings.unique_id_input_columns
    # As Splink does on its training copy: no term-frequency adjustments when counting u.
    comparisons = deepcopy(settings.comparisons)
    for comparison in comparisons:
        for level in comparison.comparison_levels:
            level._tf_adjustment_column = None

    pipeline = enqueue_df_concat(linker, CTEPipeline())
    pipeline.enqueue_sql("select count(*) as count from __splink__df_concat", "__splink__df_concat_count")
    counted = db_api.sql_pipeline_to_splink_dataframe(pipeline)
    total = counted.as_record_list()[0]["count"]
    counted.drop_table_from_database_and_remove_from_cache()
    sample_size = min(_rows_needed_for_n_pairs(max_pairs), total)
    proportion = min(sample_size / total, 1.0)

    pipeline = enqueue_df_concat(linker, CTEPipeline())
    sample_filter = linker._proportion_sample_sql(proportion, uid_columns, seed=seed)
    widened = _packed_fields(comparisons)
    columns = f"* REPLACE ({', '.join(widened_select(f) for f in widened)})" if widened else "*"
    pipeline.enqueue_sql(f"select {columns} from __splink__df_concat where 1=1 {sample_filter}",
                         "__splink__df_concat_sample")
    sample = db_api.sql_pipeline_to_splink_dataframe(pipeline)
    try:
        # Each comparison's SQL once (Splink renders it through sqlglot at every call: ~0.1 s a
        # comparison, which on eleven chunks was most of the estimate's CPU on FEBRL3).
        common = [name for column in uid_columns for name in column.l_r_names_as_l_r]
        uids = [name for column in uid_columns for name in column.names_l_r]
        blocking_of = {c.output_column_name: c._columns_to_select_for_blocking() for c in comparisons}
        vector_of = {c.output_column_name: c._columns_to_select_for_comparison_vector_values(False)
                     for c in comparisons}

        def count_chunk(active: list[Any], chunk: int, chunks: int) -> dict[str, dict[int, float]]:
            """Level counts of each active comparison over one chunk of the sampled pairs."""
            names = [comparison.output_column_name for comparison in active]
            blocking = list(dict.fromkeys(common + [c for name in names for c in blocking_of[name]]))
            # As Settings.columns_to_select_for_comparison_vector_values lists them.
            vectors = list(dict.fromkeys(uids + [c for name in names for c in vector_of[name]] + ["match_key"]))
            blocking, vectors = _dice_once(blocking, vectors, widened)
            pair_sql, vector_sql = _estimate_u_comparison_vector_sqls(
                db_api=db_api, input_tablename_l="__splink__df_concat_sample",
                input_tablename_r="__splink__df_concat_sample", link_type=settings._link_type,
                source_dataset_input_column=settings.column_info_settings.source_dataset_input_column,
                unique_id_input_column=settings.column_info_settings.unique_id_input_column,
                blocking_cols=blocking, cv_cols=vectors, rhs_chunk_num=chunk, rhs_num_chunks=chunks)
            gammas = [comparison._gamma_column_name for comparison in active]
            pipeline = CTEPipeline(input_dataframes=[sample])
            pipeline.enqueue_sql(pair_sql["sql"], pair_sql["output_table_name"])
            pipeline.enqueue_sql(vector_sql["sql"], vector_sql["output_table_name"])
            # One GROUP BY over the level pattern: a few thousand rows, whatever the pair count.
            pipeline.enqueue_sql(
                f"select {', '.join(gammas)}, count(*) as pairs from __splink__df_comparison_vectors "
                f"group by {', '.join(gammas)}", "__splink__u_patterns")
            rows = _fetch_materialising_first(db_api.duckdb_con, pipeline.ctes_pipeline())
            patterns = [dict(zip([*gammas, "pairs"], row, strict=True)) for row in rows]
            counts: dict[str, dict[int, float]] = {}
            for comparison, gamma in zip(active, gammas, strict=True):
                found = counts.setdefault(comparison.output_column_name, {})
                for row in patterns:
                    level = int(row[gamma])
                    found[level] = found.get(level, 0.0) + float(row["pairs"])
            return counts

        final = _count_levels(comparisons, count_chunk)
    finally:
        sample.drop_table_from_database_and_remove_from_cache()

    records = []
    for comparison in comparisons:
        levels = _levels(comparison)
        found = final[comparison.output_column_name]
        total_count = sum(found.get(level, 0.0) for level in levels)
        for level in levels:
            count = found.get(level, 0.0)
            records.append({"output_column_name": comparison.output_column_name,
                            "comparison_vector_value": level, "m_probability": None,
                            "u_probability": count / total_count if count else LEVEL_NOT_OBSERVED_TEXT})
    lookup = m_u_records_to_lookup_dict(records)
    for comparison in settings.comparisons:
        for level in comparison._comparison_levels_excluding_null:
            append_u_probability_to_comparison_level_trained_probabilities(
                level, lookup, comparison.output_column_name, _TRAINING)
    linker._populate_m_u_from_trained_values()


def _fetch_materialising_first(connection: Any, ctes: list[Any]) -> list[tuple[Any, ...]]:
    """Run Splink's pipeline of CTEs as one query, its first CTE (the pairs) MATERIALIZED.

    Materialised, DuckDB computes each pair's Dice columns once (inlined, it copies each
    into every level that reads it); in one query rather than a table per step, each chunk
    costs about half the CPU (FEBRL3: 0.065 against 0.11 s a chunk).
    """
    *steps, final = ctes
    withs = ", ".join(f"{step.output_table_name} AS {'MATERIALIZED ' if i == 0 else ''}({step.sql})"
                      for i, step in enumerate(steps))
    return list(connection.execute(f"WITH {withs} {final.sql}").fetchall())


def _packed_fields(comparisons: list[Any]) -> list[str]:
    """The Bloom fields whose levels use the packed layout (DuckDB's): the sample widens them."""
    from interchange.linkage.bloom_columns import PACKED
    from interchange.linkage.model_settings import BLOOM_FIELDS

    conditions = [level.sql_condition for comparison in comparisons for level in comparison.comparison_levels]
    return [field for field in BLOOM_FIELDS if any(PACKED.dice(field) in sql for sql in conditions)]


def _dice_once(blocking: list[str], vectors: list[str], widened: list[str]) -> tuple[list[str], list[str]]:
    """Each Bloom field's Dice similarity computed once per pair, not once per level using it.

    A name comparison tests the same Dice expression at three levels and again in the swap
    level (with the other name's and the name pair's): 15 evaluations of 16 popcounts per
    random pair, most of the estimate's CPU. The pair table gets one column per field with
    the very expression the levels use (``bloom_columns.FilterSql.dice``), and the levels read it:
    the same values, so the same levels and counts.
    """
    from interchange.linkage.bloom_columns import DICE_MACRO, PACKED, PORTABLE, WIDE_DICE_MACRO
    from interchange.linkage.model_settings import BLOOM_FIELDS

    for field in BLOOM_FIELDS:
        # The levels were written for one of the two layouts (the backend's): find which.
        found = [filters for filters in (PACKED, PORTABLE) if any(filters.dice(field) in sql for sql in vectors)]
        if not found:
            continue
        filters = found[0]
        expression, column = filters.dice(field), f"__interchange_dice_{field}"
        vectors = [sql.replace(expression, column) for sql in vectors]
        # A widened field (the sample holds its filter as HUGEINT words) gets the same
        # popcounts from the wide macro.
        paired = expression.replace(f"{DICE_MACRO}(", f"{WIDE_DICE_MACRO}(") if field in widened else expression
        for name in filters.columns(field):
            paired = paired.replace(f"{name}_l", f'"l"."{name}"').replace(f"{name}_r", f'"r"."{name}"')
        sides = {f'"{side}"."{name}"' for side in "lr" for name in filters.columns(field)}
        blocking = [*(c for c in blocking if c.split(" AS ")[0] not in sides), f"{paired} AS {column}"]
    return blocking, vectors


def _count_levels(comparisons: list[Any], count_chunk: Any) -> dict[str, dict[int, float]]:
    """Splink's early stop per comparison, with every unfinished comparison counted on each chunk.

    A probe chunk (a hundredth of the pairs) first; a comparison whose every level was seen
    ``_MIN_COUNT_PER_LEVEL`` times keeps the probe's counts. The others start again on the
    ten chunks and each stops after the first chunk at which its rarest level reaches the count.
    """
    def finished(comparison: Any, counts: dict[int, float]) -> bool:
        return min((counts.get(level, 0.0) for level in _levels(comparison)), default=0.0) >= _MIN_COUNT_PER_LEVEL

    final: dict[str, dict[int, float]] = {}
    probe = count_chunk(comparisons, 1, _NUM_CHUNKS * _PROBE_MULTIPLIER)
    active = []
    for comparison in comparisons:
        name = comparison.output_column_name
        if finished(comparison, probe[name]):
            final[name] = probe[name]
        else:
            active.append(comparison)
    totals: dict[str, dict[int, float]] = {c.output_column_name: {} for c in active}
    for chunk in range(1, _NUM_CHUNKS + 1):
        if not active:
            break
        counts = count_chunk(active, chunk, _NUM_CHUNKS)
        still = []
        for comparison in active:
            name = comparison.output_column_name
            for level, count in counts[name].items():
                totals[name][level] = totals[name].get(level, 0.0) + count
            if finished(comparison, totals[name]):
                final[name] = totals[name]
            else:
                still.append(comparison)
        active = still
    final.update({c.output_column_name: totals[c.output_column_name] for c in active})
    return final


def _levels(comparison: Any) -> list[int]:
    """The comparison vector values of a comparison's levels, its null level left out."""
    return [int(level.comparison_vector_value) for level in comparison._comparison_levels_excluding_null]
