"""The matching model as a scorer (pairs.Scorer): on DuckDB in this process, or on a Spark session."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import partial

from interchange.linkage.backends import spark_session
from interchange.linkage.model import score_pairs
from interchange.linkage.pairs import Scorer


def default_scorer() -> tuple[str, Scorer]:
    """The matching model (linkage/model.py) on DuckDB; Splink itself is imported only when it scores."""
    return "model", score_pairs


@contextmanager
def configured_scorer(spark_master: str | None, spark_config: Mapping[str, str] | None = None
                      ) -> Iterator[tuple[str, Scorer]]:
    """The matching model as the workspace asks for it: on DuckDB, or on Spark at ``spark_master``.

    The Spark session lives for the ``with`` block (one linkage run) and is stopped after it.
    """
    if spark_master is None:
        yield default_scorer()
        return
    with spark_session(spark_master, spark_config or {}) as session:
        yield "model-spark", partial(score_pairs, spark=session)
