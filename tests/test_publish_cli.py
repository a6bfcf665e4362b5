"""`interchange approve`, `reopen`, `publications` and `publish` as a data steward types them.

approve, reopen and publications need no Prefect; `publish` runs the real flow (real
computation and disclosure control) under the session's Prefect test server.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from drop_kit import CONTACT_HEADER, PERSON_HEADER, TODAY, drop, ingest, person_rows
from prefect_harness import on_prefect
from test_publications import PERIOD, RULES, V1, cells
from typer.testing import CliRunner

from interchange.cli import app
from interchange.indicators.publications import Span, read_inputs, store_publication
from interchange.progress import Progress, listening
from interchange.warehouse.engine import warehouse
from interchange.workspace.layout import Workspace

pytestmark = pytest.mark.dates  # run again by CI with the clock moved (Makefile, test)

pytest_plugins = ["prefect_harness"]

runner = CliRunner()
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def invoke(*args: object) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def store(root: Path, figures: dict = V1, period: Span = PERIOD) -> None:
    with warehouse(Workspace(root).database_url) as engine:
        store_publication(engine, period, cells(figures, period=period.label), inputs=read_inputs(engine),
                          catalogue_version="2026.1", rules=RULES, created_by="steward")


@sqlite_only
def test_publications_lists_versions_and_states(hub_root: Path) -> None:
    assert "No publications yet" in invoke("publications", "--workspace", hub_root).output
    store(hub_root)
    store(hub_root, {**V1, ("families", "", ""): 212.0})
    result = invoke("publications", "--workspace", hub_root)
    assert result.exit_code == 0, result.output
    lines = [x.split() for x in result.output.splitlines()[1:]]
    assert lines[0][:5] == ["2026-Q3", "1", "superseded", "5", "1"]
    assert lines[1][:6] == ["2026-Q3", "2", "draft", "5", "1", "1"]
    assert "has no publication yet" in invoke("publications", "--period", "2026-q4", "--workspace", hub_root).output


@sqlite_only
def test_approve_exports_locks_and_reopen_unlocks(hub_root: Path) -> None:
    store(hub_root)
    result = invoke("approve", "--period", "2026-q3", "--by", "ona", "--workspace", hub_root)
    assert result.exit_code == 0, result.output
    assert "2026-Q3 v1 approved by ona; the period is locked" in result.output
    folder = hub_root / "outbox" / "ministry" / "2026-Q3" / "v1"
    assert f"{folder / 'cells.csv'}" in result.output and (folder / "cells.xlsx").is_file()

    again = invoke("approve", "--period", "2026-Q3", "--workspace", hub_root)
    assert again.exit_code == 1 and "refused: 2026-Q3 v1 is already approved" in again.output

    missing = invoke("reopen", "--period", "2026-Q3", "--reason", "", "--workspace", hub_root)
    assert missing.exit_code == 1 and "say why" in missing.output
    reopened = invoke("reopen", "--period", "2026-Q3", "--reason", "late drop", "--by", "ona", "--workspace",
                      hub_root)
    assert reopened.exit_code == 0, reopened.output
    assert "2026-Q3 re-opened (v1 stays as approved and exported)" in reopened.output
    listing = invoke("publications", "--workspace", hub_root).output
    assert "reopened" in listing


@sqlite_only
def test_publishing_commands_speak_lithuanian(hub_root: Path) -> None:
    assert "Publikacijų dar nėra" in invoke("publications", "--workspace", hub_root, "--lang", "lt").output
    store(hub_root)
    store(hub_root, {**V1, ("families", "", ""): 212.0})
    listing = invoke("publications", "--workspace", hub_root, "--lang", "lt")
    assert listing.output.splitlines()[0].split()[:3] == ["laikotarpis", "versija", "būsena"]
    rows = [x.split() for x in listing.output.splitlines()[1:]]
    assert rows[0][:3] == ["2026-Q3", "1", "pakeista"] and rows[1][:3] == ["2026-Q3", "2", "juodraštis"]

    approved = invoke("approve", "--period", "2026-Q3", "--by", "ona", "--workspace", hub_root, "--lang", "lt")
    assert approved.exit_code == 0, approved.output
    assert "2026-Q3 v2 patvirtino ona; laikotarpis užrakintas. Eksportuota:" in approved.output
    again = invoke("approve", "--period", "2026-Q3", "--workspace", hub_root, "--lang", "lt")
    assert again.exit_code == 1 and again.output.startswith("atsisakyta: ")
    reopened = invoke("reopen", "--period", "2026-Q3", "--reason", "vėlavę duomenys", "--by", "ona",
                      "--workspace", hub_root, "--lang", "lt")
    assert reopened.exit_code == 0, reopened.output
    assert "2026-Q3 atvertas iš naujo (v2 lieka patvirtinta ir eksportuota)" in reopened.output
    assert "atverta iš naujo" in invoke("publications", "--workspace", hub_root, "--lang", "lt").output


@sqlite_only
def test_bad_period_and_missing_version_exit_with_a_reason(hub_root: Path) -> None:
    bad = invoke("approve", "--period", "2026-Q5", "--workspace", hub_root)
    assert bad.exit_code == 2 and "2026-Q5" in bad.output and "quarter (2026-Q3)" in bad.output
    none = invoke("approve", "--period", "2026-Q3", "--workspace", hub_root)
    assert none.exit_code == 1 and "2026-Q3 has no published version" in none.output
    store(hub_root)
    wrong = invoke("approve", "--period", "2026-Q3", "--version", 4, "--workspace", hub_root)
    assert wrong.exit_code == 1 and "2026-Q3 has no version 4" in wrong.output
    not_locked = invoke("reopen", "--period", "2026-Q3", "--reason", "x", "--workspace", hub_root)
    assert not_locked.exit_code == 1 and "only an approved period can be re-opened" in not_locked.output


@sqlite_only
def test_late_batches_are_flagged_in_the_listing(hub_root: Path) -> None:
    recent = Span("recent", TODAY - timedelta(days=90), TODAY)
    persons = person_rows(2)
    drop(hub_root, "a.person.csv", [PERSON_HEADER, *persons])
    ingest(hub_root)
    store(hub_root, period=recent)
    with warehouse(Workspace(hub_root).database_url) as engine:
        from interchange.indicators.publications import approve_version

        approve_version(engine, "recent", 1, by="ona")
    drop(hub_root, "late.contact.csv", [CONTACT_HEADER, ["L1", persons[0][0], "legal_consultation",
                                                         (TODAY - timedelta(days=3)).isoformat(), "45"]])
    ingest(hub_root)
    # "recent" is no period label the CLI accepts: list everything.
    listing = invoke("publications", "--workspace", hub_root)
    assert listing.exit_code == 0, listing.output
    [flag] = [x for x in listing.output.splitlines() if x.startswith("LATE DATA")]
    assert "recent: batches loaded after approval with records in the period: 1" in flag
    assert "kretingos-spc contact" in flag
    assert "interchange reopen --period recent" in flag


# --- `interchange publish`: the real flow, computation and disclosure control ------------------------

DAY = TODAY.replace(day=1) - timedelta(days=10)  # in last month: a month that has ended
MONTH = f"{DAY:%Y-%m}"



def send_and_link(root: Path, persons: int = 12, day: date = DAY) -> list[list[str]]:
    """`persons` SPC persons with a legal consultation each on `day`, linked by pseudonym."""
    from interchange.linkage.index import link_persons
    from interchange.linkage.pairs import pseudonym_pairs

    rows = person_rows(persons)
    drop(root, "a.person.csv", [[*PERSON_HEADER, "consent_reporting"], *([*row, "true"] for row in rows)])
    drop(root, "a.contact.csv", [CONTACT_HEADER, *([f"K{n}", p[0], "legal_consultation", day.isoformat(), "45"]
                                                   for n, p in enumerate(rows))])
    ingest(root)
    relink(root, link_persons, pseudonym_pairs)
    return rows


def relink(root: Path, link_persons: Any = None, scorer: Any = None) -> None:
    if link_persons is None:
        from interchange.linkage.index import link_persons
        from interchange.linkage.pairs import pseudonym_pairs as scorer
    with warehouse(Workspace(root).database_url) as engine:
        link_persons(engine, scorer=scorer)


def total(root: Path, indicator: str, version: int) -> float:
    from interchange.indicators.publications import publication_cells_frame

    with warehouse(Workspace(root).database_url) as engine:
        frame = publication_cells_frame(engine, MONTH, version)
    [value] = frame[(frame["indicator"] == indicator) & (frame["breakdown"] == "total")]["value"]
    return value


@sqlite_only
@on_prefect
def test_publish_locks_after_approval_flags_late_data_and_republishes_after_reopen(hub_root: Path) -> None:
    rows = send_and_link(hub_root)
    heard: list[Progress] = []
    with listening(heard.append):  # what the command's progress bar is drawn from, through the flow
        first = invoke("publish", "--period", MONTH, "--by", "ona", "--workspace", hub_root)
    assert first.exit_code == 0, first.output
    assert [(e.stage, e.done, e.detail) for e in heard] == [
        ("publish.stages", 0, "compute"), ("publish.stages", 1, "protect"), ("publish.stages", 2, "store"),
        ("publish.stages", 3, "store")]
    assert f"{MONTH} v1 (draft):" in first.output and "first version; from 2 loaded batches" in first.output
    assert total(hub_root, "legal_consultation_persons", 1) == 12.0
    assert invoke("approve", "--period", MONTH, "--workspace", hub_root).exit_code == 0

    drop(hub_root, "late.contact.csv", [CONTACT_HEADER, *([f"L{n}", rows[n][0], "legal_consultation",
                                                          DAY.isoformat(), "30"] for n in range(3))])
    ingest(hub_root)
    refused = invoke("publish", "--period", MONTH, "--workspace", hub_root)
    assert refused.exit_code == 1
    assert f"refused: {MONTH} is locked: v1 was approved" in refused.output
    assert f"LATE DATA: {MONTH}: batches loaded after approval with records in the period: 1" in refused.output

    assert invoke("reopen", "--period", MONTH, "--reason", "late contacts", "--workspace", hub_root).exit_code == 0
    second = invoke("publish", "--period", MONTH, "--workspace", hub_root)
    assert second.exit_code == 0, second.output
    assert f"{MONTH} v2 (draft):" in second.output and "cells changed since v1" in second.output
    assert total(hub_root, "legal_consultation_consultations", 2) == 15.0
    assert total(hub_root, "legal_consultation_consultations", 1) == 12.0  # v1 as it was
    assert "LATE DATA" not in invoke("publications", "--workspace", hub_root).output


@sqlite_only
def test_publish_of_a_bad_period_exits_2_before_anything_runs(hub_root: Path) -> None:
    result = invoke("publish", "--period", "2026-13", "--workspace", hub_root)
    assert result.exit_code == 2 and "month 13 is not 01-12" in result.output


PROGRAMME = """\
programmes:
  - code: kompleksines-kretinga
    name: Kompleksinių socialinių paslaugų plėtra Kretingos miesto gyventojams
    start: 2026-05-07
    end: 2028-05-07
    orgs: [kretingos-spc, kretingos-mimc]
    targets:
      - {service: legal_consultation, persons: 16, contacts: 200}
"""


@sqlite_only
def test_progress_shows_value_target_and_share_of_a_programme(hub_root: Path) -> None:
    from conftest import HUB_CONFIG

    (hub_root / "interchange.yaml").write_text(HUB_CONFIG + PROGRAMME, encoding="utf-8")
    if not (date(2026, 5, 7) <= DAY <= date(2028, 5, 7)):
        pytest.skip("the test's contacts must fall inside the programme's dates")
    send_and_link(hub_root)
    result = invoke("progress", "--programme", "kompleksines-kretinga", "--workspace", hub_root)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    persons = next(x for x in lines if "legal_consultation" in x and "persons" in x)
    contacts = next(x for x in lines if "legal_consultation" in x and "contacts" in x)
    assert persons.split()[-3:] == ["12", "16", "75%"]
    assert contacts.split()[-3:] == ["12", "200", "6%"]
    unknown = invoke("progress", "--programme", "nope", "--workspace", hub_root)
    assert unknown.exit_code == 2 and "no programme 'nope'" in unknown.output

    lithuanian = invoke("progress", "--programme", "kompleksines-kretinga", "--workspace", hub_root, "--lang", "lt")
    lines = lithuanian.output.splitlines()
    assert lines[0].startswith("Programa kompleksines-kretinga")
    assert lines[2].split()[:3] == ["rodiklis", "paslauga", "matas"]
    persons = next(x for x in lines if "legal_consultation" in x and "persons" in x)
    assert persons.split()[-3:] == ["12", "16", "75%"]
    english_names = [x.split("  ")[0] for x in result.output.splitlines() if "legal_consultation" in x]
    assert all(name not in lithuanian.output for name in english_names)  # indicator names in Lithuanian
