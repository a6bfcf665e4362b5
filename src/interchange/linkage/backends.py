"""Where the Splink model runs: DuckDB in this process (the default) or a Spark session.

The model (comparisons, blocking, training, the move rule and the household guard) is the
same on both; only the SQL engine differs. A backend registers the prepared records as the
table ``person_records``, hands Splink its database API, and runs the two queries the model
issues itself (the prior's near-certain pairs, and fetching the scored pairs).
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from interchange.errors import InterchangeError
from interchange.linkage.bloom_columns import (
    PACKED,
    PORTABLE,
    FilterSql,
    dice_macro_sql,
    packed_select,
    wide_dice_macro_sql,
)
from interchange.linkage.model_settings import BLOOM_FIELDS, MatchSettings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

TABLE = "person_records"
_PREPARED = "person_records_prepared"  # the caller's frame, under the view TABLE
_CHECKPOINT_PREFIX = "interchange-spark-"

__all__ = ["TABLE", "Backend", "DuckDBBackend", "SparkBackend", "SparkUnavailable", "spark_session"]


class SparkUnavailable(InterchangeError, RuntimeError):
    """The workspace asks for Spark and this installation cannot give it."""


class Backend(Protocol):
    api: Any  # Splink's database API (DuckDBAPI, SparkAPI)
    filters: FilterSql  # how the registered table holds the Bloom filters, and the model's Dice SQL

    def register(self, table: pd.DataFrame) -> Any:
        """Register the prepared records as ``person_records``; Splink's frame of them."""

    def query(self, sql: str) -> pd.DataFrame:
        """Run a query and fetch its result."""

    def close(self) -> None:
        """Free what the run held (connections, spill files)."""


class DuckDBBackend:
    """An in-process DuckDB database with a memory cap, spilling to a private temporary directory.

    The records are a view over the caller's frame (no copy) in which each Bloom filter's
    words are one STRUCT column, compared by a macro (``bloom_columns.PACKED``).
    """

    filters = PACKED

    def __init__(self, settings: MatchSettings) -> None:
        import duckdb
        from splink import DuckDBAPI

        self.connection = duckdb.connect()
        # Above the cap DuckDB spills to disk instead of growing past what a 2-core municipal
        # server has (into a private directory, not DuckDB's default ".tmp" in the working
        # directory); insertion order is irrelevant to pairs and keeping it costs memory; the
        # progress bar would only clutter flow logs.
        self._spill = tempfile.TemporaryDirectory(prefix="interchange-linkage-")
        self.connection.execute(f"SET temp_directory = '{self._spill.name}'")
        self.connection.execute(f"SET memory_limit = '{settings.duckdb_memory_limit}'")
        self.connection.execute("SET preserve_insertion_order = false")
        self.connection.execute("SET enable_progress_bar = false")
        self.api = DuckDBAPI(connection=self.connection)

    def register(self, table: pd.DataFrame) -> Any:
        self.connection.register(_PREPARED, table)
        words = {c for field in BLOOM_FIELDS for c in PORTABLE.columns(field)}
        kept = [f'"{c}"' for c in table.columns if c not in words]
        self.connection.execute(dice_macro_sql())
        self.connection.execute(wide_dice_macro_sql())
        self.connection.execute(f"CREATE VIEW {TABLE} AS SELECT {', '.join(kept)}, "
                                f"{', '.join(packed_select(f) for f in BLOOM_FIELDS)} FROM {_PREPARED}")
        return self.api.register(TABLE, table_name=TABLE)

    def query(self, sql: str) -> pd.DataFrame:
        return self.connection.execute(sql).df()

    def close(self) -> None:
        self.connection.close()
        self._spill.cleanup()


class SparkBackend:
    """A caller's Spark session (local or a cluster): for national runs beyond one machine.

    The records go to Spark as an Arrow table, so the 64-bit token integers and filter words
    arrive exact (a pandas detour would turn nullable integers into floats). The filters stay
    16 word columns, compared in portable SQL (``bloom_columns.PORTABLE``).
    """

    filters = PORTABLE

    def __init__(self, spark: SparkSession) -> None:
        from splink import SparkAPI

        self.spark = spark
        # Splink writes its intermediate tables under the session's checkpoint directory. A
        # caller's own directory (a cluster's shared storage) is kept; otherwise the run gets a
        # private one, removed by close(). A session used for several runs still names the
        # previous run's (removed) directory, which Spark would silently create again and
        # nobody would remove: so ours is replaced too.
        self._checkpoints: tempfile.TemporaryDirectory[str] | None = None
        current = spark.sparkContext.getCheckpointDir()
        if not current or _CHECKPOINT_PREFIX in current:
            self._checkpoints = tempfile.TemporaryDirectory(prefix=_CHECKPOINT_PREFIX)
            spark.sparkContext.setCheckpointDir(self._checkpoints.name)
        # The person model compares Bloom filters and tokens in plain SQL, not with the Scala
        # similarity functions of Splink's jar; registering them would only log, on every run,
        # that the jar is missing and 'you will not be able to use these functions'.
        self.api = SparkAPI(spark_session=spark, register_udfs_automatically=False)

    def register(self, table: pd.DataFrame) -> Any:
        import pyarrow as pa

        with _pandas_3_accepted():
            frame = self.spark.createDataFrame(pa.Table.from_pandas(table, preserve_index=False))
        return self.api.register(frame, table_name=TABLE)

    def query(self, sql: str) -> pd.DataFrame:
        with _pandas_3_accepted():
            return self.spark.sql(sql).toPandas()

    def close(self) -> None:
        self.spark.catalog.dropTempView(TABLE)
        if self._checkpoints is not None:
            self._checkpoints.cleanup()


@contextmanager
def spark_session(master: str, config: Mapping[str, str]) -> Iterator[SparkSession]:
    """A Spark session for one linkage run (``linkage.spark_master`` / ``spark_config``), stopped after it."""
    try:
        with _pandas_3_accepted():
            from pyspark.sql import SparkSession
    except ImportError:
        raise SparkUnavailable(key="error.spark_missing") from None
    builder = (SparkSession.builder.master(master).appName("interchange-linkage")
               .config("spark.ui.showConsoleProgress", "false"))
    if master.startswith("local"):
        # Spark would start its Python workers with whatever "python3" is first on PATH, which
        # need not have this installation's packages; on this machine, use this interpreter.
        builder = builder.config("spark.pyspark.python", sys.executable)
    for key, value in config.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:
        # PySpark says only that its Java gateway exited; Spark's reason went to stderr.
        raise SparkUnavailable(
            f"cannot start a Spark session at linkage.spark_master {master!r} ({type(exc).__name__}: {exc}); "
            "check that Java 17 is installed (JAVA_HOME) and the master answers; Spark's own message is "
            "on the worker's standard error") from None
    try:
        yield session
    finally:
        session.stop()


@contextmanager
def _pandas_3_accepted() -> Iterator[None]:
    # PySpark 4.3 warns at import and at every conversion that it does not fully support
    # pandas 3; the model is tested on Spark with pandas 3 (tests/test_linkage_spark.py), so
    # the warning would only fill flow logs.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
        yield
