"""The pseudonymiser on real files, as a partner runs it on their own machine."""

import hashlib
import json
from datetime import date

import pytest
from conftest import read_drop, write_csv

from interchange.contract.records import Kind
from interchange.partner.bloom import dice, from_text
from interchange.partner.keys import write_new_key
from interchange.partner.pseudonymise import pseudonymise_file

pytestmark = pytest.mark.dates  # run again by CI with the clock moved (Makefile, test)

VALID = "33309240064"  # born 1933-09-24, male
VALID_FEMALE = "60503121238"  # born 2005-03-12, female
TYPO = "33309240065"  # check digit wrong
HEADER = ["įrašo_id", "asmens_kodas", "vardas", "pavardė", "gimimo_data", "savivaldybė",
          "smurto_auka"]
TODAY = date(2026, 11, 23)


def _raw(tmp_path, rows, *, encoding="cp1257", delimiter=";", header=HEADER, consent="taip"):
    """A raw extract whose persons all consent to reporting (test_consent.py tests the others)."""
    if consent is not None:
        header, rows = [*header, "sutikimas_ataskaitoms"], [[*row, consent] for row in rows]
    return write_csv(tmp_path / "raw.csv", [header, *rows], encoding=encoding,
                     delimiter=delimiter)


def test_windows_1257_extract_becomes_a_drop_without_identifiers(tmp_path, key):
    raw = _raw(tmp_path, [
        ["A1", VALID, "Šarūnė", "Jonaitienė", "", "Kretingos r. sav.", "taip"],
        ["A2", VALID_FEMALE, "Živilė", "Žukauskaitė", "", "LT-22", "ne"],
    ])
    report = pseudonymise_file(raw, tmp_path / "drop.csv", org="kretingos-spc",
                               kind=Kind.PERSON, key=key, today=TODAY)
    assert report.problems == [] and report.exit_code == 0
    rows = read_drop(tmp_path / "drop.csv")
    assert [(r["record_id"], r["birth_year"], r["sex"], r["municipality"]) for r in rows] == [
        ("A1", "1933", "male", "LT-22"), ("A2", "2005", "female", "LT-22")]
    assert all(len(r["person_pseudonym"]) == 64 and r["given_name_bloom"] for r in rows)
    text = (tmp_path / "drop.csv").read_text(encoding="utf-8")
    for secret in (VALID, VALID_FEMALE, "Šarūnė", "Jonaitienė", "Sarune", "Zukauskaite"):
        assert secret.casefold() not in text.casefold()
    assert "asmens_kodas" not in text and "personal_code" not in text


def test_manifest_names_the_drop_its_hash_and_row_count(tmp_path, key):
    raw = _raw(tmp_path, [["A1", VALID, "Rasa", "Kairienė", "", "", ""]])
    report = pseudonymise_file(raw, tmp_path / "drop.csv", org="kretingos-spc",
                               kind=Kind.PERSON, key=key, today=TODAY)
    manifest = json.loads(report.manifest.read_text())
    assert manifest["sha256"] == hashlib.sha256((tmp_path / "drop.csv").read_bytes()).hexdigest()
    assert (manifest["row_count"], manifest["kind"], manifest["org"]) == (1, "person",
                                                                          "kretingos-spc")
    assert manifest["key_fingerprint"] == key.fingerprint


def test_same_input_and_key_give_the_same_drop_and_another_key_does_not(tmp_path, key):
    raw = _raw(tmp_path, [["A1", VALID, "Rasa", "Kairienė", "", "", ""]])
    first = pseudonymise_file(raw, tmp_path / "one.csv", org="x1", kind=Kind.PERSON, key=key)
    again = pseudonymise_file(raw, tmp_path / "two.csv", org="x1", kind=Kind.PERSON, key=key)
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()
    other_key = write_new_key(tmp_path / "other.key")
    pseudonymise_file(raw, tmp_path / "three.csv", org="x1", kind=Kind.PERSON, key=other_key)
    mine, theirs = read_drop(tmp_path / "one.csv")[0], read_drop(tmp_path / "three.csv")[0]
    assert mine["person_pseudonym"] != theirs["person_pseudonym"]
    assert mine["surname_token"] != theirs["surname_token"]
    assert first.exit_code == again.exit_code == 0


def test_code_with_a_typo_is_left_out_and_the_row_kept_for_fuzzy_linkage(tmp_path, key):
    raw = _raw(tmp_path, [
        ["A1", VALID, "Šarūnė", "Jonaitienė", "", "", ""],
        ["A2", TYPO, "Sarune", "Jonaitiene", "1933-09-24", "", ""],
    ])
    report = pseudonymise_file(raw, tmp_path / "drop.csv", org="x1", kind=Kind.PERSON, key=key,
                               today=TODAY)
    assert [(p.code, p.row, p.column) for p in report.problems] == [
        ("code.checksum", 3, "asmens_kodas")]
    assert report.rows_accepted == 2 and report.exit_code == 1
    good, typo = read_drop(tmp_path / "drop.csv")
    assert typo["person_pseudonym"] == ""
    # Lithuanian letters dropped by one clerk still encode identically.
    assert typo["given_name_token"] == good["given_name_token"]
    assert dice(from_text(typo["surname_bloom"]), from_text(good["surname_bloom"])) == 1.0
    assert typo["birth_year"] == "1933" and typo["birth_date_token"] == good["birth_date_token"]


def test_married_and_maiden_surname_share_the_root_token(tmp_path, key):
    raw = _raw(tmp_path, [["A1", "", "Rūta", "Jonaitytė", "1990-01-02", "", ""],
                          ["A2", "", "Rūta", "Jonaitienė", "1990-01-02", "", ""]])
    pseudonymise_file(raw, tmp_path / "drop.csv", org="x1", kind=Kind.PERSON, key=key)
    maiden, married = read_drop(tmp_path / "drop.csv")
    assert maiden["surname_token"] != married["surname_token"]
    assert maiden["surname_root_token"] == married["surname_root_token"]


def test_names_entered_the_wrong_way_round_share_the_name_pair(tmp_path, key):
    raw = _raw(tmp_path, [["A1", "", "Jonas", "Jonaitis", "1990-01-02", "", ""],
                          ["A2", "", "JONAITIS", "Jonas", "1990-01-02", "", ""],
                          ["A3", "", "Jonas", "", "1990-01-02", "", ""]])
    pseudonymise_file(raw, tmp_path / "drop.csv", org="x1", kind=Kind.PERSON, key=key)
    right, swapped, given_only = read_drop(tmp_path / "drop.csv")
    assert right["given_name_token"] != swapped["given_name_token"]
    assert right["name_pair_token"] == swapped["name_pair_token"] != ""
    assert right["name_pair_bloom"] == swapped["name_pair_bloom"] != ""
    # A pair needs both names: one name alone is what the per-field encodings already say.
    assert given_only["name_pair_token"] == "" and given_only["name_pair_bloom"] == ""


def test_bad_rows_are_listed_and_good_rows_still_written(tmp_path, key):
    raw = _raw(tmp_path, [
        ["A1", VALID, "Rasa", "Kairienė", "", "Kretingos r. sav.", "taip"],
        ["A2", "", "Ona", "Butkienė", "2999-01-01", "Atlantida", "gal"],
        ["A1", VALID_FEMALE, "Inga", "Rimkutė", "", "", ""],
        ["", "", "", "", "", "LT-22", ""],
    ])
    report = pseudonymise_file(raw, tmp_path / "drop.csv", org="x1", kind=Kind.PERSON, key=key,
                               today=TODAY)
    found = {(p.row, p.column, p.code) for p in report.problems}
    assert found == {
        (3, "gimimo_data", "identity.birth_date"),
        (3, "savivaldybė", "value.unknown_municipality"),
        (3, "smurto_auka", "value.boolean"),
        (4, "įrašo_id", "value.duplicate_id"),
        (5, None, "identity.none"),
        (5, "įrašo_id", "value.required"),
    }
    assert report.rows_read == 4 and report.rows_accepted == 1 and report.rows_rejected == 3
    assert [r["record_id"] for r in read_drop(tmp_path / "drop.csv")] == ["A1"]


def test_unknown_column_is_reported_and_never_copied(tmp_path, key):
    raw = _raw(tmp_path, [["A1", VALID, "Rasa", "Kairienė", "", "", "", "Vilniaus g. 5"]],
               header=[*HEADER, "adresas"])
    report = pseudonymise_file(raw, tmp_path / "drop.csv", org="x1", kind=Kind.PERSON, key=key)
    assert [(p.code, p.column) for p in report.problems] == [("header.unknown", "adresas")]
    assert "Vilniaus" not in (tmp_path / "drop.csv").read_text(encoding="utf-8")


def test_missing_required_column_writes_nothing(tmp_path, key):
    raw = _raw(tmp_path, [["111", "Rasa"]], header=["asmens_kodas", "vardas"])
    report = pseudonymise_file(raw, tmp_path / "drop.csv", org="x1", kind=Kind.PERSON, key=key)
    assert [(p.code, p.column) for p in report.problems] == [("header.missing", "įrašo_id")]
    assert report.exit_code == 2 and not (tmp_path / "drop.csv").exists()


def test_empty_and_undecodable_files_are_clear_errors(tmp_path, key):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    report = pseudonymise_file(empty, tmp_path / "d1.csv", org="x1", kind=Kind.PERSON, key=key)
    assert [p.code for p in report.problems] == ["file.empty"] and report.exit_code == 2
    header_only = _raw(tmp_path, [])
    report = pseudonymise_file(header_only, tmp_path / "d2.csv", org="x1", kind=Kind.PERSON,
                               key=key)
    assert [p.code for p in report.problems] == ["file.no_rows"] and report.exit_code == 2
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"record_id\nA1\n\x81\x83\x98\n")
    report = pseudonymise_file(garbage, tmp_path / "d3.csv", org="x1", kind=Kind.PERSON, key=key)
    assert [(p.code, p.params.get("line")) for p in report.problems] == [("file.encoding", 3)]


def test_household_extract_gets_a_household_pseudonym(tmp_path, key):
    raw = write_csv(tmp_path / "hh.csv", [
        ["įrašo_id", "atstovo_asmens_kodas", "vaikų_skaičius", "socialinės_rizikos_pradžia"],
        ["H1", VALID_FEMALE, "3", "2025-09-01"],
    ])
    report = pseudonymise_file(raw, tmp_path / "hh_drop.csv", org="x1", kind=Kind.HOUSEHOLD,
                               key=key)
    assert report.problems == []
    [row] = read_drop(tmp_path / "hh_drop.csv")
    assert len(row["household_pseudonym"]) == 64 and row["children_count"] == "3"
    assert VALID_FEMALE not in (tmp_path / "hh_drop.csv").read_text()


def test_xlsx_extract_is_pseudonymised(tmp_path, key):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Įrašo ID", "Asmens kodas", "Vardas", "Pavardė", "Gimimo data", "Sutikimas ataskaitoms"])
    sheet.append(["A1", int(VALID), "Rasa", "Kairienė", None, "taip"])
    sheet.append(["A2", None, "Ona", "Butkienė", date(1950, 5, 17), "taip"])
    workbook.save(tmp_path / "raw.xlsx")
    report = pseudonymise_file(tmp_path / "raw.xlsx", tmp_path / "drop.jsonl", org="x1",
                               kind=Kind.PERSON, key=key, today=TODAY)
    assert report.problems == []
    lines = [json.loads(line) for line in (tmp_path / "drop.jsonl").read_text().splitlines()]
    assert [(r["record_id"], r["birth_year"]) for r in lines] == [("A1", 1933), ("A2", 1950)]
    assert "person_pseudonym" in lines[0] and "person_pseudonym" not in lines[1]


def test_file_broken_part_way_keeps_the_rows_before_the_break(tmp_path, key):
    rows = [["A1", VALID, "Rasa", "Kairienė", "", "", ""]]
    raw = _raw(tmp_path, rows, encoding="utf-8", delimiter=",")
    # An unclosed quote that swallows the rest of the file, as a bad export can.
    with raw.open("a", encoding="utf-8") as stream:
        stream.write('A2,"' + "x" * 200_000 + "\n")
    report = pseudonymise_file(raw, tmp_path / "drop.csv", org="x1", kind=Kind.PERSON, key=key,
                               today=TODAY)
    assert [p.code for p in report.errors] == ["file.unreadable"]
    assert [r["record_id"] for r in read_drop(tmp_path / "drop.csv")] == ["A1"]
    assert report.manifest is not None
