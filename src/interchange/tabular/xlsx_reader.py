"""XLSX workbooks, opened only after the zip container has been checked."""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.packaging.manifest import Manifest
from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS
from openpyxl.xml.functions import fromstring

from interchange.contract.problems import Problem, ProblemError, error

from .limits import DEFAULT_LIMITS, ReadLimits
from .table import RawRow, RowStream, Table, clean_header, drop_long_cells, is_empty, put_value

MAX_ENTRIES = 10_000
MAX_RATIO = 200
RATIO_CHECKED_ABOVE = 1024 * 1024

# Excel's own limit. openpyxl builds a whole row (about 550 bytes a cell) before yielding it, so a
# crafted row of millions of cells would cost gigabytes within the unpacked-size limit.
MAX_ROW_CELLS = 16_384
# A part smaller than this cannot hold a row costly enough to be worth scanning for.
ROWS_SCANNED_ABOVE = 2 * 1024 * 1024
_SCAN_CHUNK = 1 << 20
_ROW_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
_CELL_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
# The shortest cell is `<c/>`: a row in fewer bytes than this cannot hold too many cells.
_WIDE_ROW_BYTES = 4 * MAX_ROW_CELLS

_XLSX_FORMAT = "XLSX"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DRIVE = re.compile(r"^[A-Za-z]:")


def read_xlsx(path: Path, *, sheet: str | None = None, limits: ReadLimits = DEFAULT_LIMITS) -> Table:
    """Open an XLSX workbook, read the header of one sheet and return its rows lazily.

    Raises:
        ProblemError: `file.unsafe`, `file.unpacked_too_large`, `file.unreadable`,
            `file.too_many_columns` or `file.empty`.
    """
    check_container(path, limits)
    if not openpyxl.DEFUSEDXML:
        raise ProblemError(error("file.unsafe", reason="defusedxml is not installed"))
    workbook = _load(path)
    try:
        worksheet = _pick_sheet(workbook, sheet)
        # Some writers record wrong sheet dimensions; trusting them would cut rows off.
        worksheet.reset_dimensions()
        source = enumerate(worksheet.iter_rows(values_only=True), start=1)
        headers = _read_header(source)
        if len(headers) > limits.max_columns:
            raise ProblemError(error("file.too_many_columns", found=len(headers), limit=limits.max_columns))
    except BaseException:
        workbook.close()
        raise
    rows = RowStream(_rows(source, headers, limits.max_cell_chars), workbook.close)
    return Table(path=path, format="xlsx", headers=headers, rows=rows, sheet=worksheet.title)


def check_container(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> None:
    """Refuse zip containers that are not XLSX files or that could exhaust memory or disk.

    zipfile stops reading an entry at its declared size, so checking the declared sizes
    is enough to bound what openpyxl can unpack. openpyxl holds the whole shared-strings
    part in memory (streaming only the sheets), so that part has a bound of its own.

    Raises:
        ProblemError: `file.unreadable` (not a zip), `file.unsafe` or `file.unpacked_too_large`.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            reason = _unsafe_reason(entries, limits.max_unpacked_bytes)
            if reason is not None:
                raise ProblemError(error("file.unsafe", reason=reason))
            strings = _check_shared_strings(archive, limits.max_shared_strings_bytes)
            for entry in entries:
                if entry.file_size > ROWS_SCANNED_ABOVE and entry.filename != strings:
                    _check_row_widths(archive, entry)
    except (zipfile.BadZipFile, EOFError, ValueError):
        raise ProblemError(error("file.unreadable", format=_XLSX_FORMAT,
                                 reason=_not_zip_reason(path))) from None


def _check_shared_strings(archive: zipfile.ZipFile, limit: int) -> str | None:
    """Refuse shared strings that unpack to more than `limit`; returns the part's name, if any."""
    # The part is wherever [Content_Types].xml says, as openpyxl looks it up.
    try:
        manifest = Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES)))
    except KeyError:
        return None  # no manifest: openpyxl refuses the file as damaged
    except Exception as exc:
        raise _translate(exc) from None
    part = manifest.find(SHARED_STRINGS)
    if part is None:
        return None
    name = part.PartName.lstrip("/")
    try:
        size = archive.getinfo(name).file_size
    except KeyError:
        return None
    if size > limit:
        raise ProblemError(error("file.unpacked_too_large", part="sharedStrings", size=size, limit=limit))
    return name


def _check_row_widths(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> None:
    """Refuse a part holding a row of more than MAX_ROW_CELLS cells, read in bounded chunks.

    Counts `<c>` start tags between `<row>` tags; a tag cut by a chunk's end is carried over.
    """
    try:
        _scan_rows(archive, entry)
    except zlib.error:
        raise ProblemError(error("file.unreadable", format=_XLSX_FORMAT,
                                 reason="the workbook is damaged (error)")) from None


def _scan_rows(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> None:
    # Cells are counted only in a row long enough to matter, so an ordinary sheet costs one
    # regex step per row; the row still open at a chunk's end is always counted.
    cells = 0
    row_bytes = 0
    tail = b""
    with archive.open(entry) as stream:
        while block := stream.read(_SCAN_CHUNK):
            data = tail + block
            last = data.rfind(b"<")
            # A tag name is short: a '<' far from the end starts a tag that is complete here.
            cut = last if last != -1 and len(data) - last < 256 else len(data)
            data, tail = data[:cut], data[cut:]
            previous = 0
            for match in _ROW_START.finditer(data):
                row_bytes += match.start() - previous
                if row_bytes > _WIDE_ROW_BYTES:
                    cells += len(_CELL_START.findall(data, previous, match.start()))
                    _check_width(cells)
                cells = row_bytes = 0
                previous = match.start()
            row_bytes += len(data) - previous
            cells += len(_CELL_START.findall(data, previous))
            _check_width(cells)


def _check_width(cells: int) -> None:
    if cells > MAX_ROW_CELLS:
        raise ProblemError(error("file.unsafe", reason=f"a sheet row holds more than {MAX_ROW_CELLS} cells, "
                                                       "Excel's limit"))


def _not_zip_reason(path: Path) -> str:
    with path.open("rb") as f:
        if f.read(len(_OLE2_MAGIC)) == _OLE2_MAGIC:
            return "a password-protected workbook or an old .xls file, not an XLSX (zip) file"
    return "not an XLSX (zip) file"


def _unsafe_reason(entries: list[zipfile.ZipInfo], max_total: int) -> str | None:
    if len(entries) > MAX_ENTRIES:
        return f"the archive holds {len(entries)} entries, at most {MAX_ENTRIES} are allowed"
    total = sum(entry.file_size for entry in entries)
    if total > max_total:
        return f"the archive unpacks to {total} bytes, at most {max_total} are allowed"
    for entry in entries:
        if _bad_name(entry.filename):
            return "an archive entry has an absolute path or '..'"
        if entry.file_size > RATIO_CHECKED_ABOVE and (
            entry.compress_size == 0 or entry.file_size / entry.compress_size > MAX_RATIO
        ):
            return f"an archive entry is compressed more than {MAX_RATIO} times"
    return None


def _bad_name(name: str) -> bool:
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return True
    return ".." in re.split(r"[/\\]", name)


def _load(path: Path) -> Any:
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise _translate(exc) from None


def _translate(exc: Exception) -> ProblemError:
    # Exception text from the parsers can quote the sheet's content: keep only its type.
    if _blocked_by_defusedxml(exc):
        return ProblemError(error("file.unsafe", reason="the XML declares a DTD or entities"))
    return ProblemError(error("file.unreadable", format=_XLSX_FORMAT,
                              reason=f"the workbook is damaged ({type(exc).__name__})"))


def _blocked_by_defusedxml(exc: BaseException) -> bool:
    # openpyxl re-raises parser errors as ValueError, so look down the chain too.
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if type(current).__module__.startswith("defusedxml"):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _pick_sheet(workbook: Any, sheet: str | None) -> Any:
    worksheets = workbook.worksheets
    if sheet is None:
        if not worksheets:
            raise ProblemError(error("file.unreadable", format=_XLSX_FORMAT,
                                     reason="the workbook has no worksheets"))
        return worksheets[0]
    for worksheet in worksheets:
        if worksheet.title == sheet:
            return worksheet
    titles = ", ".join(f"'{ws.title}'" for ws in worksheets) or "none"
    raise ProblemError(error("file.unreadable", format=_XLSX_FORMAT,
                             reason=f"there is no sheet '{sheet}' (sheets: {titles})"))


def _read_header(source: Iterator[tuple[int, tuple[Any, ...]]]) -> list[str]:
    try:
        for _number, cells in source:
            texts = [cell_text(cell) for cell in cells]
            if any(text is not None for text in texts):
                return [clean_header(text or "") for text in texts[:_used_width(texts)]]
    except Exception as exc:
        raise _translate(exc) from None
    raise ProblemError(error("file.empty"))


def _rows(source: Iterator[tuple[int, tuple[Any, ...]]], headers: list[str], max_cell_chars: int
          ) -> Iterator[RawRow]:
    try:
        for number, cells in source:
            texts = [cell_text(cell) for cell in cells]
            if any(text is not None for text in texts):
                row = _raw_row(number, texts, headers)
                drop_long_cells(row, max_cell_chars)
                yield row
    except Exception as exc:
        raise _translate(exc) from None


def _raw_row(number: int, texts: list[str | None], headers: list[str]) -> RawRow:
    problems: list[Problem] = []
    width = _used_width(texts)
    if width > len(headers):
        # Trailing empty cells are formatting, not data: only real extra values count.
        problems.append(error("row.cells", row=number, found=width, expected=len(headers)))
    values: dict[str, object] = {}
    for position, header in enumerate(headers):
        put_value(values, header, texts[position] if position < len(texts) else None)
    return RawRow(number=number, values=values, problems=problems)


def _used_width(texts: list[str | None]) -> int:
    for position in range(len(texts), 0, -1):
        if texts[position - 1] is not None:
            return position
    return 0


def cell_text(value: object) -> str | None:
    """A cell value as text without interpreting it: dates as ISO, 12.0 as "12"."""
    if value is None:
        return None
    if isinstance(value, str):
        return None if is_empty(value) else value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)  # int, Decimal, timedelta, error codes such as #N/A
