"""Generated artefacts partners and the hub rely on: schemas and templates stay in step."""

import json
from pathlib import Path

import jsonschema
from conftest import write_csv
from openpyxl import load_workbook

from interchange.contract.records import Kind
from interchange.contract.schema_export import schema_drift
from interchange.contract.text import key_of
from interchange.partner.pseudonymise import pseudonymise_file
from interchange.partner.templates import (
    CODES_SHEET,
    DATA_SHEET,
    FIELDS_SHEET,
    csv_template,
    template_drift,
    xlsx_template,
)

ROOT = Path(__file__).resolve().parents[1]


def test_checked_in_schemas_match_the_models():
    assert schema_drift(ROOT / "schemas") == []


def test_schema_drift_is_detected(tmp_path):
    (tmp_path / "person.schema.json").write_text("{}\n")
    drift = schema_drift(tmp_path)
    assert "person.schema.json" in drift and "manifest.schema.json" in drift


def test_checked_in_templates_match_the_models(tmp_path):
    assert template_drift(ROOT / "schemas" / "templates", tmp_path) == []


def test_drop_rows_and_manifest_validate_against_the_published_schemas(tmp_path, key):
    raw = write_csv(tmp_path / "raw.csv", [["record_id", "personal_code", "given_name", "surname"],
                                           ["A1", "33309240064", "Rasa", "Kairienė"]])
    report = pseudonymise_file(raw, tmp_path / "drop.jsonl", org="x1", kind=Kind.PERSON, key=key)
    person_schema = json.loads((ROOT / "schemas" / "person.schema.json").read_text())
    manifest_schema = json.loads((ROOT / "schemas" / "manifest.schema.json").read_text())
    for line in (tmp_path / "drop.jsonl").read_text().splitlines():
        jsonschema.validate(json.loads(line), person_schema)
    jsonschema.validate(json.loads(report.manifest.read_text()), manifest_schema)


def test_csv_template_opens_in_lithuanian_excel_and_its_headers_are_accepted():
    data = csv_template(Kind.CONTACT)
    assert data.startswith(b"\xef\xbb\xbf")
    headers = data.decode("utf-8-sig").strip().split(";")
    assert headers[:3] == ["įrašo_id", "organizacija", "ištrintas"]
    assert "paslaugos_kodas" in headers


def test_raw_template_has_identifier_columns_and_no_computed_ones():
    headers = csv_template(Kind.PERSON, raw=True).decode("utf-8-sig").strip().split(";")
    assert headers[:4] == ["asmens_kodas", "vardas", "pavarde", "gimimo_data"]
    assert not any(key_of(h).endswith(("pseudonimas", "zetonas", "bloom")) for h in headers)


def test_xlsx_template_has_header_descriptions_code_lists_and_drop_downs(tmp_path):
    path = tmp_path / "case.xlsx"
    xlsx_template(Kind.CASE, path)
    workbook = load_workbook(path)
    assert workbook.sheetnames == [DATA_SHEET, FIELDS_SHEET, CODES_SHEET]
    data = workbook[DATA_SHEET]
    headers = [c.value for c in data[1]]
    assert "atvejo_tipas" in headers
    case_type_cell = data.cell(row=1, column=headers.index("atvejo_tipas") + 1)
    assert "case_type" in case_type_cell.comment.text
    codes = {c.value for row in workbook[CODES_SHEET].iter_rows() for c in row}
    assert {"dv_specialised_help", "LT-22", "psychologist_child", "taip"} <= codes
    validated = {str(v.sqref).split(":")[0] for v in data.data_validations.dataValidation}
    case_type_column = case_type_cell.column_letter
    assert f"{case_type_column}2" in validated
    fields = [row[1] for row in workbook[FIELDS_SHEET].iter_rows(min_row=2, values_only=True)]
    assert all(fields) and "opened" in fields
