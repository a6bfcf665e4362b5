"""Batch-level validation: Great Expectations suites judge a whole partner batch.

Rows have already passed the pydantic contract one by one; the suites in `expectations/`
(reviewed JSON, one per record kind, plus `contact_weekly_visits`) judge the batch as a
whole. Each expectation's `meta` says how bad a failure is: `critical` holds the whole
batch, `warning` loads it and flags the receipt. Its `lt`/`en` templates may name counts,
columns, thresholds and parameters, never cell values, because cells may be personal data.

The suites are found in `directory`, by default the repository's `expectations/` folder
(editable or development install). An installed package does not ship them: a workspace
points at its own reviewed copy (config key `expectations_dir`) and passes it here.

A batch may be judged as one frame or as frames of consecutive rows (`judge_frames`), so that a
national drop is never held in memory whole; the hub judges its spool's chunks of columns
(`judge_columns`), each made the frame those rows' frame would be to GX, its text left as
objects. Column-map expectations (every value on its own: `between`, `in_set`, ...) run on each
frame and their counts are summed; GX's own rule then decides success (`mostly` over the
non-missing values). What spans frames is counted apart from GX: duplicate values
(`expect_column_values_to_be_unique`, by a 128-bit digest of each value) and the weekly
supervision visits, whose per-week table goes through its suite the same way; both hold their
few bytes a row a partition at a time (ingest/partitions.py), so memory stays flat however long
the batch. The outcomes equal those of one GX run over the whole batch
(tests/test_expectations.py).

GX computes, for each expectation, the metrics its own column-map rule reads (the rows, the
missing values, the unexpected ones and the first failing rows), asked for as its validation asks
for them; the rule itself is applied here over the summed counts. Validating a suite through
`Batch.validate` rebuilds every expectation's configuration through pydantic dozens of times a
run (some 60 % of its time on a national night) and their metrics' dependency graph; the
metrics each expectation needs, and that graph, are therefore taken from GX once per suite and
parameters (`_plan`), and each run only computes them (`_gx_counts`). The outcomes equal those
of `Batch.validate` for every suite (tests/test_expectations.py).

Great Expectations is imported lazily: importing it costs about 3 s.
"""

from __future__ import annotations

import functools
import json
import re
import string
import sys
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np
import pandas as pd
from sqlalchemy import String

from interchange import clock
from interchange.contract.records import Linkage, linkage_fields
from interchange.errors import InterchangeError
from interchange.ingest.partitions import PartitionedRecords
from interchange.warehouse.tables import RECORD_TABLES, data_columns

if TYPE_CHECKING:
    from great_expectations.data_context import AbstractDataContext

    from interchange.warehouse.load import RowColumns

SEVERITIES = ("critical", "warning")
WEEKLY_VISITS = "contact_weekly_visits"
SUITE_NAMES = ("person", "household", "contact", "group_session", "case", WEEKLY_VISITS)
MAX_UNEXPECTED_ROWS = 50
# Rows per Great Expectations run when a batch is judged in frames: a GX run costs a fixed
# fraction of a second, the few columns it reads cost some 50 bytes a row.
GX_ROWS = 250_000
# Judged across the whole batch, not frame by frame (see the module docstring).
_UNIQUE = "expect_column_values_to_be_unique"
# SUMMARY keeps at most partial_unexpected_count failing rows; COMPLETE would list all.
_RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": MAX_UNEXPECTED_ROWS}
_RUNTIME = {"result_format": _RESULT_FORMAT}  # what Batch.validate passes on to the metrics
# The metrics GX's column-map rule reads (ColumnMapExpectation._validate), by what they count.
_METRICS = {"elements": "table.row_count", "missing": "column_values.nonnull.unexpected_count",
            "unexpected": "{map_metric}.unexpected_count", "rows": "{map_metric}.unexpected_index_list"}

# The one place where batch thresholds and their defaults are documented.
DEFAULT_PARAMETERS: dict[str, Any] = {
    # Last day a record may be dated; None means clock.today() at call time.
    "today": None,
    # Latest plausible birth year; None means the year of `today`.
    "current_year": None,
    # First day of the period the drop declares; None means `today` minus DEFAULT_PERIOD_DAYS.
    "period_start": None,
    # Share of persons that must carry a pseudonym or some token/Bloom filter (warning below it).
    "min_linkage_share": 0.8,
    # Share of contacts / group sessions whose persons must be known (batch held below it).
    "min_known_reference_share": 0.9,
    # Share of contacts / sessions that must fall in the period (batch held below it: wrong file).
    "min_in_period_share": 0.99,
}
DEFAULT_PERIOD_DAYS = 366

# Columns the suites compare with `between`; GX only vectorises float/int64 and datetime64[ns].
_DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "household": ("social_risk_from", "social_risk_to"),
    "contact": ("contact_date",),
    "group_session": ("session_date",),
    "case": ("opened", "closed"),
}
_NUMBER_COLUMNS: dict[str, tuple[str, ...]] = {
    "person": ("birth_year",),
    "household": ("children_count",),
    "contact": ("duration_minutes",),
    "group_session": ("duration_minutes",),
    "case": ("children_in_family",),
}
# What makes a person linkable (has_linkage_key): its pseudonym, or an encoding of its name or birth date.
_LINKAGE_COLUMNS = linkage_fields(Linkage.IDENTITY)
_SUPERVISION_VISIT = "supervision_visit"
_META_KEYS = ("severity", "code", "lt", "en")
_RESULT_FIELDS = ("column", "element_count", "checked_count", "unexpected_count", "unexpected_percent",
                  "min_value", "max_value", "mostly_percent")


_EXCEPTION_LINE = re.compile(r"^((?:\w+\.)*\w*(?:Error|Exception|Exit|Interrupt|Warning))(?::|$)", re.MULTILINE)


class SuiteError(InterchangeError, ValueError):
    """A suite file is malformed, or an expectation could not be evaluated (a bug, not the partner's fault)."""


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's result, ready for the bilingual receipt."""

    code: str
    severity: str
    column: str | None
    success: bool
    element_count: int
    unexpected_count: int
    unexpected_rows: list[int]
    message_lt: str
    message_en: str


@dataclass(frozen=True)
class BatchVerdict:
    """All outcomes for one batch; `held` means nothing of it may be loaded."""

    outcomes: list[ExpectationOutcome]

    @property
    def held(self) -> bool:
        return any(o.severity == "critical" for o in self.failed)

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.failed if o.severity == "warning"]


# --- suites -------------------------------------------------------------------------------


def default_directory() -> Path:
    """The repository's `expectations/` folder; exists only in an editable or development install."""
    return Path(__file__).resolve().parents[3] / "expectations"


def load_suite(kind: str, directory: Path | None = None) -> dict[str, Any]:
    """The reviewed suite JSON of `kind`, checked for severity, code and safe message templates."""
    if kind not in SUITE_NAMES:
        raise ValueError(f"no expectation suite for kind {kind!r}; known: {', '.join(SUITE_NAMES)}")
    folder = directory if directory is not None else default_directory()
    path = folder / f"{kind}.json"
    if not path.is_file():
        raise FileNotFoundError(f"expectation suite {path} not found; set expectations_dir to the reviewed suites")
    suite: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    _check_suite(suite, path)
    return suite


def _check_suite(suite: dict[str, Any], path: Path) -> None:
    allowed = set(_RESULT_FIELDS) | set(DEFAULT_PARAMETERS)
    codes = [(e.get("meta") or {}).get("code") for e in suite.get("expectations", [])]
    if len(codes) != len(set(codes)):
        raise SuiteError(f"{path.name}: every expectation needs its own code")
    for number, expectation in enumerate(suite.get("expectations", []), start=1):
        where = f"{path.name}, expectation {number}"
        if not _summable(str(expectation.get("type"))):
            # A batch is judged a frame at a time: only what each value answers alone adds up, and
            # GX's column-map rule decides it over the summed counts (_SummedSuite._outcome).
            raise SuiteError(f"{where}: {expectation.get('type')} is not a column-map expectation "
                             "decided by its unexpected share")
        meta = expectation.get("meta") or {}
        missing = [key for key in _META_KEYS if not meta.get(key)]
        if missing:
            raise SuiteError(f"{where}: meta lacks {', '.join(missing)}")
        if meta["severity"] not in SEVERITIES:
            raise SuiteError(f"{where}: severity must be one of {', '.join(SEVERITIES)}")
        for language in ("lt", "en"):
            unknown = _placeholders(meta[language]) - allowed
            if unknown:
                # Only counts, columns and thresholds may be named: a value could be personal data.
                raise SuiteError(f"{where}: {language} template uses {', '.join(sorted(unknown))}")


def _summable(expectation_type: str) -> bool:
    if expectation_type == _UNIQUE:
        return True
    gx = great_expectations()
    from great_expectations.expectations.expectation import ColumnMapExpectation
    from great_expectations.expectations.registry import get_expectation_impl

    try:
        implementation = get_expectation_impl(expectation_type)
    except gx.exceptions.ExpectationNotFoundError:
        return False
    # Some column-map expectations (of_type, not_be_null, ...) ask for other metrics or decide otherwise.
    return (issubclass(implementation, ColumnMapExpectation)
            and implementation._validate is ColumnMapExpectation._validate
            and implementation.get_validation_dependencies is ColumnMapExpectation.get_validation_dependencies)


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def _gx_suite(suite: dict[str, Any]) -> Any:
    gx = great_expectations()

    # Ids belong to a stored context; the reviewed JSON may carry them from an export.
    clean = {key: value for key, value in suite.items() if key != "id"}
    clean["expectations"] = [{k: v for k, v in e.items() if k != "id"} for e in suite.get("expectations", [])]
    return gx.ExpectationSuite(**clean)


# --- parameters and frames ----------------------------------------------------------------


def resolve_parameters(parameters: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """DEFAULT_PARAMETERS overlaid with `parameters`, with the date defaults filled in."""
    resolved = {**DEFAULT_PARAMETERS, **(parameters or {})}
    today = _as_date(resolved["today"]) or clock.today()
    resolved["today"] = today
    resolved["current_year"] = int(resolved["current_year"] or today.year)
    resolved["period_start"] = _as_date(resolved["period_start"]) or today - timedelta(days=DEFAULT_PERIOD_DAYS)
    return resolved


def _as_date(value: object) -> date | None:
    if value is None or _is_plain_date(value):
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value))


def derive_columns(kind: str, frame: pd.DataFrame, *, known_person_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """A copy of `frame` with the derived columns its suite checks.

    person: `has_linkage_key`; contact: `person_known`; group_session: `attendees_known`.
    `known_person_ids` are the person record_ids known at the hub plus those arriving in the
    same delivery; contact and group_session batches need them. Deletion rows reference
    nothing, so they count as linked and known.
    """
    if kind == "person":
        return frame.assign(has_linkage_key=_deleted(frame) | _any_present(frame, _LINKAGE_COLUMNS))
    if kind in ("contact", "group_session"):
        if known_person_ids is None:
            raise ValueError(f"{kind} batches need known_person_ids to judge their references")
        known = _as_id_list(known_person_ids)
        if kind == "contact":
            return frame.assign(person_known=_deleted(frame) | _among(frame["person_record_id"], known))
        return frame.assign(attendees_known=_deleted(frame) | _attendees_known(frame["attendee_record_ids"], known))
    return frame.copy()


@dataclass(frozen=True)
class _TextIds:
    """Known ids that are all exactly str, looked up in their own set (not copied: a national
    person table's set is tens of megabytes, and its copy freed leaves the process larger)."""

    ids: set[str] | frozenset[str]

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)


def _as_id_list(ids: Iterable[str]) -> list[str] | pd.Index | _TextIds:
    return ids if isinstance(ids, list | pd.Index | _TextIds) else list(ids)


def _known_ids(ids: Iterable[str]) -> pd.Index | _TextIds:
    """The known ids as a batch judged in frames looks them up, frame after frame."""
    if not isinstance(ids, set | frozenset | pd.Index):
        try:
            ids = set(ids)
        except TypeError:  # an unhashable id: pandas decides what it makes of it
            return pd.Index(list(ids), dtype=object)
    # Text only (exactly str, by the types present, not a call a value): a set finds a value as
    # pandas' hash table does (only its NaN, never text, would match a NaN), at a third of the
    # cost of get_indexer a frame.
    if not isinstance(ids, pd.Index) and set(map(type, ids)) <= {str}:
        return _TextIds(ids)
    return pd.Index(list(ids), dtype=object)


def _among(values: pd.Series, known: list[str] | pd.Index | _TextIds) -> pd.Series:
    if isinstance(known, _TextIds):
        contains = known.ids.__contains__
        found = np.fromiter(map(contains, values.to_numpy(dtype=object)), dtype=bool, count=len(values))
        return pd.Series(found, index=values.index)
    if isinstance(known, pd.Index) and known.is_unique:
        # The index keeps its hash table: judged in frames, a batch builds it once, not per frame.
        return pd.Series(known.get_indexer(values) >= 0, index=values.index)
    return values.isin(known)


def _deleted(frame: pd.DataFrame) -> pd.Series:
    if "deleted" not in frame:
        return pd.Series(False, index=frame.index)
    return frame["deleted"].fillna(False).astype(bool)


def _any_present(frame: pd.DataFrame, columns: Iterable[str]) -> pd.Series:
    present = pd.Series(False, index=frame.index)
    for column in columns:
        if column in frame:
            values = frame[column]
            present |= values.notna() & (values.astype("str").str.strip() != "")
    return present


def _attendees_known(attendees: pd.Series, known: list[str] | pd.Index | _TextIds) -> pd.Series:
    # Contract rows hold lists; a frame read straight from CSV may still hold "a|b".
    lists = attendees.map(lambda v: v.split("|") if isinstance(v, str) else v)
    ids = lists.explode()
    ids = ids[ids.notna() & (ids.astype("str").str.strip() != "")]
    unknown = ~_among(ids.astype("str").str.strip(), known)
    has_unknown = unknown.groupby(level=0).any()
    return ~has_unknown.reindex(attendees.index, fill_value=False).astype(bool)


def weekly_visits_frame(contacts: pd.DataFrame) -> pd.DataFrame:
    """Supervision visits per person and ISO week: person_record_id, iso_year, iso_week, visits, _row.

    `_row` is the first contact row of that person-week, so a receipt can point at it.
    """
    dates = _datetimes(contacts["contact_date"])
    keep = (contacts["service_code"] == _SUPERVISION_VISIT).fillna(False) & ~_deleted(contacts) & dates.notna()
    iso = dates[keep].dt.isocalendar()
    visits = pd.DataFrame({
        "person_record_id": contacts.loc[keep, "person_record_id"],
        "iso_year": iso["year"].astype("int64"),
        "iso_week": iso["week"].astype("int64"),
        "_row": contacts.loc[keep, "_row"],
    })
    grouped = visits.groupby(["person_record_id", "iso_year", "iso_week"], sort=False, observed=True)["_row"]
    weekly = grouped.agg(visits="size", _row="min").reset_index()
    weekly["visits"] = weekly["visits"].astype("int64")
    return weekly


def _prepare(kind: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with the dtypes GX compares fast: datetime64[ns] dates and float64 numbers."""
    if "_row" not in frame:
        raise ValueError("the frame needs a _row column with the partner's row numbers")
    converted = {c: _datetimes(frame[c]) for c in _DATE_COLUMNS.get(kind, ()) if c in frame}
    converted |= {c: _floats(frame[c]) for c in _NUMBER_COLUMNS.get(kind, ()) if c in frame}
    # With copy-on-write, assign shares the untouched columns instead of copying them.
    return frame.assign(**converted) if converted else frame


def _datetimes(values: pd.Series) -> pd.Series:
    if values.dtype == "datetime64[ns]":
        return values
    # Dates and ISO strings both parse; rows passed the contract, so a failure is a bug: raise, never NaT.
    return pd.to_datetime(values, format="ISO8601").astype("datetime64[ns]")


def _floats(values: pd.Series) -> pd.Series:
    return values if values.dtype == "float64" else pd.to_numeric(values).astype("float64")


# --- judging ------------------------------------------------------------------------------


def judge_batch(
    kind: str,
    frame: pd.DataFrame,
    *,
    parameters: Mapping[str, Any] | None = None,
    known_person_ids: Iterable[str] | None = None,
    directory: Path | None = None,
) -> BatchVerdict:
    """Judge a whole batch of `kind` against its suite; contact batches also get the weekly-visits suite.

    `frame` holds the contract fields of `kind` plus `_row`. Derived columns are added when
    missing (contact and group_session then need `known_person_ids`, see derive_columns).
    """
    return judge_frames(kind, [frame], parameters=parameters, known_person_ids=known_person_ids,
                        directory=directory)


def judge_frames(
    kind: str,
    frames: Iterable[pd.DataFrame],
    *,
    parameters: Mapping[str, Any] | None = None,
    known_person_ids: Iterable[str] | None = None,
    directory: Path | None = None,
) -> BatchVerdict:
    """Judge a batch that comes as frames of consecutive rows (in row order), as judge_batch would judge
    them put together; only a frame at a time and a few bytes per row are held."""
    return _judge(kind, load_suite(kind, directory), frames, parameters=parameters,
                  known_person_ids=known_person_ids, directory=directory)


def judge_columns(
    kind: str,
    chunks: Iterable[RowColumns],
    *,
    parameters: Mapping[str, Any] | None = None,
    known_person_ids: Iterable[str] | None = None,
    directory: Path | None = None,
) -> BatchVerdict:
    """judge_frames over a batch's validated rows as its spool holds them (consecutive chunks of columns, in
    row order): the verdict of the frames validate.columns_frame makes of them, made more cheaply."""
    suite = load_suite(kind, directory)
    inferred = {e["kwargs"]["column"] for e in suite["expectations"]
                if e["type"] != _UNIQUE and "column" in e["kwargs"]}
    text = {column.name for column in RECORD_TABLES[kind].columns if isinstance(column.type, String)}
    as_objects = text - inferred
    frames = (_chunk_frame(kind, chunk, as_objects) for chunk in chunks)
    return _judge(kind, suite, frames, parameters=parameters, known_person_ids=known_person_ids, directory=directory)


def _chunk_frame(kind: str, chunk: RowColumns, as_objects: set[str]) -> pd.DataFrame:
    """What _prepare makes of validate.columns_frame(kind, chunk), but text held as the objects it is.

    Pandas infers text to its own string dtype, column by column; judging reads text only
    through Python objects (digests, id look-ups, comparisons), so that is converted back, at
    more cost than all the judging of a frame. Only the text columns GX does not read
    (`as_objects`) are kept as objects: the others are made as columns_frame makes them, so GX
    gets the same frame; the dates and numbers it compares are made once as _prepare converts them."""
    dates, numbers = _DATE_COLUMNS.get(kind, ()), _NUMBER_COLUMNS.get(kind, ())
    index = pd.RangeIndex(len(chunk))
    columns: dict[str, pd.Series] = {
        "record_id": pd.Series(chunk.record_ids, index=index, dtype=object if "record_id" in as_objects else None),
        "deleted": pd.Series(np.array(chunk.deleted, dtype=bool), index=index),
    }
    for name, values in zip(data_columns(kind), chunk.values, strict=True):
        if name in dates:
            columns[name] = _datetimes(pd.Series(values, index=index))
        elif name in numbers:  # whole numbers or None: the floats to_numeric makes of them
            columns[name] = pd.Series(np.array(values, dtype="float64"), index=index)
        else:
            columns[name] = pd.Series(values, index=index, dtype=object if name in as_objects else None)
    columns["_row"] = pd.Series(np.array(chunk.numbers, dtype="int64"), index=index)
    return pd.DataFrame(columns, copy=False)


def _judge(kind: str, suite: dict[str, Any], frames: Iterable[pd.DataFrame], *, parameters: Mapping[str, Any] | None,
           known_person_ids: Iterable[str] | None, directory: Path | None) -> BatchVerdict:
    resolved = resolve_parameters(parameters)
    known = None if known_person_ids is None else _known_ids(known_person_ids)
    main = _SummedSuite(suite, resolved)
    weekly = _WeeklyVisits() if kind == "contact" else None
    for frame in frames:
        prepared = _prepare(kind, _with_derived(kind, frame, known))
        main.add(prepared)
        if weekly is not None:
            weekly.add(prepared)
    outcomes = main.outcomes()
    if weekly is not None:
        per_week = _SummedSuite(load_suite(WEEKLY_VISITS, directory), resolved)
        for part in weekly.frames():
            per_week.add(part)
        outcomes += per_week.outcomes()
    return BatchVerdict(outcomes)


def get_ready(kind: str, *, parameters: Mapping[str, Any] | None = None, directory: Path | None = None) -> None:
    """Build now what judging a batch of `kind` builds once per process (the suites' plans): a
    child forked afterwards to judge it (ingest/overlap.py) inherits them rather than building
    them again for every batch."""
    resolved = resolve_parameters(parameters)
    _SummedSuite(load_suite(kind, directory), resolved)
    if kind == "contact":
        _SummedSuite(load_suite(WEEKLY_VISITS, directory), resolved)


def _with_derived(kind: str, frame: pd.DataFrame, known_person_ids: Iterable[str] | None) -> pd.DataFrame:
    derived = {"person": "has_linkage_key", "contact": "person_known", "group_session": "attendees_known"}.get(kind)
    if derived is None or derived in frame:
        return frame
    return derive_columns(kind, frame, known_person_ids=known_person_ids)


_LOCK = threading.Lock()
_IMPORT_LOCK = threading.Lock()
_CONTEXT: AbstractDataContext | None = None


def great_expectations() -> ModuleType:
    """Great Expectations, imported without PySpark.

    GX imports PySpark whenever it is installed (``interchange[spark]``, for linkage on
    Spark), down to PySpark's Connect client, whose import prints a pandas-version warning
    on stderr and, in a process started with ``python -c``, ends the process with exit
    status 0 unless grpc is installed (``pyspark/sql/connect/utils.py``,
    ``check_dependencies``). The hub validates pandas frames only, so GX's compatibility
    shim is shown PySpark as not installed; ``import pyspark`` works again afterwards.
    A process that imported PySpark before GX gets GX as it is.
    """
    with _IMPORT_LOCK:
        if "great_expectations" in sys.modules or "pyspark" in sys.modules:
            import great_expectations as gx

            return gx
        sys.modules["pyspark"] = None  # type: ignore[assignment]  # makes "import pyspark" raise ImportError
        try:
            import great_expectations as gx
        finally:
            if sys.modules.get("pyspark", 0) is None:
                del sys.modules["pyspark"]
        return gx


def _context() -> AbstractDataContext:
    """One ephemeral GX context per process: creating it is cheap, importing GX is not."""
    global _CONTEXT
    with _LOCK:
        if _CONTEXT is None:
            gx = great_expectations()
            from great_expectations.data_context.types.base import ProgressBarsConfig

            context = gx.get_context(mode="ephemeral")
            # tqdm bars on stderr would end up in flow logs, one per batch.
            context.variables.progress_bars = ProgressBarsConfig(globally=False)
            # GX writes an ephemeral context's whole configuration as YAML into an in-memory store
            # whenever a data source is added or deleted (twice per GX run here), and nothing reads
            # it back: a fifth of the CPU of ingesting the small drops of a national night.
            setattr(context, "_save_project_config", _keep_in_memory)  # noqa: B010 - a method, on purpose
            _CONTEXT = context
        return _CONTEXT


def _keep_in_memory() -> None:
    """What saving an ephemeral context's configuration needs to do: nothing."""


def _validate(suite: dict[str, Any], frame: pd.DataFrame, parameters: dict[str, Any]) -> list[ExpectationOutcome]:
    """The suite over `frame` in one GX run: the reference the summed outcomes are tested against."""
    results = _gx_results(suite, _gx_frame(suite, frame), _gx_parameters(parameters))
    outcomes = [_outcome(r, parameters) for r in results]
    # GX does not keep the suite's order; receipts read better in the reviewed order.
    order = {e["meta"]["code"]: i for i, e in enumerate(suite["expectations"])}
    return sorted(outcomes, key=lambda o: order[o.code])


def _gx_results(suite: dict[str, Any], gx_frame: pd.DataFrame, gx_parameters: dict[str, Any]) -> list[Any]:
    """GX's result of each expectation of `suite` over `gx_frame` (made by _gx_frame), by `Batch.validate`:
    the reference that _gx_counts is tested against."""
    with _gx_batch(gx_frame) as batch:
        # No unexpected_index_column_names: GX then walks every failing row in Python (seconds
        # for 1M); the frame's index carries the row numbers instead.
        result = batch.validate(_gx_suite(suite), expectation_parameters=gx_parameters, result_format=_RESULT_FORMAT)
    for one in result.results:
        traceback = _failure_traceback(one.exception_info)
        if traceback is not None:
            raise _not_evaluable(one.expectation_config.meta["code"], traceback)
    return list(result.results)


@contextmanager
def _gx_batch(gx_frame: pd.DataFrame) -> Iterator[Any]:
    """`gx_frame` as a GX batch, for the block."""
    context = _context()
    # A datasource per call: its execution engine keeps the last frame alive and is not
    # thread-safe; a shared one with unique asset names would keep every frame alive.
    name = f"batch-{uuid.uuid4().hex}"
    with _LOCK:
        asset = context.data_sources.add_pandas(name).add_dataframe_asset("frame")
        batch_definition = asset.add_batch_definition_whole_dataframe("all")
    try:
        yield batch_definition.get_batch(batch_parameters={"dataframe": gx_frame})
    finally:
        with _LOCK:
            context.data_sources.delete(name)


@dataclass(frozen=True)
class _Needed:
    """One expectation of a suite and the GX metrics its result is made of, by what they count (_METRICS)."""

    code: str
    column: str | None
    metrics: dict[str, Any]  # MetricConfiguration of no particular batch: a run's engine holds one


@dataclass(frozen=True)
class _Plan:
    """What GX computes for a suite: each expectation's metrics, and the graph of what they depend on."""

    needed: tuple[_Needed, ...]
    edges: tuple[Any, ...]  # MetricEdge


@functools.lru_cache(maxsize=64)
def _plan(suite_json: str, gx_parameters: tuple[tuple[str, Any], ...]) -> _Plan:
    """What each expectation of the suite needs computed, as GX's validation asks for it
    (ColumnMapExpectation.get_validation_dependencies), the parameters filled in, and the metrics'
    dependency graph: once per suite and parameters, where `Batch.validate` builds both every run."""
    from great_expectations.execution_engine import PandasExecutionEngine
    from great_expectations.validator.metrics_calculator import MetricsCalculator

    needed = []
    for configuration in _gx_suite(json.loads(suite_json)).expectation_configurations:
        configuration.process_suite_parameters(suite_parameters=dict(gx_parameters))
        expectation = configuration.to_domain_obj()
        asked = expectation.get_validation_dependencies(runtime_configuration={"result_format": _RESULT_FORMAT})
        metrics = {what: asked.get_metric_configuration(name.format(map_metric=expectation.map_metric))
                   for what, name in _METRICS.items()}
        needed.append(_Needed(configuration.meta["code"], configuration.kwargs.get("column"), metrics))
    unique = {metric.id: metric for one in needed for metric in one.metrics.values()}
    graph = MetricsCalculator(execution_engine=PandasExecutionEngine(), show_progress_bars=False
                              ).build_metric_dependency_graph(list(unique.values()), runtime_configuration=_RUNTIME)
    return _Plan(tuple(needed), tuple(graph.edges))


@dataclass(frozen=True)
class _Counts:
    """What GX's column-map rule reads of one expectation over one frame."""

    elements: int
    missing: int
    unexpected: int
    rows: list[int]  # the first failing rows, at most MAX_UNEXPECTED_ROWS


def _gx_counts(plan: _Plan, gx_frame: pd.DataFrame) -> dict[str, _Counts]:
    """Each expectation's counts over `gx_frame` (made by _gx_frame), by its code: the metrics of
    the plan computed by GX in one pass over the frame."""
    from great_expectations.validator.metrics_calculator import MetricsCalculator
    from great_expectations.validator.validation_graph import ValidationGraph

    with _gx_batch(gx_frame) as batch:
        engine = batch.data.execution_engine
        engine.batch_manager.load_batch_list([batch])  # the only batch of its engine: the one the metrics read
        # Not Batch.compute_metrics: it draws a progress bar on stderr every call, and it (as the
        # calculator's compute_metrics) logs what failed with the exception's text, which can quote a value.
        calculator = MetricsCalculator(execution_engine=engine, show_progress_bars=False)
        graph = ValidationGraph(execution_engine=engine, edges=list(plan.edges))
        resolved, aborted = calculator.resolve_validation_graph(graph, runtime_configuration=_RUNTIME)
    counts = {}
    for one in plan.needed:
        values = {what: resolved.get(metric.id, _UNRESOLVED) for what, metric in one.metrics.items()}
        if any(value is _UNRESOLVED for value in values.values()):
            raise _not_evaluable(one.code, _aborted_traceback(aborted, one.column))
        counts[one.code] = _Counts(int(values["elements"]), int(values["missing"]), int(values["unexpected"]),
                                   [int(row) for row in values["rows"][:MAX_UNEXPECTED_ROWS]])
    return counts


_UNRESOLVED = object()


def _failure_traceback(info: Mapping[str, Any]) -> str | None:
    """The traceback of what failed an expectation, in either of GX's forms (its own exception, or
    the metrics it needed by metric id), or None when nothing failed."""
    if info.get("raised_exception"):
        return str(info.get("exception_traceback") or "")
    failed = [value.exception_traceback for value in info.values() if hasattr(value, "exception_traceback")]
    return str(failed[0] or "") if failed else None


def _aborted_traceback(aborted: Mapping[Any, Any], column: str | None) -> str:
    """The traceback of a metric GX gave up on, one on `column` first (an expectation's own metrics
    are not among them when what failed is one they depend on)."""
    failures = sorted(aborted.values(), key=lambda failure: failure["metric_configuration"].metric_domain_kwargs
                      .get("column") != column)
    return str(failures[0]["exception_info"].exception_traceback or "") if failures else ""


def _not_evaluable(code: str, traceback: str) -> SuiteError:
    # Only the exception's class: its text can quote a value of the frame it failed on, and a
    # SuiteError's message reaches the steward and the alerts (interchange.errors).
    return SuiteError(f"{code}: cannot be evaluated ({_exception_class({'exception_traceback': traceback})})")


# --- a batch judged in frames ---------------------------------------------------------------


@dataclass
class _Tally:
    """One expectation's counts, summed over the frames of a batch."""

    elements: int = 0
    nonnull: int = 0
    unexpected: int = 0
    rows: list[int] = field(default_factory=list)  # the first failing rows, in batch order

    def add(self, elements: int, nonnull: int, unexpected: int, rows: list[int]) -> None:
        """Counts of one more frame and its first failing rows (frames may come in any order)."""
        self.elements += elements
        self.nonnull += nonnull
        self.unexpected += unexpected
        self.rows = sorted(self.rows + rows)[:MAX_UNEXPECTED_ROWS]


class _SummedSuite:
    """A suite judged over consecutive frames of one batch, with the outcomes of one GX run over them all."""

    def __init__(self, suite: dict[str, Any], parameters: dict[str, Any]) -> None:
        self._suite = suite
        self._parameters = parameters
        self._gx_parameters = _gx_parameters(parameters)
        expectations = suite["expectations"]
        self._duplicates = {e["meta"]["code"]: (e["kwargs"]["column"], _Duplicates())
                            for e in expectations if e["type"] == _UNIQUE}
        self._mapped = {**suite, "expectations": [e for e in expectations if e["type"] != _UNIQUE]}
        self._plan = _plan(json.dumps(self._mapped, sort_keys=True), tuple(sorted(self._gx_parameters.items())))
        self._tallies = {e["meta"]["code"]: _Tally() for e in expectations}
        self._pending: list[pd.DataFrame] = []
        self._pending_rows = 0
        self._runs = 0

    def add(self, frame: pd.DataFrame) -> None:
        for column, duplicates in self._duplicates.values():
            if column not in frame:
                raise ValueError(f"the {self._suite['name']} frame lacks column {column}")
            duplicates.add(frame[column], frame["_row"])
        if self._mapped["expectations"]:
            self._pending.append(_gx_frame(self._mapped, frame))
            self._pending_rows += len(frame)
            if self._pending_rows >= GX_ROWS:
                self._run()

    def outcomes(self) -> list[ExpectationOutcome]:
        if self._pending and (self._pending_rows or not self._runs):
            self._run()
        for code, (_, duplicates) in self._duplicates.items():
            self._tallies[code].add(*duplicates.counts())
        return [self._outcome(e) for e in self._suite["expectations"]]

    def _run(self) -> None:
        frame = self._pending[0] if len(self._pending) == 1 else pd.concat(self._pending)
        self._pending, self._pending_rows = [], 0
        if not frame.index.is_monotonic_increasing:  # GX lists a frame's first failing rows in its order
            frame = frame.sort_index(kind="stable")
        self._runs += 1
        for code, counts in _gx_counts(self._plan, frame).items():
            self._tallies[code].add(counts.elements, counts.elements - counts.missing, counts.unexpected, counts.rows)

    def _outcome(self, expectation: dict[str, Any]) -> ExpectationOutcome:
        meta = expectation["meta"]
        kwargs = {k: _parameter(v, self._gx_parameters) for k, v in expectation["kwargs"].items()}
        tally = self._tallies[meta["code"]]
        # As GX decides a column-map expectation (ColumnMapExpectation._validate, _format_map_output).
        if tally.elements == 0 or tally.nonnull == 0:
            success = True
        else:
            mostly = float(kwargs["mostly"]) if kwargs.get("mostly") is not None else 1.0
            success = (float(tally.nonnull) - float(tally.unexpected)) / float(tally.nonnull) >= mostly
        summary = {
            "element_count": tally.elements,
            "missing_count": tally.elements - tally.nonnull,
            "unexpected_count": tally.unexpected,
            "unexpected_percent": tally.unexpected / tally.nonnull * 100 if tally.nonnull > 0 else None,
        }
        fields = _message_fields(kwargs, summary, self._parameters)
        return ExpectationOutcome(
            code=meta["code"], severity=meta["severity"], column=kwargs.get("column"), success=success,
            element_count=fields["element_count"], unexpected_count=fields["unexpected_count"],
            unexpected_rows=tally.rows[:MAX_UNEXPECTED_ROWS],
            message_lt=meta["lt"].format_map(fields), message_en=meta["en"].format_map(fields),
        )


def _parameter(value: Any, gx_parameters: dict[str, Any]) -> Any:
    if isinstance(value, dict) and set(value) == {"$PARAMETER"}:
        return gx_parameters[value["$PARAMETER"]]
    return value


_DIGEST_KEYS = ("interchange.dig1", "interchange.dig2")  # SipHash keys: hash_array wants 16 bytes


def _digests(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two independent 64-bit digests of each value: two different values share both about once
    in 10^38 pairs, so equal digests are equal values for any batch the hub will see."""
    first, second = (pd.util.hash_array(values, hash_key=key, categorize=False) for key in _DIGEST_KEYS)
    return first, second


class _Duplicates:
    """Which values of a column occur more than once in the batch (GX's `unique`: every occurrence
    counts), from two digests of each value and its row number: 24 bytes a row, not the values,
    held a partition at a time (ingest/partitions.py)."""

    def __init__(self) -> None:
        self._elements = 0
        self._present = 0
        self._records = PartitionedRecords(_DUPLICATE_RECORD, "first")

    def add(self, values: pd.Series, rows: pd.Series) -> None:
        self._elements += len(values)
        present = values.notna().to_numpy()
        first, second = _digests(values.to_numpy(dtype=object)[present])
        records = np.empty(len(first), dtype=_DUPLICATE_RECORD)
        records["first"], records["second"], records["row"] = first, second, rows.to_numpy(dtype="int64")[present]
        self._present += len(records)
        self._records.add(records)

    def counts(self) -> tuple[int, int, int, list[int]]:
        """(elements, non-missing, unexpected, first unexpected rows) as a _Tally adds them."""
        unexpected, first_rows = 0, []
        for records in self._records.partitions():
            failing = _repeated_rows(records["first"], records["second"], records["row"])
            unexpected += len(failing)
            first_rows.append(failing[:MAX_UNEXPECTED_ROWS])
        rows = np.sort(np.concatenate(first_rows))[:MAX_UNEXPECTED_ROWS] if first_rows else np.empty(0, "int64")
        return self._elements, self._present, unexpected, rows.tolist()


_DUPLICATE_RECORD = np.dtype([("first", "u8"), ("second", "u8"), ("row", "i8")])
_VISIT_RECORD = np.dtype([("first", "u8"), ("second", "u8"), ("week", "i8"), ("row", "i8")])


def _repeated_rows(first: np.ndarray, second: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The rows, sorted, whose pair of digests another row shares."""
    # Sorted by the first digest only (8 bytes a row more); the few rows that share it with
    # another are then told apart by both digests. Their order among equals does not matter: the
    # candidates are taken in order (np.unique), so the quicker unstable sort does.
    order = np.argsort(first)
    ordered = first[order]
    shared = np.flatnonzero(ordered[1:] == ordered[:-1])
    del ordered
    candidates = order[np.unique(np.concatenate((shared, shared + 1)))]
    del order
    keys = np.rec.fromarrays((first[candidates], second[candidates]))
    _, inverse, sizes = np.unique(keys, return_inverse=True, return_counts=True)
    return np.sort(rows[candidates[sizes[inverse.ravel()] > 1]])


class _WeeklyVisits:
    """weekly_visits_frame over the frames of a contact batch: per supervision visit, the person's
    digests, the ISO week and the row (32 bytes), grouped a partition of persons at a time
    (ingest/partitions.py) when the batch is complete."""

    def __init__(self) -> None:
        self._records = PartitionedRecords(_VISIT_RECORD, "first")

    def add(self, contacts: pd.DataFrame) -> None:
        dates = _datetimes(contacts["contact_date"])
        person = contacts["person_record_id"]
        kept = (_equals(contacts["service_code"], _SUPERVISION_VISIT) & ~_deleted(contacts).to_numpy(dtype=bool)
                & dates.notna().to_numpy() & person.notna().to_numpy())  # groupby leaves out a missing key, as here
        if not kept.any():
            return
        records = np.empty(int(kept.sum()), dtype=_VISIT_RECORD)
        records["first"], records["second"] = _digests(person.to_numpy(dtype=object)[kept])
        records["week"] = _iso_weeks(dates.to_numpy()[kept])
        records["row"] = contacts["_row"].to_numpy(dtype="int64")[kept]
        self._records.add(records)

    def frames(self) -> Iterator[pd.DataFrame]:
        """visits and _row per person-week, at most GX_ROWS person-weeks a frame, each frame ordered by
        _row; all of them in one order by _row (as groupby(sort=False) orders them) unless the visits
        went to disk, and then every frame still in that order within itself."""
        pending: list[pd.DataFrame] = []
        held = 0
        for records in self._records.partitions():
            pending.append(_person_weeks(records))
            held += len(pending[-1])
            while held >= GX_ROWS:
                weekly = pd.concat(pending).sort_values("_row", kind="stable")
                yield weekly.iloc[:GX_ROWS]
                pending, held = [weekly.iloc[GX_ROWS:]], held - GX_ROWS
        if held:
            yield pd.concat(pending).sort_values("_row", kind="stable")


def _equals(values: pd.Series, text: str) -> np.ndarray:
    """values == text, a missing value never equal (as pandas compares)."""
    if values.dtype == object:
        # Objects (judge_columns' text) compared by numpy: pandas' comparison of an object column,
        # looking for missing values first, takes five times as long. None, NaN and NaT are unequal
        # to text either way; pd.NA cannot say (numpy raises), and is left to pandas.
        try:
            equal = values.to_numpy() == text
        except TypeError:
            pass
        else:
            if isinstance(equal, np.ndarray) and equal.dtype == bool and equal.shape == values.shape:
                return equal
    return (values == text).fillna(False).to_numpy(dtype=bool)


def _iso_weeks(dates: np.ndarray) -> np.ndarray:
    """ISO year * 100 + ISO week of each datetime64 (none missing), as Series.dt.isocalendar() tells them,
    by day arithmetic rather than a calendar object per value."""
    # Nanoseconds floor-divided: numpy's own cast to days overflows on the first day a frame can hold.
    days = dates.astype("datetime64[ns]", copy=False).view("int64") // 86_400_000_000_000
    thursday = days - (days + 3) % 7 + 3  # of the day's ISO week (Monday first); 1970-01-01 was a Thursday
    year = thursday.astype("datetime64[D]").astype("datetime64[Y]")
    week = (thursday - year.astype("datetime64[D]").astype("int64")) // 7 + 1
    return (year.astype("int64") + 1970) * 100 + week


def _person_weeks(records: np.ndarray) -> pd.DataFrame:
    """visits and _row (of the first visit) per person-week of `records` (in row order), ordered by _row."""
    first, second, week, rows = (records[name] for name in ("first", "second", "week", "row"))
    order = np.lexsort((week, second, first))  # stable: within a person-week, rows stay ascending
    first, second, week, rows = first[order], second[order], week[order], rows[order]
    starts = np.flatnonzero(np.concatenate(([True], (first[1:] != first[:-1]) | (second[1:] != second[:-1])
                                            | (week[1:] != week[:-1]))))
    visits = np.diff(np.append(starts, len(rows)))
    by_row = np.argsort(rows[starts], kind="stable")
    return pd.DataFrame({"visits": visits[by_row].astype("int64"), "_row": rows[starts][by_row]})


def _gx_frame(suite: dict[str, Any], frame: pd.DataFrame) -> pd.DataFrame:
    """What GX gets: only the columns the suite reads, indexed by the partner's row numbers."""
    wanted = {e["kwargs"]["column"] for e in suite["expectations"] if "column" in e["kwargs"]}
    missing = wanted - set(frame.columns)
    if missing:
        raise ValueError(f"the {suite['name']} frame lacks columns {', '.join(sorted(missing))}")
    subset = frame[[c for c in frame.columns if c in wanted]]
    subset.index = pd.Index(frame["_row"].to_numpy(dtype="int64"))
    if "record_id" in subset:
        # Equal ids get equal codes, so uniqueness is judged the same; GX hashes every frame
        # it loads (twice per run), and integers hash ~10x faster than Python strings. The
        # results then hold no record ids either.
        codes = pd.Series(pd.factorize(subset["record_id"])[0], index=subset.index)
        subset["record_id"] = codes.where(codes >= 0)  # a missing id stays missing, not a duplicate
    return subset


def _gx_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    # Date columns are datetime64[ns]; pandas will not compare them with a plain date.
    return {k: datetime.combine(v, datetime.min.time()) if _is_plain_date(v) else v for k, v in parameters.items()}


def _is_plain_date(value: object) -> TypeGuard[date]:
    return isinstance(value, date) and not isinstance(value, datetime)


def _exception_class(info: dict[str, Any]) -> str:
    # GX keeps the traceback as text, each exception's line as "ExceptionClass: message" (whose
    # message may run over several lines): the last line that starts with a class name.
    names = _EXCEPTION_LINE.findall(str(info.get("exception_traceback") or ""))
    return names[-1] if names else "an exception"


def _outcome(result: Any, parameters: dict[str, Any]) -> ExpectationOutcome:
    config = result.expectation_config
    meta = config.meta
    summary = result.result
    fields = _message_fields(config.kwargs, summary, parameters)
    rows = [int(row) for row in summary.get("partial_unexpected_index_list") or []]
    return ExpectationOutcome(
        code=meta["code"],
        severity=meta["severity"],
        column=config.kwargs.get("column"),
        success=bool(result.success),
        element_count=fields["element_count"],
        unexpected_count=fields["unexpected_count"],
        unexpected_rows=rows[:MAX_UNEXPECTED_ROWS],
        message_lt=meta["lt"].format_map(fields),
        message_en=meta["en"].format_map(fields),
    )


def _message_fields(kwargs: Mapping[str, Any], summary: Mapping[str, Any],
                    parameters: dict[str, Any]) -> dict[str, Any]:
    """Everything a template may name: counts, the column, thresholds and parameters, never values."""
    element_count = int(summary.get("element_count") or 0)
    unexpected_count = int(summary.get("unexpected_count") or 0)
    mostly = kwargs.get("mostly")
    fields = {name: _show(value) for name, value in parameters.items()}
    fields |= {
        "column": kwargs.get("column"),
        "element_count": element_count,
        "checked_count": element_count - int(summary.get("missing_count") or 0),
        "unexpected_count": unexpected_count,
        "unexpected_percent": _show(round(float(summary.get("unexpected_percent") or 0.0), 1)),
        "min_value": _show(kwargs.get("min_value")),
        "max_value": _show(kwargs.get("max_value")),
        "mostly_percent": _show(round(float(mostly if mostly is not None else 1.0) * 100, 1)),
    }
    return fields


def _show(value: object) -> object:
    if isinstance(value, datetime):  # pandas Timestamps too
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
