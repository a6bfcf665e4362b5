"""Issue 15, case 1: a partner extract without the consent column must be seen at every step.

The scenario: the social services centre exports its persons without `sutikimas_ataskaitoms`;
under the hub's default (`publishing.consent: exclude`) none of them may be counted. The
pseudonymiser, the check and the receipt count them; publish refuses, naming the organisation,
unless the steward passes --allow-without-consent, and then says what was left out.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import write_csv
from drop_kit import CONTACT_HEADER, MIMC, PERSON_HEADER, SPC, drop, ingest, person_rows, receipts
from prefect_harness import on_prefect
from typer.testing import CliRunner

from interchange.cli import app
from interchange.contract.personal_code import check_digit
from interchange.contract.records import Kind
from interchange.indicators.periods import parse_period
from interchange.indicators.publications import PublicationError, publish, render_consent
from interchange.linkage.index import link_persons
from interchange.linkage.pairs import pseudonym_pairs
from interchange.partner.keys import PseudonymKey
from interchange.partner.pseudonymise import pseudonymise_file
from interchange.warehouse.engine import warehouse
from interchange.workspace.layout import Workspace

pytest_plugins = ["prefect_harness"]

runner = CliRunner()
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
TODAY = date(2026, 10, 15)  # the hub's ingest day: the contacts below are within its window
MONTH = "2026-09"
REFUSED = f"{MONTH} not published: no person of these organisations consents to reporting"


def code(first_ten: str) -> str:
    return first_ten + str(check_digit(first_ten))


def spc_extract_without_consent(folder: Path, key: PseudonymKey) -> Any:
    """What the centre's system exports (three persons, no consent column), pseudonymised into `folder`."""
    raw = write_csv(folder.parent / "asmenys-raw.csv", [
        ["įrašo_id", "asmens_kodas", "vardas", "pavardė", "savivaldybė"],
        ["S1", code("4800101000"), "Ona", "Petraitienė", "LT-22"],
        ["S2", code("3750202000"), "Jonas", "Petraitis", "LT-22"],
        ["S3", code("4900303000"), "Rūta", "Kazlauskė", "LT-22"],
    ], delimiter=";")
    folder.mkdir(parents=True, exist_ok=True)
    return pseudonymise_file(raw, folder / "asmenys.person.csv", org=SPC, kind=Kind.PERSON, key=key,
                             today=TODAY)


def hub_with_persons_without_consent(root: Path, key: PseudonymKey) -> None:
    """SPC's persons (no consent) and MIMC's (consent) with a legal consultation each in MONTH, linked."""
    spc = spc_extract_without_consent(root / "inbox" / SPC, key)
    assert spc.output is not None
    drop(root, "kontaktai.contact.csv", [CONTACT_HEADER, *([f"K{n}", f"S{n}", "legal_consultation",
                                                          f"{MONTH}-10", "45"] for n in (1, 2, 3))])
    mimc = person_rows(2, prefix="M")
    drop(root, "asmenys.person.csv", [[*PERSON_HEADER, "consent_reporting"], *([*row, "taip"] for row in mimc)],
         org=MIMC)
    drop(root, "kontaktai.contact.csv", [CONTACT_HEADER, *([f"L{n}", row[0], "legal_consultation",
                                                          f"{MONTH}-11", "45"] for n, row in enumerate(mimc))],
         org=MIMC)
    ingest(root, today=TODAY)
    with warehouse(Workspace(root).database_url) as engine:
        link_persons(engine, scorer=pseudonym_pairs)


def test_pseudonymise_and_check_count_the_persons_without_consent(tmp_path: Path, key: PseudonymKey) -> None:
    report = spc_extract_without_consent(tmp_path / "out", key)
    assert report.persons_without_consent == 3
    assert [(p.code, p.severity.value, p.params) for p in report.problems] == [
        ("consent.none", "warning", {"count": 3})]

    checked = runner.invoke(app, ["check", str(report.output), "--lang", "en"])
    assert checked.exit_code == 1, checked.output  # usable, with a problem to read
    assert "without consent to reporting 3" in checked.output
    assert ("[consent.none] warning\n    EN: None of the 3 persons in this file consents to reporting (the column "
            "'sutikimas_ataskaitoms' is missing, empty or says no)") in checked.output


def test_a_file_where_some_persons_consent_is_counted_without_a_warning(tmp_path: Path, key: PseudonymKey) -> None:
    raw = write_csv(tmp_path / "raw.csv", [["įrašo_id", "vardas", "gimimo_data", "sutikimas_ataskaitoms"],
                                           ["A1", "Ona", "1980-01-01", "taip"], ["A2", "Rasa", "1981-01-01", ""],
                                           ["A3", "Ieva", "1982-01-01", "ne"]])
    report = pseudonymise_file(raw, tmp_path / "drop.csv", org=SPC, kind=Kind.PERSON, key=key, today=TODAY)
    assert report.persons_without_consent == 2 and report.problems == []


@sqlite_only
def test_receipt_counts_the_persons_without_consent(hub_root: Path, key: PseudonymKey) -> None:
    spc_extract_without_consent(hub_root / "inbox" / SPC, key)
    ingest(hub_root, today=TODAY)
    [receipt] = receipts(hub_root, SPC)
    assert receipt["status"] == "loaded" and receipt["persons_without_consent"] == 3
    [text] = (hub_root / "receipts" / SPC).glob("*.txt")
    written = text.read_text(encoding="utf-8")
    assert ("  Persons without consent to reporting: 3 (left out of the published figures under the hub's default "
            "rule; column 'sutikimas_ataskaitoms')\n") in written
    assert "  Asmenys be sutikimo ataskaitoms: 3 (pagal numatytąją centro taisyklę" in written


@sqlite_only
def test_publish_refuses_an_organisation_whose_persons_all_lack_consent(hub_root: Path, key: PseudonymKey) -> None:
    hub_with_persons_without_consent(hub_root, key)
    workspace = Workspace(hub_root)
    with warehouse(workspace.database_url) as engine:
        with pytest.raises(PublicationError) as refused:
            publish(engine, workspace, parse_period(MONTH))
        assert str(refused.value).startswith(f"{REFUSED} (persons in the period in brackets): {SPC} (3).")
        assert "--allow-without-consent" in str(refused.value)
        assert "nė vienas šių organizacijų asmuo nesutiko" in refused.value.message("lt")

        published = publish(engine, workspace, parse_period(MONTH), allow_without_consent=True)
    assert published.version == 1
    assert published.disclosure_rules["without_consent"] == {SPC: {"persons": 3, "without": 3}}
    assert published.disclosure_rules["published_without_consent"] == [SPC]
    assert render_consent(published, "en") == [
        f"{SPC}: 3 of 3 persons left out of the figures (no consent to reporting)",
        f"Published with --allow-without-consent although no person of these organisations counts: {SPC} "
        "(recorded with the version)"]


@sqlite_only
@on_prefect
def test_publish_command_exits_1_naming_the_organisation_and_publishes_with_the_flag(
        hub_root: Path, key: PseudonymKey) -> None:
    hub_with_persons_without_consent(hub_root, key)
    refused = runner.invoke(app, ["publish", "--period", MONTH, "--workspace", str(hub_root), "--lang", "en"])
    assert refused.exit_code == 1
    assert f"refused: {REFUSED} (persons in the period in brackets): {SPC} (3)." in refused.output

    allowed = runner.invoke(app, ["publish", "--period", MONTH, "--allow-without-consent", "--workspace",
                                  str(hub_root), "--lang", "en"])
    assert allowed.exit_code == 0, allowed.output
    assert f"{MONTH} v1 (draft)" in allowed.output
    assert f"  {SPC}: 3 of 3 persons left out of the figures (no consent to reporting)" in allowed.output
    assert f"no person of these organisations counts: {SPC}" in allowed.output
