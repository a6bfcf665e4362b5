"""Bounded reading: whatever a file holds (millions of columns, an endless line, a giant cell, deep JSON,
a workbook of huge shared strings), the readers refuse it with a specific code before holding more than
their limits allow, and keep every row they can (issue 16 §3). Peak memory of the full-size hostile files
is measured by benchmarks/hostile_files.py."""

from __future__ import annotations

import json
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from conftest import HUB_CONFIG
from drop_kit import PERSON_HEADER, counts, drop, ingest, only_receipt, person_rows, problems

from interchange.contract.problems import ProblemError
from interchange.contract.records import Kind
from interchange.contract.rows import map_headers, validate_row
from interchange.tabular import ReadLimits, read_table
from interchange.tabular.csv_blocks import ColumnBlock
from interchange.tabular.xlsx_reader import check_container

MiB = 1024 * 1024


def _refused(path: Path, code: str, **kwargs: object) -> dict[str, object]:
    with pytest.raises(ProblemError) as caught, read_table(path, **kwargs) as table:  # type: ignore[arg-type]
        list(table.rows)
    [problem] = caught.value.problems
    assert problem.code == code
    return problem.params


def _peak_bytes(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_csv_header_of_100k_columns_is_refused_as_too_many_columns(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{n}" for n in range(100_000)) + "\nx\n", encoding="utf-8")

    assert _refused(path, "file.too_many_columns") == {"found": 100_000, "limit": 512}


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_one_endless_line_is_refused_without_holding_it(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"endless{suffix}"
    path.write_bytes(b'{"a": "' + b"a;" * (8 * MiB) + b'"}\n')  # 16 MiB, one line

    params: dict[str, object] = {}
    peak = _peak_bytes(lambda: params.update(_refused(path, "file.line_too_long")))

    assert params == {"line": 1, "limit": MiB}
    assert peak < 6 * MiB  # the limit and the codec's buffers, never the 16 MiB line


def test_a_record_growing_over_quoted_line_breaks_stops_reading_where_it_starts(tmp_path: Path) -> None:
    path = tmp_path / "quoted.csv"
    body = "\n".join("x" * 900 for _ in range(20))
    path.write_text(f"a,b\n1,2\n3,\"{body}\"\n5,6\n", encoding="utf-8")

    with read_table(path, limits=ReadLimits(max_line_chars=10_000)) as table:
        first = next(table.rows)
        with pytest.raises(ProblemError) as caught:
            next(table.rows)

    assert first.values == {"a": "1", "b": "2"}
    assert [(p.code, p.params) for p in caught.value.problems] == [
        ("file.line_too_long", {"line": 3, "limit": 10_000})]


def test_encoding_detection_reads_a_line_without_breaks_in_bounded_pieces(tmp_path: Path) -> None:
    path = tmp_path / "noline.csv"
    path.write_bytes("ą,".encode() * (4 * MiB))  # 12 MiB of UTF-8, not one line break

    peak = _peak_bytes(lambda: _refused(path, "file.line_too_long"))

    assert peak < 8 * MiB


def _long_cell_rows(path: Path) -> list[tuple[int, dict[str, object], list[tuple[str, str | None]]]]:
    with read_table(path, limits=ReadLimits(max_cell_chars=100)) as table:
        return [(r.number, r.values, [(p.code, p.column) for p in r.problems]) for r in table.rows]


def test_a_cell_over_the_limit_is_a_row_problem_in_every_format(tmp_path: Path) -> None:
    long = "z" * 101
    csv_path = tmp_path / "cells.csv"
    csv_path.write_text(f"a,b\n1,{long}\n2,ok\n", encoding="utf-8")
    jsonl_path = tmp_path / "cells.jsonl"
    jsonl_path.write_text(json.dumps({"a": "1", "b": long}) + "\n" + json.dumps({"a": "2", "b": "ok"}) + "\n",
                          encoding="utf-8")
    xlsx_path = tmp_path / "cells.xlsx"
    workbook = openpyxl.Workbook()
    for row in (["a", "b"], ["1", long], ["2", "ok"]):
        workbook.active.append(row)
    workbook.save(xlsx_path)

    for path, first in ((csv_path, 2), (jsonl_path, 1), (xlsx_path, 2)):
        assert _long_cell_rows(path) == [
            (first, {"a": "1", "b": ""}, [("value.too_long", "b")]),
            (first + 1, {"a": "2", "b": "ok"}, []),
        ], path.suffix


def test_a_cell_is_measured_in_characters_on_the_column_path_too(tmp_path: Path) -> None:
    # The column reader passes over rows short in bytes without counting their characters: a cell
    # of two-byte letters at the limit is not too long, one letter more is, as for the csv module.
    path = tmp_path / "letters.csv"
    path.write_text("a,b\n1," + "ž" * 100 + "\n2," + "ž" * 101 + "\n3,ok\n", encoding="utf-8")
    limits = ReadLimits(max_cell_chars=100)

    def read(blocks: bool) -> list[tuple[int, dict[str, object], list[tuple[str, str | None]]]]:
        with read_table(path, limits=limits) as table:
            assert table.blocks is not None
            items = list(table.blocks()) if blocks else list(table.rows)
        rows = [row for item in items for row in (item.raw_rows() if isinstance(item, ColumnBlock) else [item])]
        return [(r.number, r.values, [(p.code, p.column) for p in r.problems]) for r in rows]

    assert read(blocks=True) == read(blocks=False)
    assert [problems for _, _, problems in read(blocks=True)] == [[], [("value.too_long", "b")], []]


def test_jsonl_deep_nesting_is_a_row_problem_and_too_many_keys_refuse_the_file(tmp_path: Path) -> None:
    deep = tmp_path / "deep.jsonl"
    nested: object = "x"
    for _ in range(40):
        nested = {"k": nested}
    deep.write_text(json.dumps({"a": 1, "b": nested}) + "\n" + json.dumps({"a": 2, "b": None}) + "\n",
                    encoding="utf-8")
    with read_table(deep) as table:
        rows = [(r.number, [(p.code, p.params) for p in r.problems]) for r in table.rows]
    assert rows == [(1, [("row.json", {"reason": "the JSON is nested more than 32 levels deep"})]), (2, [])]

    wide = tmp_path / "wide.jsonl"
    wide.write_text("".join(json.dumps({f"k{n}": n}) + "\n" for n in range(600)), encoding="utf-8")
    assert _refused(wide, "file.too_many_columns") == {"found": 513, "limit": 512}


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _shared_strings_workbook(path: Path, strings: list[str], part: str = "xl/sharedStrings.xml") -> Path:
    """A minimal workbook as Excel writes it: every cell a reference into the shared strings."""
    sheet_rows = "".join(f'<row r="{n + 1}"><c r="A{n + 1}" t="s"><v>{n}</v></c></row>' for n in range(len(strings)))
    items = "".join(f"<si><t>{text}</t></si>" for text in strings)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
            f'<Override PartName="/{part}" ContentType="{_CT}.sharedStrings+xml"/></Types>'))
        archive.writestr("_rels/.rels", (
            f'<Relationships xmlns="{_PKG_RELS}"><Relationship Id="rId1" Target="xl/workbook.xml" '
            f'Type="{_DOC_RELS}/officeDocument"/></Relationships>'))
        archive.writestr("xl/workbook.xml", (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        archive.writestr("xl/_rels/workbook.xml.rels", (
            f'<Relationships xmlns="{_PKG_RELS}">'
            f'<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="{_DOC_RELS}/worksheet"/>'
            f'<Relationship Id="rId2" Target="/{part}" Type="{_DOC_RELS}/sharedStrings"/></Relationships>'))
        archive.writestr("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{_MAIN}"><sheetData>{sheet_rows}'
                                                     "</sheetData></worksheet>")
        archive.writestr(part, f'<sst xmlns="{_MAIN}">{items}</sst>')
    return path


def test_xlsx_shared_strings_over_the_limit_are_refused_before_openpyxl_reads_them(tmp_path: Path) -> None:
    strings = ["record_id", *[f"P{n:06d} {'x' * 50}" for n in range(200)]]
    path = _shared_strings_workbook(tmp_path / "strings.xlsx", strings)
    with read_table(path) as table:  # under the default limit the same workbook reads
        assert (table.headers, len(list(table.rows))) == (["record_id"], 200)
    # The part is found through [Content_Types].xml, wherever it is stored.
    hidden = _shared_strings_workbook(tmp_path / "hidden.xlsx", strings, part="xl/worksheets/other.xml")

    for workbook in (path, hidden):
        params = _refused(workbook, "file.unpacked_too_large", limits=ReadLimits(max_shared_strings_bytes=4096))
        assert params["part"] == "sharedStrings" and params["limit"] == 4096
        assert isinstance(params["size"], int) and params["size"] > 4096


def test_xlsx_header_wider_than_the_limit_is_refused(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "wide.xlsx", [[f"c{n}" for n in range(600)], ["x"]])

    assert _refused(path, "file.too_many_columns") == {"found": 600, "limit": 512}


def _sheet_with_a_wide_row(path: Path, cell: bytes, cells: int) -> Path:
    """A sheet part of about 3 MiB (so it is scanned) whose row 30,000 holds `cells` copies of `cell`."""
    def rows(numbers: range) -> bytes:
        return "".join(f'<row r="{n}"><c><v>{n * 7919 % 1000003}</v></c></row>' for n in numbers).encode()

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        # Row 30,000 is about 1 MiB in: it crosses the scanner's first chunk.
        archive.writestr("xl/worksheets/sheet1.xml", b'<worksheet xmlns:x="urn:x"><sheetData>' + rows(range(1, 30_000))
                         + b'<row r="30000">' + cell * cells + b"</row>" + rows(range(30_001, 90_000))
                         + b"</sheetData></worksheet>")
    return path


def test_xlsx_row_wider_than_excel_allows_is_refused_before_openpyxl_builds_it(tmp_path: Path) -> None:
    # openpyxl holds a whole row (about 550 bytes a cell) before handing it over: 1M cells cost 600 MB.
    check_container(_sheet_with_a_wide_row(tmp_path / "excel.xlsx", b"<c />", 16_384))  # Excel's widest

    with pytest.raises(ProblemError) as caught:
        check_container(_sheet_with_a_wide_row(tmp_path / "wide.xlsx", b"<x:c/>", 16_385))

    assert [(p.code, p.params) for p in caught.value.problems] == [
        ("file.unsafe", {"reason": "a sheet row holds more than 16384 cells, Excel's limit"})]


def test_a_nul_read_from_json_lines_is_the_same_row_problem_as_from_csv(tmp_path: Path) -> None:
    path = tmp_path / "persons.jsonl"
    rows = [dict(zip(PERSON_HEADER, r, strict=True)) for r in person_rows(2)]
    rows[1]["municipality"] = "LT-\u000022"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")

    with read_table(path) as table:
        headers = map_headers(Kind.PERSON, table.headers, supplied=["org"])
        results = [validate_row(Kind.PERSON, r.number, r.values, headers, org="kretingos-spc") for r in table.rows]

    assert [r.record is not None for r in results] == [True, False]
    assert [(p.code, p.row, p.column, p.record_id, p.params) for p in results[1].problems] == [
        ("value.control_character", 2, "municipality", "P000001", {"character": "U+0000"})]


def test_the_inbox_source_limits_refuse_a_drop_with_a_receipt(hub_root: Path, database_url: str) -> None:
    config = hub_root / "interchange.yaml"
    config.write_text(HUB_CONFIG.replace("settle_seconds: 0", "settle_seconds: 0\n        max_columns: 4", 1),
                      encoding="utf-8")
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(2)])

    ingest(hub_root)

    receipt = only_receipt(hub_root)
    assert receipt["status"] == "rejected"
    assert counts(receipt) == {"rows_read": 0}
    assert problems(receipt) == [("file.too_many_columns", None, None)]
    assert "5" in receipt["problems"][0]["message_en"] and "4" in receipt["problems"][0]["message_lt"]
