"""The demo's synthetic Kretinga data: realistic extracts whose ground truth is known."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from interchange import clock
from interchange.contract.records import Kind
from interchange.contract.text import fold
from interchange.demo.extracts import addresses_supported
from interchange.demo.national import generate_national, org_of
from interchange.demo.scenario import DVC, MIMC, SPC, SPS, Period, default_period
from interchange.demo.synthetic import TRUTH_FILE, generate_demo_data
from interchange.demo.truth import GroundTruth, out_of_range
from interchange.ingest.expectations import load_suite
from interchange.partner.check import check_drop
from interchange.partner.keys import write_new_key
from interchange.partner.pseudonymise import pseudonymise_file
from interchange.tabular import read_table

pytestmark = pytest.mark.dates  # run again by CI with the clock moved (Makefile, test)

PERIOD = default_period()


@pytest.fixture(scope="module")
def truth(tmp_path_factory: pytest.TempPathFactory) -> GroundTruth:
    root = tmp_path_factory.mktemp("demo")
    return generate_demo_data(root / "partner", period=PERIOD, truth_path=root / TRUTH_FILE)


def _rows(path: Path) -> list[dict[str, object]]:
    with read_table(path) as table:
        return [row.values for row in table.rows]


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_and_period_give_byte_identical_extracts(tmp_path):
    generate_demo_data(tmp_path / "a", seed=5, period=PERIOD)
    generate_demo_data(tmp_path / "b", seed=5, period=PERIOD)
    generate_demo_data(tmp_path / "c", seed=6, period=PERIOD)
    first, again, other = _files(tmp_path / "a"), _files(tmp_path / "b"), _files(tmp_path / "c")
    assert len(first) == 15 and any(name.endswith(".xlsx") for name in first)
    assert first == again
    assert first.keys() == other.keys() and first != other


def test_every_extract_pseudonymises_and_checks_except_the_planted_bad_rows(truth, tmp_path):
    key = write_new_key(tmp_path / "k.key")
    planted = [f for f in truth.files if f.bad_rows]
    assert len(planted) == 1 and len(planted[0].bad_rows) == 4
    for extract in truth.files:
        drop = tmp_path / extract.drop_name
        made = pseudonymise_file(extract.path, drop, org=extract.org, kind=Kind(extract.kind), key=key)
        rejected = sorted({p.row for p in made.errors})
        assert rejected == extract.bad_rows, extract.path.name
        assert made.rows_accepted == extract.rows - len(extract.bad_rows)
        checked = check_drop(drop)
        assert not checked.errors, extract.path.name
        assert checked.rows_accepted == made.rows_accepted
    # The one file sent without the pseudonymiser is caught by `check` row by row.
    as_sent = check_drop(planted[0].path, org=planted[0].org, kind=Kind.CONTACT)
    assert sorted({p.row for p in as_sent.errors}) == planted[0].bad_rows
    assert {p.code for p in as_sent.errors} == {"value.unknown_service", "value.date", "value.integer",
                                                "value.required"}


@pytest.mark.parametrize("seed", [2026, 1, 99])
def test_figures_are_of_the_seeds_order(seed, tmp_path):
    figures = generate_demo_data(tmp_path, seed=seed, period=PERIOD).figures
    assert out_of_range(figures) == {}
    assert figures["integrated_services_long_term_persons"] >= 50  # the programme's target


def test_extracts_say_what_the_ground_truth_counts(truth):
    """Counted back from the raw files (not the entities): the same figures."""
    period = truth.scenario.period
    households = _rows(truth.file(SPC, "seimos.csv").path)
    at_risk = [h for h in households
               if _overlaps(h, "Socialinės rizikos pradžia", "Socialinės rizikos pabaiga", period)]
    assert len(at_risk) == truth.figures["social_risk_families"]
    assert sum(int(str(h["Vaikų skaičius"]).split(",")[0]) for h in at_risk) == truth.figures["social_risk_children"]
    cases = [c for c in _rows(truth.file(MIMC, "atvejai.xlsx").path) if _overlaps(c, "Pradžia", "Pabaiga", period)]
    persons = {truth.person_of(MIMC, str(c["Asmens įrašo ID"])) for c in cases}
    assert len(persons) == truth.figures["dv_help_persons"]
    repeat = {truth.person_of(MIMC, str(c["Asmens įrašo ID"])) for c in cases if c["Pakartotinis smurtas"] == "taip"}
    assert round(len(repeat) / len(persons), 4) == truth.figures["dv_repeat_share"]
    assert sum(int(c["Vaikų šeimoje"]) for c in cases) == truth.figures["dv_children"]
    attendance = truth.file(DVC, "attendance.csv")
    good = [r for n, r in enumerate(_rows(attendance.path), start=2) if n not in attendance.bad_rows]
    assert len(good) == truth.figures["social_workshop_days"]


def _overlaps(row: dict[str, object], first: str, last: str, period: Period) -> bool:
    start, end = _day(row[first]), _day(row.get(last))
    return (start is None or start <= period.end) and (end is None or end >= period.start)


def _day(value: object) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value if type(value) is date else value.date()  # type: ignore[attr-defined]
    return date(*(int(part) for part in str(value).replace(".", "-").split("-")))


def test_a_person_at_several_agencies_is_in_each_agencys_extract(truth):
    orgs_of: dict[int, set[str]] = {}
    for record in truth.records:
        orgs_of.setdefault(record.pid, set()).add(record.org)
    everywhere = [pid for pid, orgs in orgs_of.items() if len(orgs) >= 3]
    assert len(everywhere) >= 5 and sum(len(o) >= 2 for o in orgs_of.values()) >= 100
    extracts = {org: truth.file(org, name).path for org, name in
                ((SPC, "asmenys.csv"), (MIMC, "asmenys.xlsx"), (DVC, "persons.csv"), (SPS, "asmenys.csv"))}
    rows = {org: {str(next(iter(r.values()))): r for r in _rows(path)} for org, path in extracts.items()}
    for pid in everywhere:
        person = truth.scenario.person(pid)
        found = [(r.org, rows[r.org][r.record_id]) for r in truth.records if r.pid == pid]
        assert len(found) == len(orgs_of[pid]) >= 3
        for org, row in found:
            cells = [fold(str(v)) for v in row.values() if v is not None]
            assert _day(list(row.values())[4]) == person.birth_date, org
            assert fold(person.given_name) in cells, org


def test_identities_vary_between_agencies_as_in_real_extracts(truth):
    variants = {v for r in truth.records for v in r.variants}
    assert {"no_code", "code_typo", "surname_typo", "no_diacritics", "maiden_name"} <= variants
    no_code = [r for r in truth.records if "no_code" in r.variants]
    assert len(no_code) >= 20
    mimc = {str(r["Įrašo ID"]): r for r in _rows(truth.file(MIMC, "asmenys.xlsx").path)}
    for record in (r for r in no_code if r.org == MIMC):
        row = mimc[record.record_id]
        assert row["Asmens kodas"] in (None, "") and row["Vardas"] and row["Gimimo data"]
    sps = _rows(truth.file(SPS, "asmenys.csv").path)
    assert all(str(r["pavarde"]) == str(r["pavarde"]).upper() for r in sps)


def test_social_services_centre_exports_windows_1257_with_semicolons_and_decimal_commas(truth):
    raw = truth.file(SPC, "kontaktai.csv").path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the Lithuanian letters are single Windows-1257 bytes
    text = raw.decode("cp1257")
    rows = list(csv.reader(text.splitlines(), delimiter=";"))
    assert rows[0] == ["Įrašo ID", "Asmens įrašo ID", "Paslaugos kodas", "Data", "Trukmė min", "Atvejo ID"]
    assert all(len(r) == 6 and r[4].endswith(",00") for r in rows[1:])
    people = truth.file(SPC, "asmenys.csv").path.read_bytes().decode("cp1257")
    assert "ė" in people and "Š" in people and "\r\n" in people


def test_womens_centre_workbooks_open_with_openpyxl(truth):
    for name in ("asmenys.xlsx", "atvejai.xlsx", "konsultacijos.xlsx", "grupes.xlsx"):
        extract = truth.file(MIMC, name)
        workbook = openpyxl.load_workbook(extract.path, read_only=True)
        rows = list(workbook.active.iter_rows(values_only=True))
        workbook.close()
        assert rows[0][0] == "Įrašo ID" and len(rows) == extract.rows + 1
    persons = openpyxl.load_workbook(truth.file(MIMC, "asmenys.xlsx").path, read_only=True)
    birth_dates = [row[4] for row in persons.active.iter_rows(min_row=2, values_only=True)]
    persons.close()
    assert all(hasattr(d, "year") for d in birth_dates)


def test_ground_truth_file_names_outcomes_and_the_held_batch(truth, tmp_path_factory):
    written = json.loads((truth.root.parent / TRUTH_FILE).read_text(encoding="utf-8"))
    assert written["figures"] == json.loads(json.dumps(truth.figures))
    held = [f for f in written["files"] if f["hub"]["held"]]
    assert len(held) == 1 and held[0]["hub"]["loaded"] == 0
    critical = {e["meta"]["code"] for e in load_suite("contact")["expectations"] if e["meta"]["severity"] == "critical"}
    assert held[0]["hub"]["held_by"] in critical
    stale = truth.file(SPS, held[0]["drop"])
    hub_period_start = clock.today().toordinal() - 366
    assert all(_day(r["data"]).toordinal() < hub_period_start for r in _rows(stale.path))
    quarantining = [f for f in written["files"] if f["hub"]["quarantined"]]
    assert [f["bad_rows"] for f in quarantining] == [f.bad_rows for f in truth.files if f.bad_rows]
    assert len(written["person_records"]) == len(truth.records)


def test_national_data_set_is_hub_ready_reproducible_and_counted(tmp_path):
    first = generate_national(tmp_path / "a", persons=6_000, contacts=60_000, seed=3, period=PERIOD)
    generate_national(tmp_path / "b", persons=6_000, contacts=60_000, seed=3, period=PERIOD)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    totals = first.totals
    assert 6_000 <= totals["persons"] <= 6_000 + 60 * 5 and 54_000 <= totals["contacts"] <= 66_000
    folders = sorted(p for p in (tmp_path / "a").iterdir() if p.is_dir())
    assert len(folders) == 60
    written = sum(check_drop(p).rows_read for p in (tmp_path / "a").rglob("*.contact.csv"))
    assert written == totals["contacts"]
    kretinga = tmp_path / "a" / org_of("LT-22")
    for drop in sorted(kretinga.glob("*.csv")):
        report = check_drop(drop)
        assert not report.errors and report.rows_accepted > 0, drop.name
    pseudonyms: dict[str, set[str]] = {}
    for drop in (tmp_path / "a").rglob("*.person.csv"):
        for row in _rows(drop):
            pseudonyms.setdefault(str(row["person_pseudonym"]), set()).add(drop.parent.name)
    moved = [p for p, orgs in pseudonyms.items() if len(orgs) == 2]
    assert len(moved) == totals["moved_in"] > 0
    assert len(pseudonyms) == totals["persons"]


def test_a_family_shares_its_home_address_in_the_extract(truth):
    if not addresses_supported():
        pytest.skip("this partner kit does not pseudonymise addresses yet")
    from interchange.partner import normalise

    rows = {str(r["Įrašo ID"]): r for r in _rows(truth.file(SPC, "asmenys.csv").path)}
    record_of = {r.pid: r for r in truth.records if r.org == SPC}
    shared = 0
    for family in (truth.scenario.families[h] for h in truth.scenario.risk_families):
        homes = {(normalise.normalise_street(str(rows[record_of[p].record_id]["Gatvė"])),  # type: ignore[attr-defined]
                  rows[record_of[p].record_id]["Namo numeris"])
                 for p in family.members if "no_address" not in record_of[p].variants}
        shared += len(homes) == 1
    assert shared == len(truth.scenario.risk_families)


def test_demo_scale_national_writes_the_data_set_and_its_truth(tmp_path):
    from typer.testing import CliRunner

    from interchange.cli import app

    result = CliRunner().invoke(app, ["demo", "--scale", "national", "--persons", "3000", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    truth = json.loads((tmp_path / "national-truth.json").read_text(encoding="utf-8"))
    assert truth["generator"]["scale"] == "national"
    assert len([p for p in tmp_path.iterdir() if p.is_dir()]) == 60
    assert (tmp_path / "organisations.yaml").is_file()
    assert not (tmp_path / "hub").exists()  # the data set only: no demo workspace, no Prefect
