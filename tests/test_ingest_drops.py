"""Inbox drops end to end, on SQLite and PostgreSQL: what partners send, what the warehouse holds, what
the receipt says. Crash-and-rerun and concurrent runs are in test_ingest_recovery.py."""

from __future__ import annotations

import json
import logging
import os
import time
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from conftest import HUB_CONFIG, warehouse_state
from drop_kit import (
    CONTACT_HEADER,
    MIMC,
    PERSON_HEADER,
    SPC,
    TODAY,
    batch_rows,
    contact_rows,
    counts,
    drop,
    failed_expectations,
    files_in,
    ingest,
    only_receipt,
    person_rows,
    problems,
    pseudonym,
    quarantine_rows,
    receipts,
    records,
    table_text,
    versions,
)

from interchange.contract.records import Kind
from interchange.demo.synthetic import make_people, write_raw_person_extract
from interchange.partner.keys import PseudonymKey
from interchange.partner.pseudonymise import pseudonymise_file
from interchange.warehouse.tables import batches, data_columns, quarantine

A_PERSONAL_CODE = "38703181745"

# --- encodings, delimiters and formats ----------------------------------------------------------

LT_PERSON_HEADER = ["Įrašo ID", "Asmens pseudonimas", "Gimimo metai", "Lytis", "Savivaldybė", "Smurto auka"]
EN_PERSON_HEADER = ["record_id", "person_pseudonym", "birth_year", "sex", "municipality", "dv_victim"]
THREE_PERSONS = [
    ["A1", pseudonym(1), "1980", "moteris", "Kretingos rajono savivaldybė", "taip"],
    ["A2", pseudonym(2), "1975", "Vyras", "LT-22", "ne"],
    ["A3", pseudonym(3), "2001", "female", "Kretingos r. sav.", ""],
]


def _person_essentials(url: str) -> dict[str, tuple]:
    return {rid: (r["person_pseudonym"], r["birth_year"], r["sex"], r["municipality"], r["dv_victim"], r["version"])
            for rid, r in records(url).items()}


THREE_PERSONS_STORED = {
    "A1": (pseudonym(1), 1980, "female", "LT-22", True, 1),
    "A2": (pseudonym(2), 1975, "male", "LT-22", False, 1),
    "A3": (pseudonym(3), 2001, "female", "LT-22", False, 1),
}


@pytest.mark.parametrize(("encoding", "delimiter", "header"), [
    ("utf-8", ",", EN_PERSON_HEADER),
    ("utf-8", ";", LT_PERSON_HEADER),
    ("utf-8-sig", ",", LT_PERSON_HEADER),
    ("utf-8-sig", ";", EN_PERSON_HEADER),
    ("cp1257", ";", LT_PERSON_HEADER),
    ("cp1257", ",", LT_PERSON_HEADER),
], ids=["utf8-comma", "utf8-semicolon-lt", "bom-comma-lt", "bom-semicolon", "cp1257-semicolon-lt", "cp1257-comma-lt"])
def test_csv_in_every_partner_encoding_and_delimiter_loads_the_same_records(
        hub_root: Path, database_url: str, encoding: str, delimiter: str, header: list[str]) -> None:
    drop(hub_root, "asmenys.person.csv", [header, *THREE_PERSONS], encoding=encoding, delimiter=delimiter)

    ingest(hub_root)

    receipt = only_receipt(hub_root)
    assert (receipt["status"], receipt["kind"], receipt["file_name"]) == ("loaded", "person", "asmenys.person.csv")
    assert counts(receipt) == {"rows_read": 3, "inserted": 3}
    assert receipt["problems"] == []  # a BOM or a Lithuanian letter in a header is no unknown column
    assert failed_expectations(receipt) == {}
    assert _person_essentials(database_url) == THREE_PERSONS_STORED
    assert files_in(hub_root / "inbox" / SPC) == []


def test_kind_is_told_from_the_header_when_the_name_does_not_say(hub_root: Path, database_url: str) -> None:
    drop(hub_root, "eksportas 2026-05.csv", [LT_PERSON_HEADER, *THREE_PERSONS], encoding="cp1257", delimiter=";")

    ingest(hub_root)

    assert only_receipt(hub_root)["kind"] == "person"
    assert _person_essentials(database_url) == THREE_PERSONS_STORED


def test_decimal_comma_whole_number_is_read_and_a_fraction_is_quarantined(
        hub_root: Path, database_url: str) -> None:
    # As Excel in the Lithuanian locale saves a duration column formatted with one decimal.
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(2)])
    day = TODAY.isoformat()
    drop(hub_root, "kontaktai.contact.csv", [
        ["Įrašo ID", "Asmens įrašo ID", "Paslaugos kodas", "Data", "Trukmė min"],
        ["K1", "P000000", "legal_consultation", day, "45,0"],
        ["K2", "P000001", "legal_consultation", day, "60"],
        ["K3", "P000001", "legal_consultation", day, "1,5"],
    ], encoding="cp1257", delimiter=";")

    ingest(hub_root)

    _, contacts = receipts(hub_root)
    assert contacts["status"] == "loaded"
    assert counts(contacts) == {"rows_read": 3, "inserted": 2, "quarantined": 1}
    assert problems(contacts) == [("value.integer", 4, "Trukmė min")]
    assert contacts["problems"][0]["record_id"] == "K3"
    stored = records(database_url, "contact")
    assert {rid: r["duration_minutes"] for rid, r in stored.items()} == {"K1": 45, "K2": 60}


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Duomenys"
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_xlsx_drops_load_with_typed_cells(hub_root: Path, database_url: str) -> None:
    inbox = hub_root / "inbox" / SPC
    inbox.mkdir(parents=True, exist_ok=True)
    _workbook(inbox / "asmenys.person.xlsx", [
        ["Įrašo ID", "Asmens pseudonimas", "Gimimo metai", "Lytis", "Smurto auka"],
        ["A1", pseudonym(1), 1980, "moteris", True],
        ["A2", pseudonym(2), 1975.0, "vyras", False],
    ])
    contact_day = datetime.combine(TODAY, datetime.min.time())
    _workbook(inbox / "kontaktai.contact.xlsx", [
        ["Įrašo ID", "Asmens įrašo ID", "Paslaugos kodas", "Data", "Trukmė min"],
        ["K1", "A1", "legal_consultation", contact_day, 45.0],
        ["K2", "A2", "psychotherapist_adult", contact_day, 60],
        ["K3", "A2", "psychotherapist_adult", contact_day, 12.5],
    ])

    ingest(hub_root)

    persons, contacts = receipts(hub_root)
    assert (persons["status"], counts(persons)) == ("loaded", {"rows_read": 2, "inserted": 2})
    assert (contacts["status"], counts(contacts)) == ("loaded", {"rows_read": 3, "inserted": 2, "quarantined": 1})
    assert problems(contacts) == [("value.integer", 4, "Trukmė min")]  # the sheet's row number
    stored = records(database_url)
    assert {rid: (r["birth_year"], r["sex"], r["dv_victim"]) for rid, r in stored.items()} == {
        "A1": (1980, "female", True), "A2": (1975, "male", False)}
    stored_contacts = records(database_url, "contact")
    assert {rid: (r["person_record_id"], r["contact_date"], r["duration_minutes"])
            for rid, r in stored_contacts.items()} == {"K1": ("A1", TODAY, 45), "K2": ("A2", TODAY, 60)}


def test_json_lines_drops_load_with_lists_numbers_and_nulls(hub_root: Path, database_url: str) -> None:
    inbox = hub_root / "inbox" / SPC
    inbox.mkdir(parents=True, exist_ok=True)
    persons = [
        {"record_id": "A1", "person_pseudonym": pseudonym(1), "birth_year": 1980, "sex": "female", "dv_victim": True},
        {"record_id": "A2", "person_pseudonym": pseudonym(2), "birth_year": None, "sex": "vyras"},
    ]
    sessions = [
        {"record_id": "G1", "service_code": "therapeutic_group", "session_date": TODAY.isoformat(),
         "duration_minutes": 90, "attendee_record_ids": ["A1", "A2"], "unregistered_attendees": 2},
        {"record_id": "G2", "service_code": "therapeutic_group", "session_date": TODAY.isoformat(),
         "attendee_record_ids": "A1|A2", "unregistered_attendees": "many"},
    ]
    (inbox / "asmenys.person.jsonl").write_text("".join(json.dumps(p) + "\n" for p in persons), encoding="utf-8")
    (inbox / "grupes.group_session.jsonl").write_text(
        "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in sessions) + "{not json\n", encoding="utf-8")

    ingest(hub_root)

    person_receipt, session_receipt = receipts(hub_root)
    assert counts(person_receipt) == {"rows_read": 2, "inserted": 2}
    assert session_receipt["status"] == "loaded"
    assert counts(session_receipt) == {"rows_read": 3, "inserted": 1, "quarantined": 2}
    assert problems(session_receipt) == [("value.integer", 2, "unregistered_attendees"), ("row.json", 3, None)]
    assert {rid: (r["birth_year"], r["sex"], r["dv_victim"]) for rid, r in records(database_url).items()} == {
        "A1": (1980, "female", True), "A2": (None, "male", False)}
    [session] = records(database_url, "group_session").values()
    assert (session["record_id"], session["attendee_record_ids"], session["unregistered_attendees"],
            session["duration_minutes"]) == ("G1", ["A1", "A2"], 2, 90)


# --- manifests ---------------------------------------------------------------------------------


def _partner_drop(root: Path, tmp_path: Path, key: PseudonymKey, count: int = 30) -> tuple[Path, Path, int]:
    """A person drop and its manifest, made by the partner kit straight into the inbox."""
    raw = tmp_path / "asmenys_raw.csv"
    write_raw_person_extract(raw, make_people(count), share_code_typo=0.0)
    inbox = root / "inbox" / SPC
    inbox.mkdir(parents=True, exist_ok=True)
    report = pseudonymise_file(raw, inbox / "kretingos-spc.person.csv", org=SPC, kind=Kind.PERSON, key=key)
    assert report.output is not None and report.manifest is not None
    return report.output, report.manifest, report.rows_accepted


def test_drop_with_a_matching_manifest_is_loaded(hub_root: Path, database_url: str, tmp_path: Path,
                                                key: PseudonymKey) -> None:
    _, manifest_path, accepted = _partner_drop(hub_root, tmp_path, key)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))

    ingest(hub_root)

    receipt = only_receipt(hub_root)
    assert receipt["status"] == "loaded"
    assert receipt["sha256"] == manifest["sha256"]
    assert counts(receipt) == {"rows_read": manifest["row_count"], "inserted": accepted}
    assert receipt["problems"] == []
    assert len(records(database_url)) == accepted
    assert files_in(hub_root / "inbox" / SPC) == []  # the manifest went with its drop
    [batch] = batch_rows(database_url)
    assert batch["manifest"]["sha256"] == manifest["sha256"]


@pytest.mark.parametrize("mismatch", ["sha256", "row_count"])
def test_drop_that_differs_from_its_manifest_is_rejected_and_nothing_loads(
        hub_root: Path, database_url: str, tmp_path: Path, key: PseudonymKey, mismatch: str) -> None:
    drop_path, manifest_path, _ = _partner_drop(hub_root, tmp_path, key)
    if mismatch == "sha256":  # same rows, same count, other bytes: two rows swapped in transit
        lines = drop_path.read_bytes().splitlines(keepends=True)
        lines[1], lines[2] = lines[2], lines[1]
        drop_path.write_bytes(b"".join(lines))
    else:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        manifest["row_count"] += 1
        manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    rows_in_file = len(drop_path.read_bytes().splitlines()) - 1

    ingest(hub_root)

    receipt = only_receipt(hub_root)
    assert receipt["status"] == "rejected"
    assert problems(receipt) == [(f"manifest.{mismatch}", None, None)]
    assert counts(receipt) == {"rows_read": rows_in_file, "quarantined": rows_in_file}
    assert records(database_url) == {}
    assert versions(database_url) == []


@pytest.mark.parametrize(("manifest_text", "code"), [
    ("{not json", "manifest.unreadable"),
    (None, "manifest.org"),  # a manifest of another organisation, dropped in this one's inbox
])
def test_drop_with_an_unreadable_or_foreign_manifest_is_rejected(
        hub_root: Path, database_url: str, tmp_path: Path, key: PseudonymKey, manifest_text: str | None,
        code: str) -> None:
    _, manifest_path, _ = _partner_drop(hub_root, tmp_path, key)
    if manifest_text is None:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        manifest["org"] = "kretingos-dvc"
        manifest_text = json.dumps(manifest)
    manifest_path.write_text(manifest_text, encoding="utf-8")

    ingest(hub_root)

    receipt = only_receipt(hub_root)
    assert receipt["status"] == "rejected"
    assert [p[0] for p in problems(receipt)] == [code]
    assert records(database_url) == {}
    assert files_in(hub_root / "inbox" / SPC) == []


def test_file_larger_than_the_limit_is_rejected_unread(hub_root: Path, database_url: str) -> None:
    (hub_root / "interchange.yaml").write_text(
        HUB_CONFIG.replace("settle_seconds: 0", "settle_seconds: 0\n        max_file_bytes: 100", 1), encoding="utf-8")
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(5)])

    ingest(hub_root)

    receipt = only_receipt(hub_root)
    assert receipt["status"] == "rejected"
    assert problems(receipt) == [("file.too_large", None, None)]
    assert records(database_url) == {}


# --- idempotency: re-drops, corrections, deletions -----------------------------------------------


@pytest.mark.parametrize("second_name", ["asmenys.person.csv", "asmenys (1).person.csv"])
def test_redrop_of_same_file_changes_nothing(hub_root: Path, database_url: str, second_name: str) -> None:
    rows = [PERSON_HEADER, *person_rows(5)]
    drop(hub_root, "asmenys.person.csv", rows)
    ingest(hub_root)
    before = warehouse_state(database_url)

    drop(hub_root, second_name, rows)
    ingest(hub_root)

    first, second = receipts(hub_root)
    assert counts(first) == {"rows_read": 5, "inserted": 5}
    assert (second["status"], second["duplicate_of"], second["file_name"]) == (
        "duplicate", first["batch_id"], second_name)
    assert problems(second) == [("file.duplicate", None, None)]
    assert counts(second) == {"rows_read": 0}
    assert warehouse_state(database_url) == before
    assert files_in(hub_root / "inbox" / SPC) == []


def test_redrop_that_keeps_the_original_timestamp_still_gets_a_duplicate_receipt(
        hub_root: Path, database_url: str) -> None:
    # Upload tools (WinSCP, rsync -t, cp -p) keep the file's modification time.
    rows = [PERSON_HEADER, *person_rows(5)]
    path = drop(hub_root, "asmenys.person.csv", rows)
    stamp = path.stat().st_mtime_ns
    ingest(hub_root)
    before = warehouse_state(database_url)

    path = drop(hub_root, "asmenys.person.csv", rows)
    os.utime(path, ns=(stamp, stamp))
    ingest(hub_root)

    first, second = receipts(hub_root)
    assert (second["status"], second["duplicate_of"]) == ("duplicate", first["batch_id"])
    assert warehouse_state(database_url) == before
    assert files_in(hub_root / "inbox" / SPC) == []


def test_corrected_resend_updates_only_the_changed_record(hub_root: Path, database_url: str) -> None:
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(5)])
    ingest(hub_root)
    corrected = person_rows(5)
    corrected[2][2] = "1931"  # P000002's birth year fixed; the row is the file's fourth line
    drop(hub_root, "asmenys-pataisyta.person.csv", [PERSON_HEADER, *corrected])

    ingest(hub_root)

    first, second = receipts(hub_root)
    assert second["status"] == "loaded"
    assert counts(second) == {"rows_read": 5, "updated": 1, "unchanged": 4}
    stored = records(database_url)
    assert (stored["P000002"]["birth_year"], stored["P000002"]["version"]) == (1931, 2)
    assert {r["version"] for rid, r in stored.items() if rid != "P000002"} == {1}
    history = [(v["record_id"], v["version"], v["action"], v["batch_id"], v["row_number"])
               for v in versions(database_url)]
    assert [h for h in history if h[0] == "P000002"] == [
        ("P000002", 1, "insert", first["batch_id"], 4), ("P000002", 2, "update", second["batch_id"], 4)]
    assert len(history) == 6


def test_deletion_row_marks_the_record_deleted_and_empties_its_data(hub_root: Path, database_url: str) -> None:
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(3)])
    ingest(hub_root)
    drop(hub_root, "trynimai.person.csv", [["Įrašo ID", "Ištrintas"], ["P000001", "taip"], ["NEZINOMAS9", "Taip"]],
         encoding="cp1257", delimiter=";")

    ingest(hub_root)

    _, deletions = receipts(hub_root)
    assert deletions["status"] == "loaded"
    assert counts(deletions) == {"rows_read": 2, "deleted": 1, "unchanged": 1}
    assert [(p["code"], p["severity"], p["row"], p["record_id"]) for p in deletions["problems"]
            if p["code"] == "delete.unknown"] == [("delete.unknown", "warning", 3, "NEZINOMAS9")]
    assert all(p["severity"] == "warning" for p in deletions["problems"])
    stored = records(database_url)
    assert set(stored) == {"P000000", "P000001", "P000002"}
    deleted = stored["P000001"]
    assert (deleted["deleted"], deleted["version"]) == (True, 2)
    assert {name: deleted[name] for name in data_columns("person")} == dict.fromkeys(data_columns("person"))
    assert stored["P000000"]["person_pseudonym"] == pseudonym("P0")
    assert [(v["version"], v["action"]) for v in versions(database_url) if v["record_id"] == "P000001"] == [
        (1, "insert"), (2, "delete")]


def test_deleted_record_sent_again_comes_back_as_its_next_version(hub_root: Path, database_url: str) -> None:
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(2)])
    ingest(hub_root)
    drop(hub_root, "trynimas.person.csv", [["record_id", "deleted"], ["P000001", "true"]])
    ingest(hub_root)
    # Not the first file's bytes again: those would be a duplicate, which changes nothing.
    drop(hub_root, "grazinta.person.csv", [PERSON_HEADER, *person_rows(2)[::-1]])

    ingest(hub_root)

    *_, restored = receipts(hub_root)
    assert counts(restored) == {"rows_read": 2, "updated": 1, "unchanged": 1}
    record = records(database_url)["P000001"]
    assert (record["deleted"], record["version"], record["person_pseudonym"]) == (False, 3, pseudonym("P1"))
    assert [v["action"] for v in versions(database_url) if v["record_id"] == "P000001"] == [
        "insert", "delete", "update"]


def test_same_record_ids_from_two_organisations_are_kept_apart(hub_root: Path, database_url: str) -> None:
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(3)])
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(3, year_shift=5)], org=MIMC)

    ingest(hub_root)

    assert counts(only_receipt(hub_root, MIMC)) == {"rows_read": 3, "inserted": 3}
    spc, mimc = records(database_url), records(database_url, org=MIMC)
    assert set(spc) == set(mimc) == {"P000000", "P000001", "P000002"}
    assert [spc[rid]["birth_year"] + 5 for rid in sorted(spc)] == [mimc[rid]["birth_year"] for rid in sorted(mimc)]
    assert {(v["org"], v["version"]) for v in versions(database_url)} == {(SPC, 1), (MIMC, 1)}


def test_rows_sent_for_another_organisation_are_quarantined(hub_root: Path, database_url: str) -> None:
    drop(hub_root, "asmenys.person.csv", [["record_id", "org", "birth_year"], ["A1", SPC, "1980"],
                                          ["A2", MIMC, "1981"]])

    ingest(hub_root)

    receipt = only_receipt(hub_root)
    assert counts(receipt) == {"rows_read": 2, "inserted": 1, "quarantined": 1}
    assert problems(receipt) == [("value.invalid", 3, "org")]
    assert set(records(database_url)) == {"A1"}
    assert records(database_url, org=MIMC) == {}


def test_personal_code_in_a_cell_never_reaches_receipts_quarantine_or_logs(
        hub_root: Path, database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(2),
                                          [A_PERSONAL_CODE, pseudonym(9), "1987", "vyras", "LT-22"]])
    drop(hub_root, "kontaktai.contact.csv", [CONTACT_HEADER, ["K1", "P000000", "legal_consultation",
                                                              TODAY.isoformat(), "30"],
                                             ["K2", A_PERSONAL_CODE, "legal_consultation", TODAY.isoformat(), "30"]])

    with caplog.at_level(logging.DEBUG):
        ingest(hub_root)

    # One personal code refuses the whole file: the archive would otherwise keep it for re-runs.
    persons, contacts = receipts(hub_root)
    purged = ("file.identifiers_purged", None, None)
    assert problems(persons) == [("file.personal_codes", None, None), purged, ("value.personal_code", 4, "record_id")]
    assert problems(contacts) == [("file.personal_codes", None, None), purged,
                                  ("value.personal_code", 3, "person_record_id")]
    assert "(row:column 4:1)" in persons["problems"][0]["message_en"]
    assert (persons["status"], contacts["status"]) == ("rejected", "rejected")
    assert records(database_url) == {} and files_in(hub_root / "archive" / SPC) == []
    stored = [p.read_text(encoding="utf-8") for p in (hub_root / "receipts" / SPC).iterdir()]
    stored += [table_text(database_url, batches), table_text(database_url, quarantine), caplog.text]
    assert not [text for text in stored if A_PERSONAL_CODE in text]


# --- held batches and quarantine -----------------------------------------------------------------


def test_contacts_of_unknown_persons_hold_the_batch_until_the_persons_arrive(
        hub_root: Path, database_url: str) -> None:
    contacts = [CONTACT_HEADER, *contact_rows(10, ["P000000", "P000001", "P000002"]),
                ["K999999", "P000000", "palm_reading", TODAY.isoformat(), "30"]]
    drop(hub_root, "kontaktai.contact.csv", contacts)

    ingest(hub_root)

    held = only_receipt(hub_root)
    assert (held["status"], held["held"]) == ("held", True)
    assert counts(held) == {"rows_read": 11, "held": 10, "quarantined": 1}
    assert problems(held) == [("value.unknown_service", 12, "service_code")]
    assert failed_expectations(held)["batch.contact_person_known"] == ("critical", list(range(2, 12)))
    assert records(database_url, "contact") == {}
    assert versions(database_url) == []
    assert quarantine_rows(database_url, held["batch_id"]) == [(12, "service_code", "value.unknown_service", "error")]

    # The partner sends the persons, then the very same contacts file again: now it loads.
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(3)])
    drop(hub_root, "kontaktai.contact.csv", contacts)
    ingest(hub_root)

    _, persons, loaded = receipts(hub_root)
    assert counts(persons) == {"rows_read": 3, "inserted": 3}
    assert (loaded["status"], loaded["duplicate_of"]) == ("loaded", None)
    assert counts(loaded) == {"rows_read": 11, "inserted": 10, "quarantined": 1}
    assert len(records(database_url, "contact")) == 10


def test_repeated_record_id_holds_the_batch(hub_root: Path, database_url: str) -> None:
    rows = person_rows(3)
    rows.append([rows[0][0], pseudonym("other"), "1990", "vyras", "LT-22"])
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *rows])

    ingest(hub_root)

    receipt = only_receipt(hub_root)
    assert receipt["status"] == "held"
    assert counts(receipt) == {"rows_read": 4, "held": 4}
    assert failed_expectations(receipt)["batch.record_id_unique"] == ("critical", [2, 5])
    assert records(database_url) == {}
    [batch] = batch_rows(database_url)
    assert (batch["status"], batch["rows_held"], batch["rows_inserted"]) == ("held", 4, 0)


def test_bad_rows_are_quarantined_with_the_row_numbers_the_partner_sees(hub_root: Path, database_url: str) -> None:
    drop(hub_root, "asmenys.person.csv", [
        ["Įrašo ID", "Gimimo metai", "Lytis", "Pastabos"],
        ["A1", "1980", "moteris", ""],
        ["A2", "19x0", "vyras", ""],
        ["A3", "1990", "vyras", "dvi\neilutės"],  # one record over lines 4 and 5
        ["A4", "1991", "M", ""],
        ["A5", "2999", "moteris", ""],
    ], encoding="cp1257", delimiter=";")

    ingest(hub_root)

    receipt = only_receipt(hub_root)
    assert receipt["status"] == "loaded"
    assert counts(receipt) == {"rows_read": 5, "inserted": 2, "quarantined": 3}
    assert problems(receipt) == [
        ("header.unknown", None, None),  # "Pastabos" could be a name: column 4, by position only
        ("file.columns_stripped", None, None),
        ("value.integer", 3, "Gimimo metai"),
        ("value.sex_ambiguous", 6, "Lytis"),
        ("value.future", 7, "Gimimo metai"),
    ]
    assert [p["record_id"] for p in receipt["problems"]] == [None, None, "A2", "A4", "A5"]
    assert quarantine_rows(database_url, receipt["batch_id"]) == [
        (None, None, "header.unknown", "warning"),
        (None, None, "file.columns_stripped", "warning"),
        (3, "Gimimo metai", "value.integer", "error"),
        (6, "Lytis", "value.sex_ambiguous", "error"),
        (7, "Gimimo metai", "value.future", "error"),
    ]
    assert {rid: r["row_number"] for rid, r in records(database_url).items()} == {"A1": 2, "A3": 4}
    [batch] = batch_rows(database_url)
    assert (batch["rows_read"], batch["rows_inserted"], batch["rows_quarantined"]) == (5, 2, 3)


def test_very_long_unknown_column_name_is_reported_cut_and_the_file_loads(hub_root: Path, database_url: str) -> None:
    # A spreadsheet's merged title cell can end up as a header hundreds of characters long; on
    # PostgreSQL it once failed every run of the inbox (quarantine.column_name is 255 long).
    long_name = ("Pastabos apie paslaugas " * 20).strip()
    drop(hub_root, "asmenys.person.csv", [[*PERSON_HEADER, long_name], *([*row, ""] for row in person_rows(2))])

    ingest(hub_root)

    receipt = only_receipt(hub_root)
    assert (receipt["status"], counts(receipt)) == ("loaded", {"rows_read": 2, "inserted": 2})
    assert problems(receipt) == [("header.unknown", None, None), ("file.columns_stripped", None, None)]
    assert quarantine_rows(database_url, receipt["batch_id"]) == [
        (None, None, "header.unknown", "warning"), (None, None, "file.columns_stripped", "warning")]
    assert len(records(database_url)) == 2


@pytest.mark.parametrize(("name", "rows", "columns", "read"), [
    ("asmenys.person.csv", [["record_id", "asmens_kodas", "birth_year"], ["A1", A_PERSONAL_CODE, "1987"]],
     ["asmens_kodas"], 1),
    # Not even its kind can be told (no record_id column): refused and purged all the same.
    ("eksportas.csv", [["Asmens kodas", "Vardas", "Gimimo metai"], [A_PERSONAL_CODE, "Šarūnė", "1987"]],
     ["Asmens kodas", "Vardas"], 0),
])
def test_file_with_personal_codes_is_rejected_and_its_copy_purged(
        hub_root: Path, database_url: str, name: str, rows: list[list[str]], columns: list[str], read: int) -> None:
    drop(hub_root, name, rows)

    ingest(hub_root)

    receipt = only_receipt(hub_root)
    assert receipt["status"] == "rejected"
    assert problems(receipt) == [*(("header.identifier", None, c) for c in columns),
                                 ("file.identifiers_purged", None, None)]
    assert counts(receipt) == ({"rows_read": read, "quarantined": read} if read else {"rows_read": 0})
    assert records(database_url) == {}
    assert files_in(hub_root / "archive" / SPC) == []
    assert files_in(hub_root / "inbox" / SPC) == []
    [batch] = batch_rows(database_url)
    assert batch["archive_path"] is None
    for path in (hub_root / "receipts" / SPC).iterdir():
        assert A_PERSONAL_CODE not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["asmenys.person.csv", "eksportas.csv"])
def test_raw_extract_sent_without_its_header_row_is_refused_and_never_quoted(
        hub_root: Path, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture, name: str) -> None:
    # Without its header row, the first person's code and name would be read as column names.
    people = make_people(3)
    raw = tmp_path / "raw.csv"
    write_raw_person_extract(raw, people, share_without_code=0.0, share_code_typo=0.0, share_ascii_names=0.0)
    inbox = hub_root / "inbox" / SPC
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / name).write_bytes(b"".join(raw.read_bytes().splitlines(keepends=True)[1:]))

    with caplog.at_level(logging.DEBUG):
        ingest(hub_root)

    receipt = only_receipt(hub_root)
    assert receipt["status"] == "rejected"
    assert problems(receipt) == [("header.personal_code", None, None), ("file.identifiers_purged", None, None)]
    assert files_in(hub_root / "archive" / SPC) == []
    assert records(database_url) == {}
    first = people[0]
    stored = [p.read_text(encoding="utf-8") for p in (hub_root / "receipts" / SPC).iterdir()]
    stored += [table_text(database_url, batches), table_text(database_url, quarantine), caplog.text]
    for secret in (first.code, first.given_name, first.surname):
        assert not [text for text in stored if secret in text]


def test_missing_required_column_rejects_the_file(hub_root: Path, database_url: str) -> None:
    drop(hub_root, "kontaktai.contact.csv", [["record_id", "service_code", "contact_date"],
                                             ["K1", "legal_consultation", TODAY.isoformat()]])

    ingest(hub_root)

    receipt = only_receipt(hub_root)
    assert receipt["status"] == "rejected"
    assert ("header.missing", None, "asmens_iraso_id") in problems(receipt)
    assert counts(receipt) == {"rows_read": 1, "quarantined": 1}
    assert records(database_url, "contact") == {}


# --- path safety -----------------------------------------------------------------------------------


def test_symlink_in_the_inbox_is_refused_and_its_target_left_untouched(
        hub_root: Path, database_url: str, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    target = drop(hub_root, "x.csv", [PERSON_HEADER, *person_rows(2)]).rename(outside / "secret.person.csv")
    content = target.read_bytes()
    link = hub_root / "inbox" / SPC / "nuoroda.person.csv"
    link.symlink_to(target)

    ingest(hub_root)

    receipt = only_receipt(hub_root)
    assert (receipt["status"], receipt["file_name"]) == ("rejected", "nuoroda.person.csv")
    assert problems(receipt) == [("file.link", None, None)]
    assert counts(receipt) == {"rows_read": 0}
    assert target.read_bytes() == content
    assert not link.is_symlink() and not link.exists()
    assert records(database_url) == {}
    assert files_in(hub_root / "archive" / SPC) == []


@pytest.mark.parametrize("name", ["C:\\..\\..\\evil.person.csv", "x..\\..\\..\\evil.person.csv"])
def test_file_named_with_dots_and_backslashes_keeps_its_receipts_in_the_org_folder(
        hub_root: Path, database_url: str, tmp_path: Path, name: str) -> None:
    drop(hub_root, name, [PERSON_HEADER, *person_rows(2)])

    ingest(hub_root)

    receipt = only_receipt(hub_root)
    assert (receipt["status"], receipt["file_name"]) == ("loaded", name)
    assert len(records(database_url)) == 2
    written = sorted(p for p in tmp_path.rglob("*evil*"))
    assert written and all(p.parent == hub_root / "receipts" / SPC for p in written)
    assert len(written) == 2  # the JSON and the text receipt
    assert files_in(hub_root / "receipts") == ["kretingos-mimc", SPC]


def test_xlsx_zip_bomb_is_rejected_as_unsafe_without_a_traceback(
        hub_root: Path, database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    inbox = hub_root / "inbox" / SPC
    inbox.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(inbox / "bomba.person.xlsx", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", bytes(20 * 1024 * 1024))

    with caplog.at_level(logging.WARNING):
        ingest(hub_root)

    receipt = only_receipt(hub_root)
    assert receipt["status"] == "rejected"
    assert problems(receipt) == [("file.unsafe", None, None)]
    assert "compressed more than" in receipt["problems"][0]["message_en"]
    assert records(database_url) == {}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


# --- files that are not ready ------------------------------------------------------------------


def test_file_still_being_written_is_left_for_the_next_run(hub_root: Path, database_url: str) -> None:
    config = hub_root / "interchange.yaml"
    config.write_text(HUB_CONFIG.replace("settle_seconds: 0", "settle_seconds: 30", 1), encoding="utf-8")
    path = drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(2)])

    ingest(hub_root)

    assert path.exists()
    assert batch_rows(database_url) == []
    assert receipts(hub_root) == []

    an_hour_ago = time.time() - 3600
    os.utime(path, (an_hour_ago, an_hour_ago))
    ingest(hub_root)

    assert only_receipt(hub_root)["status"] == "loaded"
    assert not path.exists()


def test_temporary_and_hidden_files_are_not_picked_up(hub_root: Path, database_url: str) -> None:
    # A name starting with a dot is hidden, even one that looks like a path: "..\\..\\evil".
    names = ["asmenys.person.csv.part", "~$asmenys.person.xlsx", ".asmenys.person.csv", "asmenys.person.csv.tmp",
             "asmenys.person.csv.crdownload", "..\\..\\evil.person.csv"]
    for name in names:
        drop(hub_root, name, [PERSON_HEADER, *person_rows(2)])

    ingest(hub_root)

    assert files_in(hub_root / "inbox" / SPC) == sorted(names)
    assert batch_rows(database_url) == []
    assert receipts(hub_root) == []
    assert files_in(hub_root / "archive" / SPC) == []
