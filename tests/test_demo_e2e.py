"""`interchange demo` end to end through Prefect: what a new user sees is what the generator says is true.

One run of the README's main command on the session's Prefect test server; then every
claim it makes is checked again from the outside, against the ground-truth file it wrote:
the ministry's exported totals (and, where a total is suppressed, the hub's own value),
every receipt the partners get, the warehouse's batch bookkeeping, the linked figures of
every period the truth knows, and the Prefect runs that did the work.

The run speaks Lithuanian (--lang lt) and is pinned to one day (--as-of AS_OF), on which the
model leaves pairs for the steward to review; the English lines are checked on the demo's
pure renderers with fixed inputs, so the demo runs once. tests/test_demo_calendar.py runs
the same path without Prefect on days over two years.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import indicators_reference
import pandas as pd
import pytest
import sqlalchemy
from disclosure_reader import narrowed_in_exports
from typer.testing import CliRunner

from interchange.cli import app
from interchange.contract.receipt import BatchStatus, Receipt
from interchange.demo.scenario import PROGRAMME_CODE, PROGRAMME_ORGS
from interchange.demo.synthetic import TRUTH_FILE
from interchange.indicators.catalogue import load_catalogue
from interchange.indicators.compute import compute_indicators
from interchange.indicators.periods import Period
from interchange.indicators.publications import list_publications, publication_cells_frame
from interchange.warehouse.engine import warehouse
from interchange.warehouse.tables import batches

# Not marked `dates`: the run pins its own day (--as-of, clock.pinned in every thread), so the
# moved-clock pass of `make test` would play the same demo again; tests/test_demo_calendar.py moves its day.
pytest_plugins = ["prefect_harness"]
EXPORTS = ("cells.csv", "cells.json", "cells.xlsx", "metadata.json")
AS_OF = date(2026, 12, 3)  # the day the demo first failed: two pairs to review, both one person


@pytest.fixture(scope="module")
def demo(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    directory = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(app, ["demo", "--dir", str(directory), "--lang", "lt", "--as-of", AS_OF.isoformat()])
    truth = json.loads((directory / TRUTH_FILE).read_text(encoding="utf-8"))
    return {"dir": directory, "hub": directory / "hub", "result": result, "truth": truth}


@pytest.fixture(scope="module")
def engine(demo: dict[str, Any]) -> Any:
    with warehouse(f"sqlite:///{demo['hub'] / 'warehouse.sqlite'}") as engine:
        yield engine


def same(expected: float | None, found: float | None) -> bool:
    if expected is None or found is None:
        return expected is None and found is None
    return abs(expected - found) <= 1e-3


def exported_totals(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return {row["indicator"]: row for row in csv.DictReader(stream) if row["breakdown"] == "total"}


@pytest.mark.slow
def test_demo_passes_and_says_where_everything_is(demo: dict[str, Any]) -> None:
    result = demo["result"]
    assert result.exit_code == 0, result.output
    output = result.output
    for step in range(1, 9):
        assert f"\n{step}. " in output
    assert output.splitlines()[-1].startswith("Demonstracija pavyko: kiekviena eilutė apskaityta")
    hub = demo["hub"]
    for where in (demo["dir"] / "partner" / "kretinga.key", hub / "receipts", hub / "outbox" / "ministry"):
        assert str(where) in output
    lines = output.splitlines()
    assert "3. Kvitai: paketų 15, kiekvienam – kvitas partneriui" in lines
    assert any(line.startswith("   Paketų: 15; įkelta eilučių: ") for line in lines)  # interchange ingest's totals
    assert any(line.startswith("      sulaikė patikrinimas ") for line in lines)  # the planted held batch
    assert sum(line.split()[:2] == ["susiejimas", "įvykdyta"] for line in lines) == 2  # before and after review
    # The steward's review, between the two links: the queue as `interchange review list` shows it, each
    # pair decided as the truth says, and the workload.
    review = lines.index("4. Duomenų prižiūrėtojas peržiūri abejotinas poras („interchange review list“); "
                         "prižiūrėtoją, pažįstantį šeimas, čia vaidina generatoriaus tikrieji duomenys")
    assert lines[review + 1].startswith("   Peržiūros laukiančių porų: 2 (sprendimas: interchange review decide")
    assert lines[review + 4:review + 6] == [
        "   pora 1: same (tikrieji duomenys: vienas asmuo) → interchange review decide 1 same",
        "   pora 2: same (tikrieji duomenys: vienas asmuo) → interchange review decide 2 same"]
    assert lines[review + 6].startswith("   peržiūros darbas: modelis pats susiejo asmenų ")
    assert lines[review + 6].endswith("žmogaus sprendimo reikėjo porų 2, prižiūrėtojas nusprendė: tas pats 2, "
                                      "skirtingi 0")
    assert lines.index("5. Duomenų prižiūrėtojas patvirtina publikacijas („interchange approve“): eksportai "
                       "ministerijai") > review
    assert any(line.startswith("   publikacija") and "(patvirtinta) →" in line for line in lines)
    assert "8. Kur kas yra:" in lines
    assert f"„.venv/bin/interchange serve -w {hub}“ ir http://127.0.0.1:8000/" in output  # its results in a browser
    assert output.splitlines()[0].startswith("Interchange demonstracija, tarsi šiandien būtų 2026-12-03: "
                                             "Kretingos partnerių metai 2025-12-03 – 2026-12-02")
    for english in ("Partners:", "Receipts:", "Where everything is", "rows loaded", "MISMATCH", " ran "):
        assert english not in output
    assert "splink" not in output  # library chatter stays out of the user's screen
    assert not list(hub.rglob(TRUTH_FILE))  # the truth is the generator's, never inside the hub's workspace


@pytest.mark.slow
def test_the_ministrys_exports_hold_the_true_figures(demo: dict[str, Any], engine: Any) -> None:
    approved = [p for p in list_publications(engine) if p.state.value == "approved"]
    periods = {p.period for p in approved}
    assert PROGRAMME_CODE in periods and any("-Q" in p for p in periods)
    checked = suppressed = 0
    for publication in approved:
        folder = demo["hub"] / "outbox" / "ministry" / publication.period / f"v{publication.version}"
        assert sorted(p.name for p in folder.iterdir()) == sorted(EXPORTS)
        assert (folder / "cells.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads Lithuanian letters
        assert json.loads((folder / "metadata.json").read_text(encoding="utf-8"))["approved_by"]
        exported = exported_totals(folder / "cells.csv")
        cells = publication_cells_frame(engine, publication.period, publication.version)
        hub = cells[cells["breakdown"] == "total"].set_index("indicator")["value"]
        expected = demo["truth"]["figures_by_period"][publication.period]
        for code, value in expected.items():
            if code in ("start", "end"):
                continue
            row = exported[code]
            if row["suppressed"] == "true":  # hidden from the ministry; the hub still holds the true figure
                assert row["value"] == "" and row["reason"] == "suppressed", code
                found = None if hub[code] != hub[code] else float(hub[code])
                suppressed += 1
            else:
                found = float(row["value"]) if row["value"] else None
            assert same(value, found), (publication.period, code, value, found)
            checked += 1
    assert checked > 60 and 0 < suppressed < checked / 4


@pytest.mark.slow
def test_a_reader_who_knows_the_rules_cannot_narrow_a_suppressed_cell_of_the_exports(
        demo: dict[str, Any], engine: Any) -> None:
    # Issue 16, case 1: the reader has cells.csv and the catalogue's definitions, nothing else.
    assert narrowed_in_exports(demo["hub"], engine) == []


@pytest.mark.slow
def test_every_receipt_says_what_happened_to_its_file(demo: dict[str, Any]) -> None:
    receipts = {(r.org, r.file_name): r for r in (
        Receipt.model_validate_json(p.read_text(encoding="utf-8"))
        for p in (demo["hub"] / "receipts").glob("*/*.json"))}
    files = demo["truth"]["files"]
    assert len(receipts) == len(files) == 15
    for file in files:
        receipt, hub = receipts[(file["org"], file["drop"])], file["hub"]
        assert receipt.counts.rows_read == hub["rows_read"], file["drop"]
        assert receipt.counts.loaded == hub["loaded"], file["drop"]
        assert receipt.counts.quarantined == hub["quarantined"], file["drop"]
        assert receipt.held is hub["held"], file["drop"]
        rows = sorted({p.row for p in receipt.problems if p.severity == "error" and p.row})
        assert rows == (file["bad_rows"] if hub["quarantined"] else []), file["drop"]
        if hub["held"]:
            assert hub["held_by"] in {e.code for e in receipt.expectations if not e.success}
        assert (receipt.counts.loaded + receipt.counts.unchanged + receipt.counts.quarantined
                + receipt.counts.held == receipt.counts.rows_read)
    assert sum(r.held for r in receipts.values()) == 1
    assert sum(bool(r.counts.quarantined) for r in receipts.values()) == 1


@pytest.mark.slow
def test_every_batch_accounts_for_every_row_it_read(engine: Any) -> None:
    with engine.connect() as connection:
        rows = connection.execute(sqlalchemy.select(batches)).mappings().all()
    assert len(rows) == 15
    for row in rows:
        loaded = row["rows_inserted"] + row["rows_updated"] + row["rows_deleted"]
        if row["status"] == BatchStatus.HELD:
            assert (loaded, row["rows_held"]) == (0, row["rows_read"]), row["batch_id"]
        else:
            assert row["status"] == BatchStatus.LOADED, row["batch_id"]
            assert row["rows_read"] == loaded + row["rows_unchanged"] + row["rows_quarantined"], row["batch_id"]


@pytest.mark.slow
def test_the_linked_warehouse_counts_every_period_as_the_truth_does(demo: dict[str, Any], engine: Any) -> None:
    catalogue = load_catalogue()
    for label, expected in demo["truth"]["figures_by_period"].items():
        period = Period(label, date.fromisoformat(expected["start"]), date.fromisoformat(expected["end"]),
                        "quarter" if "-Q" in label else "programme")
        orgs = list(PROGRAMME_ORGS) if label == PROGRAMME_CODE else None
        cells = compute_indicators(engine, catalogue, period, orgs=orgs)
        totals = cells[cells["breakdown"] == "total"].set_index("indicator")["value"].to_dict()
        wrong = {code: (value, totals.get(code)) for code, value in expected.items()
                 if code not in ("start", "end")
                 and not same(value, None if totals.get(code) != totals.get(code) else totals.get(code))}
        assert wrong == {}, label


@pytest.mark.slow
def test_the_columnar_computation_gives_the_demo_the_cells_of_the_one_before(demo: dict[str, Any],
                                                                              engine: Any) -> None:
    catalogue = load_catalogue()
    for label, expected in demo["truth"]["figures_by_period"].items():
        period = Period(label, date.fromisoformat(expected["start"]), date.fromisoformat(expected["end"]),
                        "quarter" if "-Q" in label else "programme")
        orgs = list(PROGRAMME_ORGS) if label == PROGRAMME_CODE else None
        pd.testing.assert_frame_equal(
            compute_indicators(engine, catalogue, period, orgs=orgs, consent="totals_only"),
            indicators_reference.compute_indicators(engine, catalogue, period, orgs=orgs, consent="totals_only"),
            check_exact=True)


@pytest.mark.slow
def test_prefect_ran_ingest_link_and_both_publications(demo: dict[str, Any]) -> None:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        flows = {flow.id: flow.name for flow in client.read_flows()}
        runs = [r for r in client.read_flow_runs(limit=200)
                if r.parameters.get("workspace") == str(demo["hub"])]
    done = sorted((flows[r.flow_id], r.state.name) for r in runs)
    # ingest → link; the steward's review; ingest (nothing new) → link → both publications
    assert done == [("ingest", "Completed"), ("ingest", "Completed"), ("link", "Completed"), ("link", "Completed"),
                    ("pipeline", "Completed"), ("pipeline", "Completed"), ("publish", "Completed"),
                    ("publish", "Completed")]


@pytest.mark.slow
def test_the_demos_own_check_catches_figures_that_are_not_the_truth(
        demo: dict[str, Any], engine: Any, tmp_path: Path) -> None:
    # What makes `interchange demo` exit 1: the same publications against another seed's truth.
    from interchange.demo.run import check_publication
    from interchange.demo.scenario import default_period
    from interchange.demo.synthetic import generate_demo_data

    period = default_period(AS_OF)
    same_truth = generate_demo_data(tmp_path / "same", period=period)
    other_truth = generate_demo_data(tmp_path / "other", seed=7, period=period)
    for publication in (p for p in list_publications(engine) if p.state.value == "approved"):
        assert check_publication(engine, same_truth, publication, []).wrong == {}
        wrong = check_publication(engine, other_truth, publication, []).wrong
        assert {"persons_served", "multi_org_persons"} <= wrong.keys(), publication.period


def test_the_demos_lines_in_english_are_the_catalogues() -> None:
    # The run above speaks Lithuanian; the same renderers in English, on fixed figures.
    from types import SimpleNamespace

    import pandas as pd

    from interchange.demo.run import (
        Published,
        render_heading,
        render_hub_steps,
        render_progress_table,
        render_totals,
        render_where,
    )
    from interchange.demo.run import _Step as Step

    assert render_heading(1, "en", files=15, persons=993) == (
        "\n1. Partners: 15 raw extracts of 993 synthetic persons (codes, names, addresses) → pseudonymised drops")
    assert render_heading(3, "en", count=15) == "\n3. Receipts: 15 batches, one receipt each for the partners"
    assert render_heading(8, "en") == "\n8. Where everything is:"
    assert render_heading(1, "lt", files=15, persons=993).startswith("\n1. Partneriai: pradinių išrašų 15")
    steps = [Step("ingest", "ran", "15 batches"), Step("publish", "failed", "no linkage run")]
    assert render_hub_steps(steps, "en").splitlines() == ["   ingest   ran     15 batches",
                                                          "   publish  failed  no linkage run"]
    assert render_hub_steps(steps, "lt").splitlines()[1] == "   publikavimas  nepavyko  no linkage run"
    where = render_where([("key", {"path": "/d/partner/kretinga.key"}),
                          ("quarantine", {"rows": 3, "root": "/d/hub"})], "en").splitlines()
    assert where == ["   partner key  /d/partner/kretinga.key  (stays with the partners; the hub never sees it; "
                     "derived from the seed in the demo so that its drops can be reproduced – a real key: "
                     "interchange keygen)",
                     "   quarantine   3 rows in the warehouse table `quarantine` (row numbers in the receipts); "
                     "`interchange status -w /d/hub`"]
    period = SimpleNamespace(period="2026-Q3")
    assert render_totals(Published(period, [], equal=32, suppressed=2, wrong={}), "en") == (
        "   2026-Q3: 32 totals equal the true figures; 2 suppressed for the ministry (small counts), their hub "
        "values equal the true figures")
    wrong = Published(period, [], equal=31, suppressed=2, wrong={"persons_served": (10.0, 12.0)})
    assert render_totals(wrong, "en") == "   MISMATCH 2026-Q3: persons_served true 10.0, found 12.0"
    assert render_totals(wrong, "lt") == "   NESUTAMPA 2026-Q3: persons_served tikroji 10.0, rasta 12.0"
    table = pd.DataFrame([("KP-1", "2026", "persons_served", None, "persons", "", "", 120.0, 200.0, 0.6),
                          ("KP-1", "2026", "sessions", "day_activity", "sessions", "", "", 50.0, 0.0, float("nan"))],
                         columns=["programme", "period", "indicator", "service", "figure", "name_lt", "name_en",
                                  "value", "target", "share"])
    assert render_progress_table(table, "en").splitlines() == [
        "Programme KP-1 (2026)",
        "service       figure    value  target  achieved",
        "(programme)   persons     120     200       60%",
        "day_activity  sessions     50       0         –"]
    assert render_progress_table(table, "lt").splitlines()[:2] == [
        "Programa KP-1 (2026)", "paslauga      matas     reikšmė  tikslas  pasiekta"]
