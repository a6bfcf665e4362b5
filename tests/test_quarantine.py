"""Closing quarantined rows: a later batch that loads the record, or a steward who dismisses it with a reason.

What a steward relies on: `status` goes green again once every quarantined row is closed;
a corrected re-send of the same record ids closes them (even when the first file was
rejected whole); a record sent wrong twice is one open row, not two; a dismissal needs a
reason, keeps who and when, and `quarantine list --closed` shows every closing. Nothing
shown carries a record value.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from drop_kit import CONTACT_HEADER, MIMC, PERSON_HEADER, SPC, TODAY, contact_rows, drop, ingest, person_rows, receipts
from typer.testing import CliRunner

from interchange import clock
from interchange.cli import app
from interchange.indicators.periods import month_period
from interchange.ingest.quarantine import open_quarantine
from interchange.ingest.reprocess import find_candidates, reprocess
from interchange.ingest.run import open_hub
from interchange.warehouse.engine import warehouse
from interchange.workspace.layout import Workspace

pytestmark = pytest.mark.dates  # run again by CI with the clock moved (Makefile, test)

runner = CliRunner()


def bad_persons(count: int, *, start: int = 0) -> list[list[str]]:
    """Person rows whose birth year cannot be read: each one is quarantined."""
    rows = person_rows(count, start=start)
    for row in rows:
        row[2] = "19x0"
    return rows


def status(root: Path) -> tuple[int, str]:
    result = runner.invoke(app, ["status", "--workspace", str(root), "--lang", "en"])
    return result.exit_code, result.output


def quarantine_section(output: str) -> str:
    return output.split("Quarantine (open rows)")[1].split("\n\n")[0]


def test_a_corrected_resend_closes_the_rows_of_a_rejected_file_and_status_is_green_again(hub_root: Path) -> None:
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *bad_persons(5)])
    ingest(hub_root)
    [first] = receipts(hub_root)
    assert first["status"] == "rejected"  # not one usable row
    code, output = status(hub_root)
    assert code == 1
    assert f"{SPC}  5     1" in quarantine_section(output)

    drop(hub_root, "asmenys-pataisyta.person.csv", [PERSON_HEADER, *person_rows(5)])  # the same record ids, fixed
    ingest(hub_root)

    code, output = status(hub_root)
    assert code == 0, output
    assert "Quarantine (open rows): none" in output
    assert output.rstrip().endswith("All clear.")
    history = runner.invoke(app, ["quarantine", "list", "--closed", "--workspace", str(hub_root), "--lang", "en"])
    assert history.exit_code == 0, history.output
    second = receipts(hub_root)[1]["batch_id"]
    closed = [line.split() for line in history.output.splitlines() if line.startswith(f"  {SPC}")]
    assert len(closed) == 5
    assert all(line[1] == str(first["batch_id"]) and " ".join(line[6:9]) == f"loaded later {second}"
               for line in closed), history.output
    assert "19x0" not in history.output


def test_a_partial_resend_closes_only_the_records_it_loads(hub_root: Path, database_url: str) -> None:
    rows = person_rows(5)
    rows[1][2] = rows[3][2] = "19x0"  # rows 3 and 5 of the file (the header is row 1)
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *rows])
    ingest(hub_root)
    drop(hub_root, "viena.person.csv", [PERSON_HEADER, person_rows(1, start=1)[0]])  # P000001 fixed, P000003 not
    drop(hub_root, "kiti.person.csv", [PERSON_HEADER, person_rows(1, start=3)[0]], org=MIMC)  # another org's P000003
    ingest(hub_root)

    with warehouse(database_url) as engine:
        still = open_quarantine(engine)
    assert [(r.org, r.row_number, r.record_id, r.codes) for r in still] == [
        (SPC, 5, "P000003", ("value.integer",))]


def test_a_record_sent_wrong_again_is_one_open_row_in_the_newer_batch(hub_root: Path, database_url: str) -> None:
    drop(hub_root, "a.person.csv", [PERSON_HEADER, *person_rows(2), *bad_persons(1, start=2)])
    ingest(hub_root)
    drop(hub_root, "b.person.csv", [PERSON_HEADER, *bad_persons(1, start=2)])
    ingest(hub_root)

    newer = receipts(hub_root)[1]["batch_id"]
    with warehouse(database_url) as engine:
        assert [(r.batch_id, r.row_number, r.record_id) for r in open_quarantine(engine)] == [
            (newer, 2, "P000002")]
    assert f"{SPC}  1     1" in quarantine_section(status(hub_root)[1])


def test_a_steward_dismisses_rows_with_a_reason_and_the_history_keeps_who_when_and_why(hub_root: Path) -> None:
    rows = person_rows(4)
    rows[0][2] = rows[2][2] = "19x0"
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *rows])
    ingest(hub_root)
    batch = str(receipts(hub_root)[0]["batch_id"])
    listed = runner.invoke(app, ["quarantine", "list", "--workspace", str(hub_root), "--lang", "en"])
    assert listed.exit_code == 1
    assert "Open quarantined rows: 2 (in 1 batches)" in listed.output
    assert [line.split()[5:] for line in listed.output.splitlines() if line.startswith(f"  {SPC}")] == [
        ["2", "P000000", "value.integer"], ["4", "P000002", "value.integer"]]
    assert "19x0" not in listed.output

    def dismiss(*more: str) -> tuple[int, str]:
        result = runner.invoke(app, ["quarantine", "dismiss", "--org", SPC, "--batch", batch, *more,
                                     "--workspace", str(hub_root), "--lang", "en"])
        return result.exit_code, result.output

    for blank in ((), ("--reason", " ")):  # no reason, or an empty one: the same sentence
        assert dismiss("--row", "2", *blank) == (
            1, "refused: say why the rows are dismissed (--reason); it is kept in the history\n")
    assert dismiss("--row", "3", "--reason", "test row") == (
        1, f"refused: batch {batch} of {SPC}: no open quarantined row matches (rows: 3; code: -); "
           "interchange quarantine list shows them\n")
    assert dismiss("--reason", "test row")[0] == 1  # neither rows nor a code

    assert dismiss("--row", "2", "--reason", "a test row, withdrawn", "--by", "ona.s") == (
        0, f"batch {batch} of {SPC}: 1 rows dismissed (1 problems), the reason kept in the history. "
           f"Rows still open in the batch: 1\nWarehouse: {os.environ['INTERCHANGE_DATABASE_URL']}\n")
    assert status(hub_root)[0] == 1
    assert dismiss("--code", "value.integer", "--reason", "known error in the partner's export")[0] == 0
    assert status(hub_root)[0] == 0

    history = runner.invoke(app, ["quarantine", "list", "--closed", "--org", SPC, "--workspace", str(hub_root),
                                  "--lang", "en"])
    line = next(x for x in history.output.splitlines() if x.startswith(f"  {SPC}  {batch}      2"))
    assert "dismissed" in line and "ona.s" in line and line.endswith("a test row, withdrawn")
    assert clock.now().strftime("%Y-%m-%d ") in line  # when, in UTC as every time the hub shows


def test_open_quarantine_narrows_to_an_organisation_and_the_periods_a_batch_may_carry(
        hub_root: Path, database_url: str) -> None:
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *bad_persons(2)])
    drop(hub_root, "kiti.person.csv", [PERSON_HEADER, *bad_persons(1)], org=MIMC)
    ingest(hub_root)

    this_month = month_period(TODAY.year, TODAY.month)
    after = TODAY.replace(day=1) + timedelta(days=62)  # the month after next
    with warehouse(Workspace(hub_root).database_url) as engine:
        assert [(r.org, r.row_number) for r in open_quarantine(engine, org=SPC)] == [(SPC, 2), (SPC, 3)]
        assert len(open_quarantine(engine, period=this_month)) == 3  # arrived within the month: may concern it
        assert open_quarantine(engine, period=month_period(after.year, after.month)) == []  # arrived long before it
        assert len(open_quarantine(engine, org=MIMC, period=month_period(2020, 1))) == 1  # late data of any past
    assert date(2020, 1, 1) < TODAY


def test_a_re_run_of_an_older_drop_never_closes_what_a_newer_drop_left_open(hub_root: Path, database_url: str) -> None:
    people = [p[0] for p in person_rows(2)]
    older = contact_rows(2, people)
    drop(hub_root, "senas.contact.csv", [CONTACT_HEADER, *older])  # contacts of persons not sent yet: held
    ingest(hub_root)
    newer = [older[0][0], people[0], "no_such_service", TODAY.isoformat(), "30"]
    drop(hub_root, "naujas.contact.csv", [CONTACT_HEADER, newer])  # the partner's newest word on it: wrong
    ingest(hub_root)
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(2)])
    ingest(hub_root)
    held, newer_batch = (r["batch_id"] for r in receipts(hub_root)[:2])

    with open_hub(Workspace(hub_root)) as hub:  # the held file, its persons now known
        [rerun] = reprocess(hub, find_candidates(hub.engine, batch_ids=[held]))
    assert rerun.receipt.counts.inserted == 2

    with warehouse(database_url) as engine:
        assert [(r.batch_id, r.row_number, r.record_id) for r in open_quarantine(engine)] == [
            (newer_batch, 2, older[0][0])]
