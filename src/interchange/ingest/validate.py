"""Row-level validation at the hub: every row becomes a warehouse Row or quarantine problems.

The contract's pydantic models judge each row the moment it is read; what was valid is
kept whatever happens to the rows around it, on disk a chunk at a time (ingest/spool.py), so
memory does not grow with the file. A file that carries direct identifiers
(personal codes, names) is refused whole, and its raw copy is not kept.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter

import pandas as pd

from interchange.contract.column_names import header_row_is_data, hide_unquotable
from interchange.contract.consent import CONSENT_FIELD, ConsentCount
from interchange.contract.personal_code import holds_personal_code
from interchange.contract.problems import Problem, ProblemError, Severity, error, warning
from interchange.contract.records import Kind
from interchange.contract.rows import HeaderMap, map_headers, validate_row
from interchange.contract.text import key_of
from interchange.ingest.columnar import ColumnValidator
from interchange.ingest.spool import SpooledRows
from interchange.partner.code_scan import CodeScan, refusal
from interchange.partner.columns import ColumnMapping, known_header_keys
from interchange.partner.identifiers import identifier_keys
from interchange.tabular import RawRow
from interchange.tabular.csv_blocks import ColumnBlock
from interchange.warehouse.load import Row, RowColumns
from interchange.warehouse.tables import data_columns

FAST_CHUNK = 4096  # raw rows the column validator takes at once: small next to a spool chunk
# Set to 1, every row is validated by its model (the reference path the column validator is
# tested against, and a way to rule the fast path out when a steward doubts a verdict).
ROW_PATH_ENV = "INTERCHANGE_ROW_PATH"


@dataclass
class ValidatedBatch:
    """What a file or pull held, row by row, before the batch is judged as a whole."""

    kind: Kind | None  # None when the file could not be read far enough to tell
    rows: SpooledRows = field(default_factory=SpooledRows)  # in row order
    rows_read: int = 0
    problems: list[Problem] = field(default_factory=list)
    rejected_rows: set[int] = field(default_factory=set)
    # The file as a whole cannot be used: nothing loads, every row counts as quarantined.
    fatal: bool = False
    # The raw file holds direct identifiers: the hub must not keep even its archived copy.
    purge_archive: bool = False
    # Person files: valid persons whose record does not say consent_reporting = yes.
    persons_without_consent: int | None = None

    @property
    def quarantined(self) -> int:
        return self.rows_read if self.fatal else len(self.rejected_rows)

    def reject(self, problem: Problem) -> None:
        self.problems.append(problem)
        self.fatal = True


def validate_rows(kind: Kind, org: str, headers: list[str], raw_rows: Iterable[RawRow | ColumnBlock], *,
                  columns: ColumnMapping | None = None, spool: SpooledRows | None = None) -> ValidatedBatch:
    """Validate a whole file's rows (or a whole pull's records) of `kind` sent by `org`.

    `columns` is the organisation's own column names (its `columns:` in interchange.yaml);
    `spool` is where the valid rows go (a new SpooledRows by default).
    """
    refused = refuse_identifiers(kind, headers, raw_rows, columns)
    if refused is not None:
        return refused
    batch = ValidatedBatch(kind, rows=spool if spool is not None else SpooledRows())
    header_map = map_headers(kind, headers, supplied=["org"], extra_aliases=columns.aliases(kind) if columns else None)
    # At the hub an unknown column is not fatal: its data is left out and the partner told.
    batch.problems += [warning(p.code, column=p.column, **p.params) if p.code == "header.unknown" else p
                       for p in header_map.problems]
    if header_map.fatal:
        batch.fatal = True
        batch.rows_read = count_rows(raw_rows)
        return batch
    try:
        with _cycle_collection_paused():
            _validate_each(batch, kind, org, header_map, raw_rows)
    except ProblemError as exc:
        # The file is damaged further in: rows before the damage are kept and counted,
        # the rest cannot be read, and the partner is told where reading stopped.
        batch.problems += exc.problems
    if kind is Kind.PERSON:
        _count_consent(batch)
    if batch.rows_read == 0 and not batch.fatal:
        batch.reject(error("file.no_rows"))
    return batch


def _count_consent(batch: ValidatedBatch) -> None:
    """Persons the published figures will leave out under the default consent rule (contract/consent.py).

    A count on the receipt, not a problem: the partner's check already warned, and a warning
    row in the quarantine table would be one more thing for the steward with nothing to do.
    """
    position = data_columns(Kind.PERSON).index(CONSENT_FIELD)
    consent = ConsentCount()
    for chunk in batch.rows.column_chunks():
        for deleted, value in zip(chunk.deleted, chunk.values[position], strict=True):
            if not deleted:
                consent.add(value)
    batch.persons_without_consent = consent.without


def count_rows(raw_rows: Iterable[RawRow | ColumnBlock]) -> int:
    """The rows read to the end (a file refused whole still says how many it held)."""
    return sum(len(item) + len(item.rows) if isinstance(item, ColumnBlock) else 1 for item in raw_rows)


def refuse_identifiers(kind: Kind | None, headers: list[str], raw_rows: Iterable[RawRow | ColumnBlock],
                       columns: ColumnMapping | None = None) -> ValidatedBatch | None:
    """The whole file refused, and its raw copy not kept, when it carries direct identifiers.

    That is a column named as one (`asmens_kodas`, `vardas`, ...) or that the organisation's
    `columns` map to one, or a column name that is itself a personal code, or a header row that
    looks like a record (contract/column_names.py): a raw extract sent without its header row.
    Such a name is never quoted back.
    """
    mapped = set(columns.identifier_headers(headers)) if columns else set()
    named = [h for h in headers if key_of(h) in identifier_keys() or h in mapped]
    coded = [position for position, h in enumerate(headers, start=1) if holds_personal_code(h)]
    headless = not named and not coded and header_row_is_data(headers, known_header_keys(columns))
    if not named and not coded and not headless:
        return None
    batch = ValidatedBatch(kind)
    for header in named:
        batch.reject(error("header.identifier", column=header))
    for position in coded:
        batch.reject(error("header.personal_code", position=position))
    if headless:
        batch.reject(error("file.no_header"))
    batch.purge_archive = True
    batch.problems.append(warning("file.identifiers_purged"))
    batch.rows_read = count_rows(raw_rows)
    return batch


def refuse_personal_codes(batch: ValidatedBatch, scan: CodeScan, columns: ColumnMapping | None = None
                          ) -> ValidatedBatch:
    """`batch` unless `scan` met a personal code in any of its cells: then the file refused whole
    and its raw copy not kept (partner/code_scan.py says why). Either way no problem names a
    column whose name could be a record's data (contract/column_names.py)."""
    known = known_header_keys(columns)
    if not scan.found or batch.purge_archive:  # refused for its identifier columns already
        batch.problems = hide_unquotable(batch.problems, scan.headers, known)
        return batch
    refused = ValidatedBatch(batch.kind, rows_read=batch.rows_read, purge_archive=True)
    refused.problems += refusal(scan, known)
    refused.fatal = True
    return refused


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Validated rows hold no reference cycles, so the cyclic collector has nothing to free
    while a chunk of them piles up before it is spooled; left on, it rescans them.
    Reference counting still frees everything; the collector runs again afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _validate_each(batch: ValidatedBatch, kind: Kind, org: str, header_map: HeaderMap,
                   raw_rows: Iterable[RawRow | ColumnBlock]) -> None:
    """Each row into batch.rows or batch.problems, in row order.

    Rows go a chunk (or a CSV column block) at a time through the column validator
    (ingest/columnar.py), which vouches for the rows the models would accept (a block's as
    stretches of columns, spooled as they are); every other row is
    validated by its model here, one by one, so its problems are the models' own. With
    INTERCHANGE_ROW_PATH=1 every row goes through its model.
    """
    one = _RowValidator(batch, kind, org, header_map)
    columnar = None if os.environ.get(ROW_PATH_ENV) == "1" else ColumnValidator(kind, header_map, org)
    if columnar is None or not columnar.enabled:
        for item in raw_rows:
            for raw in item.raw_rows() if isinstance(item, ColumnBlock) else (item,):
                one(raw)
        return

    def take(rows: Iterable[Row | RowColumns | RawRow]) -> None:
        append = batch.rows.append
        for row in rows:
            if isinstance(row, RawRow):
                one(row)
            elif isinstance(row, RowColumns):  # a stretch of a column block, vouched for
                batch.rows_read += len(row)
                batch.rows.extend(row)
            else:
                batch.rows_read += 1
                append(row)

    chunk: list[RawRow] = []
    try:
        for item in raw_rows:
            if isinstance(item, ColumnBlock):
                take(zip_split(chunk, columnar))
                chunk = []
                take(columnar.split_block(item))
                continue
            chunk.append(item)
            if len(chunk) == FAST_CHUNK:
                take(zip_split(chunk, columnar))
                chunk = []
    except ProblemError:
        take(zip_split(chunk, columnar))  # the rows read before the damage count, as on the row path
        raise
    take(zip_split(chunk, columnar))


def zip_split(chunk: list[RawRow], columnar: ColumnValidator) -> Iterator[Row | RawRow]:
    """The chunk's rows in order: the column validator's Row where it vouches, else the RawRow."""
    if not chunk:
        return iter(())
    return (raw if row is None else row for raw, row in zip(chunk, columnar.split(chunk), strict=True))


class _RowValidator:
    """One row through its model: a Row for batch.rows, or its problems."""

    def __init__(self, batch: ValidatedBatch, kind: Kind, org: str, header_map: HeaderMap) -> None:
        # Runs a million times for a national drop on the reference path: look-ups made once.
        self._batch, self._kind, self._org, self._header_map = batch, kind, org, header_map
        columns = data_columns(kind)
        self._pick = itemgetter(*columns)  # every data column is a field of the kind's model
        self._cleared = (None,) * len(columns)

    def __call__(self, raw: RawRow) -> None:
        batch = self._batch
        batch.rows_read += 1
        if raw.problems:
            batch.problems += raw.problems
            if any(p.severity is Severity.ERROR for p in raw.problems):
                batch.rejected_rows.add(raw.number)
                return
        result = validate_row(self._kind, raw.number, raw.values, self._header_map, org=self._org)
        record = result.record
        if record is None:
            batch.problems += result.problems
            batch.rejected_rows.add(raw.number)
        elif record.deleted:
            batch.rows.append(Row(raw.number, record.record_id, True, self._cleared))
        else:
            batch.rows.append(Row(raw.number, record.record_id, False, self._pick(record.__dict__)))


def rows_frame(kind: Kind, rows: Sequence[Row]) -> pd.DataFrame:
    """Validated rows of `kind` as a frame: record_id, deleted, the contract fields and `_row`."""
    columns = data_columns(kind)
    frame = pd.DataFrame.from_records([row.values for row in rows], columns=columns, nrows=len(rows))
    frame.insert(0, "record_id", [row.record_id for row in rows])
    frame.insert(1, "deleted", [row.deleted for row in rows])
    frame["_row"] = [row.number for row in rows]
    return frame


def columns_frame(kind: Kind, chunk: RowColumns) -> pd.DataFrame:
    """rows_frame of the same rows, made from their columns."""
    frame = pd.DataFrame(dict(zip(data_columns(kind), chunk.values, strict=True)), index=range(len(chunk)))
    frame.insert(0, "record_id", chunk.record_ids)
    frame.insert(1, "deleted", chunk.deleted)
    frame["_row"] = chunk.numbers
    return frame


def rejected(kind: Kind | None, problems: Iterable[Problem]) -> ValidatedBatch:
    """A batch refused as a whole before any row was read."""
    batch = ValidatedBatch(kind)
    for problem in problems:
        batch.reject(problem)
    return batch
