"""Exports of an approved version for the ministry: CSV, JSON, XLSX, the diff and a metadata JSON.

Everything written here is read from the ministry tables, which hold only published
values: an unsuppressed small count cannot reach a file because it is not in the frame.
Files are written to a hidden folder beside the target and renamed into place at the
end, so ``<outbox>/<period>/v<N>/`` is either complete or absent. Every format writes a
cell's status and its figures as :mod:`interchange.indicators.export_format` rounds them.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from interchange.indicators.cells import plain
from interchange.indicators.dictionary import (
    DIFF_COLUMNS,
    EXPORT_COLUMNS,
    FILES,
    XLSX_COLUMNS,
    Column,
    figures_text,
)
from interchange.indicators.export_format import cells_for_export, changes_for_export, figure_format

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_XLSX_MAX_ROWS = 1_048_576 - 1  # one header row


def safe_text(value: str) -> str:
    """Text no spreadsheet will read as a formula: a leading = + - @ tab or CR gets a ' before it (OWASP)."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def write_exports(folder: Path, *, metadata: dict[str, Any], cells: pd.DataFrame, changes: pd.DataFrame | None,
                  definitions: Sequence[dict[str, Any]] = ()) -> list[Path]:
    """Write the export files of one version into `folder` (which must not exist yet); the paths written.

    `changes` is the published diff with each cell's unit (None for version 1); `definitions`
    give each indicator's group (its XLSX sheet) and names.
    """
    if folder.exists():
        raise FileExistsError(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)  # left by an export that crashed
    staging.mkdir()
    cells = cells_for_export(cells)
    changes = None if changes is None else changes_for_export(changes)
    metadata = dict(metadata, **figure_format())
    try:
        names = [_write_csv(staging / "cells.csv", EXPORT_COLUMNS, cells),
                 _write_json(staging / "cells.json", metadata, cells, definitions),
                 _write_xlsx(staging / "cells.xlsx", metadata, cells, changes, definitions)]
        if changes is not None:
            names.append(_write_csv(staging / "changes.csv", DIFF_COLUMNS, changes))
        files = {name: {"sha256": _sha256(staging / name), "bytes": (staging / name).stat().st_size}
                 for name in names}
        document = dict(metadata, files=files)
        (staging / "metadata.json").write_text(json.dumps(document, ensure_ascii=False, indent=2, default=_json),
                                               encoding="utf-8")
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [folder / name for name in [*names, "metadata.json"]]


def _write_csv(path: Path, columns: Sequence[Column], frame: pd.DataFrame) -> str:
    # UTF-8 with a BOM: Excel then reads Lithuanian letters right; "\r\n" as RFC 4180 says.
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow([c.name for c in columns])
        writer.writerows(_csv_row(row) for row in _rows(frame, columns))
    return path.name


def _csv_row(row: Iterable[Any]) -> list[Any]:
    out = []
    for value in row:
        if value is None:
            out.append("")
        elif isinstance(value, bool):
            out.append("true" if value else "false")
        elif isinstance(value, float):
            out.append(repr(value))  # already rounded: 0.3846, never 0.38461538461538464
        elif isinstance(value, str):
            out.append(safe_text(value))
        else:
            out.append(value)
    return out


def _rows(frame: pd.DataFrame, columns: Sequence[Column]) -> Iterable[list[Any]]:
    names = [c.name for c in columns]
    for values in frame.loc[:, names].itertuples(index=False, name=None):
        yield [plain(v) for v in values]


def _write_json(path: Path, metadata: dict[str, Any], cells: pd.DataFrame,
                definitions: Sequence[dict[str, Any]]) -> str:
    """cells.json: how figures are written, the indicators, then the cells as cells.csv has them.

    Written a cell at a time (a national table is large), so the document is put together by hand.
    """
    head = {key: metadata[key] for key in ("period", "version", "statuses", "decimals", "rounding")}
    head["indicators"] = list(definitions)
    names = [c.name for c in EXPORT_COLUMNS]
    with path.open("w", encoding="utf-8", newline="\n") as stream:
        stream.write("{\n")
        for key, value in head.items():
            stream.write(f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False, default=_json)},\n")
        stream.write('"cells": [')
        for number, row in enumerate(_rows(cells, EXPORT_COLUMNS)):
            record = json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False, allow_nan=False)
            stream.write(("\n" if number == 0 else ",\n") + record)
        stream.write("\n]}\n")
    return path.name


def _write_xlsx(path: Path, metadata: dict[str, Any], cells: pd.DataFrame, changes: pd.DataFrame | None,
                definitions: Sequence[dict[str, Any]]) -> str:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)  # streams rows: a national table fits in little memory

    def text_kept(worksheet: Any, value: Any) -> Any:
        """Text openpyxl would store as a formula ("=...") or an error ("#N/A") in a cell typed as text.

        Other values go as they are (openpyxl types other text as text itself): a cell object
        is taken only after openpyxl failed to store it as a value, an exception per cell that
        cost more than the rest of the row when every text cell was one.
        """
        if not (isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES)):
            return value
        cell = WriteOnlyCell(worksheet, value=value)
        cell.data_type = "s"  # text stays text: a leading "=" is never a formula
        return cell

    def sheet(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]], *, table: bool = True) -> None:
        worksheet = workbook.create_sheet(title)
        if table:  # set before the first row: a write-only sheet writes its view and widths first
            worksheet.freeze_panes = "A2"
            for number, name in enumerate(header, start=1):
                worksheet.column_dimensions[get_column_letter(number)].width = _width(name)
        worksheet.append(list(header))
        count = 0
        for row in rows:
            count += 1
            worksheet.append([text_kept(worksheet, value) for value in row])
        if table:  # the filter is written after the rows, so it can span exactly them
            worksheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count + 1}"

    sheet("README", ["LT", "EN"], _readme_rows(metadata), table=False)
    sheet("dictionary", ["column", "type", "LT", "EN"],
          [[c.name, c.type, c.lt, c.en] for c in XLSX_COLUMNS])
    if definitions:
        keys = list(definitions[0])
        sheet("definitions", keys, [[_cell_text(d.get(k)) for k in keys] for d in definitions])
    named = cells.assign(name_lt=cells["indicator"].map({d["indicator"]: d["name_lt"] for d in definitions}),
                         name_en=cells["indicator"].map({d["indicator"]: d["name_en"] for d in definitions}))
    groups = {d["indicator"]: d.get("group") or "cells" for d in definitions}
    by_sheet = cells["indicator"].map(lambda code: groups.get(code, "cells"))
    for group in sorted(set(by_sheet)):
        rows = list(_rows(named[by_sheet == group], XLSX_COLUMNS))
        for part, start in enumerate(range(0, len(rows), _XLSX_MAX_ROWS), start=1):
            # A group larger than a sheet continues on <group>_2, <group>_3, ...
            title = _sheet_title(group if part == 1 else f"{group}_{part}")
            sheet(title, [c.name for c in XLSX_COLUMNS], rows[start:start + _XLSX_MAX_ROWS])
    if changes is not None:
        sheet("changes", [c.name for c in DIFF_COLUMNS], _rows(changes, DIFF_COLUMNS))
    workbook.save(path)
    return path.name


def _width(column: str) -> int:
    """A column's width in characters: names and definitions read best wide; others fit their header and filter."""
    return 45 if column.startswith(("name_", "definition_")) or column in ("LT", "EN") else max(10, len(column) + 4)


def _sheet_title(name: str) -> str:
    """An indicator group as a sheet name: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)
    return cleaned[:31] or "cells"


def _cell_text(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _readme_rows(metadata: dict[str, Any]) -> list[list[str]]:
    period, version = metadata["period"], metadata["version"]
    rows = [
        [f"Rodiklių publikacija {period}, versija {version}", f"Indicator publication {period}, version {version}"],
        [f"Laikotarpis {metadata['period_start']} – {metadata['period_end']}; patvirtinta {metadata['approved_at']}",
         f"Period {metadata['period_start']} – {metadata['period_end']}; approved {metadata['approved_at']}"],
        ["Maži skaičiai nuslėpti (ir langeliai, iš kurių juos būtų galima apskaičiuoti): suppressed = true, "
         "value tuščia. Kuris nuslėptas langelis mažas, neskelbiama.",
         "Small counts are suppressed (and the cells they could be worked out from): suppressed = true, value is "
         "empty. Which suppressed cell is small is not published."],
        *([lt, en] for lt, en in figures_text()),
        [f"Slėpimo taisyklės: {json.dumps(metadata['disclosure_rules'], ensure_ascii=False)}",
         f"Suppression rules: {json.dumps(metadata['disclosure_rules'], ensure_ascii=False)}"],
        [f"Rodiklių katalogas {metadata['catalogue_version']}; programa {metadata['code_version']}",
         f"Indicator catalogue {metadata['catalogue_version']}; software {metadata['code_version']}"],
        ["Stulpelių aprašai – lape „dictionary“; failai:", "Column descriptions: sheet \"dictionary\"; files:"],
    ]
    rows += [[f"{name}: {lt}", f"{name}: {en}"] for name, lt, en in FILES]
    return rows


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(type(value).__name__)
