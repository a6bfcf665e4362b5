"""Reading partner files: encodings, delimiters, row numbers, XLSX safety, and no leaks."""

from __future__ import annotations

import gc
import json
import os
import tracemalloc
import warnings
import zipfile
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font

from interchange.contract.problems import Problem, ProblemError
from interchange.tabular import RawRow, ReadLimits, Table, csv_blocks, read_table, xlsx_reader
from interchange.tabular import encoding as encoding_module

LETTERS = "ąčęėįšųūž ĄČĘĖĮŠŲŪŽ"
CODE = "38703181745"
NAME = "Šarūnė"
SECRETS = (CODE, NAME)


def _assert_no_personal_data(problems: Iterable[Problem]) -> None:
    problems = list(problems)
    assert problems, "the test expected at least one problem"
    for problem in problems:
        texts = [problem.message_en, problem.message_lt, str(ProblemError(problem)),
                 json.dumps(problem.as_dict(), ensure_ascii=False), repr(problem.params)]
        for text in texts:
            for secret in SECRETS:
                assert secret not in text


def _raises(code: str, path: Path, **kwargs: object) -> ProblemError:
    with pytest.raises(ProblemError) as caught:
        table = read_table(path, **kwargs)  # type: ignore[arg-type]
        list(table.rows)
    assert [p.code for p in caught.value.problems] == [code]
    _assert_no_personal_data(caught.value.problems)
    return caught.value


def _rows(table: Table) -> list[RawRow]:
    with table:
        return list(table.rows)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _open_handles(path: Path) -> int:
    fd_dir = Path("/proc/self/fd")
    if not fd_dir.is_dir():
        pytest.skip("needs /proc to count open files")
    target = str(path.resolve())
    count = 0
    for fd in fd_dir.iterdir():
        try:
            count += os.readlink(fd) == target
        except OSError:
            continue
    return count


# --- CSV: encodings and delimiters ---------------------------------------------------


def test_windows_1257_semicolon_csv_round_trips_lithuanian_letters(tmp_path: Path) -> None:
    text = f"Vardas;Pastaba\n{NAME};{LETTERS}\n"
    path = _write(tmp_path / "gavejai.csv", text.encode("cp1257"))

    table = read_table(path)
    rows = _rows(table)

    assert table.format == "csv"
    assert table.encoding == "cp1257"
    assert table.delimiter == ";"
    assert table.headers == ["Vardas", "Pastaba"]
    assert rows == [RawRow(2, {"Vardas": NAME, "Pastaba": LETTERS}, [])]


def test_utf8_bom_csv_has_a_clean_first_header(tmp_path: Path) -> None:
    path = _write(tmp_path / "bom.csv", f"\ufeffAsmens kodas;Vardas\n{CODE};{NAME}\n".encode())

    table = read_table(path)

    assert table.encoding == "utf-8-sig"
    assert table.headers == ["Asmens kodas", "Vardas"]
    assert _rows(table)[0].values == {"Asmens kodas": CODE, "Vardas": NAME}


def test_stray_bom_is_stripped_even_when_utf8_is_forced(tmp_path: Path) -> None:
    path = _write(tmp_path / "bom.csv", "\ufeffKodas,Vardas\n1,a\n".encode())

    table = read_table(path, encoding="utf-8")

    assert table.encoding == "utf-8"
    assert table.headers == ["Kodas", "Vardas"]
    table.close()


@pytest.mark.parametrize("block_chars", [10, 4 * 1024 * 1024])
def test_a_mark_starting_a_line_is_kept_by_the_column_reader_as_by_the_csv_module(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_chars: int) -> None:
    # A mark starting a row (UTF-8 files put end to end) is the cell's, and the models judge it:
    # a date behind it is not a date. (A file that starts with one is read by the csv module.)
    monkeypatch.setattr(csv_blocks, "BLOCK_CHARS", block_chars)
    text = "data;id\n\ufeff2026-01-02;A1\n2026-01-02;\ufeffA2\n\ufeffx;A3\n"
    path = _write(tmp_path / "bom.csv", text.encode())

    def read(blocks: bool) -> list[tuple[int, dict[str, object]]]:
        with read_table(path) as table:
            assert table.blocks is not None
            items = list(table.blocks()) if blocks else list(table.rows)
        rows = [row for item in items
                for row in (item.raw_rows() if isinstance(item, csv_blocks.ColumnBlock) else [item])]
        return [(r.number, r.values) for r in rows]

    assert read(blocks=True) == read(blocks=False)
    assert read(blocks=True)[0] == (2, {"data": "\ufeff2026-01-02", "id": "A1"})


def test_utf8_comma_csv_keeps_letters_and_header_whitespace_is_stripped(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", f" Vardas , Miestas\n{NAME},Šiauliai\n".encode())

    table = read_table(path)

    assert (table.encoding, table.delimiter) == ("utf-8", ",")
    assert table.headers == ["Vardas", "Miestas"]
    assert _rows(table)[0].values == {"Vardas": NAME, "Miestas": "Šiauliai"}


def test_tab_delimited_txt_file_is_read_as_csv(tmp_path: Path) -> None:
    path = _write(tmp_path / "export.txt", b"Kodas\tSuma, EUR\n7\t12,50\n")

    table = read_table(path)

    assert table.delimiter == "\t"
    assert _rows(table)[0].values == {"Kodas": "7", "Suma, EUR": "12,50"}


def test_delimiters_inside_quoted_header_names_do_not_decide(tmp_path: Path) -> None:
    path = _write(tmp_path / "q.csv", b'"Suma; EUR","Data; nuo; iki",Kiekis\n1,2,3\n')

    table = read_table(path)

    assert table.delimiter == ","
    assert table.headers == ["Suma; EUR", "Data; nuo; iki", "Kiekis"]
    table.close()


def test_semicolon_wins_a_tie_with_a_comma_in_a_header_name(tmp_path: Path) -> None:
    path = _write(tmp_path / "tie.csv", b"Suma, EUR;Data\n12,5;2024-01-02\n")

    table = read_table(path)

    assert table.delimiter == ";"
    assert _rows(table)[0].values == {"Suma, EUR": "12,5", "Data": "2024-01-02"}


def test_forced_delimiter_and_encoding_are_used(tmp_path: Path) -> None:
    path = _write(tmp_path / "f.csv", f"a|b\n{LETTERS}|x\n".encode("cp1257"))

    table = read_table(path, encoding="windows-1257", delimiter="|")

    assert (table.encoding, table.delimiter) == ("cp1257", "|")
    assert _rows(table)[0].values == {"a": LETTERS, "b": "x"}


# --- CSV: records and row numbers ----------------------------------------------------


def test_quoted_cell_with_newline_and_delimiter_keeps_physical_row_numbers(
        tmp_path: Path) -> None:
    text = (
        "Kodas;Pastaba;Vardas\n"              # line 1
        f'1;"pirma eilutė\nantra; su kabliataškiu";{NAME}\n'  # lines 2-3
        '2;"""cituota""";B\n'                  # line 4
        "\n"                                   # line 5: blank, not a record
        ";;\n"                                 # line 6: all cells empty, not a record
        "3;paskutinė;C\n"                      # line 7
    )
    path = _write(tmp_path / "multi.csv", text.encode())

    rows = _rows(read_table(path))

    assert [row.number for row in rows] == [2, 4, 7]
    assert rows[0].values["Pastaba"] == "pirma eilutė\nantra; su kabliataškiu"
    assert rows[1].values["Pastaba"] == '"cituota"'
    assert all(row.problems == [] for row in rows)


def test_crlf_lines_and_blank_lines_before_the_header_are_counted(tmp_path: Path) -> None:
    path = _write(tmp_path / "crlf.csv", b"\r\n\r\nKodas,Vardas\r\n1,a\r\n\r\n2,b\r\n")

    table = read_table(path)
    rows = _rows(table)

    assert table.headers == ["Kodas", "Vardas"]
    assert [(row.number, row.values) for row in rows] == [
        (4, {"Kodas": "1", "Vardas": "a"}), (6, {"Kodas": "2", "Vardas": "b"})]


def test_short_and_long_rows_report_row_cells_with_the_right_row_number(tmp_path: Path) -> None:
    text = (
        "Kodas;Vardas;Miestas\n"
        f"{CODE};{NAME}\n"                      # line 2: short
        f"{CODE};{NAME};Vilnius;{NAME};{CODE}\n"  # line 3: long
        f"{CODE};{NAME};Kaunas\n"               # line 4: fine
    )
    path = _write(tmp_path / "cells.csv", text.encode())

    short, long, fine = _rows(read_table(path))

    assert short.values == {"Kodas": CODE, "Vardas": NAME, "Miestas": ""}
    assert [(p.code, p.row, p.params) for p in short.problems] == [
        ("row.cells", 2, {"found": 2, "expected": 3})]
    assert long.values == {"Kodas": CODE, "Vardas": NAME, "Miestas": "Vilnius"}
    assert [(p.code, p.row, p.params) for p in long.problems] == [
        ("row.cells", 3, {"found": 5, "expected": 3})]
    assert fine.problems == []
    _assert_no_personal_data(short.problems + long.problems)


def test_repeated_and_blank_header_names_are_kept_for_the_caller(tmp_path: Path) -> None:
    path = _write(tmp_path / "dup.csv", b"Kodas;Kodas;;\n;7;x;\n")

    table = read_table(path)
    (row,) = _rows(table)

    assert table.headers == ["Kodas", "Kodas", "", ""]
    assert row.values == {"Kodas": "7", "": "x"}


def test_values_are_not_interpreted(tmp_path: Path) -> None:
    path = _write(tmp_path / "v.csv", b"Suma;Data;Kodas\n 12,50 ;2024-01-02;007\n")

    (row,) = _rows(read_table(path))

    assert row.values == {"Suma": " 12,50 ", "Data": "2024-01-02", "Kodas": "007"}


# --- CSV: bad bytes --------------------------------------------------------------------


def test_utf8_file_with_one_corrupt_byte_drops_only_that_cell(tmp_path: Path) -> None:
    data = (
        b"Kodas;Vardas;Miestas\n"            # line 1
        + f"1;{NAME};Vilnius\n".encode()             # line 2
        + "2;Ąžuolas;Kaunas\n".encode()              # line 3
        + b"3;Sar\xfbn\xeb " + CODE.encode() + b";Klaip\xe9da\n"  # line 4: corrupt
        + "4;Jūratė;Šiauliai\n".encode()             # line 5
    )
    path = _write(tmp_path / "corrupt.csv", data)

    table = read_table(path)
    rows = _rows(table)

    assert table.encoding == "utf-8"
    assert [row.number for row in rows] == [2, 3, 4, 5]
    assert rows[0].values == {"Kodas": "1", "Vardas": NAME, "Miestas": "Vilnius"}
    assert rows[3].values == {"Kodas": "4", "Vardas": "Jūratė", "Miestas": "Šiauliai"}
    bad = rows[2]
    assert bad.values == {"Kodas": "3", "Vardas": "", "Miestas": ""}
    assert [(p.code, p.row, p.column, p.params) for p in bad.problems] == [
        ("row.encoding", 4, "Vardas", {"encoding": "UTF-8"}),
        ("row.encoding", 4, "Miestas", {"encoding": "UTF-8"}),
    ]
    _assert_no_personal_data(bad.problems)
    assert all(not row.problems for row in (rows[0], rows[1], rows[3]))


def test_bytes_undecodable_as_utf8_and_windows_1257_name_the_line(tmp_path: Path) -> None:
    # 0x81 and 0x98 are undefined in Windows-1257 and invalid on their own in UTF-8.
    data = b"Kodas;Vardas\n" + CODE.encode() + b";ok\n" + b"2;\x81\x98" + CODE.encode() + b"\n"
    path = _write(tmp_path / "binary.csv", data)

    caught = _raises("file.encoding", path)

    assert caught.problems[0].params == {"line": 3}


def test_forced_encoding_that_does_not_fit_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "f.csv", b"a;b\n1;2\n3;\x81\n")

    caught = _raises("file.encoding", path, encoding="cp1257")

    assert caught.problems[0].params == {"line": 3}


def test_detection_holds_across_read_chunks(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoding_module, "_CHUNK", 5)
    cp1257 = _write(tmp_path / "cp.csv", ("a;b\n" * 5 + f"{NAME};{LETTERS}\n").encode("cp1257"))
    mixed = _write(tmp_path / "mixed.csv",
                   b"a;b\n" * 5 + b"x;\xfb\n" + "y;ž\n".encode() + b"z;\xeb\n")
    binary = _write(tmp_path / "bin.csv", b"a;b\n" * 5 + b"x;\xfb\n" + b"y;\x98\n")

    assert _rows(read_table(cp1257))[-1].values == {"a": NAME, "b": LETTERS}
    mixed_table = read_table(mixed)
    assert mixed_table.encoding == "utf-8"
    assert [(p.row, p.column) for r in _rows(mixed_table) for p in r.problems] == [
        (6, "b"), (8, "b")]
    # \xfb is "ū" in Windows-1257; \x98 on line 7 is undefined there.
    assert _raises("file.encoding", binary).problems[0].params == {"line": 7}


def test_unclosed_quote_fails_while_reading_and_releases_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "q.csv", b'a;b\n1;"' + b"x" * 200_000 + b"\n2;3\n")

    table = read_table(path)
    with pytest.raises(ProblemError) as caught:
        list(table.rows)

    (problem,) = caught.value.problems
    assert (problem.code, problem.params["format"]) == ("file.unreadable", "CSV")
    assert "line 2" in problem.message_en
    assert _open_handles(path) == 0


# --- whole-file failures ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["empty.csv", "empty.xlsx", "empty.jsonl"])
def test_zero_byte_file_is_empty(tmp_path: Path, name: str) -> None:
    _raises("file.empty", _write(tmp_path / name, b""))


@pytest.mark.parametrize("data", [b"\n\n", b"\xef\xbb\xbf", b" ; ;\r\n;;\r\n"])
def test_file_without_a_header_is_empty(tmp_path: Path, data: bytes) -> None:
    _raises("file.empty", _write(tmp_path / "blank.csv", data))


def test_unknown_suffix_is_refused_by_format(tmp_path: Path) -> None:
    caught = _raises("file.format", _write(tmp_path / "data.xls", b"x"))

    assert caught.problems[0].params == {"suffix": ".xls"}


def test_missing_file_is_reported_as_missing(tmp_path: Path) -> None:
    _raises("file.missing", tmp_path / "nowhere.csv")


def test_suffix_is_case_insensitive(tmp_path: Path) -> None:
    table = read_table(_write(tmp_path / "UPPER.CSV", b"a\n1\n"))

    assert table.format == "csv"
    table.close()


# --- CSV: resources and streaming ------------------------------------------------------


def test_csv_file_is_closed_after_iteration_and_on_early_close(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.csv", b"a\n1\n2\n3\n")

    table = read_table(path)
    assert _open_handles(path) == 1
    list(table.rows)
    assert _open_handles(path) == 0

    with read_table(path) as early:
        next(early.rows)
    assert _open_handles(path) == 0
    assert list(early.rows) == []


def test_a_200000_row_csv_streams_in_modest_memory(tmp_path: Path) -> None:
    line = f"{CODE};{NAME};2024-01-15;12,50;Vilniaus m. sav.\n"
    path = tmp_path / "big.csv"
    path.write_text("Kodas;Vardas;Data;Suma;Savivaldybe\n" + line * 200_000, encoding="utf-8")

    tracemalloc.start()
    try:
        count = sum(1 for _ in read_table(path).rows)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == 200_000
    assert peak < 50 * 1024 * 1024


# --- XLSX --------------------------------------------------------------------------------


def _workbook(path: Path, rows: dict[int, list[object]], title: str = "Duomenys") -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for number, values in rows.items():
        for column, value in enumerate(values, start=1):
            sheet.cell(row=number, column=column, value=value)
    workbook.save(path)
    return path


def test_xlsx_values_become_text_and_row_numbers_are_sheet_rows(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "a.xlsx", {
        1: ["Kodas", " Vardas ", "Gimė", "Kiekis", "Suma", "Aktyvus", "Laikas", None, None],
        2: [CODE, NAME, datetime(1987, 3, 18), 12.0, 12.5, True, datetime(2024, 5, 6, 7, 8, 9)],
        # row 3 left blank: skipped, but row 4 keeps its number
        4: [38703181745, "  ", date(2024, 1, 2), 3, None, False],
    })

    table = read_table(path)
    rows = _rows(table)

    assert (table.format, table.sheet, table.encoding) == ("xlsx", "Duomenys", None)
    assert table.headers == ["Kodas", "Vardas", "Gimė", "Kiekis", "Suma", "Aktyvus", "Laikas"]
    assert [row.number for row in rows] == [2, 4]
    assert rows[0].values == {
        "Kodas": CODE, "Vardas": NAME, "Gimė": "1987-03-18", "Kiekis": "12",
        "Suma": "12.5", "Aktyvus": "true", "Laikas": "2024-05-06T07:08:09",
    }
    assert rows[1].values == {
        "Kodas": CODE, "Vardas": None, "Gimė": "2024-01-02", "Kiekis": "3",
        "Suma": None, "Aktyvus": "false", "Laikas": None,
    }
    assert all(not row.problems for row in rows)


def test_xlsx_header_below_blank_rows_and_on_a_named_sheet(tmp_path: Path) -> None:
    path = tmp_path / "two.xlsx"
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first["A1"] = "kita"
    second = workbook.create_sheet("Gavėjai")
    second["B3"] = "Kodas"
    second["C3"] = "Vardas"
    second["B5"] = CODE
    second["C6"] = NAME
    workbook.save(path)

    table = read_table(path, sheet="Gavėjai")
    rows = _rows(table)

    assert table.sheet == "Gavėjai"
    assert table.headers == ["", "Kodas", "Vardas"]
    assert [(row.number, row.values) for row in rows] == [
        (5, {"": None, "Kodas": CODE, "Vardas": None}),
        (6, {"": None, "Kodas": None, "Vardas": NAME}),
    ]


def test_xlsx_missing_sheet_names_the_sheets_that_exist(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "s.xlsx", {1: ["a"], 2: [NAME]})

    caught = _raises("file.unreadable", path, sheet="Nėra")

    assert "'Duomenys'" in caught.problems[0].message_en


def test_xlsx_extra_values_beyond_the_header_are_reported_but_empty_ones_are_not(
        tmp_path: Path) -> None:
    path = _workbook(tmp_path / "x.xlsx", {
        1: ["Kodas", "Vardas"],
        2: [CODE, NAME, None, CODE],
        3: [CODE, NAME],
    })
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    assert sheet is not None
    sheet.cell(row=3, column=5).font = Font(bold=True)  # formatted but empty cell
    workbook.save(path)

    long, fine = _rows(read_table(path))

    assert long.values == {"Kodas": CODE, "Vardas": NAME}
    assert [(p.code, p.row, p.params) for p in long.problems] == [
        ("row.cells", 2, {"found": 4, "expected": 2})]
    _assert_no_personal_data(long.problems)
    assert fine.problems == []


def test_xlsx_with_only_blank_cells_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet["A1"].font = Font(bold=True)
    sheet["B2"] = "   "
    workbook.save(path)

    _raises("file.empty", path)


def test_xlsx_zip_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", bytes(20 * 1024 * 1024))

    caught = _raises("file.unsafe", path)

    assert "compressed more than 200 times" in caught.problems[0].message_en


@pytest.mark.parametrize("name", ["../evil.xml", "/etc/evil.xml", "xl/../../evil.xml",
                                  "C:/evil.xml"])
def test_xlsx_entry_escaping_the_archive_is_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / "slip.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(name, "x")

    _raises("file.unsafe", path)


def test_xlsx_with_too_many_entries_or_too_much_data_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _workbook(tmp_path / "ok.xlsx", {1: ["a"], 2: ["b"]})

    monkeypatch.setattr(xlsx_reader, "MAX_ENTRIES", 3)
    assert "entries" in _raises("file.unsafe", path).problems[0].message_en
    monkeypatch.undo()
    assert "unpacks to" in _raises("file.unsafe", path, limits=ReadLimits(max_unpacked_bytes=1000)
                                   ).problems[0].message_en


def test_text_file_renamed_to_xlsx_is_unreadable(tmp_path: Path) -> None:
    path = _write(tmp_path / "renamed.xlsx", f"Kodas;Vardas\n{CODE};{NAME}\n".encode())

    caught = _raises("file.unreadable", path)

    assert caught.problems[0].params == {"format": "XLSX", "reason": "not an XLSX (zip) file"}


def test_zip_that_is_not_a_workbook_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "other.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", f"{CODE} {NAME}")

    _raises("file.unreadable", path)


def _rewrite_entry(source: Path, target: Path, name: str, change: Callable[[bytes], bytes]
                   ) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for entry in old.infolist():
            data = old.read(entry)
            new.writestr(entry, change(data) if entry.filename == name else data)
    return target


def test_xlsx_declaring_xml_entities_is_refused_as_unsafe(tmp_path: Path) -> None:
    source = _workbook(tmp_path / "a.xlsx", {1: ["Kodas"], 2: [CODE]})
    path = _rewrite_entry(source, tmp_path / "dtd.xlsx", "xl/worksheets/sheet1.xml",
                          lambda xml: b'<!DOCTYPE w [<!ENTITY e "' + CODE.encode() + b'">]>' + xml)

    caught = _raises("file.unsafe", path)

    assert "DTD" in caught.problems[0].message_en


def test_xlsx_damaged_further_in_fails_while_reading_and_releases_the_file(
        tmp_path: Path) -> None:
    source = _workbook(tmp_path / "a.xlsx", {n: [CODE, NAME] for n in range(1, 201)})
    path = _rewrite_entry(source, tmp_path / "cut.xlsx", "xl/worksheets/sheet1.xml",
                          lambda xml: xml[: len(xml) * 7 // 10])

    table = read_table(path)
    read: list[RawRow] = []
    with pytest.raises(ProblemError) as caught:
        read.extend(table.rows)

    assert 0 < len(read) < 199
    assert [p.code for p in caught.value.problems] == ["file.unreadable"]
    _assert_no_personal_data(caught.value.problems)
    assert _open_handles(path) == 0


def test_encrypted_workbook_is_named_as_such(tmp_path: Path) -> None:
    path = _write(tmp_path / "locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))

    caught = _raises("file.unreadable", path)

    assert "password-protected" in caught.problems[0].params["reason"]


def test_xlsx_is_refused_when_defusedxml_is_missing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _workbook(tmp_path / "d.xlsx", {1: ["a"]})
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)

    caught = _raises("file.unsafe", path)

    assert caught.problems[0].params == {"reason": "defusedxml is not installed"}


def test_xlsx_workbook_is_closed_after_iteration_and_by_close(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "c.xlsx", {1: ["a"], 2: ["b"], 3: ["c"]})

    table = read_table(path)
    assert _open_handles(path) >= 1
    assert len(list(table.rows)) == 2
    assert _open_handles(path) == 0

    table = read_table(path)
    table.close()
    assert _open_handles(path) == 0
    assert list(table.rows) == []


def test_abandoned_tables_leave_no_open_file_behind(tmp_path: Path) -> None:
    xlsx = _workbook(tmp_path / "c.xlsx", {1: ["a"], 2: ["b"]})
    csv_path = _write(tmp_path / "c.csv", b"a\nb\n")
    gc.collect()  # what earlier tests of the process left unclosed is not these tables' doing

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for path in (xlsx, csv_path):
            table = read_table(path)
            next(table.rows)
            del table
        gc.collect()

    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert _open_handles(xlsx) == 0
    assert _open_handles(csv_path) == 0


# --- JSON Lines ---------------------------------------------------------------------------


def test_jsonl_headers_are_the_union_of_keys_and_bad_lines_are_reported(tmp_path: Path) -> None:
    lines = [
        json.dumps({"kodas": CODE, "vardas": NAME}, ensure_ascii=False),  # line 1
        "",                                                                # line 2: blank
        '{"kodas": "' + CODE + '", "vardas": "' + NAME,                    # line 3: cut off
        json.dumps([CODE, NAME], ensure_ascii=False),                      # line 4: array
        json.dumps({"vardas": NAME, "vaikai": 2, "tags": ["a"], "x": None},
                   ensure_ascii=False),                                    # line 5
    ]
    path = _write(tmp_path / "a.jsonl", ("\ufeff" + "\n".join(lines) + "\n").encode())

    table = read_table(path)
    rows = _rows(table)

    assert (table.format, table.encoding) == ("jsonl", "utf-8-sig")
    assert table.headers == ["kodas", "vardas", "vaikai", "tags", "x"]
    assert [row.number for row in rows] == [1, 3, 4, 5]
    assert rows[0].values == {"kodas": CODE, "vardas": NAME}
    assert rows[3].values == {"vardas": NAME, "vaikai": 2, "tags": ["a"], "x": None}
    cut, array = rows[1], rows[2]
    assert (cut.values, array.values) == ({}, {})
    assert [(p.code, p.row) for p in cut.problems + array.problems] == [
        ("row.json", 3), ("row.json", 4)]
    assert cut.problems[0].params["reason"].startswith("invalid JSON at character ")
    assert array.problems[0].params == {"reason": "not an object"}
    _assert_no_personal_data(cut.problems + array.problems)


def test_ndjson_with_nan_is_reported_without_the_value(tmp_path: Path) -> None:
    path = _write(tmp_path / "n.ndjson", b'{"a": NaN}\n{"a": 1}\n')

    rows = _rows(read_table(path))

    assert [p.code for p in rows[0].problems] == ["row.json"]
    assert rows[1].values == {"a": 1}


def test_jsonl_with_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    data = b'{"a": 1}\n{"a": 2}\n{"vardas": "\xc5\xa0ar\xfbn\xeb"}\n'
    path = _write(tmp_path / "bad.jsonl", data)

    caught = _raises("file.encoding", path)

    assert caught.problems[0].params == {"line": 3}


def test_jsonl_with_only_blank_lines_is_empty(tmp_path: Path) -> None:
    _raises("file.empty", _write(tmp_path / "blank.jsonl", b"\n  \n\r\n"))
