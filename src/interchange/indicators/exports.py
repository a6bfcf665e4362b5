"""Exports of an approved version for the ministry: CSV, XLSX, the diff and a metadata JSON.

Everything written here is read from the ministry tables, which hold only published
values: an unsuppressed small count cannot reach a file because it is not in the frame.
Files are written to a hidden folder beside the target and renamed into place at the
end, so ``<outbox>/<period>/v<N>/`` is either complete or absent.
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
from interchange.indicators.dictionary import DIFF_COLUMNS, EXPORT_COLUMNS, FILES, Column

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_XLSX_MAX_ROWS = 1_048_576 - 1  # one header row


def safe_text(value: str) -> str:
    """Text no spreadsheet will read as a formula: a leading = + - @ tab or CR gets a ' before it (OWASP)."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def write_exports(folder: Path, *, metadata: dict[str, Any], cells: pd.DataFrame, changes: pd.DataFrame | None,
                  definitions: Sequence[dict[str, Any]] = ()) -> list[Path]:
    """Write the export files of one version into `folder` (which must not exist yet); the paths written."""
    if folder.exists():
        raise FileExistsError(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)  # left by an export that crashed
    staging.mkdir()
    try:
        names = [_write_csv(staging / "cells.csv", EXPORT_COLUMNS, cells),
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
            out.append(_number(value))
        elif isinstance(value, str):
            out.append(safe_text(value))
        else:
            out.append(value)
    return out


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _rows(frame: pd.DataFrame, columns: Sequence[Column]) -> Iterable[list[Any]]:
    names = [c.name for c in columns]
    for values in frame.loc[:, names].itertuples(index=False, name=None):
        yield [plain(v) for v in values]


def _write_xlsx(path: Path, metadata: dict[str, Any], cells: pd.DataFrame, changes: pd.DataFrame | None,
                definitions: Sequence[dict[str, Any]]) -> str:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)  # streams rows: a national table fits in little memory

    def sheet(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        worksheet = workbook.create_sheet(title)
        worksheet.append(list(header))
        for row in rows:
            written = []
            for value in row:
                if isinstance(value, str):
                    cell = WriteOnlyCell(worksheet, value=value)
                    cell.data_type = "s"  # text stays text: a leading "=" is never a formula
                    written.append(cell)
                else:
                    written.append(value)
            worksheet.append(written)

    sheet("README", ["LT", "EN"], _readme_rows(metadata))
    sheet("dictionary", ["column", "type", "LT", "EN"],
          [[c.name, c.type, c.lt, c.en] for c in EXPORT_COLUMNS])
    if definitions:
        keys = list(definitions[0])
        sheet("definitions", keys, [[_cell_text(d.get(k)) for k in keys] for d in definitions])
    names = [c.name for c in EXPORT_COLUMNS]
    groups = {d["indicator"]: d.get("group") or "cells" for d in definitions}
    by_sheet = cells["indicator"].map(lambda code: groups.get(code, "cells"))
    for group in sorted(set(by_sheet)):
        rows = list(_rows(cells[by_sheet == group], EXPORT_COLUMNS))
        for part, start in enumerate(range(0, len(rows), _XLSX_MAX_ROWS), start=1):
            # A group larger than a sheet continues on <group>_2, <group>_3, ...
            title = _sheet_title(group if part == 1 else f"{group}_{part}")
            sheet(title, names, rows[start:start + _XLSX_MAX_ROWS])
    if changes is not None:
        sheet("changes", [c.name for c in DIFF_COLUMNS], _rows(changes, DIFF_COLUMNS))
    workbook.save(path)
    return path.name


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
        ["Maži skaičiai nuslėpti: suppressed = true, reason nurodo priežastį, value tuščia.",
         "Small counts are suppressed: suppressed = true, reason says why, value is empty."],
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
