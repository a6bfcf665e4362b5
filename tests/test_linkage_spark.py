"""The person model on Splink's Spark backend gives the pairs it gives on DuckDB.

A local Spark session (two threads, Java 17) stands in for a cluster: the SQL, the training
calls, the move rule and the household guard are what a national run on Spark would use.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from linkage_kit import brothers, household, probability, register

from interchange.linkage.backends import spark_session
from interchange.linkage.model import PAIR_COLUMNS, MatchSettings, score_pairs

pytestmark = pytest.mark.spark

# u from 200,000 random pairs rather than the default two million: u sampling is most of a
# trained run on local Spark, and the smaller sample takes a fifth less of the JVM's time (90 s
# instead of 108 once warm); on DuckDB the register's links come out as with the default
# (which tests/test_linkage_model.py checks on the same register).
SAMPLED_U = MatchSettings(u_max_pairs=2e5)


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    # The session the link flow opens for `linkage.spark_master: local[2]`, shared by the tests.
    with spark_session("local[2]", {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4"}) as session:
        session.sparkContext.setLogLevel("ERROR")
        yield session


def _both(records: pd.DataFrame, spark: object,
          settings: MatchSettings | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both backends' pairs side by side, and Spark's as it gave them."""
    on_duckdb, on_spark = score_pairs(records, settings), score_pairs(records, settings, spark=spark)
    assert tuple(on_spark.columns) == PAIR_COLUMNS
    both = on_duckdb.merge(on_spark, on=["uid_l", "uid_r"], how="outer", suffixes=("_duckdb", "_spark"),
                           indicator=True)
    return both, on_spark


def test_default_parameters_give_the_same_pairs_on_spark(
        spark: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # A municipal-size set: the documented default m/u values, no training.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the runs' spill and checkpoint files go
    records = household(extra=brothers())
    with caplog.at_level(logging.WARNING, logger="splink"):
        both, on_spark = _both(records, spark)
    # The steward's flow log has no warning about functions the model never uses.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert (both["_merge"] == "both").all()
    assert both.match_probability_spark.tolist() == pytest.approx(both.match_probability_duckdb.tolist(), abs=1e-9)
    assert (both.method_spark == both.method_duckdb).all()
    assert probability(both.rename(columns={"match_probability_spark": "match_probability"}),
                       "spc:M", "mimc:7") > 0.95
    # A later run in the same session: each run's checkpoints go to a directory of its own, removed after it.
    assert score_pairs(records, spark=spark).equals(on_spark)
    assert list(tmp_path.iterdir()) == []


def test_trained_model_on_spark_links_and_separates_the_same_people(
        spark: object, caplog: pytest.LogCaptureFixture) -> None:
    # 3,000 records: u by random sampling and m by EM run on Spark's SQL, then the guard.
    records, twice_wrong, sibling_pairs = register(siblings=True)
    with caplog.at_level(logging.INFO, logger="interchange.linkage"):
        both, _ = _both(records, spark, SAMPLED_U)
    assert caplog.text.count("parameters estimated") == 2
    assert (both["_merge"] == "both").all()
    assert both.match_probability_spark.tolist() == pytest.approx(both.match_probability_duckdb.tolist(), abs=1e-6)
    on_spark = both.rename(columns={"match_probability_spark": "match_probability"})
    assert [pair for pair in sibling_pairs if probability(on_spark, *pair) > 0.5] == []
    linked = sum(probability(on_spark, f"a:{i}", f"b:{i}") > 0.5 for i in range(900))
    assert linked >= 0.97 * (900 - len(twice_wrong))


def test_a_spark_session_that_cannot_start_is_explained(tmp_path: Path) -> None:
    # In a process of its own: this one's Java gateway, once started, would be reused.
    script = ("from interchange.linkage.backends import SparkUnavailable, spark_session\n"
              "try:\n"
              "    with spark_session('local[1]', {}):\n"
              "        pass\n"
              "except SparkUnavailable as exc:\n"
              "    print(exc)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "JAVA_HOME": str(tmp_path / "no-java")})
    assert done.stdout.startswith("cannot start a Spark session at linkage.spark_master 'local[1]' (")
    assert "check that Java 17 is installed (JAVA_HOME)" in done.stdout
