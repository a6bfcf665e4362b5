"""The hub keeps no raw bytes it did not load: a drop's unknown columns leave the archive.

A contact drop with a free-text `pastabos` column, or a JSON Lines drop with a nested object
holding names, is loaded without that data ("its data was not copied"), but its archived copy
would keep it for good. So once such a batch is validated, its archived copy is replaced by
what the hub read: the known columns only, as JSON Lines keyed by the contract's field names
(`<sha256>.stripped.jsonl`), each row on the line of its row number in the original file (blank
lines in between), so that re-processing the archive gives the same rows, row numbers and
verdicts. A row the reader could not read at all becomes `null` (it stays quarantined); a
nested value that is not loaded becomes an empty one of its type (it fails as before).

The batch keeps the SHA-256 and size of the file as sent, so a re-sent file is still found as
the same file. The raw copy is deleted once the batch is committed; `finish_stripping` deletes
any left behind (a crash after the commit, or a duplicate of a stripped file arriving later).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from interchange.contract.column_names import quotable
from interchange.contract.problems import Problem, ProblemError, Severity, warning
from interchange.contract.receipt import BatchStatus
from interchange.contract.records import Kind
from interchange.contract.rows import map_headers
from interchange.ingest.validate import ValidatedBatch
from interchange.partner.columns import ColumnMapping, known_header_keys
from interchange.tabular import read_table
from interchange.warehouse.tables import batches

STRIPPED_SUFFIX = ".stripped.jsonl"
_LIST_FIELDS = frozenset({"attendee_record_ids"})  # the only contract fields a list is loaded into
_JSON_SUFFIXES = (".jsonl", ".ndjson")


@dataclass(frozen=True)
class Stripped:
    """The accepted content now archived in place of the raw file."""

    path: Path
    problem: Problem  # the receipt's warning: which columns (or nested values) were left out


def strip_unloaded(batch: ValidatedBatch, path: Path, columns: ColumnMapping | None) -> Path | None:
    """After validation: the path of the stripped copy that replaces the archived file `path`, with
    the receipt's warning added to `batch`; None when the batch keeps its copy as it is (nothing
    left out, or a file refused whole)."""
    if batch.kind is None or batch.fatal or batch.purge_archive or not _needs_stripping(path, batch.problems):
        return None
    stripped = strip_archive(path, Kind(batch.kind), columns)
    if stripped is None:
        return None
    batch.problems.append(stripped.problem)
    return stripped.path


def _needs_stripping(path: Path, problems: Collection[Problem]) -> bool:
    """Worth a second read: a column was not mapped, or the file can hold nested values."""
    return path.suffix.lower() in _JSON_SUFFIXES or any(
        p.code in ("header.unknown", "header.blank") for p in problems)


def strip_archive(path: Path, kind: Kind, columns: ColumnMapping | None) -> Stripped | None:
    """Write the accepted content of the archived drop `path` beside it; None when all of it is accepted.

    Reads the archived file again (only files with unknown columns, and JSON Lines, come here).
    """
    try:
        table = read_table(path)
    except ProblemError:
        return None  # it was read a moment ago; a failure now leaves the copy as it is, to resume
    target = path.with_name(path.name.partition(".")[0] + STRIPPED_SUFFIX)
    with table:
        header_map = map_headers(kind, table.headers, supplied=["org"],
                                 extra_aliases=columns.aliases(kind) if columns else None)
        dropped = [(position, header) for position, header in enumerate(table.headers, start=1)
                   if header not in header_map.columns]
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
                nested = _write_rows(stream, table.rows, header_map.columns)
                stream.flush()
                os.fsync(stream.fileno())
            if not dropped and not nested:
                Path(temporary).unlink()
                return None
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    os.chmod(target, 0o440)  # archived bytes are never edited
    known = known_header_keys(columns)
    shown = ", ".join(f"{position} ({header})" if quotable(header, known) else str(position)
                      for position, header in dropped)
    problem = warning("file.columns_stripped", columns=shown or "-", nested=nested)
    return Stripped(target, problem)


def _write_rows(stream: Any, rows: Any, mapped: dict[str, str]) -> int:
    """Write each row on the line of its number; returns how many nested values were left out."""
    line = 0
    nested = 0
    for raw in rows:
        stream.write("\n" * (raw.number - line - 1))
        line = raw.number
        if any(p.severity is Severity.ERROR for p in raw.problems):
            stream.write("null\n")  # unreadable as sent: stays unreadable, and quarantined
            continue
        record = {}
        for header, name in mapped.items():
            if header in raw.values:
                value, left_out = _plain(raw.values[header], name in _LIST_FIELDS)
                record[name] = value
                nested += left_out
        stream.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        stream.write("\n")
    return nested


def _plain(value: Any, list_field: bool) -> tuple[Any, int]:
    """The value as JSON, and 1 when a nested value had to be emptied (it would not load anyway)."""
    if value is None or isinstance(value, str | bool | int | float):
        return value, 0
    if isinstance(value, datetime | date | time):
        return value.isoformat(), 0
    if isinstance(value, dict):
        return {}, 1 if value else 0
    if isinstance(value, list):
        if not list_field:
            return [], 1 if value else 0
        items = [_plain(item, False) for item in value]
        return [item for item, _ in items], sum(left for _, left in items)
    return str(value), 0


def finish_stripping(engine: Engine, archive: Path, org: str, source: str) -> None:
    """Delete raw copies a stripped copy replaced: left by a crash after the commit, or archived
    again for a duplicate of a stripped file (which then points at the stripped copy)."""
    with engine.connect() as connection:
        heads = connection.execute(select(batches.c.batch_id, batches.c.sha256, batches.c.archive_path,
                                          batches.c.status).where(
            batches.c.org == org, batches.c.source == source, batches.c.archive_path.is_not(None))).all()
    stripped = {h.sha256: h.archive_path for h in heads if h.archive_path.endswith(STRIPPED_SUFFIX)}
    if not stripped:
        return
    busy = {h.archive_path for h in heads if h.status == BatchStatus.RECEIVED.value}
    repoint = [h.batch_id for h in heads if h.sha256 in stripped and h.archive_path != stripped[h.sha256]
               and h.status != BatchStatus.RECEIVED.value]
    if repoint:
        with engine.begin() as connection:
            for batch_id, sha in [(h.batch_id, h.sha256) for h in heads if h.batch_id in set(repoint)]:
                connection.execute(batches.update().where(batches.c.batch_id == batch_id)
                                   .values(archive_path=stripped[sha]))
    if not archive.is_dir():
        return
    for leftover in archive.iterdir():
        sha = leftover.name.partition(".")[0]
        if sha in stripped and not leftover.name.endswith(STRIPPED_SUFFIX) \
                and not any(b.endswith(leftover.name) for b in busy):
            leftover.unlink(missing_ok=True)
