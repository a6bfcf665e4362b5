"""One entry point for every partner file format."""

from __future__ import annotations

from pathlib import Path

from interchange.contract.problems import ProblemError, error

from .csv_reader import read_csv
from .jsonl_reader import read_jsonl
from .limits import DEFAULT_LIMITS, ReadLimits
from .table import Table
from .xlsx_reader import read_xlsx

_FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def read_table(path: Path, *, encoding: str | None = None, delimiter: str | None = None,
               sheet: str | None = None, limits: ReadLimits = DEFAULT_LIMITS) -> Table:
    """Open a partner file and read its header; the rows are read lazily.

    The suffix decides the format: .csv/.txt (CSV), .xlsx, .jsonl/.ndjson (JSON Lines).
    `encoding` and `delimiter` apply to CSV only, `sheet` to XLSX only. Nothing from a
    cell ever appears in a raised problem.

    Args:
        path: The partner's file.
        encoding: Force a CSV encoding instead of detecting UTF-8 / UTF-8 BOM / Windows-1257.
        delimiter: Force a CSV delimiter instead of detecting `;`, `,` or tab.
        sheet: The XLSX sheet to read instead of the first one.
        limits: How much of the file may be held at once (columns, cell, line, unpacked sizes).

    Returns:
        The table; close it (or use it as a context manager) if the rows are not read to
        the end.

    Raises:
        ProblemError: the whole file cannot be read (`file.missing`, `file.format`,
            `file.empty`, `file.encoding`, `file.unreadable`, `file.unsafe`,
            `file.unpacked_too_large`, `file.too_many_columns`, `file.line_too_long`). Iterating
            the rows can raise `file.unreadable` or `file.line_too_long` too, when the damage
            is further in.
    """
    path = Path(path)
    if not path.is_file():
        raise ProblemError(error("file.missing"))
    kind = _FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ProblemError(error("file.format", suffix=path.suffix or "(none)"))
    try:
        if path.stat().st_size == 0:
            raise ProblemError(error("file.empty"))
        if kind == "csv":
            return read_csv(path, encoding=encoding, delimiter=delimiter, limits=limits)
        if kind == "xlsx":
            return read_xlsx(path, sheet=sheet, limits=limits)
        return read_jsonl(path, limits=limits)
    except OSError as exc:
        reason = f"the file cannot be read ({type(exc).__name__})"
        raise ProblemError(error("file.unreadable", format=kind.upper(), reason=reason)) from None
