"""A partner's own column names: `--columns` for pseudonymise and check, `columns:` at the hub, and
`interchange columns suggest` that writes a first mapping (issue 15, case 11)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
import yaml
from conftest import read_drop, write_csv
from drop_kit import PERSON_HEADER, TODAY, counts, drop, ingest, only_receipt, person_rows, pseudonym, records
from typer.testing import CliRunner

from interchange.cli import app
from interchange.workspace.config import ConfigError, parse_config

runner = CliRunner()
VALID = "33309240064"
DAY = (TODAY - timedelta(days=3)).isoformat()

# A contact extract as a partner's system writes it: none of these headers is the contract's.
OWN_CONTACT_HEADER = ["Įrašo Nr.", "Kliento ID", "Paslauga", "Data", "Trukmė, min."]
CONTACTS = [["K1", "A1", "legal_consultation", DAY, 45], ["K2", "A2", "legal_consultation", DAY, 60]]
CONTACT_COLUMNS = """\
Įrašo Nr.: record_id
contact:
  Kliento ID: person_record_id
  Paslauga: service_code
  Data: contact_date
  Trukmė, min.: duration_minutes
"""


def _invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def _mapping(tmp_path: Path, text: str, name: str = "my-columns.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the partner: --columns for check and pseudonymise -------------------------------------------


@pytest.mark.dates  # contact dates a few days before today
def test_check_reads_an_xlsx_extract_by_the_partners_own_headers(tmp_path: Path) -> None:
    extract = _workbook(tmp_path / "kontaktai.xlsx", [OWN_CONTACT_HEADER, *CONTACTS])
    columns = _mapping(tmp_path, CONTACT_COLUMNS)

    refused = _invoke("check", extract, "--kind", "contact", "--org", "x1", "--lang", "en")
    assert refused.exit_code == 2
    assert "Column 1 is not in the contract: its data was not copied. The template lists the valid columns; if " \
           "this is your system's name for one of them, map it with --columns ('interchange columns suggest' " \
           "writes a first mapping)." in refused.output

    checked = _invoke("check", extract, "--kind", "contact", "--org", "x1", "--lang", "en", "--columns", columns)
    assert checked.exit_code == 0, checked.output
    assert "rows read 2, priimta / accepted 2, atmesta / rejected 0" in checked.output
    assert f"Read with your column names from {columns}: the hub reads the file the same way only" in checked.output


@pytest.mark.dates  # contact dates a few days before today
def test_check_tells_the_kind_from_the_partners_own_headers(tmp_path: Path) -> None:
    extract = write_csv(tmp_path / "eksportas.csv", [OWN_CONTACT_HEADER, *[[str(c) for c in r] for r in CONTACTS]])
    checked = _invoke("check", extract, "--org", "x1", "--lang", "en",
                      "--columns", _mapping(tmp_path, CONTACT_COLUMNS))
    assert checked.exit_code == 0, checked.output


@pytest.mark.dates  # contact dates a few days before today
def test_a_header_mapped_to_a_personal_code_is_refused_by_check(tmp_path: Path) -> None:
    extract = write_csv(tmp_path / "kontaktai.csv", [[*OWN_CONTACT_HEADER, "Kliento AK"],
                                                     ["K1", "A1", "legal_consultation", DAY, "45", VALID]])
    columns = _mapping(tmp_path, CONTACT_COLUMNS + "Kliento AK: personal_code\n")
    result = _invoke("check", extract, "--kind", "contact", "--org", "x1", "--lang", "en", "--columns", columns)
    assert result.exit_code == 1
    assert "column 'Kliento AK' [header.identifier] error" in result.output
    assert VALID not in result.output


def test_pseudonymise_reads_a_raw_extract_by_the_partners_own_headers(tmp_path: Path, key_file: Path) -> None:
    raw = write_csv(tmp_path / "asmenys.csv", [["Įrašo Nr.", "Kliento asmens kodas", "Vardas", "Gim. metai",
                                               "Sutikimas"], ["A1", VALID, "Rasa", "1933", "taip"]],
                    encoding="cp1257", delimiter=";")
    columns = _mapping(tmp_path, "Įrašo Nr.: record_id\nperson:\n  Kliento asmens kodas: personal_code\n"
                                 "  Gim. metai: gimimo_metai\n  Sutikimas: sutikimas_ataskaitoms\n")

    refused = _invoke("pseudonymise", raw, "--org", "x1", "--key-file", key_file, "-o", tmp_path / "d.csv",
                      "--lang", "en")
    assert refused.exit_code == 2
    assert "Required column 'record_id' (įrašo_id) is missing." in refused.output

    made = _invoke("pseudonymise", raw, "--org", "x1", "--key-file", key_file, "-o", tmp_path / "d.csv",
                   "--lang", "en", "--columns", columns)
    assert made.exit_code == 0, made.output
    [row] = read_drop(tmp_path / "d.csv")
    assert (row["record_id"], row["birth_year"], row["sex"]) == ("A1", "1933", "male")
    assert len(row["person_pseudonym"]) == 64  # the mapped personal code became the pseudonym


@pytest.mark.parametrize(("text", "message"), [
    ("contact:\n  Data: contact_day\n",
     "my-columns.yaml, contact.Data: 'contact_day' is not a column of contact records (columns: "),
    ("Įrašo Nr.: record_id\nNr.: record_id\n",
     "my-columns.yaml, Nr.: the column 'record_id' is already fed by Įrašo Nr.; one header of the file per "
     "contract column"),
    ("Įrašo Nr.: record_id\ncontact:\n  ID: record_id\n",
     "my-columns.yaml, contact.ID: the column 'record_id' is already fed by Įrašo Nr."),
    ("contacts:\n  Data: contact_date\n", "my-columns.yaml, contacts: 'contacts' is not a record kind"),
    ("Data: contact_date\nData: session_date\n", "my-columns.yaml: the header 'Data' is written twice"),
    ("contact:\n  Įrašo Nr.: record_id\n  iraso nr: record_id\n",
     "my-columns.yaml, contact.iraso nr: the header 'iraso nr' is written twice"),
    ("- Data\n", "my-columns.yaml: expected {your header: contract column}"),
    ("Data: [contact_date]\n", "my-columns.yaml, Data: expected {your header: contract column}"),
    ("Data: contact_date\n  : x\n", "my-columns.yaml: not valid YAML (line 2)"),
], ids=["unknown-column", "two-headers", "section-repeats-common", "unknown-kind", "yaml-key-twice",
        "same-header-spelt-twice", "not-a-mapping", "not-a-column-name", "bad-yaml"])
def test_a_wrong_mapping_is_refused_naming_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    extract = _workbook(tmp_path / "kontaktai.xlsx", [OWN_CONTACT_HEADER, *CONTACTS])
    columns = _mapping(tmp_path, text)
    result = _invoke("check", extract, "--kind", "contact", "--lang", "en", "--columns", columns)
    assert result.exit_code == 2
    assert f"error: {tmp_path}/{message}" in result.output
    assert "Traceback" not in result.output
    both = _invoke("check", extract, "--kind", "contact", "--columns", columns)
    assert both.output.count("klaida: ") == 1 and both.output.count("error: ") == 1


def test_a_missing_mapping_file_says_how_to_make_one(tmp_path: Path) -> None:
    extract = _workbook(tmp_path / "kontaktai.xlsx", [OWN_CONTACT_HEADER, *CONTACTS])
    result = _invoke("check", extract, "--lang", "en", "--columns", tmp_path / "absent.yaml")
    assert result.exit_code == 2
    assert f"error: {tmp_path / 'absent.yaml'}: no such column mapping file (make a first one with " \
           "'interchange columns suggest')" in result.output


# --- interchange columns suggest ------------------------------------------------------------------


@pytest.mark.dates  # contact dates a few days before today
def test_suggest_writes_a_first_mapping_that_check_then_accepts(tmp_path: Path) -> None:
    extract = _workbook(tmp_path / "kontaktai.xlsx", [OWN_CONTACT_HEADER, *CONTACTS])
    out = tmp_path / "my-columns.yaml"

    result = _invoke("columns", "suggest", extract, "--kind", "contact", "--out", out, "--lang", "en")

    assert result.exit_code == 0, result.output
    assert yaml.safe_load(out.read_text(encoding="utf-8")) == {"contact": {
        "Įrašo Nr.": "record_id", "Kliento ID": "person_record_id", "Paslauga": "service_code",
        "Data": "contact_date", "Trukmė, min.": "duration_minutes"}}
    assert out.read_text(encoding="utf-8").startswith(
        "# Columns of kontaktai.xlsx mapped to the contract's contact columns")
    assert f"wrote {out}\nHeaders recognised: 5 of 5 (the contract's contact columns)." in result.output
    assert "Optional columns not fed: case_record_id" in result.output
    checked = _invoke("check", extract, "--kind", "contact", "--org", "x1", "--columns", out)
    assert checked.exit_code == 0, checked.output


def test_suggest_lists_what_it_could_not_place_and_what_is_missing(tmp_path: Path) -> None:
    extract = write_csv(tmp_path / "kontaktai.csv", [["Įrašo Nr.", "ID", "Pastabos", "Darbuotojas", "DATA"],
                                                     ["K1", "K1", "", "", DAY]], encoding="cp1257", delimiter=";")
    out = tmp_path / "my-columns.yaml"

    result = _invoke("columns", "suggest", extract, "--kind", "contact", "--out", out, "--lang", "en")

    assert result.exit_code == 1
    assert "Headers recognised: 2 of 5 (the contract's contact columns)." in result.output
    assert "Headers not placed (map them in the file by hand, or leave those columns out of the export; #N is the " \
           "Nth column, whose name could be personal data): '#3', '#4'" in result.output
    assert "'ID' also looks like record_id, which 'Įrašo Nr.' already feeds: not mapped." in result.output
    assert "Required contact columns no header feeds yet: person_record_id, service_code" in result.output
    assert yaml.safe_load(out.read_text(encoding="utf-8")) == {
        "contact": {"Įrašo Nr.": "record_id", "DATA": "contact_date"}}

    again = _invoke("columns", "suggest", extract, "--kind", "contact", "--out", out, "--lang", "en")
    assert again.exit_code == 2 and "already exists and may hold your edits: give --force" in again.output
    assert _invoke("columns", "suggest", extract, "--kind", "contact", "--out", out, "--force").exit_code == 1
    onto = _invoke("columns", "suggest", extract, "--kind", "contact", "--out", extract, "--force", "--lang", "en")
    assert onto.exit_code == 2 and "The mapping must not overwrite the extract" in onto.output
    nowhere = _invoke("columns", "suggest", extract, "--kind", "contact", "--out", tmp_path / "no" / "m.yaml",
                      "--lang", "en")
    assert nowhere.exit_code == 2 and "the mapping could not be written there" in nowhere.output
    assert "Traceback" not in nowhere.output


def test_suggest_prints_the_mapping_without_out_and_never_shows_a_personal_code(tmp_path: Path) -> None:
    raw = write_csv(tmp_path / "asmenys.csv", [["Įrašo Nr.", "A. k.", "Kliento vardas", "Lytis"]])
    printed = _invoke("columns", "suggest", raw, "--kind", "person", "--lang", "lt")
    assert printed.exit_code == 0, printed.output
    assert "person:\n  Įrašo Nr.: record_id\n  A. k.: personal_code\n  Kliento vardas: given_name\n" \
           "  Lytis: sex\n" in printed.stdout
    assert "Atpažinta antraščių: 4 iš 4 (sutarties person stulpeliai)." in printed.output

    headerless = write_csv(tmp_path / "be-antrastes.csv", [["A1", VALID, "Rasa"]])
    refused = _invoke("columns", "suggest", headerless, "--kind", "person", "--lang", "en")
    assert refused.exit_code == 2 and "[header.personal_code]" in refused.output
    assert VALID not in refused.output


# --- the hub: columns: in interchange.yaml --------------------------------------------------------


def _give_columns(root: Path, text: str) -> None:
    """The organisation kretingos-spc's `columns:` key, written into the workspace's interchange.yaml."""
    config = root / "interchange.yaml"
    indented = "".join(f"      {line}\n" for line in text.splitlines())
    original = config.read_text(encoding="utf-8")
    marker = "  - code: kretingos-mimc"
    config.write_text(original.replace(marker, f"    columns:\n{indented}{marker}"), encoding="utf-8")


def test_the_hub_reads_an_organisations_drops_by_its_own_headers(hub_root: Path, database_url: str) -> None:
    _give_columns(hub_root, "Įrašo Nr.: record_id\n"
                            "person:\n  Pseudonimas: person_pseudonym\n  Gim. metai: birth_year\n")
    own_header = ["Įrašo Nr.", "Pseudonimas", "Gim. metai", "Lytis", "Savivaldybė"]
    drop(hub_root, "asmenys.person.csv", [own_header, *person_rows(3)])

    ingest(hub_root)

    receipt = only_receipt(hub_root)
    assert (receipt["status"], counts(receipt)) == ("loaded", {"rows_read": 3, "inserted": 3})
    assert receipt["problems"] == []
    assert {rid: r["person_pseudonym"] for rid, r in records(database_url).items()} == {
        f"P{n:06d}": pseudonym(f"P{n}") for n in range(3)}


def test_without_the_mapping_the_hub_rejects_the_same_drop(hub_root: Path) -> None:
    drop(hub_root, "asmenys.person.csv", [["Įrašo Nr.", *PERSON_HEADER[1:]], *person_rows(3)])
    ingest(hub_root)
    receipt = only_receipt(hub_root)
    assert receipt["status"] == "rejected"
    assert [p["code"] for p in receipt["problems"]] == ["header.unknown", "header.missing"]


def test_a_wrong_mapping_in_interchange_yaml_is_named_with_its_key() -> None:
    text = """\
organisations:
  - code: kretingos-spc
    name: Kretingos socialinių paslaugų centras
    municipality: LT-22
    columns:
      contact:
        Data: contact_day
"""
    with pytest.raises(ConfigError) as excinfo:
        parse_config(text, origin="hub/interchange.yaml")
    assert "  organisations.0.columns: contact.Data: 'contact_day' is not a column of contact records" in str(
        excinfo.value)
