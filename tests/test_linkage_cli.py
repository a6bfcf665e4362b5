"""`interchange link` and `interchange review` as a data steward types them, and the `link` flow's artifacts.

The review commands need no Prefect; `link` runs the real flow (with the real matching
model) under the session's Prefect test server. SQLite only: the index itself is tested on
both databases in tests/test_linkage_index.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from drop_kit import MIMC, PERSON_HEADER, SPC, drop, ingest, pseudonym
from flow_runs import run_artifacts, run_logs
from sqlalchemy import select
from typer.testing import CliRunner

from interchange import clock
from interchange.cli import app, flows_module
from interchange.linkage.index import link_persons
from interchange.linkage.pairs import PAIR_COLUMNS, pseudonym_pairs
from interchange.linkage.review import Decision, load_decisions
from interchange.progress import Progress, listening
from interchange.warehouse.engine import warehouse
from interchange.warehouse.tables import linkage_runs, person_links, review_pairs
from interchange.workspace.layout import Workspace

pytest_plugins = ["prefect_harness"]

runner = CliRunner()
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
RECORD_IDS = ("SPC-P-0001", "SPC-P-0002", "MIMC-P-0001")


@pytest.fixture
def link_command(prefect_server: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """`interchange link` runs its flow on the session's Prefect test server, warnings only on the console."""
    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    monkeypatch.setenv("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")


def invoke(*args: object) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def send_three_persons(root: Path) -> None:
    """Two SPC persons, one of them also known to MIMC (the same pseudonym)."""
    drop(root, "a.person.csv", [PERSON_HEADER, ["SPC-P-0001", pseudonym("ona"), "1980", "moteris", "LT-22"],
                                ["SPC-P-0002", pseudonym("jonas"), "1975", "vyras", "LT-22"]], org=SPC)
    drop(root, "b.person.csv", [PERSON_HEADER, ["MIMC-P-0001", pseudonym("ona"), "1980", "moteris", "LT-22"]],
         org=MIMC)
    ingest(root)


def link_with_one_uncertain_pair(root: Path) -> None:
    def score(records: pd.DataFrame) -> pd.DataFrame:
        rows = [tuple(r) for r in pseudonym_pairs(records).itertuples(index=False)]
        rows.append((f"{SPC}:SPC-P-0001", f"{SPC}:SPC-P-0002", 0.72, 1.4, "model"))
        return pd.DataFrame(rows, columns=list(PAIR_COLUMNS))

    with warehouse(Workspace(root).database_url) as engine:
        link_persons(engine, scorer=score)


@sqlite_only
def test_review_list_shows_pair_ids_uids_probability_and_agreements(hub_root: Path) -> None:
    send_three_persons(hub_root)
    link_with_one_uncertain_pair(hub_root)
    result = invoke("review", "list", "--workspace", hub_root)
    assert result.exit_code == 0, result.output
    assert "1 pairs await review" in result.output
    line = next(x for x in result.output.splitlines() if "p=0.720" in x)
    assert f"{SPC}:SPC-P-0001" in line and f"{SPC}:SPC-P-0002" in line
    assert "municipality=agree" in line and "sex=disagree" in line
    assert pseudonym("ona") not in result.output
    assert "and 1 more (--limit)" in invoke("review", "list", "--limit", 0, "--workspace", hub_root).output


@sqlite_only
def test_review_decide_records_the_decision_and_the_queue_empties(hub_root: Path) -> None:
    send_three_persons(hub_root)
    link_with_one_uncertain_pair(hub_root)
    with warehouse(Workspace(hub_root).database_url) as engine:
        with engine.connect() as connection:
            [pair_id] = connection.execute(select(review_pairs.c.pair_id)).scalars().all()
        result = invoke("review", "decide", pair_id, "different", "--note", "different birth years", "--by", "ona.s",
                        "--workspace", hub_root)
        assert result.exit_code == 0, result.output
        with engine.connect() as connection:
            row = connection.execute(select(review_pairs)).mappings().one()
    assert (row["status"], row["decision"], row["decided_by"], row["note"]) == (
        "decided", "different", "ona.s", "different birth years")
    assert "No pairs await review." in invoke("review", "list", "--workspace", hub_root).output


@sqlite_only
def test_re_deciding_a_pair_needs_change_and_a_reason_and_every_decision_is_kept(hub_root: Path) -> None:
    send_three_persons(hub_root)
    link_with_one_uncertain_pair(hub_root)
    with warehouse(Workspace(hub_root).database_url) as engine, engine.connect() as connection:
        [pair_id] = connection.execute(select(review_pairs.c.pair_id)).scalars().all()

    def decide(*more: object) -> Any:
        return invoke("review", "decide", pair_id, *more, "--workspace", hub_root, "--lang", "en")

    assert decide("different", "--note", "different birth years", "--by", "ona.s").exit_code == 0
    when = clock.now().strftime("%Y-%m-%d")

    again = decide("same", "--by", "jonas.p")
    assert again.exit_code == 1
    assert again.output.startswith(f"refused: pair {pair_id} was already decided different by ona.s on {when} ")
    assert again.output.rstrip().endswith('UTC. To change the decision, give --change and --reason "..."')
    assert decide("same", "--change").exit_code == 1  # a change says why
    assert "say why the decision changes (--reason)" in decide("same", "--change").output
    unchanged = decide("different", "--by", "jonas.p")
    assert unchanged.exit_code == 0 and f"pair {pair_id} is already decided different (by ona.s" in unchanged.output

    changed = decide("same", "--change", "--reason", "the partner corrected the birth year", "--by", "jonas.p")
    assert changed.exit_code == 0, changed.output
    assert f"pair {pair_id} ({SPC}:SPC-P-0001, {SPC}:SPC-P-0002): different changed to same" in changed.output

    with warehouse(Workspace(hub_root).database_url) as engine, engine.connect() as connection:
        current = connection.execute(select(review_pairs)).mappings().one()
        assert load_decisions(connection) == {(f"{SPC}:SPC-P-0001", f"{SPC}:SPC-P-0002"): (pair_id, Decision.SAME)}
    assert (current["decision"], current["decided_by"], current["note"]) == (
        "same", "jonas.p", "the partner corrected the birth year")  # what the next linkage run reads
    history = invoke("review", "history", pair_id, "--workspace", hub_root, "--lang", "en")
    assert history.exit_code == 0, history.output
    lines = [line.split(None, 7) for line in history.output.splitlines() if line.startswith(f"  {pair_id:<4} ")]
    assert [(x[3], x[4], x[6], x[7]) for x in lines] == [
        ("different", when, "ona.s", "different birth years"),
        ("same", when, "jonas.p", "the partner corrected the birth year  different")]


@sqlite_only
def test_review_decide_refuses_an_unknown_pair_or_record_with_exit_2(hub_root: Path) -> None:
    send_three_persons(hub_root)
    result = invoke("review", "decide", 999, "same", "--workspace", hub_root)
    assert result.exit_code == 2 and "no pair 999" in result.output
    result = invoke("review", "decide-records", f"{SPC}:SPC-P-0001", f"{SPC}:NOBODY", "same", "--workspace", hub_root)
    assert result.exit_code == 2 and f"no person record {SPC}:NOBODY" in result.output
    result = invoke("review", "decide", 1, "maybe", "--workspace", hub_root)
    assert result.exit_code == 2


@sqlite_only
def test_review_decide_records_cuts_a_link_at_the_next_link_run(hub_root: Path) -> None:
    send_three_persons(hub_root)
    link_with_one_uncertain_pair(hub_root)
    result = invoke("review", "decide-records", f"{MIMC}:MIMC-P-0001", f"{SPC}:SPC-P-0001", "different",
                    "--workspace", hub_root)
    assert result.exit_code == 0, result.output
    link_with_one_uncertain_pair(hub_root)
    with warehouse(Workspace(hub_root).database_url) as engine, engine.connect() as connection:
        keys = {r.record_id: r.person_key for r in connection.execute(select(person_links))}
    assert keys["SPC-P-0001"] != keys["MIMC-P-0001"]


@pytest.mark.slow
@sqlite_only
def test_link_runs_the_flow_prints_counts_and_publishes_artifacts_without_records(
        hub_root: Path, link_command: None) -> None:
    send_three_persons(hub_root)
    heard: list[Progress] = []
    with listening(heard.append):  # what the command's progress bar is drawn from
        result = invoke("link", "--workspace", hub_root, "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "3 person records -> 2 persons" in result.output
    # Three records are too few to estimate the household guard: a shared address does not count.
    assert "counts for at most a match probability of 0.000 (estimated from the data" in result.output
    assert [(e.stage, e.done, e.detail) for e in heard] == [
        ("link.stages", 0, "load"), ("link.stages", 1, "score"), ("link.stages", 2, "write"),
        ("link.stages", 3, "write")]
    with warehouse(Workspace(hub_root).database_url) as engine, engine.connect() as connection:
        assert connection.execute(select(linkage_runs.c.scorer, linkage_runs.c.household_share)).all() == [
            ("model", 0.0)]

    module = flows_module("link")
    state = module.link(str(hub_root), return_state=True)
    assert state.is_completed()
    summary = state.result()
    assert (summary.persons, summary.new_persons, summary.merges, summary.splits) == (2, 0, 0, 0)
    assert summary.household_share == 0.0
    found = run_artifacts(state)
    assert set(found) == {module.TABLE_KEY, module.ATTENTION_KEY}
    assert '"household_guard_share": 0.0' in found[module.TABLE_KEY].data
    # The steward watching the run in the Prefect UI sees the linkage's own lines too.
    log = run_logs(state)
    assert "interchange.linkage.index: linkage run 2: 3 person records -> 2 persons" in log
    assert "interchange.linkage.model: household guard: pairs at one address sharing a surname" in log
    stored = json.dumps([a.data for a in found.values()]) + (state.message or "") + log
    for value in (*RECORD_IDS, pseudonym("ona"), "p-"):
        assert value not in stored


@pytest.mark.slow
@pytest.mark.spark
@sqlite_only
def test_link_scores_on_spark_when_the_workspace_names_a_spark_master(
        hub_root: Path, link_command: None) -> None:
    config = hub_root / "interchange.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "linkage:\n  spark_master: local[1]\n  spark_config:\n"
                      "    spark.ui.enabled: 'false'\n", encoding="utf-8")
    send_three_persons(hub_root)
    result = invoke("link", "--workspace", hub_root, "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "3 person records -> 2 persons" in result.output
    with warehouse(Workspace(hub_root).database_url) as engine, engine.connect() as connection:
        assert connection.execute(select(linkage_runs.c.scorer)).scalars().all() == ["model-spark"]


@pytest.mark.slow
@sqlite_only
def test_link_without_pyspark_tells_the_steward_what_to_install(
        hub_root: Path, link_command: None, monkeypatch: pytest.MonkeyPatch) -> None:
    config = hub_root / "interchange.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "linkage:\n  spark_master: local[1]\n", encoding="utf-8")
    send_three_persons(hub_root)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # as on a hub installed without the spark extra
    result = invoke("link", "--workspace", hub_root, "--lang", "en")
    assert result.exit_code == 1
    assert ("linkage failed, nothing changed: linkage.spark_master is set but PySpark is not installed: "
            "pip install 'interchange[spark]' (and Java 17)") in result.output
    with warehouse(Workspace(hub_root).database_url) as engine, engine.connect() as connection:
        assert connection.execute(select(linkage_runs.c.run_id)).all() == []


def test_thresholds_come_from_interchange_yaml_and_must_be_in_order() -> None:
    from conftest import HUB_CONFIG

    from interchange.workspace.config import ConfigError, parse_config

    assert (parse_config(HUB_CONFIG).linkage.lower, parse_config(HUB_CONFIG).linkage.upper) == (0.5, 0.95)
    assert parse_config(HUB_CONFIG + "linkage:\n  upper: 0.9\n  lower: 0.6\n").linkage.upper == 0.9
    with pytest.raises(ConfigError, match=r"linkage.upper: upper \(0.4\) is below lower \(0.6\)"):
        parse_config(HUB_CONFIG + "linkage:\n  upper: 0.4\n  lower: 0.6\n")
    assert parse_config(HUB_CONFIG).linkage.spark_master is None  # DuckDB unless asked
    with pytest.raises(ConfigError, match=r"linkage.spark_config"):
        parse_config(HUB_CONFIG + "linkage:\n  spark_master: local[2]\n  spark_config: [a, b]\n")
    with pytest.raises(ConfigError, match=r"linkage.spark_master: 'sprak://hub:7077' is not a Spark master URL"):
        parse_config(HUB_CONFIG + "linkage:\n  spark_master: sprak://hub:7077\n")


@pytest.mark.slow
@sqlite_only
def test_link_exits_1_naming_host_and_port_when_the_warehouse_cannot_be_reached(
        hub_root: Path, link_command: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERCHANGE_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/nowhere")
    (hub_root / "warehouse.identity").unlink()  # as a hub from before the record: the first use records it
    result = invoke("link", "--workspace", hub_root, "--lang", "en")
    assert result.exit_code == 1
    assert ("linkage failed, nothing changed: cannot reach the warehouse database nowhere at 127.0.0.1:1: "
            "check that PostgreSQL is running there") in result.output
    lithuanian = invoke("link", "--workspace", hub_root, "--lang", "lt")
    assert lithuanian.exit_code == 1
    assert ("susiejimas nepavyko, niekas nepakeista: nepavyksta prisijungti prie sandėlio duomenų bazės nowhere "
            "adresu 127.0.0.1:1") in lithuanian.output
