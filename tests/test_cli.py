"""The `interchange` command as a partner types it: exit codes, messages, no personal data."""

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import write_csv
from typer.testing import CliRunner

from interchange.cli import app

runner = CliRunner()
VALID = "33309240064"
TYPO = "33309240065"


def _invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_help_explains_every_command():
    result = subprocess.run([sys.executable, "-m", "interchange", "--help"],
                            capture_output=True, text=True, check=True,
                            env={**os.environ, "COLUMNS": "200"})
    for command in ("keygen", "pseudonymise", "check", "schemas", "templates", "codes", "demo"):
        assert command in result.stdout


def test_keygen_refuses_to_overwrite_a_key(tmp_path):
    first = _invoke("keygen", "-o", tmp_path / "k.key")
    assert first.exit_code == 0 and "never by plain e-mail" in first.output
    assert (tmp_path / "k.key").stat().st_mode & 0o777 == 0o600
    second = _invoke("keygen", "-o", tmp_path / "k.key")
    assert second.exit_code == 2 and "never overwritten" in second.output


def test_missing_or_short_key_is_a_clear_error(tmp_path):
    raw = write_csv(tmp_path / "raw.csv", [["record_id", "personal_code"], ["A1", VALID]])
    missing = _invoke("pseudonymise", raw, "--org", "x1", "--key-file", tmp_path / "nope.key",
                      "-o", tmp_path / "d.csv")
    assert missing.exit_code == 2 and "[key.missing]" in missing.output
    (tmp_path / "short.key").write_text("abcd" * 8 + "\n")
    short = _invoke("pseudonymise", raw, "--org", "x1", "--key-file", tmp_path / "short.key",
                    "-o", tmp_path / "d.csv")
    assert short.exit_code == 2 and "128 bits" in short.output
    assert "Traceback" not in short.output


def test_pseudonymise_then_check_round_trip(tmp_path):
    _invoke("keygen", "-o", tmp_path / "k.key")
    raw = write_csv(tmp_path / "raw.csv", [["įrašo_id", "asmens_kodas", "vardas", "sutikimas_ataskaitoms"],
                                           ["A1", VALID, "Rasa", "taip"]], encoding="cp1257",
                    delimiter=";")
    made = _invoke("pseudonymise", raw, "--org", "KRETINGOS-SPC", "--key-file", tmp_path / "k.key",
                   "-o", tmp_path / "drop.csv")
    assert made.exit_code == 0, made.output
    checked = _invoke("check", tmp_path / "drop.csv")
    assert checked.exit_code == 0, checked.output


def test_bad_input_gives_row_messages_in_both_languages_and_no_personal_data(tmp_path):
    _invoke("keygen", "-o", tmp_path / "k.key")
    raw = write_csv(tmp_path / "raw.csv", [
        ["įrašo_id", "asmens_kodas", "vardas", "pavardė", "lytis"],
        ["A1", TYPO, "Šarūnė", "Jonaitienė", "M"],
        [VALID, VALID, "Rasa", "Kairienė", ""],
        ["A3", "", "Ona", "Butkienė", "moteris"],
    ])
    result = _invoke("pseudonymise", raw, "--org", "x1", "--key-file", tmp_path / "k.key",
                     "-o", tmp_path / "drop.csv", "--report", tmp_path / "report.json")
    assert result.exit_code == 1
    assert "row 2, column 'asmens_kodas' [code.checksum]" in result.output
    assert "LT: Asmens kodo kontrolinis skaičius neteisingas" in result.output
    assert "row 3, column 'įrašo_id' [value.personal_code]" in result.output
    report_text = (tmp_path / "report.json").read_text()
    assert json.loads(report_text)["rows_rejected"] == 2
    for secret in (TYPO, VALID, "Šarūnė", "Jonaitienė", "Kairienė"):
        assert secret not in result.output and secret not in report_text


def test_check_exit_codes(tmp_path):
    clean = write_csv(tmp_path / "clean.csv", [["record_id", "org", "birth_year", "consent_reporting"],
                                               ["A1", "x1", "1980", "yes"]])
    assert _invoke("check", clean, "--kind", "person").exit_code == 0
    dirty = write_csv(tmp_path / "dirty.csv", [["record_id", "org", "birth_year"],
                                               ["A1", "x1", "1980"], ["A2", "x1", "1800"]])
    result = _invoke("check", dirty, "--kind", "person", "--lang", "lt")
    assert result.exit_code == 1 and "ne mažesnė kaip 1890" in result.output
    assert "EN:" not in result.output
    nothing = _invoke("check", tmp_path / "absent.csv", "--kind", "person")
    assert nothing.exit_code == 2 and "[file.missing]" in nothing.output


def test_schemas_check_passes_on_the_checked_in_schemas():
    root = Path(__file__).resolve().parents[1]
    result = _invoke("schemas", "export", "--check", "--dir", root / "schemas")
    assert result.exit_code == 0, result.output


def test_codes_lists_services_in_both_languages():
    result = _invoke("codes", "services")
    assert "psychologist_child" in result.output and "psichologo" in result.output
