"""Secrets in errors (issue 16, case 5): a database password never reaches a screen, a log or Prefect.

A URL whose password holds an unescaped '@' is read by SQLAlchemy and libpq as a shorter password
and a host made of the rest, which the driver then prints ("failed to resolve host 'tPW-Zq9@...'").
The hub refuses such a URL wherever it comes from, showing it with the password masked and how
to write it; and every error text passes through interchange.errors.mask_secrets. Each test
searches everything a steward, a log file or the Prefect database gets for every piece of the
password.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from conftest import HUB_CONFIG
from flow_runs import run_logs, run_task_runs
from prefect_harness import on_prefect
from typer.testing import CliRunner

from interchange.cli import app
from interchange.commands.common import flows_module
from interchange.errors import mask_secrets, remember_secret
from interchange.warehouse.address import DatabaseUrlAmbiguous, normal_url, shown
from interchange.workspace.config import ConfigError, parse_config
from interchange.workspace.init import init_workspace

pytest_plugins = ["prefect_harness"]

PASSWORD = "S3cr@tPW-Zq9"
# The password, as a URL escapes it, and the two pieces the unescaped '@' cuts it into (one of
# which a driver takes for the host, and the workspace's record would keep lower-cased).
PIECES = (PASSWORD, "S3cr%40tPW-Zq9", "S3cr", "tPW-Zq9")
AMBIGUOUS = f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:5432/x"
MASKED = "postgresql+psycopg://postgres:***@127.0.0.1:5432/x"
REFUSAL = (f"error: INTERCHANGE_DATABASE_URL: {MASKED} can be read more than one way: its user name or password "
           "holds a character that separates the parts of a URL (@ / ? # or a second :), so tools disagree where "
           "the password ends. Percent-encode those characters in the password: @ → %40, : → %3A, / → %2F, "
           "? → %3F, # → %23")
runner = CliRunner()


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for piece in PIECES:
            assert piece.lower() not in text.lower(), f"{piece!r} in {text!r}"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def well_formed(port: int, form: str = "user information") -> str:
    """A URL that reads one way, the password escaped, to a port nothing listens on: the driver's own error.
    The password in the user information, or as libpq's `password` option."""
    if form == "option":
        return f"postgresql+psycopg://postgres@127.0.0.1:{port}/x?connect_timeout=5&password=S3cr%40tPW-Zq9"
    return f"postgresql+psycopg://postgres:S3cr%40tPW-Zq9@127.0.0.1:{port}/x?connect_timeout=5"


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A SQLite workspace; the test then points INTERCHANGE_DATABASE_URL elsewhere."""
    for name in ("INTERCHANGE_DATABASE_URL", "INTERCHANGE_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INTERCHANGE_LANG", "en")
    monkeypatch.setenv("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    root = tmp_path / "hub"
    init_workspace(root, config_text=HUB_CONFIG)
    return root


def everything_written(root: Path) -> str:
    """The workspace's log files and every other text file a command may have written there."""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace") for path in sorted(root.rglob("*"))
                     if path.is_file() and path.suffix != ".sqlite" and "-wal" not in path.name)


# --- the URL is read one way or refused -------------------------------------------------------------

def test_a_password_with_an_unescaped_at_is_refused_showing_the_url_masked_and_how_to_write_it() -> None:
    with pytest.raises(DatabaseUrlAmbiguous) as refused:
        normal_url(AMBIGUOUS)

    assert str(refused.value).startswith(f"{MASKED} can be read more than one way")
    assert "@ → %40" in str(refused.value) and "@ → %40" in refused.value.message("lt")
    assert_no_secret(str(refused.value), refused.value.message("lt"))


@pytest.mark.parametrize("url", [
    "postgresql://postgres:pa/ss@127.0.0.1/x",  # '/' would end the host part for most tools
    "postgresql://postgres:pa:ss@127.0.0.1/x",  # a second ':'
    "postgres://postgres:pa?ss@127.0.0.1/x",
    "postgres://postgres:pa#ss@127.0.0.1/x",
    "postgresql://post@gres@127.0.0.1/x",  # no password, but a host that would hold '@'
])
def test_any_character_that_ends_a_url_part_is_refused_in_the_user_or_password(url: str) -> None:
    with pytest.raises(DatabaseUrlAmbiguous, match=r"^postgres(ql)?://post:?\S*\*\*\*@127\.0\.0\.1/x can be read"):
        normal_url(url)


def test_the_percent_encoded_password_is_read_as_written_and_a_sqlite_path_may_hold_any_character() -> None:
    url = normal_url("postgresql://postgres:S3cr%40tPW-Zq9%3A%2F@127.0.0.1:5432/x")

    assert (url.password, url.host, url.port) == (f"{PASSWORD}:/", "127.0.0.1", 5432)
    assert normal_url("sqlite:////srv/hub@2026/warehouse.sqlite").database == "/srv/hub@2026/warehouse.sqlite"


def test_interchange_yaml_refuses_an_ambiguous_url_and_a_password_given_as_an_option() -> None:
    with pytest.raises(ConfigError) as ambiguous:
        parse_config(HUB_CONFIG.replace("sqlite:///warehouse.sqlite", "postgresql://post@gres@127.0.0.1/x"))
    with pytest.raises(ConfigError) as option:
        parse_config(HUB_CONFIG.replace("sqlite:///warehouse.sqlite", "postgresql://hub@127.0.0.1/x?password=S3cr"))

    assert "database_url: postgresql://post:***@127.0.0.1/x can be read more than one way" in str(ambiguous.value)
    assert "gres@" not in str(ambiguous.value)
    assert "database_url: holds a password" in str(option.value) and "S3cr" not in str(option.value)


# --- one masking function ---------------------------------------------------------------------------

def test_masking_removes_a_read_password_any_url_password_and_a_connection_strings_password() -> None:
    remember_secret("An0ther-Passw0rd")

    said = mask_secrets("connection to 'An0ther-Passw0rd' (An0ther%2DPassw0rd); postgresql://hub:p%40ss@db:5432/x; "
                        "host=db password='p ss' user=hub; postgresql://hub@db/x?sslmode=require&password=pw2")

    assert said == ("connection to '***' (***); postgresql://hub:***@db:5432/x; host=db password=*** user=hub; "
                    "postgresql://hub@db/x?sslmode=require&password=***")


def test_a_url_is_shown_without_its_password_in_either_place() -> None:
    assert shown(normal_url("postgresql://hub:pw1@db/x?password=pw2&sslmode=require")) == (
        "postgresql+psycopg://hub@db/x?sslmode=require")


# --- the commands: what a steward sees, and the log file ---------------------------------------------

@pytest.mark.parametrize("command", [["status"], ["ingest"], ["link"], ["database", "use"], ["reprocess"]])
def test_every_command_refuses_an_ambiguous_url_with_the_same_line_and_no_piece_of_the_password(
        command: list[str], hub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERCHANGE_DATABASE_URL", AMBIGUOUS)

    result = runner.invoke(app, [*command, "--workspace", str(hub)])

    assert (result.exit_code, result.output) == (2, REFUSAL + "\n")
    assert_no_secret(result.output, everything_written(hub))


def test_an_ambiguous_url_in_interchange_yaml_is_refused_naming_the_key(hub: Path) -> None:
    config = hub / "interchange.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "sqlite:///warehouse.sqlite", "postgresql://postgres@tPW-Zq9@127.0.0.1:5432/x"), encoding="utf-8")

    outputs = [runner.invoke(app, [command, "--workspace", str(hub)]) for command in ("status", "ingest", "link")]

    assert {result.exit_code for result in outputs} == {2}
    assert len({result.output for result in outputs}) == 1  # the three say the same
    assert "database_url: postgresql://postgres:***@127.0.0.1:5432/x can be read more than one way" in outputs[0].output
    assert_no_secret(*(result.output for result in outputs))


def test_status_names_its_database_without_the_password_in_either_place(
        hub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from interchange.workspace.database import record_database
    from interchange.workspace.layout import Workspace

    database = hub / "warehouse.sqlite"
    monkeypatch.setenv("INTERCHANGE_DATABASE_URL", f"sqlite:///{database}?password=S3cr%40tPW-Zq9")
    record_database(Workspace(hub))

    result = runner.invoke(app, ["status", "--workspace", str(hub)])

    assert f"sqlite:///{database}" in result.output
    assert_no_secret(result.output, everything_written(hub))


def test_the_log_file_of_an_unexpected_failure_has_the_password_masked(
        hub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import interchange.operations.status

    def driver_failure(*_args: object, **_kwargs: object) -> None:
        # What a driver or a server may say about a connection: its URL or its connection string.
        raise ConnectionError(f"lost postgresql://postgres:S3cr%40tPW-Zq9@127.0.0.1/x (host=127.0.0.1 "
                              f"password='{PASSWORD}')")

    monkeypatch.setattr(interchange.operations.status, "collect_status", driver_failure)
    result = runner.invoke(app, ["status", "--workspace", str(hub)])

    log = (hub / "logs" / "interchange.log").read_text(encoding="utf-8")
    assert result.exit_code == 1 and "ConnectionError" in result.output
    assert "postgresql://postgres:***@127.0.0.1/x (host=127.0.0.1 password=***)" in log
    assert_no_secret(result.output, log)


# --- through Prefect: the terminal, the flow-run states and the run logs ---------------------------

def _prefect_texts(state: Any) -> list[str]:
    return [state.message or "", run_logs(state),
            *(f"{run.state.message}" for run in run_task_runs(state).values() if run.state is not None)]


@on_prefect
@pytest.mark.parametrize("case", ["ambiguous", "unreachable"])
def test_the_ingest_flow_keeps_the_password_out_of_its_state_and_logs(
        case: str, hub: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    from interchange.workspace.database import record_database
    from interchange.workspace.layout import Workspace

    port = closed_port()
    monkeypatch.setenv("INTERCHANGE_DATABASE_URL", AMBIGUOUS if case == "ambiguous" else well_formed(port, "option"))
    if case == "unreachable":
        record_database(Workspace(hub))  # the workspace's own database, down for now

    state = flows_module("ingest").ingest(str(hub), return_state=True)

    texts = _prefect_texts(state)
    expected = MASKED if case == "ambiguous" else f"cannot reach the warehouse database x at 127.0.0.1:{port}"
    assert state.is_failed() and expected in texts[0]
    assert_no_secret(*texts, *capfd.readouterr(), everything_written(hub))


@on_prefect
@pytest.mark.parametrize("form", ["user information", "option"])
def test_ingest_link_and_status_say_the_same_about_an_unreachable_database_and_nothing_of_its_password(
        form: str, hub: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    from interchange.workspace.database import record_database
    from interchange.workspace.layout import Workspace

    port = closed_port()
    monkeypatch.setenv("INTERCHANGE_DATABASE_URL", well_formed(port, form))
    record_database(Workspace(hub))

    results = {command: runner.invoke(app, [command, "--workspace", str(hub)])
               for command in ("status", "ingest", "link")}

    sentence = (f"cannot reach the warehouse database x at 127.0.0.1:{port}: check that PostgreSQL is running "
                "there and accepts connections from this machine")
    for command, result in results.items():
        assert result.exit_code == 1, command
        assert sentence in result.output, command
    assert_no_secret(*(result.output for result in results.values()), *capfd.readouterr(), everything_written(hub))


@on_prefect
def test_a_flow_ended_by_a_strangers_exception_stores_its_class_not_its_text(
        hub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ingest_flows = flows_module("ingest")

    def driver_failure(*_args: object, **_kwargs: object) -> None:
        # A driver's text about its connection, raised where the flow itself opens the warehouse.
        raise ConnectionError(f"server closed the connection (host=127.0.0.1 password='{PASSWORD}')")

    monkeypatch.setattr(ingest_flows, "ingest_workspace", driver_failure)
    state = ingest_flows.ingest(str(hub), return_state=True)

    texts = _prefect_texts(state)
    assert state.is_failed() and "ConnectionError (see the flow run's log)" in texts[0]
    assert "ingest failed: ConnectionError" in texts[1]
    assert_no_secret(*texts)


def test_a_partner_api_token_read_from_the_environment_is_masked_wherever_it_is_quoted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from interchange.ingest.http_source import token_from_env

    token = "tok-7Hq2Zr9LmX4pW"
    monkeypatch.setenv("KRETINGA_API_TOKEN", token + "\n")
    assert token_from_env("KRETINGA_API_TOKEN") == token
    said = mask_secrets(f"401 Unauthorized: bearer {token} was refused")
    assert token not in said and "401 Unauthorized" in said
