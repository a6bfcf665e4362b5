"""u values counted for all comparisons in one pass are the ones Splink's own estimate gives."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
import pytest
from linkage_kit import register

from interchange.linkage.backends import DuckDBBackend
from interchange.linkage.model import MatchSettings, _linker, prepare_records
from interchange.linkage.model_settings import settings_dict
from interchange.linkage.u_sampling import estimate_u

PAIRS = 1e5  # sex passes on the probe chunk (1,000 pairs), the others run past it


def _u_values(linker: Any) -> dict[tuple[str, str], Any]:
    model = linker.misc.save_model_to_json()
    return {(comparison["output_column_name"], level["label_for_charts"]): level.get("u_probability")
            for comparison in model["comparisons"] for level in comparison["comparison_levels"]}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return prepare_records(register(siblings=False)[0].iloc[:1_200])


@contextmanager
def _splinks_and_ours(table: pd.DataFrame) -> Iterator[tuple[Any, Any, MatchSettings]]:
    """Two linkers over the table on one DuckDB: the first with Splink's own u values, the second untrained."""
    settings = MatchSettings()
    backend = DuckDBBackend(settings)
    try:
        frame = backend.register(table)
        splinks, ours = (_linker(frame, settings_dict(settings, len(table), backend.filters)) for _ in range(2))
        splinks.training.estimate_u_using_random_sampling(max_pairs=PAIRS, seed=settings.seed)
        yield splinks, ours, settings
    finally:
        backend.close()


def test_one_pass_gives_splinks_u_values(table: pd.DataFrame) -> None:
    with _splinks_and_ours(table) as (splinks, ours, settings):
        estimate_u(ours, PAIRS, settings.seed)
        expected, found = _u_values(splinks), _u_values(ours)
    assert found.keys() == expected.keys()
    assert any(isinstance(u, float) for u in found.values())
    for level, u in expected.items():
        # null levels have no u; a level never seen in the sample is marked, as Splink marks it
        assert found[level] == (pytest.approx(u, rel=1e-9) if isinstance(u, float) else u), level


def test_a_failure_inside_the_one_pass_falls_back_to_splinks_method(
        table: pd.DataFrame, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # Before, an error in our pass reached the model, which then scored with default parameters.
    import duckdb

    from interchange.linkage import u_sampling

    def failing(*args: Any, **kwargs: Any) -> None:
        raise duckdb.OutOfMemoryException("injected")

    monkeypatch.setattr(u_sampling, "_count_levels", failing)
    with _splinks_and_ours(table) as (splinks, ours, settings), caplog.at_level("WARNING", logger=u_sampling.log.name):
        estimate_u(ours, PAIRS, settings.seed)
        assert _u_values(ours) == _u_values(splinks)
    assert "one-pass count failed (OutOfMemoryException)" in caplog.text


def test_two_input_tables_use_splinks_own_method(table: pd.DataFrame) -> None:
    # One pass covers one table deduplicated; anything else (here a link of two tables) goes
    # through Splink's public method and still gets its u values.
    import duckdb
    from splink import DuckDBAPI, Linker

    settings = MatchSettings()
    # Two comparisons are enough to see that the values arrive; all nine would take seconds.
    model = settings_dict(settings, len(table)) | {"link_type": "link_only"}
    model["comparisons"] = [c for c in model["comparisons"] if c["output_column_name"] in ("birth", "sex")]
    api = DuckDBAPI(connection=duckdb.connect())
    halves = [api.register(part.reset_index(drop=True), table_name=f"half_{i}")
              for i, part in enumerate((table.iloc[::2], table.iloc[1::2]))]
    splinks, ours = (Linker(halves, model, log_level=None, validate_settings=False) for _ in range(2))
    splinks.training.estimate_u_using_random_sampling(max_pairs=2e4, seed=settings.seed)
    estimate_u(ours, 2e4, settings.seed)
    assert _u_values(ours) == _u_values(splinks)
