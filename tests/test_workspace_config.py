"""The workspace file `interchange.yaml`, `init_workspace` and how commands find a workspace."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy
from conftest import HUB_CONFIG, empty_warehouse

from interchange.warehouse.engine import schema_revision
from interchange.workspace.config import (
    DATABASE_URL_ENV,
    WORKSPACE_ENV,
    ConfigError,
    HttpSourceConfig,
    InboxSource,
    load_config,
    parse_config,
)
from interchange.workspace.init import EXAMPLE_CONFIG, init_workspace
from interchange.workspace.layout import Workspace, find_workspace

ORIGIN = "/srv/hub/interchange.yaml"

# A small valid file; the cases below change one thing in it.
BASE = """\
config_version: 1
database_url: sqlite:///warehouse.sqlite
organisations:
  - code: kretingos-spc
    name: Kretingos socialinių paslaugų centras
    municipality: LT-22
  - code: kretingos-mimc
    name: Kretingos moterų informacijos ir mokymo centras
    municipality: LT-22
    sources:
      - type: inbox
      - type: http
        name: api
        base_url: https://partner.example.lt/api/v1
        kinds: [person, contact]
        token_env: MIMC_TOKEN
"""


@pytest.fixture(autouse=True)
def _no_workspace_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    monkeypatch.delenv(WORKSPACE_ENV, raising=False)


def config_error(text: str) -> str:
    with pytest.raises(ConfigError) as excinfo:
        parse_config(text, origin=ORIGIN)
    message = str(excinfo.value)
    assert message.startswith(ORIGIN)
    return message


def error_lines(text: str) -> list[str]:
    """The `key: message` lines of the error, without the file line."""
    return [line.strip() for line in config_error(text).splitlines()[1:]]


# ---- the example and init -------------------------------------------------------------------

def test_the_example_config_loads() -> None:
    config = parse_config(EXAMPLE_CONFIG)
    assert [o.code for o in config.organisations] == ["kretingos-spc", "kretingos-mimc", "kretingos-dvc",
                                                      "kretingos-sps"]
    assert {o.municipality for o in config.organisations} == {"LT-22"}
    spc = config.organisation("kretingos-spc")
    assert spc.sources == [InboxSource(settle_seconds=5)]
    assert config.organisation("kretingos-dvc").sources == [InboxSource()]  # an inbox by default
    [programme] = config.programmes
    assert programme.orgs == ["kretingos-spc", "kretingos-mimc"]
    assert {t.service for t in programme.targets} >= {"psychologist_child", "parenting_skills"}
    assert config.database_url == "sqlite:///warehouse.sqlite"
    assert config.expectations.period_days == 366


def test_the_examples_commented_http_source_is_valid_once_uncommented() -> None:
    lines = EXAMPLE_CONFIG.splitlines()
    start = next(i for i, line in enumerate(lines) if "# - type: http" in line)
    uncommented = [line.replace("# ", "", 1) if start <= i < start + 5 else line for i, line in enumerate(lines)]
    config = parse_config("\n".join(uncommented))
    [_, http] = config.organisation("kretingos-mimc").sources
    assert isinstance(http, HttpSourceConfig)
    assert (http.token_env, http.kinds) == ("KRETINGOS_MIMC_TOKEN", ["person", "case", "contact", "group_session"])


def test_init_creates_the_folders_and_an_upgraded_warehouse(tmp_path: Path) -> None:
    root = tmp_path / "kretinga"

    workspace = init_workspace(root)

    assert (root / "interchange.yaml").read_text(encoding="utf-8") == EXAMPLE_CONFIG
    for org in ("kretingos-spc", "kretingos-mimc", "kretingos-dvc", "kretingos-sps"):
        for folder in ("inbox", "receipts", "archive"):
            assert (root / folder / org).is_dir(), (folder, org)
    assert (root / "outbox").is_dir()
    assert workspace.root == root.resolve()
    # The default database is a SQLite file inside the workspace, at the newest schema.
    assert workspace.database_url == f"sqlite:///{root.resolve() / 'warehouse.sqlite'}"
    engine = sqlalchemy.create_engine(workspace.database_url)
    try:
        assert schema_revision(engine) is not None
        tables = set(sqlalchemy.inspect(engine).get_table_names())
        assert {"batches", "person_records", "contact_records", "source_cursors", "quarantine"} <= tables
    finally:
        engine.dispose()


def test_init_upgrades_the_database_the_environment_names(
        tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, database_url)

    workspace = init_workspace(tmp_path / "hub", config_text=HUB_CONFIG)

    assert sqlalchemy.make_url(workspace.database_url) == sqlalchemy.make_url(database_url)
    assert not (tmp_path / "hub" / "warehouse.sqlite").exists()
    engine = sqlalchemy.create_engine(database_url)
    try:
        assert schema_revision(engine) is not None
    finally:
        engine.dispose()


def test_init_never_overwrites_a_config(tmp_path: Path) -> None:
    root = tmp_path / "hub"
    init_workspace(root, config_text=BASE)

    with pytest.raises(FileExistsError):
        init_workspace(root)

    assert (root / "interchange.yaml").read_text(encoding="utf-8") == BASE


def test_init_refuses_a_bad_config_and_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "hub"
    with pytest.raises(ConfigError) as excinfo:
        init_workspace(root, config_text=BASE.replace("LT-22", "LT-99", 1))
    assert str(root / "interchange.yaml") in str(excinfo.value)
    assert not (root / "interchange.yaml").exists()


# ---- bad configs name the file and the key --------------------------------------------------

def test_an_unknown_key_is_named_with_its_path() -> None:
    assert error_lines(BASE.replace("    municipality: LT-22\n  - code: kretingos-mimc",
                                    "    municipality: LT-22\n    settle: 5\n  - code: kretingos-mimc")) == [
        "organisations.0.settle: Extra inputs are not permitted"]
    assert error_lines("colour: blue\n" + BASE) == ["colour: Extra inputs are not permitted"]


def test_a_key_inside_an_http_source_is_named_as_written() -> None:
    # The source's type is not part of the key path the user sees.
    text = BASE.replace("        token_env: MIMC_TOKEN\n", "        token_env: MIMC_TOKEN\n        page_sise: 10\n")
    assert error_lines(text) == ["organisations.1.sources.1.page_sise: Extra inputs are not permitted"]
    assert error_lines(BASE.replace("[person, contact]", "[person, contacts]")) == [
        "organisations.1.sources.1.kinds.1: Input should be 'person', 'household', 'contact', "
        "'group_session' or 'case'"]


def test_a_bad_municipality_is_named() -> None:
    assert error_lines(BASE.replace("LT-22", "LT-99", 1)) == [
        "organisations.0.municipality: Unknown municipality: give a code LT-01…LT-60 or the official name."]


def test_every_bad_key_is_listed_at_once() -> None:
    text = BASE.replace("LT-22", "LT-99").replace("code: kretingos-spc", "code: Kretingos SPC")
    lines = error_lines(text)
    assert [line.split(":")[0] for line in lines] == [
        "organisations.0.code", "organisations.0.municipality", "organisations.1.municipality"]


def test_duplicate_organisation_codes_are_named() -> None:
    [line] = error_lines(BASE.replace("code: kretingos-mimc", "code: kretingos-spc"))
    assert line.startswith("organisations:")
    assert "kretingos-spc" in line and "organisations.0.code" in line and "organisations.1.code" in line


def test_a_programme_naming_an_unknown_organisation_is_named() -> None:
    text = BASE + ("programmes:\n  - code: kompleksines\n    name: P\n    start: 2026-05-07\n"
                   "    end: 2028-05-07\n    orgs: [kretingos-spc, kretingos-xyz]\n")
    [line] = error_lines(text)
    assert line.startswith("programmes:") and "programmes.0.orgs" in line and "kretingos-xyz" in line


def test_a_programme_ending_before_it_starts_is_named() -> None:
    text = BASE + "programmes:\n  - code: kompleksines\n    name: P\n    start: 2026-05-07\n    end: 2025-05-07\n"
    [line] = error_lines(text)
    assert line.startswith("programmes.0.end:")


@pytest.mark.parametrize("token_lines", [
    "        token_env: MIMC_TOKEN\n        token_block: mimc-token\n",
    "",
], ids=["both", "neither"])
def test_an_http_source_needs_exactly_one_place_for_its_token(token_lines: str) -> None:
    [line] = error_lines(BASE.replace("        token_env: MIMC_TOKEN\n", token_lines))
    assert line.startswith("organisations.1.sources.1:")
    assert "exactly one of token_env or token_block" in line


def test_a_token_in_the_file_is_refused_without_repeating_it() -> None:
    secret = "sk-live-8d1f0c2e"
    for text in (BASE.replace("token_env: MIMC_TOKEN", f"token_env: MIMC_TOKEN\n        token: {secret}"),
                 BASE.replace("token_env: MIMC_TOKEN", f"token_env: {secret}"),
                 BASE.replace("type: http", f"type: {secret}"),
                 BASE.replace("https://partner", f"https://hub:{secret}@partner")):
        message = config_error(text)
        assert secret not in message
        assert "organisations.1.sources.1" in message


def test_a_database_url_with_a_password_is_refused() -> None:
    message = config_error(BASE.replace("sqlite:///warehouse.sqlite",
                                        "postgresql+psycopg://interchange:hunter2@db.example.lt/interchange"))
    assert message.splitlines()[1].strip().startswith("database_url:")
    assert DATABASE_URL_ENV in message
    assert "hunter2" not in message
    # Without the password the same URL is fine.
    parse_config(BASE.replace("sqlite:///warehouse.sqlite", "postgresql+psycopg://interchange@db.example.lt/x"))


def test_invalid_yaml_names_its_line() -> None:
    text = BASE.replace("kinds: [person, contact]", "kinds: [person, contact")
    line = next(i for i, t in enumerate(text.splitlines(), start=1) if "kinds:" in t)
    message = config_error(text)
    assert "not valid YAML" in message
    assert f"line {line + 1}," in message or f"line {line}," in message


def test_a_key_written_twice_is_refused_not_silently_overwritten() -> None:
    text = BASE.replace("        token_env: MIMC_TOKEN\n", "        token_env: MIMC_TOKEN\n        token_env: OTHER\n")
    line = next(i for i, t in enumerate(text.splitlines(), start=1) if "OTHER" in t)
    message = config_error(text)
    assert f"line {line}," in message and "the key 'token_env' is written twice" in message


@pytest.mark.parametrize("text", ["", "# only a comment\n", "- a list\n", "just words\n"])
def test_a_file_that_is_not_a_mapping_is_refused(text: str) -> None:
    assert "expected a mapping" in config_error(text)


def test_a_workspace_without_a_config_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_config(tmp_path)
    assert str(tmp_path / "interchange.yaml") in str(excinfo.value)
    assert "interchange init" in str(excinfo.value)


# ---- the database URL -----------------------------------------------------------------------

def test_the_environment_overrides_the_files_database_url(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "hub"
    init_workspace(root, config_text=BASE)
    assert Workspace(root).database_url == f"sqlite:///{root.resolve() / 'warehouse.sqlite'}"
    url = "postgresql+psycopg://interchange:hunter2@db.example.lt/interchange"

    monkeypatch.setenv(DATABASE_URL_ENV, url)

    assert Workspace(root).database_url == url  # the password is allowed here, and kept
    monkeypatch.setenv(DATABASE_URL_ENV, "")
    assert Workspace(root).database_url == f"sqlite:///{root.resolve() / 'warehouse.sqlite'}"


def test_a_relative_sqlite_path_is_inside_the_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "hub"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # not where the workspace is

    workspace = init_workspace(root, config_text=BASE.replace("sqlite:///warehouse.sqlite",
                                                              "sqlite:///data/hub.sqlite"))

    assert workspace.database_url == f"sqlite:///{root.resolve() / 'data' / 'hub.sqlite'}"
    assert (root / "data" / "hub.sqlite").is_file()
    assert list(elsewhere.iterdir()) == []


def test_a_relative_sqlite_path_in_the_environment_is_inside_the_workspace(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "hub"
    init_workspace(root, config_text=BASE)
    monkeypatch.setenv(DATABASE_URL_ENV, "sqlite:///other.sqlite")
    assert Workspace(root).database_url == f"sqlite:///{root.resolve() / 'other.sqlite'}"
    monkeypatch.setenv(DATABASE_URL_ENV, f"sqlite:///{tmp_path / 'abs.sqlite'}")
    assert Workspace(root).database_url == f"sqlite:///{tmp_path / 'abs.sqlite'}"


def test_a_programme_day_that_does_not_exist_is_named_with_its_key_in_both_languages() -> None:
    text = BASE + "programmes:\n  - {code: p1, name: P, start: 2026-02-30, end: 2026-12-31}\n"

    with pytest.raises(ConfigError) as excinfo:
        parse_config(text, origin=ORIGIN)

    assert excinfo.value.message("en").splitlines() == [
        f"{ORIGIN}:", "  programmes.0.start: expected a day that exists, written YYYY-MM-DD (e.g. 2026-02-28)"]
    assert excinfo.value.message("lt").splitlines()[1] == (
        "  programmes.0.start: turi būti esama diena, užrašyta YYYY-MM-DD (pvz. 2026-02-28)")
    assert parse_config(text.replace("2026-02-30", "2026-02-28")).programmes[0].start.isoformat() == "2026-02-28"


def test_a_lithuanian_steward_reads_the_common_mistakes_in_lithuanian() -> None:
    text = BASE.replace("    municipality: LT-22\n", "    municipality: LT-22\n    settle: 5\n", 1) + (
        "expectations:\n  period_days: 0\n")

    with pytest.raises(ConfigError) as excinfo:
        parse_config(text, origin=ORIGIN)

    assert excinfo.value.message("lt").splitlines()[1:] == [
        "  organisations.0.settle: tokio rakto čia nėra (patikrinkite rašybą ir įtrauką)",
        "  expectations.period_days: turi būti ne mažiau kaip 1"]
    assert str(excinfo.value).splitlines()[1:] == [
        "  organisations.0.settle: Extra inputs are not permitted",
        "  expectations.period_days: Input should be greater than or equal to 1"]


def test_an_unknown_service_code_in_programme_targets_is_refused() -> None:
    text = BASE + ("programmes:\n  - code: p1\n    name: P\n    start: 2026-05-07\n    end: 2028-05-07\n"
                   "    targets:\n      - {service: psychologist_child, persons: 10}\n"
                   "      - {service: legal_consultaton, persons: 16}\n")

    assert error_lines(text) == ["programmes.0.targets.1.service: 'legal_consultaton' is not a service code of "
                                 "the catalogue (interchange codes services lists them)"]
    assert error_lines(text.replace("{service: legal_consultaton, persons: 16}",
                                    "{service: therapeutic_group, contacts: 16}")) == [
        "programmes.0.targets.1.contacts: therapeutic_group is a group service, counted in sessions, not contacts"]
    assert error_lines(text.replace("legal_consultaton, persons", "legal_consultation, sessions")) == [
        "programmes.0.targets.1.sessions: legal_consultation is an individual service, counted in contacts, not "
        "sessions"]
    config = parse_config(text.replace("legal_consultaton", "Legal_Consultation"))
    assert [t.service for t in config.programmes[0].targets] == ["psychologist_child", "legal_consultation"]


@pytest.mark.parametrize("min_count", [1, 2])
def test_a_min_count_below_3_is_refused_unless_acknowledged(min_count: int) -> None:
    text = BASE + f"publishing:\n  min_count: {min_count}\n"

    assert error_lines(text) == [
        f"publishing.min_count: {min_count} all but turns disclosure control off: use 3 or more (default 5), "
        "or acknowledge it with publishing.disclosure_control_off_acknowledged: true"]
    acknowledged = text + "  disclosure_control_off_acknowledged: true\n"
    assert parse_config(acknowledged).publishing.min_count == min_count
    assert parse_config(BASE + "publishing:\n  min_count: 3\n").publishing.min_count == 3


@pytest.mark.parametrize("written", ["postgres://hub@db.example.lt:6543/interchange",
                                     "postgresql://hub@db.example.lt:6543/interchange",
                                     "postgresql+psycopg://hub@db.example.lt:6543/interchange"])
def test_the_common_postgresql_url_forms_mean_the_projects_driver(
        written: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "interchange.yaml").write_text(BASE.replace("sqlite:///warehouse.sqlite", written), "utf-8")
    assert Workspace(tmp_path).database_url == "postgresql+psycopg://hub@db.example.lt:6543/interchange"

    monkeypatch.setenv(DATABASE_URL_ENV, written.replace("hub@", "hub:hunter2@"))
    assert Workspace(tmp_path).database_url == "postgresql+psycopg://hub:hunter2@db.example.lt:6543/interchange"


def test_a_database_url_of_another_form_says_which_forms_to_write_without_repeating_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert error_lines(BASE.replace("sqlite:///warehouse.sqlite", "mysql://hub@db/x")) == [
        "database_url: not a database URL the hub can open: write postgresql+psycopg://user@host:port/database "
        "(postgres:// and postgresql:// are read the same) or sqlite:///warehouse.sqlite"]
    (tmp_path / "interchange.yaml").write_text(BASE, "utf-8")
    monkeypatch.setenv(DATABASE_URL_ENV, "postgresql+psycopg2://hub:hunter2@db/x")

    with pytest.raises(ConfigError) as excinfo:
        _ = Workspace(tmp_path).database_url

    assert str(excinfo.value).startswith(f"{DATABASE_URL_ENV} is not a database URL the hub can open: write "
                                         "postgresql+psycopg://user:password@host:port/database")
    assert "hunter2" not in str(excinfo.value)


def test_init_writes_the_database_the_environment_names_without_its_password(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere.sqlite"
    monkeypatch.setenv(DATABASE_URL_ENV, f"sqlite:///{elsewhere}")

    init_workspace(tmp_path / "hub", config_text=BASE)

    # A later shell without the variable reads the same warehouse, not a new empty one in the workspace.
    monkeypatch.delenv(DATABASE_URL_ENV)
    assert load_config(tmp_path / "hub").database_url == f"sqlite:///{elsewhere}"
    assert Workspace(tmp_path / "hub").database_url == f"sqlite:///{elsewhere}"
    assert not (tmp_path / "hub" / "warehouse.sqlite").exists()


@pytest.mark.postgres
def test_init_on_postgresql_writes_its_url_without_the_password(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with empty_warehouse("postgres", tmp_path) as url:
        monkeypatch.setenv(DATABASE_URL_ENV, sqlalchemy.make_url(url).set(password="hunter2").render_as_string(False))

        init_workspace(tmp_path / "hub", config_text=BASE)

        assert "hunter2" not in (tmp_path / "hub" / "interchange.yaml").read_text(encoding="utf-8")
        assert load_config(tmp_path / "hub").database_url == sqlalchemy.make_url(url).render_as_string(False)


# ---- finding the workspace ------------------------------------------------------------------

@pytest.fixture
def three_workspaces(tmp_path: Path) -> tuple[Path, Path, Path]:
    roots = tmp_path / "option", tmp_path / "env", tmp_path / "cwd"
    for root in roots:
        root.mkdir()
        (root / "interchange.yaml").write_text(BASE, encoding="utf-8")
    return roots


def test_find_workspace_prefers_the_option_then_the_environment_then_the_cwd(
        three_workspaces: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    option, env, cwd = three_workspaces
    monkeypatch.chdir(cwd)
    monkeypatch.setenv(WORKSPACE_ENV, str(env))

    assert find_workspace(option).root == option.resolve()
    assert find_workspace(None).root == env.resolve()
    monkeypatch.delenv(WORKSPACE_ENV)
    assert find_workspace(None).root == cwd.resolve()
    monkeypatch.setenv(WORKSPACE_ENV, "")  # blank counts as unset
    assert find_workspace(None).root == cwd.resolve()


def test_find_workspace_resolves_a_relative_option_from_the_cwd(
        three_workspaces: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    option, _, _ = three_workspaces
    monkeypatch.chdir(option.parent)
    assert find_workspace(Path("option")).root == option.resolve()


@pytest.mark.parametrize("where", ["option", "env", "cwd"])
def test_find_workspace_without_a_config_says_where_it_looked_and_what_to_do(
        where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty if where == "cwd" else tmp_path)
    if where == "env":
        monkeypatch.setenv(WORKSPACE_ENV, str(empty))

    with pytest.raises(ConfigError) as excinfo:
        find_workspace(empty if where == "option" else None)

    message = str(excinfo.value)
    assert str(empty.resolve()) in message
    assert "interchange.yaml" in message
    assert "--workspace" in message and WORKSPACE_ENV in message and "interchange init" in message


def test_find_workspace_reads_the_config_lazily_and_reports_it_with_its_path(tmp_path: Path) -> None:
    (tmp_path / "interchange.yaml").write_text(BASE.replace("LT-22", "LT-99", 1), encoding="utf-8")
    workspace = find_workspace(tmp_path)
    with pytest.raises(ConfigError) as excinfo:
        _ = workspace.config
    assert str(excinfo.value).startswith(str(tmp_path.resolve() / "interchange.yaml"))
    assert "organisations.0.municipality" in str(excinfo.value)

