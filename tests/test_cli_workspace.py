"""`interchange init` and `interchange ingest` as a data steward types them: folders, summary, exit codes.

The ingest commands run the real flow: in this process against the session's Prefect test
server, and once in a subprocess that starts Prefect's temporary server, as on a fresh hub.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy
from conftest import HUB_CONFIG, POSTGRES_URL, write_csv
from typer.testing import CliRunner

from interchange import clock
from interchange.cli import app
from interchange.partner import keys
from interchange.progress import Progress, listening
from interchange.warehouse.address import shown
from interchange.warehouse.engine import schema_revision, warehouse

pytest_plugins = ["prefect_harness"]

runner = CliRunner()
SPC, MIMC = "kretingos-spc", "kretingos-mimc"
ORGS = (SPC, MIMC, "kretingos-dvc", "kretingos-sps")
# The command does the same on either database (tests/test_ingest_flow.py runs the flow on both);
# each run costs a second of Prefect.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def invoke(*args: object) -> object:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def no_hub_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("INTERCHANGE_DATABASE_URL", "INTERCHANGE_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def prefect_cli(prefect_server: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ingest` under the session's Prefect server; the command's Prefect defaults undone afterwards."""
    monkeypatch.delenv("INTERCHANGE_WORKSPACE", raising=False)
    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    monkeypatch.setenv("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")


def drop_persons(root: Path, org: str = SPC) -> None:
    write_csv(root / "inbox" / org / f"{org}.person.csv",
              [["record_id", "birth_year", "sex"], ["P-1", "1960", "male"], ["P-2", "19x7", "female"]])


def drop_unknown_contacts(root: Path) -> None:
    write_csv(root / "inbox" / MIMC / f"{MIMC}.contact.csv",
              [["record_id", "person_record_id", "service_code", "contact_date"],
               ["C-1", "NOBODY", "psychologist_child", clock.today().isoformat()]])


# ---- init ---------------------------------------------------------------------------------------

def test_help_lists_the_workspace_commands_and_the_exit_codes() -> None:
    assert all(command in invoke("--help").output for command in ("init", "ingest"))
    text = " ".join(invoke("ingest", "--help").output.split())  # however the terminal wraps it
    assert "Exit 0: every source ran and nothing is held" in text


def test_init_creates_a_working_workspace_and_refuses_to_overwrite_it(tmp_path: Path, no_hub_env: None) -> None:
    root = tmp_path / "hub"

    made = invoke("init", root)

    assert made.exit_code == 0, made.output
    assert "interchange ingest --workspace" in made.output
    config = (root / "interchange.yaml").read_text(encoding="utf-8")
    assert "kretingos-mimc" in config
    for org in ORGS:
        assert (root / "inbox" / org).is_dir() and (root / "receipts" / org).is_dir()
    with warehouse(f"sqlite:///{root / 'warehouse.sqlite'}", upgrade=False) as engine:
        assert schema_revision(engine) is not None
        assert "batches" in sqlalchemy.inspect(engine).get_table_names()

    (root / "interchange.yaml").write_text(config + "# the steward's own notes\n", encoding="utf-8")
    again = invoke("init", root)
    assert again.exit_code == 2 and "never overwritten" in again.output
    assert (root / "interchange.yaml").read_text(encoding="utf-8").endswith("# the steward's own notes\n")


# ---- workspace and config errors (exit 2, before Prefect starts) ----------------------------------

def test_a_folder_without_a_workspace_exits_2_saying_how_to_find_one(
        tmp_path: Path, no_hub_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    result = invoke("ingest")

    assert result.exit_code == 2
    assert "no interchange.yaml" in result.output and "--workspace" in result.output
    assert "INTERCHANGE_WORKSPACE" in result.output and "Traceback" not in result.output


@sqlite_only
def test_a_broken_config_exits_2_naming_the_key_without_a_traceback(hub_root: Path) -> None:
    config = hub_root / "interchange.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("settle_seconds: 0", "settle_seconds: -5", 1),
                      encoding="utf-8")

    result = invoke("ingest", "--workspace", hub_root)

    assert result.exit_code == 2
    assert "organisations.0.sources.0.settle_seconds" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


# ---- the database: its address, reaching it, one database per workspace (no Prefect) ---------------

def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: bound, then let go."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_database_is_one_line_naming_host_port_and_what_to_check(
        tmp_path: Path, no_hub_env: None) -> None:
    port = closed_port()
    (tmp_path / "interchange.yaml").write_text(
        HUB_CONFIG.replace("sqlite:///warehouse.sqlite", f"postgres://hub@127.0.0.1:{port}/interchange"), "utf-8")

    result = runner.invoke(app, ["status", "--workspace", str(tmp_path)], env={"INTERCHANGE_LANG": "en"})

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"error: cannot reach the warehouse database interchange at 127.0.0.1:{port}: check that PostgreSQL is "
        "running there and accepts connections from this machine (listen_addresses, pg_hba.conf, a firewall), "
        "and that the host and port are right in INTERCHANGE_DATABASE_URL or in database_url of interchange.yaml"]


def test_init_on_an_unreachable_database_says_so_and_can_be_run_again(tmp_path: Path, no_hub_env: None) -> None:
    port = closed_port()
    env = {"INTERCHANGE_DATABASE_URL": f"postgresql://hub:hunter2@127.0.0.1:{port}/interchange",
           "INTERCHANGE_LANG": "en"}

    result = runner.invoke(app, ["init", str(tmp_path / "hub")], env=env)

    assert result.exit_code == 1
    assert result.output.startswith(f"error: cannot reach the warehouse database interchange at 127.0.0.1:{port}: ")
    assert "hunter2" not in result.output
    assert not (tmp_path / "hub" / "interchange.yaml").exists()  # so `init` can simply be run again


@pytest.mark.postgres
def test_a_database_the_server_does_not_have_is_named_with_how_to_make_it(tmp_path: Path, no_hub_env: None) -> None:
    server = sqlalchemy.make_url(POSTGRES_URL)
    (tmp_path / "interchange.yaml").write_text(HUB_CONFIG.replace(
        "sqlite:///warehouse.sqlite", shown(server.set(database="interchange_nowhere"))), "utf-8")

    result = runner.invoke(app, ["status", "--workspace", str(tmp_path), "--lang", "en"])

    assert result.exit_code == 1
    assert result.output == (f"error: the database server at {server.host}:{server.port or 5432} has no database "
                             "interchange_nowhere: create it (createdb interchange_nowhere) or correct its name in "
                             "the URL\n")


@sqlite_only
def test_a_workspace_refuses_another_database_than_its_own_and_moves_only_when_told(
        hub_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    own = os.environ["INTERCHANGE_DATABASE_URL"]
    other = tmp_path / "other.sqlite"
    status = runner.invoke(app, ["status", "--workspace", str(hub_root), "--lang", "en"])
    assert status.output.splitlines()[1] == f"Warehouse: {own}"  # status names the database in use
    monkeypatch.setenv("INTERCHANGE_DATABASE_URL", f"sqlite:///{other}")

    refused = runner.invoke(app, ["status", "--workspace", str(hub_root), "--lang", "en"])

    assert refused.exit_code == 1
    assert refused.output.splitlines() == [
        f"refused: this workspace's warehouse is {own} (recorded in {hub_root / 'warehouse.identity'}), but this "
        f"command would open sqlite:///{other}. Set INTERCHANGE_DATABASE_URL (or database_url) back to it, or, "
        f"to move to sqlite:///{other} deliberately, run: interchange database use --workspace {hub_root}"]
    assert not other.exists()  # nothing was made

    moved = runner.invoke(app, ["database", "use", "--workspace", str(hub_root), "--lang", "en"])

    assert moved.exit_code == 0, moved.output
    assert other.is_file()
    status = runner.invoke(app, ["status", "--workspace", str(hub_root), "--lang", "en"])
    assert status.exit_code == 0 and status.output.splitlines()[1] == f"Warehouse: sqlite:///{other}"
    listing = runner.invoke(app, ["publications", "--workspace", str(hub_root), "--lang", "en"])
    assert listing.output.splitlines()[-1] == f"Warehouse: sqlite:///{other}"  # so does every steward summary


def test_a_workspaces_sqlite_warehouse_that_is_gone_is_not_silently_made_again(
        tmp_path: Path, no_hub_env: None) -> None:
    root = tmp_path / "hub"
    assert runner.invoke(app, ["init", str(root)]).exit_code == 0
    (root / "warehouse.sqlite").unlink()

    refused = runner.invoke(app, ["status", "--workspace", str(root), "--lang", "en"])

    assert refused.exit_code == 1
    assert refused.output.startswith(f"refused: this workspace's warehouse sqlite:///{root / 'warehouse.sqlite'} "
                                     "is missing")
    assert "interchange database use --workspace" in refused.output
    assert not (root / "warehouse.sqlite").exists()


def test_an_unexpected_failure_is_one_line_naming_the_log_that_holds_its_traceback(
        tmp_path: Path, no_hub_env: None) -> None:
    root = tmp_path / "hub"
    assert runner.invoke(app, ["init", str(root)]).exit_code == 0
    # A warehouse file that something else overwrote: SQLite's error is not one of ours.
    (root / "warehouse.sqlite").write_bytes(b"P-1,Jonas Jonaitis,38001010000\n" * 10)
    for leftover in root.glob("warehouse.sqlite-*"):
        leftover.unlink()

    result = runner.invoke(app, ["status", "--workspace", str(root), "--lang", "en"])

    log = root / "logs" / "interchange.log"
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"error: unexpected DatabaseError; its text is not shown here, as it may quote a record. The full "
        f"traceback is in {log}: pass it to the hub's administrator."]
    assert "Traceback (most recent call last)" in log.read_text(encoding="utf-8")
    assert log.stat().st_mode & 0o777 == 0o600


def test_an_unexpected_failure_outside_a_workspace_is_logged_in_the_users_state_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))

    def a_bug(path: Path) -> None:  # a bug in the partner kit: an error no command expects
        raise LookupError(f"key slot for {path}")

    monkeypatch.setattr(keys, "write_new_key", a_bug)
    result = runner.invoke(app, ["keygen", "-o", str(tmp_path / "partner.key"), "--lang", "en"])

    log = tmp_path / "state" / "interchange" / "interchange.log"
    assert result.exit_code == 1
    assert result.output == (f"error: unexpected LookupError; its text is not shown here, as it may quote a "
                             f"record. The full traceback is in {log}: pass it to the hub's administrator.\n")
    assert "Traceback (most recent call last)" in log.read_text(encoding="utf-8")


# ---- ingest through the flow ---------------------------------------------------------------------

@pytest.mark.slow
@sqlite_only
def test_ingest_prints_the_summary_and_exits_0_when_every_source_ran_and_nothing_is_held(
        hub_root: Path, prefect_cli: None) -> None:
    drop_persons(hub_root)

    result = invoke("ingest", "--workspace", hub_root)

    assert result.exit_code == 0, result.output
    assert "Batches: 1; rows loaded: 1, unchanged: 0, quarantined: 1, batches held: 0" in result.output
    assert f"{SPC} batch 1 {SPC}.person.csv: loaded, read 2" in result.output
    assert f"Receipts: {hub_root.resolve() / 'receipts'}/<org>/" in result.output
    assert len(list((hub_root / "receipts" / SPC).glob("*.json"))) == 1


@pytest.mark.slow
@sqlite_only
def test_ingest_speaks_lithuanian_and_its_flow_reports_progress_to_the_command(
        hub_root: Path, prefect_cli: None) -> None:
    drop_persons(hub_root)
    drop_persons(hub_root, MIMC)
    heard: list[Progress] = []

    with listening(heard.append):  # what the command's progress bars are drawn from, through Prefect's tasks
        result = invoke("ingest", "--workspace", hub_root, "--lang", "lt")

    assert result.exit_code == 0, result.output
    assert "Paketų: 2; įkelta eilučių: 2, nepakeista: 0, karantine: 2, sulaikyta paketų: 0" in result.output
    assert f"{SPC} paketas 1 {SPC}.person.csv: įkeltas; perskaityta 2, įkelta 1" in result.output
    assert f"Kvitai: {hub_root.resolve() / 'receipts'}/<organizacija>/" in result.output
    sources = [(e.detail, e.done) for e in heard if e.stage == "ingest.source"]
    assert sources == [(f"{SPC}/inbox", 0), (f"{SPC}/inbox", 1), (f"{MIMC}/inbox", 0), (f"{MIMC}/inbox", 1)]
    assert [(e.detail, e.done, e.total) for e in heard if e.stage == "ingest.drops"] == [
        (f"{SPC}/inbox", 0, 1), (f"{SPC}/inbox", 1, 1), (f"{MIMC}/inbox", 0, 1), (f"{MIMC}/inbox", 1, 1)]


@pytest.mark.slow
@sqlite_only
def test_ingest_exits_1_when_a_batch_is_held(hub_root: Path, prefect_cli: None) -> None:
    drop_persons(hub_root)
    drop_unknown_contacts(hub_root)

    result = invoke("ingest", "--workspace", hub_root)

    assert result.exit_code == 1, result.output
    assert "batches held: 1" in result.output
    assert f"{MIMC} batch 2 {MIMC}.contact.csv: held" in result.output


@pytest.mark.slow
@sqlite_only
def test_ingest_of_one_organisation_leaves_the_others_drops_for_their_run(hub_root: Path, prefect_cli: None) -> None:
    drop_persons(hub_root)
    drop_persons(hub_root, MIMC)

    result = invoke("ingest", "--workspace", hub_root, "--org", SPC.upper())

    assert result.exit_code == 0, result.output
    assert "Batches: 1;" in result.output
    assert f"{SPC} batch 1 {SPC}.person.csv: loaded" in result.output
    assert MIMC not in result.output
    assert (hub_root / "inbox" / MIMC / f"{MIMC}.person.csv").exists()
    assert not (hub_root / "receipts" / MIMC).exists() or not list((hub_root / "receipts" / MIMC).glob("*.json"))


def test_ingest_of_an_organisation_the_workspace_does_not_name_is_refused_before_anything_runs(
        hub_root: Path) -> None:
    drop_persons(hub_root)

    result = invoke("ingest", "--workspace", hub_root, "--org", SPC, "--org", "kretingos-sp", "--lang", "en")

    assert result.exit_code == 2
    assert f"interchange.yaml names no organisation kretingos-sp (it names: {SPC}, {MIMC}" in result.output
    assert (hub_root / "inbox" / SPC / f"{SPC}.person.csv").exists()


@pytest.mark.slow
@sqlite_only
def test_ingest_exits_1_when_a_source_fails(
        hub_root: Path, prefect_cli: None, monkeypatch: pytest.MonkeyPatch) -> None:
    config = hub_root / "interchange.yaml"
    config.write_text(config.read_text(encoding="utf-8") + """\
  - code: kretingos-dvc
    name: Kretingos dienos veiklos centras
    municipality: LT-22
    sources:
      - type: http
        base_url: http://127.0.0.1:9/api/v1
        kinds: [person]
        token_env: INTERCHANGE_TEST_UNSET_TOKEN
""", encoding="utf-8")
    monkeypatch.delenv("INTERCHANGE_TEST_UNSET_TOKEN", raising=False)
    drop_persons(hub_root)

    result = invoke("ingest", "--workspace", hub_root)

    assert result.exit_code == 1, result.output
    assert "FAILED kretingos-dvc/http:api: http.token_missing" in result.output
    assert f"{SPC} batch 1 {SPC}.person.csv: loaded" in result.output


@pytest.mark.slow
@sqlite_only
def test_ingest_exits_1_when_the_warehouse_cannot_be_reached(
        hub_root: Path, prefect_cli: None, monkeypatch: pytest.MonkeyPatch) -> None:
    port = closed_port()
    monkeypatch.setenv("INTERCHANGE_DATABASE_URL", f"postgresql+psycopg://hub@127.0.0.1:{port}/interchange")
    (hub_root / "warehouse.identity").unlink()  # as a hub from before the record: the first use records it
    drop_persons(hub_root)

    result = invoke("ingest", "--workspace", hub_root)

    assert result.exit_code == 1, result.output
    assert "Batches: 0;" in result.output
    assert f"FAILED ingest: cannot reach the warehouse database interchange at 127.0.0.1:{port}: " in result.output
    assert (hub_root / "inbox" / SPC / f"{SPC}.person.csv").exists()  # left for the next run


@pytest.mark.slow
@sqlite_only
def test_ingest_finds_the_workspace_in_the_environment_then_in_the_current_folder(
        hub_root: Path, tmp_path: Path, prefect_cli: None, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    drop_persons(hub_root)
    monkeypatch.setenv("INTERCHANGE_WORKSPACE", str(hub_root))

    from_env = invoke("ingest")

    assert from_env.exit_code == 0, from_env.output
    assert f"{SPC}.person.csv: loaded" in from_env.output
    drop_persons(hub_root, MIMC)
    monkeypatch.delenv("INTERCHANGE_WORKSPACE")
    monkeypatch.chdir(hub_root)

    from_cwd = invoke("ingest")

    assert from_cwd.exit_code == 0, from_cwd.output
    assert f"{MIMC}.person.csv: loaded" in from_cwd.output


@pytest.mark.slow
def test_init_then_ingest_on_prefects_temporary_server_as_on_a_fresh_hub(tmp_path: Path, no_hub_env: None) -> None:
    """The commands of the README, in a subprocess: no PREFECT_API_URL, a fresh Prefect home."""
    root = tmp_path / "hub"
    command = Path(sys.executable).with_name("interchange")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PREFECT_", "INTERCHANGE_"))}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    subprocess.run([command, "init", root], check=True, capture_output=True, env=env)
    drop_persons(root)
    past = time.time() - 60  # the example config waits 5 s for a file to settle
    os.utime(root / "inbox" / SPC / f"{SPC}.person.csv", (past, past))

    result = subprocess.run([command, "ingest", "--workspace", root], capture_output=True, text=True, env=env,
                            timeout=180)

    assert result.returncode == 0, result.stderr
    assert f"{SPC} batch 1 {SPC}.person.csv: loaded, read 2, loaded 1" in result.stdout
    assert "temporary local Prefect server" in result.stderr
    # Prefect's own chatter stays off the console; warnings and errors would still show.
    assert "Traceback" not in result.stderr and " INFO " not in result.stderr
    assert "━" not in result.stderr and "\x1b[" not in result.stderr  # not a terminal: no progress bar
