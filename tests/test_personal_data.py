"""Personal data stays with the partner: no column name that could be a person's data is quoted back,
no raw bytes the hub did not load stay in its archive, and a personal code in any cell refuses the file
(at `interchange check` and at the hub). Issue 16, part 4."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from conftest import write_csv
from drop_kit import (
    CONTACT_HEADER,
    PERSON_HEADER,
    SPC,
    batch_rows,
    contact_rows,
    counts,
    drop,
    files_in,
    ingest,
    only_receipt,
    person_rows,
    problems,
    receipts,
    records,
    table_text,
)

from interchange.contract.column_names import header_row_is_data, quotable
from interchange.contract.personal_code import check_digit, holds_personal_code
from interchange.contract.problems import ProblemError
from interchange.contract.records import Kind
from interchange.contract.rows import map_headers
from interchange.demo.synthetic import make_people, write_raw_person_extract
from interchange.ingest.validate import validate_rows
from interchange.partner.check import check_drop
from interchange.partner.code_scan import _ELEVEN_DIGITS, CodeScan, _column_may_hold_code
from interchange.partner.column_suggest import suggest_columns
from interchange.partner.columns import known_header_keys
from interchange.tabular import csv_blocks, read_table
from interchange.warehouse.tables import batches, quarantine

FIRST_PERSON = make_people(1)[0]
CODE = FIRST_PERSON.code
SPACED_CODE = f"{CODE[:3]} {CODE[3:7]} {CODE[7:]}"
NAME = f"{FIRST_PERSON.given_name} {FIRST_PERSON.surname}"


def _secrets_left(root: Path, url: str, caplog: pytest.LogCaptureFixture, *secrets: str) -> list[str]:
    stored = [p.read_text(encoding="utf-8") for p in (root / "receipts" / SPC).iterdir()]
    stored += [table_text(url, batches), table_text(url, quarantine), caplog.text]
    stored += [p.read_text(encoding="utf-8", errors="replace") for p in (root / "archive" / SPC).glob("*")]
    return [secret for secret in secrets if any(secret in text for text in stored)]


def _headerless_raw_extract(tmp_path: Path, first_code: str) -> bytes:
    people = make_people(3)
    raw = tmp_path / "raw.csv"
    write_raw_person_extract(raw, people, share_without_code=0.0, share_code_typo=0.0, share_ascii_names=0.0)
    lines = raw.read_bytes().splitlines(keepends=True)[1:]
    cells = lines[0].split(b";")
    cells[1] = first_code.encode()
    return b";".join(cells) + b"".join(lines[1:])


def _mistyped(code: str) -> str:
    wrong = (check_digit(code[:10]) + 1) % 10
    return code[:10] + str(wrong)


# --- 1. column names are quoted only when they cannot be a person's data ----------------------------


def test_only_names_shaped_as_column_names_are_quoted() -> None:
    known = known_header_keys()
    assert all(quotable(h, known) for h in ("pastabos", "komentaras_2", "Gimimo metai", "asmens_kodas"))
    assert not any(quotable(h, known) for h in ("Zebediejus", "Kvarcauskas", "1980-05-04", CODE, "Pastabos",
                                                "zebediejus kvarcauskas", "a12345678", "x" * 41, ""))


@pytest.mark.parametrize("first_code", ["", "mistyped"])
def test_a_header_row_that_is_a_record_is_recognised(tmp_path: Path, first_code: str) -> None:
    code = _mistyped(FIRST_PERSON.code) if first_code else ""
    path = tmp_path / "raw.csv"
    path.write_bytes(_headerless_raw_extract(tmp_path, code))
    with read_table(path) as table:
        assert header_row_is_data(table.headers, known_header_keys())
    # Real headers, the partner's own names included, are not.
    for header in (["Įrašo Nr.", "Kliento ID", "Paslauga", "Data", "Trukmė, min.", "Pastabos"],
                   ["record_id", "person_record_id", "service_code", "contact_date", "pastabos", ""],
                   ["Įrašo ID", "Asmens kodas", "Vardas", "Pavardė", "Gimimo data", "Lytis"]):
        assert not header_row_is_data(header, known_header_keys())


def test_unknown_column_is_reported_by_position_unless_its_name_cannot_be_data() -> None:
    header_map = map_headers(Kind.CONTACT, [*CONTACT_HEADER, "Zebediejus", "pastabos", "1980-05-04"], supplied=["org"])

    shown = [(p.code, p.column, p.params.get("position")) for p in header_map.problems]
    assert shown == [("header.unknown", None, 6), ("header.unknown", "pastabos", 7), ("header.unknown", None, 8)]
    assert "Zebediejus" not in header_map.problems[0].message_en
    assert header_map.problems[0].message_en.startswith("Column 6 is not in the contract: its data was not copied.")


@pytest.mark.parametrize("first_code", ["", "mistyped"])
def test_raw_extract_without_header_whose_first_code_is_empty_or_mistyped_is_refused_and_purged(
        hub_root: Path, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture, first_code: str) -> None:
    code = _mistyped(FIRST_PERSON.code) if first_code else ""
    inbox = hub_root / "inbox" / SPC
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "asmenys.person.csv").write_bytes(_headerless_raw_extract(tmp_path, code))

    with caplog.at_level(logging.DEBUG):
        ingest(hub_root)

    receipt = only_receipt(hub_root)
    assert receipt["status"] == "rejected"
    assert problems(receipt) == [("file.no_header", None, None), ("file.identifiers_purged", None, None)]
    assert files_in(hub_root / "archive" / SPC) == [] and records(database_url) == {}
    assert batch_rows(database_url)[0]["archive_path"] is None
    secrets = [FIRST_PERSON.given_name, FIRST_PERSON.surname, *([code] if code else [])]
    assert _secrets_left(hub_root, database_url, caplog, *secrets) == []


def test_check_refuses_a_headerless_extract_and_never_names_its_first_record(tmp_path: Path) -> None:
    path = tmp_path / "asmenys.csv"
    path.write_bytes(_headerless_raw_extract(tmp_path, ""))

    report = check_drop(path, kind=Kind.PERSON, org=SPC)

    assert [p.code for p in report.problems] == ["file.no_header"]
    text = json.dumps([p.as_dict() for p in report.problems], ensure_ascii=False)
    assert FIRST_PERSON.given_name not in text and FIRST_PERSON.surname not in text


def test_columns_suggest_refuses_a_headerless_extract_and_shows_unplaced_names_only_when_quotable(
        tmp_path: Path) -> None:
    path = tmp_path / "asmenys.csv"
    path.write_bytes(_headerless_raw_extract(tmp_path, ""))
    with read_table(path) as table, pytest.raises(ProblemError) as refused:
        suggest_columns(Kind.PERSON, table.headers)
    assert [p.code for p in refused.value.problems] == ["file.no_header"]
    assert FIRST_PERSON.given_name not in str(refused.value)

    suggestion = suggest_columns(Kind.CONTACT, ["Įrašo Nr.", "Kvarcauskas", "pastabos", "Data"])
    assert suggestion.unplaced == ["#2", "pastabos"]


# --- 2. the hub keeps no raw bytes it did not load -----------------------------------------------


def _contacts_with_notes() -> list[list[str]]:
    rows = contact_rows(4, ["P000000", "P000001"])
    rows[1][2] = "palm_reading"  # row 3: quarantined, and must stay so when the archive is read again
    return [[*CONTACT_HEADER, "Pastabos", "pastabos_2"],
            *([*row, NAME, f"skambino {FIRST_PERSON.surname}"] for row in rows)]


def test_unknown_columns_are_stripped_from_the_archive_and_the_original_digest_kept(
        hub_root: Path, database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(2)])
    sent = drop(hub_root, "kontaktai.contact.csv", _contacts_with_notes())
    raw = sent.read_bytes()

    with caplog.at_level(logging.DEBUG):
        ingest(hub_root)

    receipt = receipts(hub_root)[-1]
    assert (receipt["status"], counts(receipt)) == ("loaded", {"rows_read": 4, "inserted": 3, "quarantined": 1})
    stripped = [p for p in problems(receipt) if p[0] == "file.columns_stripped"]
    assert stripped == [("file.columns_stripped", None, None)]
    message = next(p["message_en"] for p in receipt["problems"] if p["code"] == "file.columns_stripped")
    assert "(6, 7 (pastabos_2))" in message
    contacts_batch = batch_rows(database_url)[-1]
    assert contacts_batch["sha256"] == receipt["sha256"] == hashlib.sha256(raw).hexdigest()
    assert contacts_batch["archive_path"].endswith(".stripped.jsonl")
    assert _secrets_left(hub_root, database_url, caplog, FIRST_PERSON.surname) == []

    # The same file again is still the same file, and its raw bytes do not come back into the archive.
    drop(hub_root, "kontaktai.contact.csv", _contacts_with_notes())
    ingest(hub_root)
    assert receipts(hub_root)[-1]["status"] == "duplicate"
    assert _secrets_left(hub_root, database_url, caplog, FIRST_PERSON.surname) == []
    assert all(b["archive_path"] is None or b["archive_path"].endswith(".stripped.jsonl")
               for b in batch_rows(database_url)[1:])


def test_the_stripped_copy_validates_to_the_same_rows_as_the_file_sent(tmp_path: Path) -> None:
    from interchange.ingest.stripped_archive import strip_archive

    rows = _contacts_with_notes()
    sent = write_csv(tmp_path / "abc.csv", [*rows[:3], ["K9", "P000000"], *rows[3:]])  # row 4: too few cells
    stripped = strip_archive(sent, Kind.CONTACT, None)
    assert stripped is not None and FIRST_PERSON.surname not in stripped.path.read_text(encoding="utf-8")

    def validated(path: Path) -> tuple:
        with read_table(path) as table:
            batch = validate_rows(Kind.CONTACT, SPC, table.headers, table.rows)
        # A row the reader could not read stays unreadable: as a JSON line, no longer as a CSV record.
        read = {"row.cells": "unreadable", "row.json": "unreadable"}
        return (batch.rows_read, [(r.number, r.record_id, r.values) for r in batch.rows], sorted(batch.rejected_rows),
                sorted((read.get(p.code, p.code), p.row) for p in batch.problems if p.row is not None))

    assert validated(stripped.path) == validated(sent)


@pytest.mark.parametrize(("nested", "status"), [
    ({"vardas": FIRST_PERSON.given_name, "pavarde": FIRST_PERSON.surname}, "loaded"),
    ({"vardas": FIRST_PERSON.given_name, "kodas": CODE}, "rejected"),
])
def test_nested_json_with_names_is_stripped_and_with_a_personal_code_refused(
        hub_root: Path, database_url: str, caplog: pytest.LogCaptureFixture, nested: dict, status: str) -> None:
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(2)])
    inbox = hub_root / "inbox" / SPC
    lines = [dict(zip(CONTACT_HEADER, row, strict=True)) | {"klientas": nested}
             for row in contact_rows(2, ["P000000", "P000001"])]
    lines[1]["person_record_id"] = nested  # a nested value in a known column: quarantined, not kept
    (inbox / "kontaktai.contact.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines),
                                                   encoding="utf-8")

    with caplog.at_level(logging.DEBUG):
        ingest(hub_root)

    receipt = receipts(hub_root)[-1]
    assert receipt["status"] == status
    codes = {p[0] for p in problems(receipt)}
    assert ("file.columns_stripped" in codes) == (status == "loaded")
    assert ("file.personal_codes" in codes) == (status == "rejected")
    assert _secrets_left(hub_root, database_url, caplog, *nested.values()) == []


# --- 3. personal codes in any cell ------------------------------------------------------------------


def test_personal_codes_are_found_however_they_are_written() -> None:
    for text in (CODE, SPACED_CODE, f"{CODE[:5]}-{CODE[5:]}", f"tel. {CODE}, skambinti", f"P-{CODE}", f"{CODE}.0"):
        assert holds_personal_code(text), text
    for text in ("+37061234567", "LT12 1000 0111 0100 1000", _mistyped(CODE), f"1{CODE}", "2026-01-05"):
        assert not holds_personal_code(text), text


def test_a_column_is_passed_over_only_when_no_cell_can_hold_a_code() -> None:
    # The scan of a CSV column block skips the regular expression on a column whose cells are all
    # short, or whose long cells, run together, have no eleven digits: it must never skip one that
    # has a code, whichever of its cells (short ones around, all long, a slice of a larger column).
    hits = [CODE, SPACED_CODE, f"{CODE[:5]}-{CODE[5:]}", f"tel. {CODE}", f"Ž{CODE}ž", "1 2 3 4 5 6 7 8 9 0 1"]
    misses = ["", "K0000001", "2026-01-05", "45", "family_conference", "10, 20, 30, 40, 50", "Žž" * 20]
    for hit in hits:
        for column in ([hit], [*misses, hit], [hit, *misses], [*misses[:3], hit, *misses[3:]],
                       [hit + misses[4]] * 3, ["12345", "678901", hit, "2345"]):
            array = pa.array(["x", *column, "y"], pa.string()).slice(1, len(column))
            assert pc.any(pc.match_substring_regex(array, _ELEVEN_DIGITS)).as_py(), column
            assert _column_may_hold_code(array), column
    assert not pc.any(pc.match_substring_regex(pa.array(misses, pa.string()), _ELEVEN_DIGITS)).as_py()
    assert not _column_may_hold_code(pa.array(misses, pa.string()))
    assert not _column_may_hold_code(pa.array(misses[4:], pa.string()))  # all long, no digits


@pytest.mark.parametrize("block_chars", [60, 250, 4 * 1024 * 1024])
def test_a_scan_of_column_blocks_names_the_cells_a_scan_of_rows_names(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_chars: int) -> None:
    # Codes in rows of blocks, in rows read apart (a wrong number of cells) between and after
    # them, in an ignored column: the same cells, in the same order, as row by row.
    monkeypatch.setattr(csv_blocks, "BLOCK_CHARS", block_chars)
    cells = [CODE, SPACED_CODE, "12345678901234", "K1", "", "2026-01-05", f"tel. {CODE}"]
    lines = [";".join(cells[(n * 3 + k) % len(cells)] for k in range(3 if n % 4 else 2 + n % 3)) for n in range(40)]
    path = tmp_path / "codes.csv"
    path.write_text("a;b;c\n" + "\n".join(lines) + "\n", encoding="utf-8")

    def scanned(blocks: bool, ignored: frozenset[str]) -> tuple[int, list[tuple[int, int]], set[int]]:
        with read_table(path) as table:
            assert table.blocks is not None
            scan = CodeScan(table.headers, ignored)
            for _ in scan.watch(table.blocks() if blocks else table.rows):
                pass
        return scan.found, scan.cells, scan.rows

    for ignored in (frozenset(), frozenset({"b"})):
        assert scanned(True, ignored) == scanned(False, ignored)
        assert scanned(True, ignored)[0] > 20


def test_check_names_the_cell_of_every_personal_code_and_refuses_ids_that_are_codes_or_names(tmp_path: Path) -> None:
    rows = contact_rows(4, ["P000000"])
    rows[0][0] = SPACED_CODE
    rows[1][0] = NAME
    rows[2][0] = FIRST_PERSON.given_name
    header = [*CONTACT_HEADER, "pastabos", "Klientas"]
    notes = [["", ""], ["", ""], ["", ""], [f"skambino {CODE}", CODE]]
    drop = write_csv(tmp_path / "kontaktai.csv", [header, *(row + more for row, more in zip(rows, notes, strict=True))])

    report = check_drop(drop, kind=Kind.CONTACT, org=SPC)

    found = sorted(((p.code, p.row, p.column) for p in report.problems), key=str)
    assert found == sorted([("file.personal_codes", None, None),
                            ("header.unknown", None, None), ("header.unknown", None, "pastabos"),
                            ("value.format", 3, "record_id"), ("value.format", 4, "record_id"),
                            ("value.personal_code", 2, "record_id"), ("value.personal_code", 5, None),
                            ("value.personal_code", 5, "pastabos")], key=str)
    file_level = next(p for p in report.problems if p.code == "file.personal_codes")
    assert "(row:column 2:1, 5:6, 5:7)" in file_level.message_en
    text = json.dumps([p.as_dict() for p in report.problems], ensure_ascii=False)
    assert not [s for s in (CODE, SPACED_CODE, NAME, FIRST_PERSON.given_name) if s in text]


def test_a_personal_code_in_a_notes_column_refuses_the_drop_at_the_hub_and_purges_it(
        hub_root: Path, database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    rows = [[*row, ""] for row in person_rows(3)]
    rows[2][-1] = f"tėvo kodas {SPACED_CODE}"
    drop(hub_root, "asmenys.person.csv", [[*PERSON_HEADER, "pastabos"], *rows])

    with caplog.at_level(logging.DEBUG):
        ingest(hub_root)

    receipt = only_receipt(hub_root)
    assert receipt["status"] == "rejected"
    assert problems(receipt) == [("file.personal_codes", None, None), ("file.identifiers_purged", None, None),
                                 ("value.personal_code", 4, "pastabos")]
    assert counts(receipt) == {"rows_read": 3, "quarantined": 3}
    assert files_in(hub_root / "archive" / SPC) == [] and records(database_url) == {}
    assert _secrets_left(hub_root, database_url, caplog, CODE, SPACED_CODE) == []
