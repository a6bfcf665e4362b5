"""The README's partner -> steward -> analyst path, typed as a new user would, mistakes included (issue 15).

A tiny municipality whose truth is worked out by hand below: the social services centre
(kretingos-spc) exports its persons and contacts from its own system (a Windows-1257 `;` CSV
with its own Lithuanian headers, real-looking names and valid personal codes); the women's
centre (kretingos-mimc) exports persons without the consent column. All contacts fall in the
last whole quarter before `clock.today()`.

Every command result goes through `said`: its exit code, one stable fragment of its message,
no traceback, and none of the partners' raw values (names, personal codes, birth dates,
addresses). At the end every file of the hub's workspace is searched for those values too, and
the figures that reach the ministry are compared with the truth.
"""

from __future__ import annotations

import csv
import json
import os
import re
import socket
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import write_csv
from prefect_harness import on_prefect
from typer.testing import CliRunner

from interchange import clock
from interchange.cli import app
from interchange.contract.personal_code import check_digit
from interchange.indicators.periods import parse_period, previous_period

pytestmark = pytest.mark.dates  # run again by CI with the clock moved (Makefile, test)

pytest_plugins = ["prefect_harness"]

runner = CliRunner()
SPC, MIMC = "kretingos-spc", "kretingos-mimc"
QUARTER = previous_period("quarter", clock.today())
START = parse_period(QUARTER).start


def day(n: int) -> str:
    """A day inside the quarter (n days after it began), as the partners' systems write it."""
    return (START + timedelta(days=n)).isoformat()


def personal_code(sex: str, born: date, serial: int) -> str:
    first_ten = f"{'3' if sex == 'vyras' else '4'}{born:%y%m%d}{serial:03d}"
    return first_ten + str(check_digit(first_ten))


@dataclass(frozen=True)
class Person:
    record_id: str
    given: str
    family: str
    sex: str
    born: date
    street: str

    @property
    def code(self) -> str:
        return personal_code(self.sex, self.born, int(self.record_id[-3:]))

    @property
    def raw_values(self) -> list[str]:
        """What identifies this person and must never leave the partner's machine."""
        return [self.code, self.given, self.family, self.born.isoformat(), self.street]


GIVEN = [("Ona", "moteris"), ("Jonas", "vyras"), ("Rūta", "moteris"), ("Vytautas", "vyras"), ("Aušra", "moteris"),
         ("Mindaugas", "vyras"), ("Eglė", "moteris"), ("Darius", "vyras"), ("Giedrė", "moteris"),
         ("Saulius", "vyras"), ("Jurgita", "moteris"), ("Tomas", "vyras")]
FAMILY = {"moteris": ["Petraitienė", "Kazlauskaitė", "Žukauskienė", "Balčiūnienė", "Jankauskaitė", "Šimkienė"],
          "vyras": ["Petraitis", "Kazlauskas", "Žukauskas", "Balčiūnas", "Jankauskas", "Šimkus"]}
STREETS = ["Vilniaus g.", "Žemaičių g.", "Klaipėdos g.", "Birutės g.", "Liepų g.", "Rotušės a."]


def people(prefix: str, count: int, offset: int) -> list[Person]:
    found = []
    for n in range(count):
        given, sex = GIVEN[(n + offset) % len(GIVEN)]
        found.append(Person(f"{prefix}{n + 1:03d}", given, FAMILY[sex][(n + offset) % 6], sex,
                            date(1950 + (n * 7 + offset) % 50, 1 + n % 12, 1 + (n * 3) % 28),
                            f"{STREETS[n % 6]} {n + 3}"))
    return found


# The centre: 12 persons who consent; 8 had a legal consultation, 6 a psychotherapist (2 of them both).
SPC_PERSONS = people("SPC-", 12, 0)
LEGAL = SPC_PERSONS[:8]
THERAPY = SPC_PERSONS[6:]
# The women's centre: 7 persons, no consent column; each had a legal consultation.
MIMC_PERSONS = people("MIMC-", 7, 5)
TRUTH = {"persons_served": 12, "legal_consultation_persons": 8}
RAW_VALUES = sorted({value for person in SPC_PERSONS + MIMC_PERSONS for value in person.raw_values})

SPC_PERSON_HEADER = ["Įrašo Nr.", "Asmens kodas", "Vardas", "Pavardė", "Gimimo data", "Gatvė", "Savivaldybė",
                     "Sutikimas ataskaitoms"]
SPC_CONTACT_HEADER = ["Įrašo Nr.", "Kliento ID", "Paslauga", "Data", "Trukmė, min."]


def spc_persons_extract(folder: Path) -> Path:
    """The centre's person export: its own headers, Windows-1257, `;`, everyone consents."""
    return write_csv(folder / "asmenys.csv", [SPC_PERSON_HEADER, *(
        [p.record_id, p.code, p.given, p.family, p.born.isoformat(), p.street, "LT-22", "taip"]
        for p in SPC_PERSONS)], encoding="cp1257", delimiter=";")


def spc_contacts_extract(folder: Path) -> Path:
    """The centre's contacts, 2 of 14 rows wrong (a day that does not exist, a service it made up)."""
    rows = [[f"K-{n:03d}", p.record_id, "legal_consultation", day(5 + n), "45"] for n, p in enumerate(LEGAL)]
    rows += [[f"T-{n:03d}", p.record_id, "psychotherapist_adult", day(20 + n), "60"] for n, p in enumerate(THERAPY)]
    rows += [["X-001", LEGAL[0].record_id, "legal_consultation", f"{START.year}-02-30", "45"],
             ["X-002", LEGAL[1].record_id, "teisine_pagalba", day(40), "45"]]
    return write_csv(folder / "kontaktai.csv", [SPC_CONTACT_HEADER, *rows], encoding="cp1257", delimiter=";")


def mimc_persons_extract(folder: Path) -> Path:
    """The women's centre's person export: the contract's raw headers but no consent column."""
    return write_csv(folder / "mimc-asmenys.csv", [
        ["įrašo_id", "asmens_kodas", "vardas", "pavarde", "gimimo_data", "gatve", "savivaldybe"], *(
            [p.record_id, p.code, p.given, p.family, p.born.isoformat(), p.street, "LT-22"] for p in MIMC_PERSONS)])


def mimc_contacts(folder: Path) -> Path:
    return write_csv(folder / "kretingos-mimc-kontaktai.contact.csv", [
        ["record_id", "person_record_id", "service_code", "contact_date", "duration_minutes"], *(
            [f"MK-{n:03d}", p.record_id, "legal_consultation", day(10 + n), "50"]
            for n, p in enumerate(MIMC_PERSONS)),
        ["MK-099", MIMC_PERSONS[0].record_id, "legal_consultation", day(12), "pusvalandis"]])  # not minutes


# --- what every command result is checked for ----------------------------------------------------------


def invoke(*args: object, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, [str(a) for a in args], env=env)


def said(result: Any, code: int, *fragments: str, lines: int | None = None) -> str:
    """`result` exited `code`, says each fragment (in `lines` lines, if given), shows no traceback and none
    of the partners' raw values."""
    output = result.output
    assert result.exit_code == code, output
    assert "Traceback" not in output, output
    assert lines is None or len(output.splitlines()) == lines, output
    for fragment in fragments:
        assert fragment in output, output
    assert not personal_data(output), output
    return output


def personal_data(text: str) -> list[str]:
    """The partners' raw values (names, personal codes, birth dates, addresses) found in `text`."""
    return [value for value in RAW_VALUES if re.search(rf"(?<![\w-]){re.escape(value)}(?![\w-])", text)]


# --- the partner ------------------------------------------------------------------------------------


def test_a_partner_maps_its_own_headers_and_learns_what_was_left_out(tmp_path: Path) -> None:
    partner_walk(tmp_path)


def partner_walk(tmp_path: Path) -> list[Path]:
    """The partners' side of the README, mistakes included; the drop files they send (manifests beside)."""
    key = tmp_path / "kretinga.key"
    said(invoke("keygen", "-o", tmp_path / "raktai" / "kretinga.key", "--lang", "en"), 2,
         f"{tmp_path / 'raktai' / 'kretinga.key'}: the key could not be written there (does the folder exist, "
         "may you write to it?)")
    said(invoke("keygen", "-o", key, "--lang", "en"), 0, "Share it once, out of band")
    persons, contacts = spc_persons_extract(tmp_path), spc_contacts_extract(tmp_path)

    # Its own headers are refused whole, with the way out named.
    said(invoke("pseudonymise", persons, "--org", SPC, "--key-file", key, "-o", tmp_path / "spc.person.csv",
                "--lang", "en"), 2,
         "Column 1 is not in the contract: its data was not copied.", "map it with --columns ('interchange columns "
         "suggest' writes a first mapping)", "no drop written")
    assert not (tmp_path / "spc.person.csv").exists()

    mapping = tmp_path / "my-columns.yaml"
    said(invoke("columns", "suggest", persons, "--kind", "person", "--out", mapping, "--lang", "en"), 0,
         "Headers recognised: 8 of 8 (the contract's person columns).")
    assert "  Asmens kodas: personal_code\n" in mapping.read_text(encoding="utf-8")
    person_drop = tmp_path / "kretingos-spc.person.csv"
    said(invoke("pseudonymise", persons, "--org", SPC, "--key-file", key, "-o", tmp_path / "siuntos" / person_drop.name,
                "--columns", mapping, "--lang", "en"), 2,
         f"The folder {tmp_path / 'siuntos'} does not exist: make it, or choose another --output.")
    said(invoke("pseudonymise", persons, "--org", SPC, "--key-file", key, "-o", person_drop, "--columns", mapping,
                "--lang", "en"), 0, "rows read 12, priimta / accepted 12", "without consent to reporting 0")
    said(invoke("check", person_drop, "--lang", "en"), 0, "accepted 12, atmesta / rejected 0")
    assert not personal_data(person_drop.read_text(encoding="utf-8"))

    # Contacts with two wrong rows: written without them, and the manifest says so.
    contact_mapping = tmp_path / "contact-columns.yaml"
    said(invoke("columns", "suggest", contacts, "--kind", "contact", "--out", contact_mapping, "--lang", "en"), 0,
         "Headers recognised: 5 of 5")
    contact_drop = tmp_path / "kretingos-spc.contact.csv"
    said(invoke("pseudonymise", contacts, "--org", SPC, "--kind", "contact", "--key-file", key, "-o", contact_drop,
                "--columns", contact_mapping, "--lang", "en"), 1,
         "rows read 16, priimta / accepted 14, atmesta / rejected 2",
         "row 16, column 'Data', record X-001 [value.date] error",
         "row 17, column 'Paslauga', record X-002 [value.unknown_service] error")
    manifest = json.loads(Path(f"{contact_drop}.manifest.json").read_text(encoding="utf-8"))
    assert manifest["extract"] == {"rows_read": 16, "rows_written": 14, "rows_rejected": 2,
                                   "rejected_codes": {"value.date": 1, "value.unknown_service": 1}}
    said(invoke("check", contact_drop, "--lang", "en"), 0, "rows read 14")

    # The women's centre exports no consent column: every step counts the persons it leaves out.
    mimc_drop = tmp_path / "kretingos-mimc.person.csv"
    none_consent = ("None of the 7 persons in this file consents to reporting (the column 'sutikimas_ataskaitoms' "
                    "is missing, empty or says no)")
    said(invoke("pseudonymise", mimc_persons_extract(tmp_path), "--org", MIMC, "--key-file", key, "-o", mimc_drop,
                "--lang", "en"), 1, "without consent to reporting 7", none_consent)
    said(invoke("check", mimc_drop, "--lang", "en"), 1, "without consent to reporting 7", none_consent)
    return [person_drop, contact_drop, mimc_drop]


# --- the steward's config mistakes (no Prefect) ---------------------------------------------------------


@pytest.fixture
def fresh_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`interchange init hub` as the README's steward types it, in a shell with no database in the environment."""
    for name in ("INTERCHANGE_DATABASE_URL", "INTERCHANGE_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "hub"
    said(invoke("init", root, "--lang", "en"), 0, f"Created the workspace {root}")
    config = root / "interchange.yaml"
    # The README: edit hub/interchange.yaml (here: figures of 3 or more may be shown).
    config.write_text(config.read_text(encoding="utf-8") + "publishing:\n  min_count: 3\n", encoding="utf-8")
    return root


def edit(root: Path, old: str, new: str) -> None:
    config = root / "interchange.yaml"
    text = config.read_text(encoding="utf-8")
    assert old in text
    config.write_text(text.replace(old, new), encoding="utf-8")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_config_mistakes_stop_each_command_with_one_clear_line(fresh_hub: Path, tmp_path: Path) -> None:
    said(invoke("status", "--workspace", fresh_hub, "--lang", "en"), 0, f"Warehouse: sqlite:///{fresh_hub}")

    edit(fresh_hub, "start: 2026-05-07", "start: 2026-02-30")
    said(invoke("status", "--workspace", fresh_hub, "--lang", "en"), 2,
         "programmes.0.start: expected a day that exists, written YYYY-MM-DD (e.g. 2026-02-28)")
    edit(fresh_hub, "start: 2026-02-30", "start: 2026-05-07")

    edit(fresh_hub, "min_count: 3", "min_count: 2")
    said(invoke("status", "--workspace", fresh_hub, "--lang", "en"), 2,
         "publishing.min_count: 2 all but turns disclosure control off: use 3 or more (default 5), or acknowledge "
         "it with publishing.disclosure_control_off_acknowledged: true")
    edit(fresh_hub, "min_count: 2", "min_count: 3")

    # A second hub set up on PostgreSQL, written the common way, whose server is not there.
    port = closed_port()
    unreachable = said(invoke("init", tmp_path / "hub2", "--lang", "en",
                              env={"INTERCHANGE_DATABASE_URL": f"postgres://hub:hunter2@127.0.0.1:{port}/hub"}), 1,
                       f"error: cannot reach the warehouse database hub at 127.0.0.1:{port}: check that PostgreSQL "
                       "is running there", lines=1)
    assert "hunter2" not in unreachable
    assert not (tmp_path / "hub2" / "interchange.yaml").exists()  # so init can simply be run again

    # The first workspace switched to it by hand: refused before anything is opened.
    edit(fresh_hub, "database_url: sqlite:///warehouse.sqlite", f"database_url: postgres://hub@127.0.0.1:{port}/hub")
    said(invoke("status", "--workspace", fresh_hub, "--lang", "en"), 1,
         f"refused: this workspace's warehouse is sqlite:///{fresh_hub / 'warehouse.sqlite'}",
         f"but this command would open postgresql://127.0.0.1:{port}/hub", lines=1)
    edit(fresh_hub, f"database_url: postgres://hub@127.0.0.1:{port}/hub", "database_url: sqlite:///warehouse.sqlite")

    # A later shell names another warehouse: refused, nothing made, the way to move named.
    other = tmp_path / "other.sqlite"
    said(invoke("ingest", "--workspace", fresh_hub, "--lang", "en", env={"INTERCHANGE_DATABASE_URL": f"sqlite:///{other}"}),
         1, f"refused: this workspace's warehouse is sqlite:///{fresh_hub / 'warehouse.sqlite'}",
         f"interchange database use --workspace {fresh_hub}", lines=1)
    assert not other.exists()
    said(invoke("status", "--workspace", fresh_hub, "--lang", "en"), 0, "Warehouse: sqlite:///")


# --- the steward, then the analyst (one run on Prefect) -----------------------------------------------


def send(drops: list[Path], root: Path) -> None:
    """Each drop (and its manifest) into the hub's inbox/<org>/, as the partners' file transfer leaves them."""
    for path in drops:
        org = SPC if path.name.startswith(SPC) else MIMC
        for part in (path, Path(f"{path}.manifest.json")):
            if part.exists():
                (root / "inbox" / org / part.name).write_bytes(part.read_bytes())


def settle(root: Path) -> None:
    """Every file in the inbox as it is an hour after it landed: no longer being written. Touched in
    name order: the hub takes drops in the order they changed (ctime too), which is this order."""
    for path in sorted((root / "inbox").rglob("*")):
        os.utime(path, (time.time() - 3600, time.time() - 3600))


def cells_csv(folder: Path) -> list[dict[str, str]]:
    with (folder / "cells.csv").open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream))


@on_prefect
def test_steward_and_analyst_walk_ends_in_the_true_figures_or_nothing(
        fresh_hub: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    monkeypatch.setenv("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    hub = ("--workspace", fresh_hub, "--lang", "en")
    # Files reach this hub over a slow share: a file changed in the last 5 minutes may still be copying.
    edit(fresh_hub, "settle_seconds: 5 ", "settle_seconds: 300")
    edit(fresh_hub, "      - type: inbox\n      # A partner API",
         "      - type: inbox\n        settle_seconds: 300\n      # A partner API")
    (tmp_path / "partners").mkdir()
    send(partner_walk(tmp_path / "partners"), fresh_hub)
    # The women's centre's contacts need no pseudonymising; another file is about persons it never sent.
    send([mimc_contacts(tmp_path), write_csv(tmp_path / "kretingos-mimc-nauji.contact.csv", [
        ["record_id", "person_record_id", "service_code", "contact_date", "duration_minutes"],
        ["MN-001", "MIMC-900", "legal_consultation", day(30), "50"],
        ["MN-002", "MIMC-901", "legal_consultation", day(31), "50"]])], fresh_hub)

    # The steward runs ingest the moment the files land: a drop with its manifest is complete and
    # taken at once; the two the women's centre sent without one are left to settle, and it says why.
    waiting = "files in its inbox changed in the last 300 seconds (still being written?): left for the next run"
    said(invoke("ingest", *hub), 0, "Batches: 3; rows loaded: 33", f"  {MIMC}: 2 {waiting}",
         f"{SPC} batch 2 {SPC}.contact.csv: loaded, read 14, loaded 14, unchanged 0, quarantined 0; "
         "2 rows rejected at source")
    settle(fresh_hub)
    said(invoke("ingest", *hub), 1,
         "Batches: 2; rows loaded: 7, unchanged: 0, quarantined: 1, batches held: 1",
         f"{MIMC} batch 4 {MIMC}-kontaktai.contact.csv: loaded, read 8, loaded 7, unchanged 0, quarantined 1",
         f"{MIMC} batch 5 {MIMC}-nauji.contact.csv: held")
    [mimc_receipt] = [json.loads(p.read_text(encoding="utf-8"))
                      for p in (fresh_hub / "receipts" / MIMC).glob("*.json") if ".person." in p.name]
    assert mimc_receipt["persons_without_consent"] == 7
    [receipt_text] = (fresh_hub / "receipts" / MIMC).glob("*.person.csv.txt")
    assert ("  Persons without consent to reporting: 7 (left out of the published figures under the hub's default "
            "rule; column 'sutikimas_ataskaitoms')") in receipt_text.read_text(encoding="utf-8")
    said(invoke("status", *hub), 1, "Waiting for a person: 1 held batches, 1 quarantined rows.",
         f"  {SPC} inbox, batch 2 ({SPC}.contact.csv, contact): 2 rows rejected at source, of 16 read "
         "(value.date ×1, value.unknown_service ×1)")

    said(invoke("link", *hub), 0, "19 person records -> 19 persons")
    said(invoke("review", "list", *hub), 0, "No pairs await review.")
    spc1, mimc1 = f"{SPC}:{SPC_PERSONS[0].record_id}", f"{MIMC}:{MIMC_PERSONS[0].record_id}"
    said(invoke("review", "decide-records", spc1, mimc1, "different", "--reason", "not one family", *hub), 0,
         f"pair 1 ({mimc1}, {spc1}): different")
    said(invoke("review", "decide-records", spc1, mimc1, "same", *hub), 1,
         "refused: pair 1 was already decided different by ", 'give --change and --reason "..."', lines=1)

    # Periods with nothing true to say: refused, nothing stored.
    future = f"{clock.today().year + 1}-Q2"
    said(invoke("publish", "--period", future, *hub), 1, f"refused: {future} has not begun", lines=1)
    said(invoke("publish", "--period", "2019-01", *hub), 1,
         "refused: 2019-01 (2019-01-01 to 2019-01-31): no organisation has loaded records dated in the period", lines=1)
    said(invoke("publish", "--period", QUARTER, *hub), 1,
         f"refused: {QUARTER} not published: no person of these organisations consents to reporting (persons in "
         f"the period in brackets): {MIMC} (7).", "--allow-without-consent", lines=1)
    said(invoke("publications", *hub), 0, "No publications yet")

    said(invoke("publish", "--period", QUARTER, "--allow-without-consent", *hub), 0, f"{QUARTER} v1 (draft)",
         f"  {MIMC}: 7 of 7 persons left out of the figures (no consent to reporting)")
    said(invoke("approve", "--period", QUARTER, *hub), 1, f"refused: {QUARTER} v1 cannot be approved yet:",
         "  held-batches: 1 held batches received since the period began",
         "  open-quarantine: 1 open quarantined rows in batches received since the period began",
         f"interchange approve --period {QUARTER} --despite held-batches --despite open-quarantine")
    assert not (fresh_hub / "outbox" / "ministry").exists() or not any((fresh_hub / "outbox" / "ministry").iterdir())

    # The quarantined row will not come again: dismissed with a reason; the held batch is confirmed.
    said(invoke("quarantine", "list", *hub), 1, "MK-099  value.integer")
    said(invoke("quarantine", "dismiss", "--org", MIMC, "--batch", 4, "--row", 9, *hub), 1,
         "refused: say why the rows are dismissed (--reason); it is kept in the history", lines=1)
    said(invoke("quarantine", "dismiss", "--org", MIMC, "--batch", 4, "--row", 9, "--reason",
                "a duplicate of MK-000", *hub), 0,
         f"batch 4 of {MIMC}: 1 rows dismissed (1 problems), the reason kept in the history. Rows still open in "
         "the batch: 0")
    said(invoke("status", *hub), 1, "Quarantine (open rows): none",
         "Waiting for a person: 1 held batches, 1 versions awaiting approval.")
    said(invoke("review", "history", *hub), 0, f"  1     {mimc1} {spc1}  different")
    said(invoke("approve", "--period", QUARTER, *hub), 1, "  held-batches: 1 held batches",
         f"interchange approve --period {QUARTER} --despite held-batches\n")
    said(invoke("approve", "--period", QUARTER, "--despite", "held-batches", "--by", "ona", *hub), 0,
         f"{QUARTER} v1 approved by ona; the period is locked")

    # The analyst: the files equal the truth, whole numbers, nobody of the women's centre in them.
    folder = fresh_hub / "outbox" / "ministry" / QUARTER / "v1"
    totals = {row["indicator"]: row for row in cells_csv(folder) if row["breakdown"] == "total"}
    assert {code: totals[code]["value"] for code in TRUTH} == {code: str(n) for code, n in TRUTH.items()}
    assert all(totals[code]["status"] == "published" for code in TRUTH)
    by_org = {(row["indicator"], row["org"]): row for row in cells_csv(folder) if row["breakdown"] == "org"}
    assert {org for _, org in by_org} == {SPC}
    cells = json.loads((folder / "cells.json").read_text(encoding="utf-8"))["cells"]
    assert {c["indicator"]: c["value"] for c in cells if c["breakdown"] == "total" and c["indicator"] in TRUTH} \
        == TRUTH
    assert all(isinstance(c["value"], int) for c in cells if c["breakdown"] == "total" and c["indicator"] in TRUTH)

    # Nothing the partners' systems held about a person is anywhere in the hub's workspace.
    files = [path for path in fresh_hub.rglob("*") if path.is_file()]
    assert len(files) > 20  # receipts, archived drops, the warehouse, the exports
    for path in files:
        assert not personal_data(file_text(path)), path


def file_text(path: Path) -> str:
    """A file's text as a search sees it: a workbook's cell values, any other file's bytes as UTF-8."""
    if path.suffix == ".xlsx":
        workbook = openpyxl.load_workbook(path, read_only=True)
        return "\n".join(str(value) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
                         for value in row if value is not None)
    return path.read_bytes().decode("utf-8", errors="replace")
