"""Partner templates, generated from the contract models and checked in.

For each record kind: a CSV with Lithuanian headers (UTF-8 with BOM and `;`, which is
what Lithuanian Excel opens cleanly) and an XLSX with the header row, drop-down lists
for coded columns, a sheet describing each column in both languages and a sheet of
code lists. Person and household also get a raw-extract template, whose identifier
columns only `interchange pseudonymise` reads.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from interchange.contract.codes import CASE_TYPE_NAMES, MUNICIPALITIES
from interchange.contract.records import MODELS, Kind, lithuanian_texts
from interchange.contract.services import CATALOGUE_VERSION, SERVICES
from interchange.partner.identifiers import RAW_IDENTIFIERS

DATA_SHEET = "duomenys"
FIELDS_SHEET = "laukai"
CODES_SHEET = "kodai"
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_MAX_ROWS = 100_000  # data validations reach this far down the sheet


@dataclass(frozen=True)
class Column:
    header_lt: str
    header_en: str
    required: bool
    description_lt: str
    description_en: str


def template_columns(kind: Kind, *, raw: bool = False) -> list[Column]:
    """The columns of a kind's template; `raw` adds the identifier columns in front."""
    columns = []
    if raw:
        columns += [Column(c.header_lt, c.name, False, c.description_lt, c.description_en)
                    for c in RAW_IDENTIFIERS[kind]]
    computed = _computed_fields(kind) if raw else set()
    texts = lithuanian_texts(kind)
    for name, info in MODELS[kind].model_fields.items():
        if name in computed:
            continue
        header_lt, description_lt = texts[name]
        columns.append(Column(header_lt, name, info.is_required(), description_lt, info.description or ""))
    return columns


def _computed_fields(kind: Kind) -> set[str]:
    """Fields the pseudonymiser fills, so a raw extract does not carry them."""
    names = set(MODELS[kind].model_fields)
    return {n for n in names if n.endswith(("_pseudonym", "_token", "_bloom"))}


def _code_lists() -> dict[str, tuple[str, list[tuple[str, str, str]]]]:
    """Short name -> (sheet title, rows of code, Lithuanian, English)."""
    return {
        "services": (f"paslaugos / services ({CATALOGUE_VERSION})",
                     [(s.code, s.name_lt, s.name_en) for s in SERVICES if not s.retired]),
        "municipalities": ("savivaldybės / municipalities",
                           [(m.code, m.name_lt, m.name_en) for m in MUNICIPALITIES]),
        "case_types": ("atvejo tipai / case types",
                       [(t.value, lt, en) for t, (lt, en) in CASE_TYPE_NAMES.items()]),
        "sex": ("lytis / sex", [("moteris", "moteris", "female"), ("vyras", "vyras", "male")]),
        "yes_no": ("taip/ne / yes/no", [("taip", "taip", "yes"), ("ne", "ne", "no")]),
    }


_LIST_FOR_FIELD = {
    "service_code": "services", "municipality": "municipalities", "case_type": "case_types",
    "sex": "sex",
}


def template_names(kind: Kind) -> Iterator[tuple[str, bool]]:
    yield kind.value, False
    if kind in RAW_IDENTIFIERS:
        yield f"{kind.value}.raw", True


def csv_template(kind: Kind, *, raw: bool = False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerow(
        [c.header_lt for c in template_columns(kind, raw=raw)])
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_template(kind: Kind, path: Path, *, raw: bool = False) -> None:
    columns = template_columns(kind, raw=raw)
    workbook = Workbook()
    data = workbook.active
    data.title = DATA_SHEET
    for position, column in enumerate(columns, start=1):
        cell = data.cell(row=1, column=position, value=column.header_lt)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.comment = Comment(f"{column.header_en}: {column.description_en}\n\n"
                               f"{column.description_lt}", "interchange")
        data.column_dimensions[cell.column_letter].width = max(14, len(column.header_lt) + 2)
    data.freeze_panes = "A2"
    _describe_fields(workbook, columns)
    ranges = _write_code_lists(workbook)
    _add_drop_downs(data, kind, columns, ranges)
    workbook.properties.creator = "interchange"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


def _describe_fields(workbook: Workbook, columns: list[Column]) -> None:
    sheet = workbook.create_sheet(FIELDS_SHEET)
    sheet.append(["stulpelis", "column", "privalomas / required", "aprašas", "description"])
    for column in columns:
        sheet.append([column.header_lt, column.header_en, "taip / yes" if column.required else "",
                      column.description_lt, column.description_en])
    for cell in sheet[1]:
        cell.font = Font(bold=True)


def _write_code_lists(workbook: Workbook) -> dict[str, str]:
    """Writes each code list in its own block of columns; returns list -> cell range."""
    sheet = workbook.create_sheet(CODES_SHEET)
    ranges = {}
    for block, (name, (title, rows)) in enumerate(_code_lists().items()):
        first = block * 4 + 1
        sheet.cell(row=1, column=first, value=title).font = Font(bold=True)
        for offset, header in enumerate(("kodas / code", "lietuviškai", "English")):
            sheet.cell(row=2, column=first + offset, value=header).font = Font(bold=True)
        for line, row in enumerate(rows, start=3):
            for offset, value in enumerate(row):
                sheet.cell(row=line, column=first + offset, value=value)
        letter = sheet.cell(row=1, column=first).column_letter
        ranges[name] = f"{CODES_SHEET}!${letter}$3:${letter}${len(rows) + 2}"
    return ranges


def _add_drop_downs(sheet: Worksheet, kind: Kind, columns: list[Column], ranges: dict[str, str]) -> None:
    booleans = _boolean_fields(kind)
    for position, column in enumerate(columns, start=1):
        source = _LIST_FOR_FIELD.get(column.header_en)
        if source is None and column.header_en in booleans:
            source = "yes_no"
        if source is None:
            continue
        validation = DataValidation(type="list", formula1=ranges[source], allow_blank=True,
                                    showErrorMessage=False)
        letter = sheet.cell(row=1, column=position).column_letter
        validation.add(f"{letter}2:{letter}{_MAX_ROWS}")
        sheet.add_data_validation(validation)


def _boolean_fields(kind: Kind) -> set[str]:
    properties = MODELS[kind].model_json_schema()["properties"]
    return {
        name for name, schema in properties.items()
        if schema.get("type") == "boolean"
        or any(option.get("type") == "boolean" for option in schema.get("anyOf", []))
    }


def export_templates(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in Kind:
        for name, raw in template_names(kind):
            csv_path = directory / f"{name}.csv"
            csv_path.write_bytes(csv_template(kind, raw=raw))
            xlsx_path = directory / f"{name}.xlsx"
            xlsx_template(kind, xlsx_path, raw=raw)
            written += [csv_path, xlsx_path]
    return written


def xlsx_contents(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every sheet's cell values: what a drift check compares (XLSX bytes hold timestamps)."""
    workbook = load_workbook(path, read_only=True)
    try:
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets}
    finally:
        workbook.close()


def template_drift(directory: Path, scratch: Path) -> list[str]:
    """Names of checked-in templates that differ from what the models generate now."""
    fresh = export_templates(scratch)
    drift = []
    for path in fresh:
        kept = directory / path.name
        if not kept.is_file() or not _same_template(kept, path):
            drift.append(path.name)
    return drift


def _same_template(kept: Path, fresh: Path) -> bool:
    if fresh.suffix == ".xlsx":
        return xlsx_contents(kept) == xlsx_contents(fresh)
    return kept.read_bytes() == fresh.read_bytes()
