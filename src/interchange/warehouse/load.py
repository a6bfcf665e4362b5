"""Loading validated records: idempotent upserts keyed by (org, kind, record_id).

A record whose content is what the warehouse already holds is `unchanged` and writes
nothing; a new one is inserted as version 1; a changed one becomes the next version;
an explicit deletion empties the data columns and marks the record deleted. A record's row
names the batch and row that set its current version; when a later version replaces it, the
replaced version's batch, row, action and digest go to `record_versions`, which so holds every
version a record no longer has (`version_history` reads both as one).

The caller owns the transaction: a batch is loaded whole or not at all.

A national drop holds millions of rows, so the loader works close to the driver and a
chunk at a time, on columns (RowColumns: the chunk's numbers, ids, flags and one list per
data column, as the batch's spool keeps them): it looks up the chunk's stored versions,
hashes the content a column at a time (the same digests as `content_hash`), then writes
plain tuples: PostgreSQL's COPY for new records, executemany for the rest; a chunk whose
every record is new is made into tuples by zipping its columns. Nothing of a chunk is kept
once it is written, so memory does not grow with the batch. A new record writes no history:
its row is its only version (a national drop of new records wrote every row twice). Values go
through the same SQLAlchemy type processors a Core insert applies, so what is stored
does not depend on the path.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import compress, islice, repeat
from typing import Any, NamedTuple

from sqlalchemy import JSON, BigInteger, Boolean, Column, Connection, Date, DateTime, Float, Integer, String, Table
from sqlalchemy.types import TypeEngine

from interchange.warehouse.history import stored_action
from interchange.warehouse.tables import RECORD_TABLES, data_columns, record_versions
from interchange.warehouse.written_ids import WrittenIds

LOOKUP_CHUNK = 2000  # ids per `IN (...)` lookup: under every backend's parameter limit
ARRAY_LOOKUP_CHUNK = 50_000  # ids per lookup on PostgreSQL, sent as one array parameter
WRITE_CHUNK = 20_000  # rows per executemany or COPY: bounds the tuples held at once
# On PostgreSQL, a chunk's updates from this many on are copied into a temporary table and applied
# by one UPDATE ... FROM: executemany sends one statement per record.
STAGED_UPDATES = 500

_HISTORY = ("kind", "org", "record_id", "version", "batch_id", "row_number", "action", "content_hash")


class Row(NamedTuple):  # a tuple: made, pickled and read back millions of times per national drop
    """One validated record: its row number in the batch, id, deletion flag and data values."""

    number: int
    record_id: str
    deleted: bool
    values: tuple[Any, ...]  # in data_columns(kind) order; all None for a deletion


@dataclass(slots=True)
class RowColumns:
    """Consecutive rows as columns: what `Row`s hold, one list per field (values: one per data column)."""

    numbers: list[int]
    record_ids: list[str]
    deleted: list[bool]
    values: list[list[Any]]  # in data_columns(kind) order
    # column_digests of these rows, where made beforehand (by the process that read them).
    digests: list[str] | None = None

    def __len__(self) -> int:
        return len(self.numbers)

    @classmethod
    def from_rows(cls, rows: Sequence[Row], width: int) -> RowColumns:
        if not rows:
            return cls([], [], [], [[] for _ in range(width)])
        numbers, ids, deleted, values = zip(*rows, strict=True)
        return cls(list(numbers), list(ids), list(deleted), [list(column) for column in zip(*values, strict=True)])

    @classmethod
    def joined(cls, parts: Sequence[RowColumns]) -> RowColumns:
        """The rows of `parts` (consecutive, of one width) as one RowColumns."""
        joined = cls([], [], [], [[] for _ in parts[0].values])
        for part in parts:
            joined.numbers += part.numbers
            joined.record_ids += part.record_ids
            joined.deleted += part.deleted
            for column, more in zip(joined.values, part.values, strict=True):
                column += more
        return joined

    def rows(self) -> list[Row]:
        """The same rows as Rows."""
        return list(map(_as_row, zip(self.numbers, self.record_ids, self.deleted,
                                     zip(*self.values, strict=True) if self.values else repeat(()), strict=False)))

    def row(self, index: int) -> Row:
        return Row(self.numbers[index], self.record_ids[index], self.deleted[index],
                   tuple(column[index] for column in self.values))

    def slice(self, start: int, stop: int) -> RowColumns:
        return RowColumns(self.numbers[start:stop], self.record_ids[start:stop], self.deleted[start:stop],
                          [column[start:stop] for column in self.values],
                          None if self.digests is None else self.digests[start:stop])


def _as_row(fields: tuple[Any, ...]) -> Row:
    return tuple.__new__(Row, fields)


@dataclass
class LoadCounts:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    # Deletions of records the warehouse never had: nothing to do, but the partner is told.
    unknown_deletions: list[tuple[int, str]] = field(default_factory=list)

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated + self.deleted


def content_hash(deleted: bool, values: Sequence[Any]) -> str:
    """A digest of a record's content: equal content, equal digest, in every run and process."""
    text = "deleted" if deleted else repr(tuple(values))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def column_digests(columns: RowColumns) -> list[str]:
    """`content_hash` of every row of `columns`, a column at a time: each row's text is joined from
    its columns' reprs as `repr(tuple(values))` joins them."""
    width = len(columns.values)
    if any(len(column) != len(columns) for column in columns.values):  # the zip below cannot be strict
        raise ValueError("columns of unequal length")
    texts: Iterable[str] = repeat("()", len(columns))
    if width:
        # One str.join a row, the parentheses and separators among its items: no f-string a row.
        parts: list[Iterable[str]] = [repeat("(")]
        for column in columns.values:
            parts += (_reprs(column), repeat(", "))
        parts[-1] = repeat(",)" if width == 1 else ")")
        texts = map("".join, zip(*parts, strict=False))  # the separators repeat endlessly
    # Each row hashed by a copy of one empty blake2b-128: the constructor's keyword parsing
    # (digest_size=16) cost more than copying its state.
    new = _BLAKE2B_128.copy
    digests: list[str] = []
    append = digests.append
    for text in map(str.encode, texts):
        digest = new()
        digest.update(text)
        append(digest.hexdigest())
    if any(columns.deleted):  # a deletion hashes as "deleted", whatever values it carries
        for index in compress(range(len(digests)), columns.deleted):
            digests[index] = _DELETED
    return digests


def _reprs(column: list[Any]) -> Iterator[str]:
    """repr() of each value; a date's made once per distinct date where the column holds dates
    (seen in its first rows) and None only: a date's repr costs five dict look-ups, a str's, int's
    or bool's about one, and equal values of other types may differ in repr (1, 1.0 and True)."""
    if date in set(map(type, column[:64])) and set(map(type, column)) <= _DATES:
        memo = {value: repr(value) for value in dict.fromkeys(column)}
        return map(memo.__getitem__, column)
    return map(repr, column)


_DATES = {date, type(None)}
_BLAKE2B_128 = hashlib.blake2b(digest_size=16)
_DELETED = content_hash(True, ())


def load_rows(connection: Connection, kind: str, org: str, batch_id: int, rows: Iterable[Row]) -> LoadCounts:
    """Upsert `rows` of `kind` for `org` as set by `batch_id`; returns what happened to them.

    `rows` is read once, a chunk at a time (load_columns)."""
    width = len(data_columns(kind))
    return load_columns(connection, kind, org, batch_id,
                        (RowColumns.from_rows(chunk, width) for chunk in chunked(rows, WRITE_CHUNK)))


def load_columns(connection: Connection, kind: str, org: str, batch_id: int,
                 chunks: Iterable[RowColumns]) -> LoadCounts:
    """Upsert the rows of `chunks` (consecutive, in row order) of `kind` for `org` as set by
    `batch_id`; returns what happened to them.

    `chunks` is read once, and nothing of a chunk is kept after it is written: memory does
    not grow with the batch. Each chunk's stored versions are looked up just before it is
    written, inside the caller's transaction, so a record_id repeated later in the batch
    compares with the version the batch itself set.
    """
    writer = _Writer(connection, RECORD_TABLES[kind], data_columns(kind))
    counts = LoadCounts()
    # With no record of the org's yet, only what the batch wrote itself can be stored.
    written = WrittenIds() if writer.holds_none(org) else None
    for whole in chunks:
        for start in range(0, len(whole), WRITE_CHUNK):
            chunk = whole.slice(start, start + WRITE_CHUNK) if len(whole) > WRITE_CHUNK else whole
            _load_chunk(writer, kind, org, batch_id, chunk, counts, written)
    return counts


def _load_chunk(writer: _Writer, kind: str, org: str, batch_id: int, chunk: RowColumns, counts: LoadCounts,
                written: WrittenIds | None) -> None:
    ids = chunk.record_ids
    distinct = list(dict.fromkeys(ids))
    # The chunk's records as the warehouse holds them; then, as the chunk is planned, the
    # version it sets (a record_id repeated within the chunk).
    current = writer.stored_versions(org, distinct if written is None else written.take(distinct))
    digests = chunk.digests if chunk.digests is not None else column_digests(chunk)
    if not current and len(distinct) == len(ids) and not any(chunk.deleted):
        # Every record new and once: the chunk's columns are its records.
        writer.insert(writer.records(org, chunk, digests, batch_id))
        counts.inserted += len(ids)
        return
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    superseded: list[tuple[Any, ...]] = []
    for index, (number, record_id, deleted, digest) in enumerate(zip(chunk.numbers, ids, chunk.deleted, digests,
                                                                     strict=True)):
        known = current.get(record_id)
        if known is None:
            if deleted:
                counts.unknown_deletions.append((number, record_id))
                counts.unchanged += 1
                continue
            version, action = 1, "insert"
            inserts.append(writer.record(org, chunk.row(index), version, digest, batch_id))
            counts.inserted += 1
        elif known[0] == digest:
            counts.unchanged += 1
            continue
        else:
            stored_digest, stored_version, stored_batch, stored_row, stored_action = known
            version = stored_version + 1
            action = "delete" if deleted else "update"
            updates.append(writer.record(org, chunk.row(index), version, digest, batch_id))
            if deleted:
                counts.deleted += 1
            else:
                counts.updated += 1
            superseded.append((kind, org, record_id, stored_version, stored_batch, stored_row,
                               stored_action, stored_digest))
        current[record_id] = (digest, version, batch_id, number, action)
    writer.insert(inserts)
    writer.update(updates)  # in row order, so a record_id repeated in the batch ends at its last version
    writer.insert_history(superseded)


def live_record_ids(connection: Connection, kind: str, org: str) -> set[str]:
    """The record_ids of `org`'s records of `kind` that are not deleted, through the driver's cursor
    (a national person table is a million ids: plain tuples, not SQLAlchemy rows)."""
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    statement = (f"SELECT {quote('record_id')} FROM {dialect.identifier_preparer.format_table(RECORD_TABLES[kind])} "
                 f"WHERE {quote('org')} = {mark} AND {quote('deleted')} = {mark}")
    driver = connection.connection.driver_connection
    if driver is None:
        raise RuntimeError("the warehouse connection was invalidated")
    cursor = driver.cursor()
    try:
        cursor.execute(statement, (org, False))
        return {record_id for (record_id,) in cursor.fetchall()}
    finally:
        cursor.close()


# A record's current version as the load sees it: (content_hash, version, batch_id, row_number,
# action). A plain tuple, as the driver returns it: a re-sent national drop looks up millions, and
# a NamedTuple made per record cost more than the look-up itself.
_Stored = tuple[str, int, int, int, str]


class _Writer:
    """Plain-tuple statements for one record table and the history, on the connection's driver."""

    def __init__(self, connection: Connection, table: Table, columns: list[str]) -> None:
        self._connection = connection
        dialect = connection.dialect
        self._copy = dialect.name == "postgresql" and dialect.driver == "psycopg"
        if dialect.paramstyle not in ("qmark", "format", "pyformat"):
            raise NotImplementedError(f"no bulk load for the {dialect.name}+{dialect.driver} driver")
        mark = self._mark = "?" if dialect.paramstyle == "qmark" else "%s"
        quote = dialect.identifier_preparer.quote
        name = self._table = dialect.identifier_preparer.format_table(table)
        names = ["org", "record_id", "deleted", *columns, "version", "content_hash", "batch_id", "row_number"]
        self._processors = column_processors(connection, [table.c[n] for n in names])
        self._records = self._insert_statement(name, names)
        history = dialect.identifier_preparer.format_table(record_versions)
        self._history = self._insert_statement(history, _HISTORY)
        self._record_types = copy_types([table.c[n] for n in names]) if self._copy else []
        self._history_types = copy_types([record_versions.c[n] for n in _HISTORY]) if self._copy else []
        # What a stored version's action was, as version_history tells it.
        action = str(stored_action(table.alias("t")).compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        # An update sets all but the key; its tuple is the record's with the key moved to the end.
        self._update = (f"UPDATE {name} SET {', '.join(f'{quote(n)} = {mark}' for n in names[2:])} "
                        f"WHERE {quote('org')} = {mark} AND {quote('record_id')} = {mark}")
        # The staged updates' table: made once per transaction, emptied before each use.
        stage = quote(f"interchange_stage_{table.name}")
        self._stage_made = False
        self._make_stage = f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {name}) ON COMMIT DROP"
        self._empty_stage = f"TRUNCATE {stage}"
        self._fill_stage = f"COPY {stage} ({', '.join(quote(n) for n in names)}) FROM STDIN (FORMAT BINARY)"
        self._apply_stage = (f"UPDATE {name} AS t SET {', '.join(f'{quote(n)} = s.{quote(n)}' for n in names[2:])} "
                             f"FROM {stage} AS s WHERE t.{quote('org')} = s.{quote('org')} "
                             f"AND t.{quote('record_id')} = s.{quote('record_id')}")
        # Rows in _Stored's shape after the record_id, made by the database.
        stored = ("record_id", "content_hash", "version", "batch_id", "row_number")
        wanted = f"{', '.join(f't.{quote(n)}' for n in stored)}, {action}"
        if self._copy:
            # The primary key probed once per id, whatever the statistics say: a plain join was
            # planned from the table's last ANALYZE, and a table filled within the hour looked
            # small, so each chunk hashed the ids and scanned the whole table (a re-sent national
            # drop: 8.1 s of lookups, 3.0 s probing). LIMIT 1 keeps the subquery from being
            # flattened into such a join; the key is unique, so it drops nothing. Never
            # `= ANY(array)`: once psycopg prepares it, a generic plan walks the whole array for
            # every row of the org (hours for 1M rows). The ids go as one binary parameter.
            probed = ", ".join(quote(n) for n in (*stored, "deleted"))
            self._lookup = (f"SELECT {wanted} FROM unnest(%b::text[]) AS b(record_id) CROSS JOIN LATERAL "
                            f"(SELECT {probed} FROM {name} AS r WHERE r.{quote('org')} = {mark} "
                            f"AND r.{quote('record_id')} = b.record_id LIMIT 1) AS t")
        else:
            self._lookup = (f"SELECT {wanted} FROM {name} AS t "
                            f"WHERE t.{quote('org')} = {mark} AND t.{quote('record_id')}")

    def _insert_statement(self, table: str, names: Sequence[str]) -> str:
        quoted = ", ".join(self._connection.dialect.identifier_preparer.quote(n) for n in names)
        if self._copy:
            return f"COPY {table} ({quoted}) FROM STDIN (FORMAT BINARY)"
        return f"INSERT INTO {table} ({quoted}) VALUES ({', '.join([self._mark] * len(names))})"

    def holds_none(self, org: str) -> bool:
        """Whether the table holds no record of `org`, as this transaction sees it."""
        quote = self._connection.dialect.identifier_preparer.quote
        return not self._fetch(f"SELECT 1 FROM {self._table} WHERE {quote('org')} = {self._mark} LIMIT 1", (org,))

    def stored_versions(self, org: str, ids: list[str]) -> dict[str, _Stored]:
        """The stored versions of those of `ids` the table holds for `org`."""
        found: dict[str, _Stored] = {}
        if self._copy:
            for part in chunked(ids, ARRAY_LOOKUP_CHUNK):
                found.update({row[0]: row[1:] for row in self._fetch(self._lookup, (part, org))})
        else:
            for part in chunked(ids, LOOKUP_CHUNK):
                marks = ", ".join([self._mark] * len(part))
                found.update({row[0]: row[1:] for row in self._fetch(f"{self._lookup} IN ({marks})",
                                                                     (org, *part))})
        return found

    def _fetch(self, statement: str, parameters: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        # The driver's cursor, inside the caller's transaction: plain tuples, not SQLAlchemy rows
        # (a re-sent national drop looks up millions).
        driver = self._driver()
        cursor = driver.cursor()
        try:
            cursor.execute(statement, parameters)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def _driver(self) -> Any:
        driver = self._connection.connection.driver_connection
        if driver is None:  # SQLAlchemy's state for a connection invalidated under us
            raise RuntimeError("the warehouse connection was invalidated during a load")
        return driver

    def record(self, org: str, row: Row, version: int, digest: str, batch_id: int) -> tuple[Any, ...]:
        values = (org, row.record_id, row.deleted, *row.values, version, digest, batch_id, row.number)
        if not self._processors:
            return values
        processed = list(values)
        for index, process in self._processors:
            processed[index] = process(processed[index])
        return tuple(processed)

    def records(self, org: str, chunk: RowColumns, digests: list[str], batch_id: int) -> list[tuple[Any, ...]]:
        """`record` of every row of `chunk` as version 1, made a column at a time."""
        count = len(chunk)
        columns: list[Any] = [repeat(org, count), chunk.record_ids, chunk.deleted, *chunk.values,
                              repeat(1, count), digests, repeat(batch_id, count), chunk.numbers]
        for index, process in self._processors:
            columns[index] = processed_values(process, columns[index])
        return list(zip(*columns, strict=False))

    def insert(self, records: list[tuple[Any, ...]]) -> None:
        self._insert(self._records, self._record_types, records)

    def update(self, records: list[tuple[Any, ...]]) -> None:
        if not records:
            return
        # One UPDATE ... FROM applies each record once, in no order: only for distinct records.
        if self._copy and len(records) >= STAGED_UPDATES and len({r[1] for r in records}) == len(records):
            self._staged_update(records)
            return
        self._connection.exec_driver_sql(self._update, [record[2:] + record[:2] for record in records])

    def _staged_update(self, records: list[tuple[Any, ...]]) -> None:
        with self._driver().cursor() as cursor:
            if not self._stage_made:
                cursor.execute(self._make_stage)
                self._stage_made = True
            cursor.execute(self._empty_stage)
            copy_rows(cursor, self._fill_stage, self._record_types, records)
            cursor.execute(self._apply_stage)

    def insert_history(self, rows: list[tuple[Any, ...]]) -> None:
        self._insert(self._history, self._history_types, rows)

    def _insert(self, statement: str, types: list[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if not self._copy:
            self._connection.exec_driver_sql(statement, rows)
            return
        # The driver's own connection, inside the transaction the caller began on it.
        with self._driver().cursor() as cursor:
            copy_rows(cursor, statement, types, rows)


def copy_rows(cursor: Any, statement: str, types: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """`rows` through a binary COPY `statement` on a psycopg cursor, each value dumped as `types` says
    (copy_types)."""
    with cursor.copy(statement) as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


# COPY's binary format: psycopg writes each value's bytes, where the text format quotes and escapes
# them (a third of the client's CPU for a national drop). Text of any length goes as `text`: the
# server reads it as the column's own type, with its length limit. JSON: psycopg's Json, as SQLAlchemy
# hands it over. Every time the warehouse keeps is aware (DateTime(timezone=True)).
_COPY_TYPES: dict[type[TypeEngine[Any]], str] = {
    String: "text", Boolean: "bool", BigInteger: "int8", Integer: "int4", Date: "date", JSON: "json",
    Float: "float8"}


def copy_types(columns: list[Column[Any]]) -> list[str]:
    """The PostgreSQL type psycopg dumps each column's values as in a binary COPY."""
    return [_copy_type(column) for column in columns]


def _copy_type(column: Column[Any]) -> str:
    if isinstance(column.type, DateTime):
        if not column.type.timezone:
            raise TypeError(f"{column} keeps a naive time; the warehouse keeps aware ones")
        return "timestamptz"
    return next(name for kind, name in _COPY_TYPES.items() if isinstance(column.type, kind))


def column_processors(connection: Connection, columns: list[Column[Any]]) -> list[tuple[int, Callable[[Any], Any]]]:
    """(position, processor) of every column whose type converts values for this dialect."""
    dialect = connection.dialect
    found: list[tuple[int, Callable[[Any], Any]]] = []
    for index, column in enumerate(columns):
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            found.append((index, _memoised(process)))
    return found


def processed_values(process: Callable[[Any], Any], column: Iterable[Any]) -> list[Any]:
    """`process` of each value of a column, called once per distinct value where they repeat (a
    column of dates or flags): the rest is a dictionary look-up per value, not a call."""
    column = list(column)
    try:
        distinct = dict.fromkeys(column)
    except TypeError:  # unhashable: a JSON list
        return list(map(process, column))
    if len(distinct) * 2 > len(column):
        return list(map(process, column))
    memo = {value: process(value) for value in distinct}
    return list(map(memo.__getitem__, column))


def _memoised(process: Callable[[Any], Any], size: int = 4096) -> Callable[[Any], Any]:
    """`process` remembering its last few thousand answers: a column of dates or flags holds few
    distinct values, and SQLite's date processor costs a microsecond a call."""
    memo: dict[Any, Any] = {}

    def run(value: Any) -> Any:
        try:
            return memo[value]
        except KeyError:
            pass
        except TypeError:  # unhashable: a JSON list
            return process(value)
        result = memo[value] = process(value)
        if len(memo) > size:
            memo.clear()
            memo[value] = result
        return result

    return run


def chunked(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of at most `size` items, in order (itertools.batched arrives only in 3.12)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
