"""The column validator (ingest/columnar.py) is a shortcut, never a second opinion: a drop full of
every kind of bad row gives the same warehouse, quarantine and receipts whether its rows are judged
a column at a time or each by its pydantic model (INTERCHANGE_ROW_PATH=1), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy
from drop_kit import MIMC, SPC, TODAY, contact_rows, drop, ingest, person_rows, pseudonym, receipts

from interchange.contract.records import Kind
from interchange.ingest.columnar import _arrow_plain_id, _plain_id
from interchange.ingest.drops import read_and_validate
from interchange.ingest.validate import ROW_PATH_ENV
from interchange.tabular import csv_blocks
from interchange.warehouse.history import version_history
from interchange.warehouse.tables import RECORD_TABLES, batches, quarantine

PERSONS = ["record_id", "person_pseudonym", "birth_year", "sex", "municipality", "disability",
           "participation_level", "dv_victim"]
CONTACTS = ["įrašo_id", "asmens_iraso_id", "paslaugos_kodas", "data", "trukme_min", "atvejo_id", "ištrintas"]
HOUSEHOLDS = ["record_id", "household_pseudonym", "municipality", "social_risk_from", "social_risk_to",
              "children_count"]
CASES = ["record_id", "case_type", "person_record_id", "household_record_id", "opened", "closed",
         "repeat_victimisation", "children_in_family", "deleted"]
DAY = (TODAY - timedelta(days=3)).isoformat()
EARLIER = (TODAY - timedelta(days=40)).isoformat()


def _persons() -> list[list[str]]:
    good = [[*row, "ne", "", "taip"] for row in person_rows(60)]
    bad = [
        ["B01", pseudonym("b1"), "19x0", "moteris", "LT-22", "", "", ""],        # birth year not a number
        ["B02", pseudonym("b2"), "2099", "vyras", "LT-22", "", "", ""],          # born in the future
        ["B03", pseudonym("b3"), "1980", "x", "LT-22", "", "", ""],              # sex not a choice
        ["B04", pseudonym("b4"), "1980", "m", "LT-22", "", "", ""],              # sex ambiguous
        ["B05", pseudonym("b5"), "1980", "moteris", "Atlantis", "", "", ""],     # no such municipality
        ["B06", pseudonym("b6").upper(), "1980", "Moteris", "Kretingos r. sav.", "taip", "40", "TAIP"],  # valid
        ["B07", pseudonym("b7"), "1980", "moteris", "LT-22", "ne", "40", ""],    # level without disability
        ["B08", pseudonym("b8")[:20], "1980", "moteris", "LT-22", "", "", ""],   # pseudonym too short
        ["B09", pseudonym("b9"), "1980", "moteris", "LT-22", "", "", "gal"],     # not yes or no
        ["B10", "", " 1975 ", " vyras ", " LT-22 ", " ", "", " ne "],            # blanks around values: valid
        ["Zebediejus", pseudonym("b11"), "1980", "vyras", "LT-22", "", "", ""],  # an id that may be a name
        ["B12", pseudonym("b12"), "1980", "vyras\x01", "LT-22", "", "", ""],     # a control character
    ]
    return [PERSONS, *good[:30], *bad, *good[30:]]


def _contacts() -> list[list[str]]:
    people = [f"P{n:06d}" for n in range(60)]
    good = [[*row, "", ""] for row in contact_rows(200, people)]
    bad = [
        ["X01", "P000001", "palm_reading", DAY, "60", "", ""],                # unknown service
        ["X02", "P000002", "legal_consultation", "2099-01-01", "60", "", ""],  # in the future
        ["X03", "P000003", "legal_consultation", DAY, "sixty", "", ""],       # not a number
        ["X04", "P000004", "legal_consultation", "03/04/2026", "45", "", ""],  # day first
        ["X05", "", "legal_consultation", DAY, "45", "", ""],                 # no person
        ["X06", "P000005", "therapeutic_group", DAY, "90", "", ""],           # a group service
        ["X07", "P000006", "case_management", DAY, "2000", "", ""],           # too long
        ["X 08", "P000007", "legal_consultation", DAY, "45", "", ""],         # a space in the id
        ["X09", "P000008", "legal_consultation"],                             # too few cells
        ["X10", "P000008", "legal_consultation", DAY, "45", "", "", "extra"],  # too many cells
        ["X11", "P000009", "legal_consultation\x01", DAY, "45", "", ""],      # a control character
        ["\ufeffX12", "P000009", "legal_consultation", DAY, "45", "", ""],    # a BOM before the id: valid
        ["Zebediejus", "P000010", "legal_consultation", DAY, "45", "", ""],   # an id that may be a name
        ["abc", "P000010", "legal_consultation", DAY, "45", "", ""],          # no digit: valid
        ["X" * 70, "P000010", "legal_consultation", DAY, "45", "", ""],       # too long an id
        ["X16", "P000011", " LEGAL_CONSULTATION ", DAY, "45,0", "", ""],      # spelled loosely: valid
        ["X18", "P000012", "legal_consultation", DAY, "45", "", "gal"],       # deletion flag not yes/no
        ["X19", "P000012", "legal_consultation", DAY, "45", "", "ne"],        # explicitly kept: valid
        ["X21", "P999999", "legal_consultation", DAY, "45", "", ""],          # a person the hub lacks
        ["X22", "P000014", "legal_consultation", DAY, "0", "", ""],           # too short
        ["X23", "P000014", "legal_consultation", "2026-02-30", "45", "", ""],  # no such day
        ["X24", "P000015", "legal_consultation", DAY, "45", "C" * 40_000, ""],  # a cell over the limit
        ["", "", "", "", "", "", ""],                                          # only separators: skipped
        ["X27", "P000016", "legal_consultation", DAY, "45", "A-12345678901234", ""],  # long id, few digits
        ["X28", "P000016", "legal_consultation", DAY + " 10:30", "", "", ""],  # a time after the date
        ["X29", "p000016", "legal_consultation", DAY, "", "c-1", "NE"],        # lowercase: valid
    ]
    return [CONTACTS, *good[:100], *bad, *good[100:]]


def _corrections() -> list[list[str]]:
    return [CONTACTS,
            ["K000003", "", "", "", "", "", "taip"],                          # a deletion
            ["K000005", "P000013", "legal_consultation", DAY, "90", "", ""],  # a change
            ["K000006", "P000006", "addiction_counsellor", DAY, "30", "", ""],  # as stored: unchanged
            ["K000007", "P000013", "legal_consultation", DAY, "many", "", ""],  # a bad change
            ["X30", "", "", "", "", "", "taip"],                              # deletes what never came
            *[[f"Y{n}", "P000017", "legal_consultation", DAY, "45", "", ""] for n in range(40)],
            ["X25", "P000015", "legal_consultation", DAY, "45", "C1\nC2", ""],  # a line break in an id
            *[[f"Z{n}", "P000017", "legal_consultation", DAY, "45", "", ""] for n in range(40)]]


def _households() -> list[list[str]]:
    good = [[f"H{n:05d}", pseudonym(f"h{n}"), "LT-22", EARLIER, "" if n % 3 else DAY, str(n % 6)] for n in range(40)]
    bad = [
        ["HB01", pseudonym("hb1"), "LT-22", DAY, EARLIER, "2"],              # risk ends before it began
        ["HB02", pseudonym("hb2"), "LT-22", DAY, DAY, "2"],                  # one day: valid
        ["HB03", pseudonym("hb3"), "LT-22", "2099-01-01", "", "2"],          # begins in the future
        ["HB04", pseudonym("hb4"), "LT-22", "", EARLIER, "2"],               # only an end: valid
        ["HB05", pseudonym("hb5"), "LT-22", EARLIER, "", "31"],              # too many children
        ["HB06", pseudonym("hb6"), "LT-22", EARLIER, "", "2,5"],             # not a whole number
        ["HB07", "", " Kretingos r. sav. ", "", "", " 3 "],                  # spelled loosely: valid
        ["HB08", pseudonym("hb8"), "Atlantis", EARLIER, "", "1"],            # no such municipality
        ["HB09", pseudonym("hb9"), "LT-22", "2026-02-30", "", "1"],          # no such day
        ["HB10", pseudonym("hb10"), "LT-22", "bad", DAY, "1"],               # the start unreadable too
    ]
    return [HOUSEHOLDS, *good[:20], *bad, *good[20:]]


def _cases() -> list[list[str]]:
    types = ("case_management", "dv_specialised_help", "social_risk_family")
    good = [[f"C{n:05d}", types[n % 3], f"P{n:06d}" if n % 2 else "", "" if n % 2 else f"H{n:05d}", EARLIER,
             "" if n % 4 else DAY, ("taip", "ne", "")[n % 3], str(n % 4), ""] for n in range(60)]
    bad = [
        ["CB01", "case_management", "", "", EARLIER, "", "", "", ""],                  # helps nobody
        ["CB02", "case_management", "P000001", "", DAY, EARLIER, "", "", ""],          # closed before opened
        ["CB03", "case_management", "P000001", "H00001", DAY, DAY, "", "", ""],        # both subjects, one day
        ["CB04", "fortune_telling", "P000001", "", EARLIER, "", "", "", ""],           # no such case type
        ["CB05", "case_management", "P000001", "", "2099-01-01", "", "", "", ""],      # opened in the future
        ["CB06", "case_management", "P000001", "", EARLIER, "", "gal", "", ""],        # not yes or no
        ["CB07", "case_management", "P000001", "", EARLIER, "", "", "40", ""],         # too many children
        ["CB08", "case_management", "", "", "", "", "", "", ""],                       # no subject, no date
        ["CB09", "", "", "", "", "", "", "", "taip"],                                  # a deletion
        ["CB10", " case_management ", " P000002 ", "", f" {EARLIER} ", "", " TAIP ", " 1 ", " ne "],  # valid
        ["CB11", "case_management", "Zebediejus", "", EARLIER, "", "", "", ""],        # a person id that may be a name
        ["CB12", "case_management", "P000003", "", EARLIER, "bad", "", "", ""],        # closed unreadable
    ]
    return [CASES, *good[:30], *bad, *good[30:]]


DROPS = (("asmenys.person.csv", _persons, {"encoding": "cp1257", "delimiter": ";"}),
         ("kontaktai.contact.csv", _contacts, {}),
         ("pataisos.contact.csv", _corrections, {}),
         ("seimos.household.csv", _households, {}),
         ("atvejai.case.csv", _cases, {"delimiter": ";"}))


_BATCH_BOUND = ("quarantine_id", "batch_id", "resolved_by_batch", "closed_at")  # differ between the two orgs


def _records(url: str, org: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            found = {}
            for kind, table in RECORD_TABLES.items():
                columns = [c for c in table.columns if c.name not in ("org", "batch_id")]
                found[kind] = sorted(tuple(r) for r in connection.execute(
                    sqlalchemy.select(*columns).where(table.c.org == org)))
            history = version_history().subquery()
            columns = [c for c in history.columns if c.name not in ("org", "batch_id")]
            found["versions"] = sorted(tuple(r) for r in connection.execute(
                sqlalchemy.select(*columns).where(history.c.org == org)))
            columns = [c for c in quarantine.columns if c.name not in _BATCH_BOUND]
            found["quarantine"] = [tuple(r) for r in connection.execute(
                sqlalchemy.select(batches.c.file_name, *columns)
                .join(batches, batches.c.batch_id == quarantine.c.batch_id)
                .where(batches.c.org == org).order_by(batches.c.batch_id, quarantine.c.quarantine_id))]
    finally:
        engine.dispose()
    return found


def _receipts(root: Path, org: str) -> list[dict[str, Any]]:
    volatile = ("batch_id", "org", "received_at", "processed_at")
    return [{k: v for k, v in r.items() if k not in volatile} for r in receipts(root, org)]


def test_fast_path_and_row_path_agree_on_every_kind_of_bad_row(
        hub_root: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Blocks of a few rows, so that files span many, and the quoted line break in the corrections
    # hands the rest of that file to the csv module in the middle.
    monkeypatch.setattr(csv_blocks, "BLOCK_CHARS", 1500)
    # Each drop to SPC judged row by row by the models, then the same drop to MIMC column by column.
    for name, rows, options in DROPS:
        for org, row_path in ((SPC, "1"), (MIMC, "0")):
            drop(hub_root, name, rows(), org=org, **options)
            monkeypatch.setenv(ROW_PATH_ENV, row_path)
            ingest(hub_root)

    by_rows, by_columns = _records(database_url, SPC), _records(database_url, MIMC)
    assert by_columns == by_rows
    assert _receipts(hub_root, MIMC) == _receipts(hub_root, SPC)
    # The file exercised what it should: rows loaded, rows quarantined, a deletion, an update.
    assert len(by_rows["person"]) == 60 + 2 and len(by_rows["contact"]) == 200 + 8 + 80
    assert len(by_rows["household"]) == 40 + 3 and len(by_rows["case"]) == 60 + 2
    codes = {row[4] for row in by_rows["quarantine"]}
    assert len(by_rows["quarantine"]) == 10 + 18 + 2 + 7 + 9 + 1 and len(codes) == 19  # + a deletion of nothing
    assert {v[4] for v in by_rows["versions"]} >= {"insert", "update", "delete"}


def _judged(path: Path, row_path: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    """A contact drop to SPC read and validated on the row path ("1") or the column path ("0")."""
    monkeypatch.setenv(ROW_PATH_ENV, row_path)
    batch = read_and_validate(path, SPC, Kind.CONTACT, None)
    return list(batch.rows), batch.problems, batch.rows_read, batch.rejected_rows


def test_an_org_column_is_judged_as_the_row_path_judges_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Partners' exports (and the national drops) often carry the org column: its plain cells (the
    # sending organisation, in any case, or blank) keep a row on the column path, any other sends
    # it to its model, which names the problem.
    monkeypatch.setattr(csv_blocks, "BLOCK_CHARS", 600)
    header = ["record_id", "org", "deleted", "person_record_id", "service_code", "contact_date", "duration_minutes"]
    cells = [SPC, f" {SPC.upper()} ", "", MIMC, SPC + "\x01", "spc", SPC]
    rows = [[f"K{n:04d}", cells[n % len(cells)], "" if n % 5 else "ne", "P000001", "legal_consultation", DAY, "45"]
            for n in range(60)]
    path = drop(tmp_path, "kontaktai.contact.csv", [header, *rows])

    by_rows, by_columns = _judged(path, "1", monkeypatch), _judged(path, "0", monkeypatch)
    assert by_columns == by_rows
    assert len(by_rows[0]) == 60 - 25  # 9 rows to another org, 8 with a control character, 8 "spc"
    assert {p.code for p in by_rows[1]} == {"value.invalid", "value.control_character"}


@pytest.mark.parametrize("every", [1, 2, 3, 5])
def test_rows_read_apart_from_a_block_are_judged_once_wherever_they_fall(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, every: int) -> None:
    # A line with the wrong number of cells is read apart from its column block. One after the
    # block's last row was judged twice (rows read and its problem counted twice: a manifest's row
    # count then fails), and a block of nothing else stopped the reader.
    monkeypatch.setattr(csv_blocks, "BLOCK_CHARS", 200)
    header = ["record_id", "person_record_id", "service_code", "contact_date"]
    rows = [[f"X{n}", "P000001"] if n % every == every - 1 else [f"K{n:04d}", "P000001", "legal_consultation", DAY]
            for n in range(40)]
    path = drop(tmp_path, "kontaktai.contact.csv", [header, *rows])

    by_rows, by_columns = _judged(path, "1", monkeypatch), _judged(path, "0", monkeypatch)
    assert by_columns == by_rows
    assert by_rows[2] == 40 and len(by_rows[1]) == 40 // every


def test_the_arrow_shape_of_a_plain_id_is_the_python_one() -> None:
    # The column check is one RE2 expression where the Python check counts digits apart: the two
    # must agree on every edge (length 64, ten and eleven digits, spaces, controls, non-ASCII).
    cells = ["", " ", "0", "A", "A1", "1" * 10, "1" * 11, "a1" * 10, "a1" * 11, "1-2-3-4-5-6-7-8-9-0",
             "1-2-3-4-5-6-7-8-9-0-1", "a" * 63 + "1", "a" * 64 + "1", "1" * 10 + "a" * 54, "1" * 10 + "a" * 55,
             "K0000001", "A-12345678901234", "X 08", "X\x0108", "X\x7f08", "\ufeffX12", "X١٢", "Ž12", "~!1/:"]
    assert _arrow_plain_id(pa.array(cells, pa.string())).to_pylist() == [_plain_id(cell) for cell in cells]
