"""The pre-flight check a partner runs on a drop before sending it."""

import json

from conftest import write_csv

from interchange.contract.records import Kind
from interchange.partner.check import check_drop
from interchange.partner.pseudonymise import pseudonymise_file

VALID = "33309240064"


def _person_drop(tmp_path, key):
    raw = write_csv(tmp_path / "raw.csv", [["record_id", "personal_code", "given_name", "consent_reporting"],
                                           ["A1", VALID, "Rasa", "yes"], ["A2", "", "Ona", "yes"]])
    pseudonymise_file(raw, tmp_path / "drop.csv", org="kretingos-spc", kind=Kind.PERSON, key=key)
    return tmp_path / "drop.csv"


def test_drop_made_by_the_pseudonymiser_is_clean(tmp_path, key):
    report = check_drop(_person_drop(tmp_path, key))
    assert report.problems == [] and report.exit_code == 0
    assert (report.kind, report.rows_read, report.rows_accepted) == ("person", 2, 2)


def test_changed_drop_no_longer_matches_its_manifest(tmp_path, key):
    drop = _person_drop(tmp_path, key)
    drop.write_text(drop.read_text() + drop.read_text().splitlines()[-1].replace("A2", "A3") + "\n")
    report = check_drop(drop)
    assert {p.code for p in report.problems} == {"manifest.sha256", "manifest.row_count"}
    assert report.exit_code == 1


def test_unreadable_manifest_is_reported(tmp_path, key):
    drop = _person_drop(tmp_path, key)
    manifest = drop.with_name(drop.name + ".manifest.json")
    data = json.loads(manifest.read_text())
    data["row_count"] = -1
    manifest.write_text(json.dumps(data))
    report = check_drop(drop)
    assert [p.code for p in report.problems] == ["manifest.unreadable"]
    assert "row_count" in report.problems[0].message_en


def test_raw_extract_sent_by_mistake_is_refused_for_its_identifiers(tmp_path):
    raw = write_csv(tmp_path / "raw.csv", [
        ["įrašo_id", "organizacija", "Asmens kodas", "Vardas", "sutikimas_ataskaitoms"],
        ["A1", "x1", VALID, "Rasa", "taip"]], delimiter=";")
    report = check_drop(raw, kind=Kind.PERSON)
    assert {(p.code, p.column) for p in report.problems} == {
        ("header.identifier", "Asmens kodas"), ("header.identifier", "Vardas")}
    assert report.exit_code == 1
    rendered = report.render()
    assert VALID not in rendered and "Rasa" not in rendered


def test_kind_is_told_from_the_header_when_not_given(tmp_path):
    drop = write_csv(tmp_path / "c.csv", [
        ["record_id", "org", "person_record_id", "service_code", "contact_date"],
        ["K1", "x1", "A1", "legal_consultation", "2026-02-03"],
        ["K1", "x1", "A2", "legal_consultation", "2026-02-04"],
    ])
    report = check_drop(drop)
    assert report.kind == "contact"
    assert [(p.code, p.row, p.params.get("first_row")) for p in report.problems] == [
        ("value.duplicate_id", 3, 2)]


def test_header_that_fits_no_kind_asks_for_kind(tmp_path):
    drop = write_csv(tmp_path / "x.csv", [["record_id", "org"], ["Z1", "x1"]])
    report = check_drop(drop)
    assert [p.code for p in report.problems] == ["kind.unknown"]
    assert "--kind" in report.problems[0].message_en


def test_xlsx_drop_is_checked_with_sheet_row_numbers(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["įrašo_id", "organizacija", "paslaugos_kodas", "data", "dalyviai"])
    sheet.append(["G1", "x1", "therapeutic_group", "2026-03-04", "A1|A2"])
    sheet.append([])
    sheet.append(["G2", "x1", "legal_consultation", "2026-03-05", "A1"])
    workbook.save(tmp_path / "groups.xlsx")
    report = check_drop(tmp_path / "groups.xlsx", kind=Kind.GROUP_SESSION)
    assert [(p.row, p.column, p.code) for p in report.problems] == [
        (4, "paslaugos_kodas", "value.invalid")]
    assert report.rows_accepted == 1
