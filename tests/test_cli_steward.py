"""The steward's command line in Lithuanian or English, and progress bars only for a person at a terminal.

What a steward relies on: every hub command takes `--lang lt|en`; without it the language
follows the environment (INTERCHANGE_LANG, else the locale); every message comes from one
catalogue with both languages; and output that goes to a log, a pipe or CI carries no
progress-bar noise, while a terminal shows the bars.
"""

from __future__ import annotations

import io
import os
import re
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import HUB_CONFIG
from drop_kit import CONTACT_HEADER, MIMC, PERSON_HEADER, SPC, contact_rows, drop, person_rows, steward_scene
from rich.console import Console
from typer.testing import CliRunner

from interchange.cli import app
from interchange.commands.common import ProgressView
from interchange.i18n import CATALOGUE as TEXT
from interchange.i18n import default_lang
from interchange.progress import Progress, listening, report
from interchange.workspace.init import init_workspace

pytest_plugins = ["prefect_harness"]
runner = CliRunner()
SRC = Path(__file__).resolve().parents[1] / "src" / "interchange"
STEWARD_COMMANDS = [["init"], ["ingest"], ["link"], ["review", "list"], ["review", "decide"],
                    ["review", "decide-records"], ["status"], ["reprocess"], ["pipeline"], ["publish"], ["approve"],
                    ["reopen"], ["publications"], ["progress"], ["review", "history"], ["quarantine", "list"],
                    ["quarantine", "dismiss"]]
BAR_NOISE = re.compile(r"\r|\x1b\[|━|╸")  # carriage returns, escape codes, rich's bar glyphs


def invoke(*args: object, env: dict[str, str | None] | None = None) -> Any:
    return runner.invoke(app, [str(a) for a in args], env=env)


# ---- the language ----------------------------------------------------------------------------------

def test_the_language_comes_from_interchange_lang_then_the_locale() -> None:
    assert default_lang({"INTERCHANGE_LANG": "lt", "LANG": "en_GB.UTF-8"}) == "lt"
    assert default_lang({"INTERCHANGE_LANG": "EN", "LC_ALL": "lt_LT.UTF-8"}) == "en"
    assert default_lang({"INTERCHANGE_LANG": "de", "LANG": "lt_LT.UTF-8"}) == "lt"  # not ours: the locale decides
    assert default_lang({"LC_MESSAGES": "lt_LT.UTF-8", "LANG": "en_US.UTF-8"}) == "lt"
    assert default_lang({"LANG": "C.UTF-8"}) == "en"


@pytest.mark.parametrize("command", STEWARD_COMMANDS, ids=" ".join)
def test_every_steward_command_takes_lang(command: list[str]) -> None:
    text = " ".join(invoke(*command, "--help").output.split())
    assert "--lang" in text and "INTERCHANGE_LANG" in text


def test_every_message_a_command_asks_for_is_in_the_catalogue_in_both_languages() -> None:
    asked = set()
    for path in [SRC / "cli.py", *(SRC / "commands").glob("*.py"), *(SRC / "operations").glob("*.py")]:
        asked |= set(re.findall(r"""(?:say|fail)\((?:[a-z_]+, )?["']([a-z_.]+)["']""", path.read_text("utf-8")))
    assert asked, "no say() calls found: the pattern is out of date"
    assert sorted(asked - set(TEXT)) == []
    lithuanian = " ".join(lt for lt, _ in TEXT.values())
    assert all(letter in lithuanian for letter in "ąčęėįšųūž")  # proper Lithuanian, with diacritics
    for key, (lt, en) in TEXT.items():  # the same placeholders in both languages
        assert set(re.findall(r"{(\w+)}", lt)) == set(re.findall(r"{(\w+)}", en)), key


def test_status_follows_the_environment_and_lang_overrides_it(hub_root: Path) -> None:
    steward_scene(hub_root)

    from_locale = invoke("status", "--workspace", hub_root, env={"LANG": "lt_LT.UTF-8", "INTERCHANGE_LANG": None})
    from_setting = invoke("status", "--workspace", hub_root, env={"LANG": "lt_LT.UTF-8", "INTERCHANGE_LANG": "en"})
    chosen = invoke("status", "--workspace", hub_root, "--lang", "en", env={"INTERCHANGE_LANG": "lt"})

    assert from_locale.exit_code == 1, from_locale.output
    assert "Interchange būsena:" in from_locale.output and "Sulaikyti paketai (niekas neįkelta)" in from_locale.output
    assert "sulaikytas" in from_locale.output  # the batch state too, not only the headings
    for result in (from_setting, chosen):
        assert "Interchange status:" in result.output and "Held batches (nothing loaded)" in result.output


def test_status_shows_every_part_on_one_screen_in_both_languages(hub_root: Path) -> None:
    steward_scene(hub_root)
    parts = {"en": ["Sources (newest batch)", "Held batches", "Quarantine (open rows)", "Linkage: never run",
                    "Review queue: 0 pairs", "Publications: none yet", "Overdue drops: none", "Prefect flows:",
                    "Needs attention"],
             "lt": ["Šaltiniai (naujausias paketas)", "Sulaikyti paketai", "Karantinas (neišspręstos eilutės)",
                    "Susiejimas: dar nevykdytas", "Porų peržiūra: 0", "Publikacijos: dar nėra",
                    "Vėluojantys duomenų pateikimai: nėra", "Prefect srautai:", "Reikia dėmesio"]}
    for lang, expected in parts.items():
        result = invoke("status", "--workspace", hub_root, "--lang", lang)
        lines = result.output.splitlines()
        positions = [next(i for i, line in enumerate(lines) if part in line) for part in expected]
        assert positions == sorted(positions), lang  # every part, in the same order
        assert len(lines) <= 40 and max(map(len, lines)) <= 120  # one screen
        [spc] = [line for line in lines if line.strip().startswith(SPC)][:1]
        assert spc.split()[2:4] == ["1", {"en": "loaded", "lt": "įkeltas"}[lang]]


def test_commands_speak_lithuanian(hub_root: Path, tmp_path: Path) -> None:
    steward_scene(hub_root)

    made = invoke("init", tmp_path / "naujas", "--lang", "lt", env={"INTERCHANGE_DATABASE_URL": None})
    assert made.exit_code == 0, made.output
    assert "Sukurta darbo vieta" in made.output and "Toliau: patikrinkite interchange.yaml" in made.output
    again = invoke("init", tmp_path / "naujas", "--lang", "lt")
    assert again.exit_code == 2 and "darbo vieta niekada neperrašoma" in again.output

    plan = invoke("reprocess", "--workspace", hub_root, "--dry-run", "--lang", "lt")
    assert plan.exit_code == 0, plan.output
    assert "Bus apdorota iš naujo (atvykimo tvarka):" in plan.output
    assert "eilutės iš karantino: 1" in plan.output and "visas sulaikytas failas" in plan.output
    refused = invoke("reprocess", "--workspace", hub_root, "--batch", 99, "--lang", "lt")
    assert refused.exit_code == 2 and "klaida: paketas 99: nėra ko apdoroti iš naujo" in refused.output

    assert "Peržiūros laukiančių porų nėra." in invoke("review", "list", "--workspace", hub_root, "--lang", "lt").output
    unknown = invoke("review", "decide", 999, "same", "--workspace", hub_root, "--lang", "lt")
    assert unknown.exit_code == 2 and unknown.output.startswith("klaida: ")
    assert "Publikacijų dar nėra" in invoke("publications", "--workspace", hub_root, "--lang", "lt").output
    bad_period = invoke("publications", "--period", "2026-Q5", "--workspace", hub_root, "--lang", "lt")
    assert bad_period.exit_code == 2 and bad_period.output.startswith("klaida: ")


def test_a_missing_workspace_is_explained_in_the_chosen_language(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INTERCHANGE_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    lithuanian = invoke("status", "--lang", "lt")
    english = invoke("status", env={"LANG": "en_GB.UTF-8", "INTERCHANGE_LANG": None})
    assert lithuanian.exit_code == english.exit_code == 2
    assert lithuanian.output.startswith("klaida: ") and english.output.startswith("error: ")


def test_the_partner_kit_keeps_both_languages_by_default(tmp_path: Path) -> None:
    raw, key = tmp_path / "raw.csv", tmp_path / "k.key"
    raw.write_text("asmens_kodas\n", encoding="utf-8")
    assert invoke("keygen", "-o", key).exit_code == 0
    args = ["pseudonymise", raw, "--org", "x1", "--key-file", key, "-o", tmp_path / "drop.txt"]

    both, lithuanian = invoke(*args), invoke(*args, "--lang", "lt")

    assert both.exit_code == lithuanian.exit_code == 2
    assert both.output.splitlines() == ["Pateikimo failo pavadinimas turi baigtis .csv arba .jsonl.",
                                        "The drop file must end in .csv or .jsonl."]
    assert lithuanian.output.splitlines() == ["Pateikimo failo pavadinimas turi baigtis .csv arba .jsonl."]


# ---- progress ----------------------------------------------------------------------------------------

def test_progress_goes_to_the_hook_given_else_to_the_listeners_else_nowhere() -> None:
    heard: list[Progress] = []
    given: list[Progress] = []
    report(None, "ingest.drops", 1, 2, "x/inbox")  # nobody listens: nothing happens
    with listening(heard.append):
        report(None, "ingest.drops", 1, 2, "x/inbox")
        report(given.append, "link.stages", 1, 3, "score")
    report(None, "ingest.drops", 2, 2, "x/inbox")
    assert heard == [Progress("ingest.drops", 1, 2, "x/inbox")]
    assert given == [Progress("link.stages", 1, 3, "score")]


def test_the_progress_view_labels_bars_in_the_stewards_language_and_counts_sources_once() -> None:
    view = ProgressView("lt", counted={"ingest.source": 2}, console=Console(file=io.StringIO(), force_terminal=True))
    for event in [Progress("ingest.source", 0, 1, f"{SPC}/inbox"), Progress("ingest.drops", 1, 3, f"{SPC}/inbox"),
                  Progress("ingest.source", 1, 1, f"{SPC}/inbox"), Progress("ingest.source", 1, 1, f"{SPC}/inbox"),
                  Progress("link.stages", 1, 3, "score")]:
        view.on_event(event)
    sources, drops, link = view.progress.tasks
    assert (sources.description, sources.completed, sources.total) == (f"Šaltiniai: {SPC}/inbox", 1, 2)  # a retry
    assert (drops.description, drops.completed, drops.total) == (f"Failai: {SPC}/inbox", 1, 3)
    assert link.description == "Susiejimas: porų vertinimas"


def test_reprocess_reports_each_batch_and_writes_no_bar_when_output_is_not_a_terminal(hub_root: Path) -> None:
    steward_scene(hub_root)
    heard: list[Progress] = []

    with listening(heard.append):
        result = invoke("reprocess", "--workspace", hub_root, "--lang", "en")

    assert result.exit_code in (0, 1), result.output
    assert [(e.stage, e.done, e.total) for e in heard] == [("reprocess.batches", n, 2) for n in (0, 1, 1, 2)]
    assert heard[1].detail == heard[0].detail != heard[2].detail == heard[3].detail  # the batch under way
    assert all(SPC in e.detail or MIMC in e.detail for e in heard)  # organisation and batch id only
    assert not BAR_NOISE.search(result.output)
    assert result.output.splitlines()[0] == "To re-run (in arrival order):"


def _run_on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run `interchange` with stderr on a pseudo-terminal (a person watching) and stdout on a pipe (a log)."""
    import pty

    main, secondary = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "interchange", *args], stdout=subprocess.PIPE,
                               stderr=secondary, env=env)
    os.close(secondary)
    seen = b""
    while True:
        ready, _, _ = select.select([main], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            seen += chunk
        elif process.poll() is not None:
            break
    stdout = process.stdout.read().decode() if process.stdout else ""
    code = process.wait(timeout=60)
    os.close(main)
    return code, stdout, seen.decode(errors="replace")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_terminal_shows_the_bar_and_ci_does_not(hub_root: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    steward_scene(hub_root)
    twin = tmp_path / "twin"  # the same scene again, for the run under CI
    env = dict(os.environ, TERM="xterm", INTERCHANGE_LANG="lt")
    env.pop("CI", None)

    code, stdout, terminal = _run_on_a_terminal(["reprocess", "--workspace", str(hub_root)], env)

    assert code in (0, 1), stdout + terminal
    assert "Apdorojama iš naujo" in terminal and "━" in terminal  # the bar, in Lithuanian, on the terminal
    assert not BAR_NOISE.search(stdout) and "paketas" in stdout  # the summary on stdout stays clean

    env["INTERCHANGE_DATABASE_URL"] = f"sqlite:///{twin / 'warehouse.sqlite'}"
    monkeypatch.setenv("INTERCHANGE_DATABASE_URL", env["INTERCHANGE_DATABASE_URL"])
    init_workspace(twin, config_text=HUB_CONFIG)
    steward_scene(twin)
    code, stdout, terminal = _run_on_a_terminal(["reprocess", "--workspace", str(twin)], dict(env, CI="true"))
    assert code in (0, 1), stdout + terminal
    assert terminal.strip() == "" and "paketas" in stdout


# ---- through Prefect -----------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.usefixtures("prefect_server")
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_pipeline_reports_its_steps_in_lithuanian_and_every_stage_reaches_the_command(
        hub_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    monkeypatch.setenv("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(3)])
    drop(hub_root, "kontaktai.contact.csv", [CONTACT_HEADER, *contact_rows(4, ["M1"])], org=MIMC)
    heard: list[Progress] = []

    with listening(heard.append):
        result = invoke("pipeline", "--workspace", hub_root, "--period", "2026-09", env={"INTERCHANGE_LANG": "lt"})

    assert result.exit_code == 1, result.output
    steps = [line for line in result.output.splitlines() if line.startswith(("gavimas", "susiejimas", "publikav"))]
    assert steps[0].startswith("gavimas  įvykdyta  ") and steps[1].startswith("susiejimas  įvykdyta  ")
    assert steps[2].startswith("publikavimas  praleista  stopped: 1 batch(es) held")  # the flow's reason as written
    assert {e.stage for e in heard} == {"ingest.source", "ingest.drops", "link.stages"}
    assert not BAR_NOISE.search(result.output)


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_ingest_at_a_terminal_draws_sources_and_files_and_nothing_of_prefects_telemetry(
        hub_root: Path, tmp_path: Path) -> None:
    """As a steward runs it on a fresh hub: no PREFECT_API_URL (Prefect's temporary server), a new Prefect home."""
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(3)])
    drop(hub_root, "kontaktai.contact.csv", [CONTACT_HEADER, *contact_rows(4, ["M1"])], org=MIMC)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PREFECT_", "CI", "DO_NOT"))}
    env.update(TERM="xterm", INTERCHANGE_LANG="en", PREFECT_HOME=str(tmp_path / "prefect-home"))

    code, stdout, terminal = _run_on_a_terminal(["ingest", "--workspace", str(hub_root)], env)

    assert code == 1, stdout + terminal  # the contacts are held
    assert f"Sources: {MIMC}/inbox" in terminal and "2/2" in terminal and f"Files: {SPC}/inbox" in terminal
    assert "usage data" not in terminal and "Traceback" not in terminal
    assert stdout.startswith("Batches: 2; rows loaded: 3") and not BAR_NOISE.search(stdout)
