"""Approval exports as the ministry opens them: CSV with a BOM, XLSX, the diff, metadata with checksums.

What the ministry relies on: no file holds an unsuppressed small figure, no spreadsheet
cell starts a formula, the files are where docs/publishing.md says, and the metadata
names the inputs and the checksum of every file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import get_args

import jsonschema
import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine
from test_publications import PERIOD, RULES, cells

from interchange.contract.cells_export import ExportedCell, Status
from interchange.indicators.dictionary import DIFF_COLUMNS, EXPORT_COLUMNS, XLSX_COLUMNS, render_markdown
from interchange.indicators.export_format import STATUSES, figure
from interchange.indicators.exports import safe_text
from interchange.indicators.outbox import approve
from interchange.indicators.publications import (
    Publication,
    PublicationError,
    load_workspace_catalogue,
    read_inputs,
    reopen_period,
    store_publication,
)
from interchange.indicators.shareable import published_totals
from interchange.warehouse.engine import warehouse
from interchange.workspace.layout import Workspace

pytestmark = pytest.mark.dates  # run again by CI with the clock moved (Makefile, test)

# Suppressed figures the files must never show: 3 (a small count), 7 (a DV count under 10),
# and the numerator 2 and denominator 9 of a suppressed ratio.
HIDDEN = {3.0, 7.0, 2.0, 9.0}
FORMULA_ORG = "=1+2"


def version_cells(*, families_female: float = 120.0, hidden_small: float = 3.0) -> pd.DataFrame:
    families = "social_risk_families"
    frame = cells({("dv_help_persons", "", ""): 266.0, ("dv_help_persons", "sex", "female"): 230.0,
                   ("dv_help_persons", "sex", "male"): 36.0, (families, "", ""): 211.0,
                   (families, "sex", "female"): families_female, (families, "sex", "unknown"): hidden_small})
    dv = cells({("dv_children", "", ""): 7.0})
    dv[["sensitivity", "suppressed", "reason", "published_value"]] = [["dv", True, "primary", float("nan")]]
    ratio = cells({("dv_repeat_share", "sex", "male"): 2 / 9})
    ratio[["numerator", "denominator", "unit", "suppressed", "reason", "published_value"]] = [
        [2.0, 9.0, "ratio", True, "ratio", float("nan")]]
    odd = cells({("social_risk_families", "org", FORMULA_ORG): 150.0})
    return pd.concat([frame, dv, ratio, odd], ignore_index=True)


def figure_cells(*, total: tuple[float, float] = (5.0, 13.0), female: tuple[float, float] = (0.0, 0.0)) -> pd.DataFrame:
    """Figures that are not plain counts: a ratio (total) 5/13 and a ratio (female) 0/0 by default, 37/3 hours."""
    frame = cells({("dv_repeat_share", "", ""): 0.0, ("dv_repeat_share", "sex", "female"): 0.0,
                   ("supervision_care_hours", "", ""): 37 / 3})
    shares = [numerator / denominator if denominator else float("nan") for numerator, denominator in (total, female)]
    frame["numerator"] = [total[0], female[0], 37 / 3]
    frame["denominator"] = [total[1], female[1], float("nan")]
    frame["unit"] = ["ratio", "ratio", "hours"]
    frame[["value", "published_value"]] = [[shares[0]] * 2, [shares[1]] * 2, [37 / 3] * 2]
    frame[["suppressed", "reason"]] = [[False, ""]] * 3
    return frame


@pytest.fixture
def hub(hub_root: Path) -> tuple[Workspace, Engine]:
    workspace = Workspace(hub_root)
    with warehouse(workspace.database_url) as engine:
        yield workspace, engine


def store(engine: Engine, frame: pd.DataFrame) -> Publication:
    return store_publication(engine, PERIOD, frame, inputs=read_inputs(engine), catalogue_version="2026.1", rules=RULES,
                      created_by="steward")


def numbers_in_xlsx(path: Path) -> list[float]:
    workbook = load_workbook(path, read_only=True)
    found = [float(v) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
             for v in row if isinstance(v, int | float) and not isinstance(v, bool)]
    workbook.close()
    return found


def csv_rows(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for Lithuanian letters
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_approve_writes_exports_without_a_single_unsuppressed_small_value(hub: tuple[Workspace, Engine]) -> None:
    workspace, engine = hub
    store(engine, version_cells())
    publication, files = approve(engine, workspace, PERIOD.label, by="ona")
    folder = workspace.root / "outbox" / "ministry" / "2026-Q3" / "v1"
    assert sorted(p.name for p in files) == ["cells.csv", "cells.json", "cells.xlsx", "metadata.json"]
    assert all(p.parent == folder for p in files)

    rows = csv_rows(folder / "cells.csv")
    assert list(rows[0]) == [c.name for c in EXPORT_COLUMNS]
    assert len(rows) == publication.cells == 9
    for row in rows:
        figures = {float(row[c]) for c in ("value", "numerator", "denominator") if row[c]}
        assert not figures & HIDDEN, row
        if row["suppressed"] == "true":
            assert (row["value"], row["numerator"], row["denominator"]) == ("", "", "") and row["reason"]
    total = next(r for r in rows if r["indicator"] == "dv_help_persons" and r["breakdown"] == "total")
    assert (total["value"], total["suppressed"], total["reason"], total["month"]) == ("266", "false", "", "*")
    assert not set(numbers_in_xlsx(folder / "cells.xlsx")) & HIDDEN


def test_no_spreadsheet_cell_starts_a_formula(hub: tuple[Workspace, Engine]) -> None:
    workspace, engine = hub
    store(engine, version_cells())
    _, files = approve(engine, workspace, PERIOD.label, by="ona")
    folder = files[0].parent
    [row] = [r for r in csv_rows(folder / "cells.csv") if r["breakdown"] == "org"]
    assert row["org"] == "'=1+2"
    workbook = load_workbook(folder / "cells.xlsx")
    texts = [cell for sheet in workbook.worksheets for line in sheet.iter_rows() for cell in line
             if cell.value == FORMULA_ORG]
    assert texts and all(cell.data_type == "s" for cell in texts)
    assert not [cell for sheet in workbook.worksheets for line in sheet.iter_rows() for cell in line
                if cell.data_type == "f"]
    assert safe_text("-5") == "'-5" and safe_text("@SUM(A1)") == "'@SUM(A1)" and safe_text("LT-22") == "LT-22"


def test_metadata_names_inputs_rules_versions_and_the_checksum_of_every_file(hub: tuple[Workspace, Engine]) -> None:
    workspace, engine = hub
    store(engine, version_cells())
    _, files = approve(engine, workspace, PERIOD.label, by="ona")
    folder = files[0].parent
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    assert (metadata["period"], metadata["version"], metadata["period_start"]) == ("2026-Q3", 1, "2026-07-01")
    assert metadata["disclosure_rules"] == RULES and metadata["catalogue_version"] == "2026.1"
    assert metadata["code_version"].startswith("interchange ") and len(metadata["inputs_sha256"]) == 64
    assert (metadata["cells"], metadata["suppressed_cells"], metadata["approved_by"]) == (9, 3, "ona")
    assert set(metadata["files"]) == {"cells.csv", "cells.json", "cells.xlsx"}
    for name, described in metadata["files"].items():
        data = (folder / name).read_bytes()
        assert described == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    workbook = load_workbook(folder / "cells.xlsx", read_only=True)
    readme = "\n".join(str(v) for row in workbook["README"].iter_rows(values_only=True) for v in row if v)
    assert "Rodiklių publikacija 2026-Q3, versija 1" in readme and "Indicator publication 2026-Q3, version 1" in readme
    dictionary = [row for row in workbook["dictionary"].iter_rows(values_only=True)][1:]
    assert [r[0] for r in dictionary] == [c.name for c in XLSX_COLUMNS]
    # One sheet per indicator group of the catalogue, and the definitions of the indicators exported.
    assert {"domestic_violence", "social_risk", "definitions"} <= set(workbook.sheetnames)
    groups = {row[0] for row in workbook["domestic_violence"].iter_rows(min_row=2, values_only=True)}
    assert {row[2] for row in workbook["domestic_violence"].iter_rows(min_row=2, values_only=True)} == {
        "dv_help_persons", "dv_children", "dv_repeat_share"} and groups == {"2026-Q3"}
    definitions = {row[0]: row for row in workbook["definitions"].iter_rows(min_row=2, values_only=True)}
    assert set(definitions) == {"dv_help_persons", "dv_children", "dv_repeat_share", "social_risk_families"}
    assert all(row[3] and row[4] for row in definitions.values())  # names in LT and EN
    workbook.close()


def test_version_two_exports_the_diff_of_published_cells_only(hub: tuple[Workspace, Engine]) -> None:
    workspace, engine = hub
    store(engine, version_cells())
    approve(engine, workspace, PERIOD.label, by="ona")
    reopen_period(engine, PERIOD.label, by="ona", reason="corrected women's centre drop")
    # families/female changes in the open; families/unknown changes while staying suppressed (3 -> 4).
    store(engine, version_cells(families_female=121.0, hidden_small=4.0))
    publication, files = approve(engine, workspace, PERIOD.label, by="ona")
    assert publication.changed_cells == 2  # the stewards' diff has both
    assert sorted(p.name for p in files) == ["cells.csv", "cells.json", "cells.xlsx", "changes.csv", "metadata.json"]
    changes = csv_rows(files[0].parent / "changes.csv")
    assert list(changes[0]) == [c.name for c in DIFF_COLUMNS]
    assert [(r["indicator"], r["sex"], r["change"], r["value_before"], r["value_after"], r["previous_version"])
            for r in changes] == [("social_risk_families", "female", "changed", "120", "121", "1")]
    assert (workspace.root / "outbox" / "ministry" / "2026-Q3" / "v1" / "cells.csv").is_file()  # v1 stays


def test_approving_twice_is_refused_and_lost_exports_are_written_again(hub: tuple[Workspace, Engine]) -> None:
    workspace, engine = hub
    store(engine, version_cells())
    _, files = approve(engine, workspace, PERIOD.label, by="ona")
    first = {p.name: p.read_bytes() for p in files if p.suffix == ".csv"}
    with pytest.raises(PublicationError, match="already approved"):
        approve(engine, workspace, PERIOD.label, by="ona")
    for path in files:
        path.unlink()
    files[0].parent.rmdir()
    _, again = approve(engine, workspace, PERIOD.label, 1, by="ona")
    assert {p.name: p.read_bytes() for p in again if p.suffix == ".csv"} == first


def test_the_data_dictionary_in_docs_is_the_one_the_exports_carry() -> None:
    docs = Path(__file__).resolve().parents[1] / "docs" / "data-dictionary.md"
    assert docs.read_text(encoding="utf-8") == render_markdown(), (
        "docs/data-dictionary.md is out of date: regenerate it from interchange.indicators.dictionary.render_markdown")


def test_every_column_of_the_ministry_tables_is_in_the_data_dictionary() -> None:
    from interchange.indicators.dictionary import TABLES
    from interchange.warehouse.tables import ministry_cells, ministry_indicators, ministry_publications

    for table in (ministry_cells, ministry_publications, ministry_indicators):
        assert [c.name for c in TABLES[table.name][2]] == [c.name for c in table.columns]
    assert [c.name for c in EXPORT_COLUMNS] == [*(c.name for c in ministry_cells.columns), "status"]
    for columns in (*(t[2] for t in TABLES.values()), EXPORT_COLUMNS, XLSX_COLUMNS, DIFF_COLUMNS):
        assert all(c.lt and c.en and c.type for c in columns)


def json_cells(path: Path) -> dict[tuple[str, str], dict]:
    document = json.loads(path.read_text(encoding="utf-8"))
    return {(c["indicator"], c["breakdown"] + ":" + c["sex"]): c for c in document["cells"]}


def xlsx_cells(path: Path) -> dict[tuple[str, str], dict]:
    """Every indicator-group sheet's rows by (indicator, breakdown:sex), as header -> value."""
    workbook = load_workbook(path, read_only=True)
    found = {}
    for sheet in workbook.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        if sheet.title not in ("README", "dictionary", "definitions", "changes"):
            for row in rows[1:]:
                cell = dict(zip(rows[0], row, strict=True))
                found[(cell["indicator"], f"{cell['breakdown']}:{cell['sex']}")] = cell
    workbook.close()
    return found


def test_every_format_tells_a_suppressed_cell_from_a_ratio_with_nothing_to_divide(
        hub: tuple[Workspace, Engine]) -> None:
    workspace, engine = hub
    store(engine, pd.concat([version_cells(), figure_cells()], ignore_index=True))
    _, files = approve(engine, workspace, PERIOD.label, by="ona")
    folder = files[0].parent
    suppressed, not_applicable = ("social_risk_families", "sex:unknown"), ("dv_repeat_share", "sex:female")
    published = ("dv_help_persons", "total:*")

    by_key = {(r["indicator"], f"{r['breakdown']}:{r['sex']}"): r for r in csv_rows(folder / "cells.csv")}
    assert [(by_key[k]["status"], by_key[k]["value"], by_key[k]["suppressed"])
            for k in (suppressed, not_applicable, published)] == [
        ("suppressed", "", "true"), ("not_applicable", "", "false"), ("published", "266", "false")]
    assert (by_key[not_applicable]["numerator"], by_key[not_applicable]["denominator"]) == ("0", "0")
    for found in (json_cells(folder / "cells.json"), xlsx_cells(folder / "cells.xlsx")):
        assert [(found[k]["status"], found[k]["value"]) for k in (suppressed, not_applicable, published)] == [
            ("suppressed", None), ("not_applicable", None), ("published", 266)]
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["statuses"] == ["published", "suppressed", "not_applicable"]
    readme = "\n".join(str(v) for row in load_workbook(folder / "cells.xlsx", read_only=True)["README"]
                       .iter_rows(values_only=True) for v in row if v)
    assert "\"not_applicable\" there is no figure to publish (a ratio whose denominator is 0; value empty)" in readme


def test_counts_are_whole_numbers_and_ratios_are_rounded_in_every_format(hub: tuple[Workspace, Engine]) -> None:
    workspace, engine = hub
    store(engine, pd.concat([version_cells(), figure_cells()], ignore_index=True))
    _, files = approve(engine, workspace, PERIOD.label, by="ona")
    folder = files[0].parent
    count, ratio, hours = ("dv_help_persons", "total:*"), ("dv_repeat_share", "total:*"), (
        "supervision_care_hours", "total:*")

    by_key = {(r["indicator"], f"{r['breakdown']}:{r['sex']}"): r for r in csv_rows(folder / "cells.csv")}
    assert [by_key[k]["value"] for k in (count, ratio, hours)] == ["266", "0.3846", "12.33"]
    assert (by_key[ratio]["numerator"], by_key[ratio]["denominator"], by_key[count]["numerator"]) == ("5", "13", "266")
    for found in (json_cells(folder / "cells.json"), xlsx_cells(folder / "cells.xlsx")):
        assert [found[k]["value"] for k in (count, ratio, hours)] == [266, 0.3846, 12.33]
        assert type(found[count]["value"]) is int and type(found[ratio]["numerator"]) is int
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["decimals"] == {"ratio": 4, "hours": 2, "family_weeks": 2, "other_units": 0}
    assert metadata["rounding"] == "half_up"
    assert (figure(0.03125, 4), figure(143.0, 0), figure(float("nan"), 4)) == (0.0313, 143, None)


def test_the_json_of_the_figures_sits_beside_the_csv_with_names_and_its_checksum(
        hub: tuple[Workspace, Engine]) -> None:
    workspace, engine = hub
    store(engine, version_cells())
    publication, files = approve(engine, workspace, PERIOD.label, by="ona")
    folder = files[0].parent
    document = json.loads((folder / "cells.json").read_text(encoding="utf-8"))
    assert (document["period"], document["version"], len(document["cells"])) == ("2026-Q3", 1, publication.cells)
    assert list(document["cells"][0]) == [c.name for c in EXPORT_COLUMNS]
    names = {d["indicator"]: d["name_en"] for d in document["indicators"]}
    assert names["dv_help_persons"] == load_workspace_catalogue(workspace).indicator("dv_help_persons").name_en
    [odd] = [c for c in document["cells"] if c["breakdown"] == "org"]
    assert odd["org"] == FORMULA_ORG  # JSON is not a spreadsheet: the text is as it is
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    data = (folder / "cells.json").read_bytes()
    assert metadata["files"]["cells.json"] == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    # A program may rely on the published schema: the file keeps it, and it describes every column.
    schema = json.loads((Path(__file__).resolve().parents[1] / "schemas" / "cells.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)
    assert list(ExportedCell.model_fields) == [c.name for c in EXPORT_COLUMNS]
    assert get_args(Status) == STATUSES


def test_the_xlsx_names_each_indicator_under_a_frozen_header_with_filters(hub: tuple[Workspace, Engine]) -> None:
    workspace, engine = hub
    store(engine, version_cells())
    approve(engine, workspace, PERIOD.label, by="ona")
    folder = workspace.root / "outbox" / "ministry" / "2026-Q3" / "v1"
    catalogue = load_workspace_catalogue(workspace)
    workbook = load_workbook(folder / "cells.xlsx")  # not read-only: the sheet's view and filter are read too
    sheet = workbook["domestic_violence"]
    header = [c.value for c in sheet[1]]
    assert header[2:5] == ["indicator", "name_lt", "name_en"] and header[-1] == "status"
    rows = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)]
    children = next(r for r in rows if r["indicator"] == "dv_children")
    assert (children["name_lt"], children["name_en"]) == (catalogue.indicator("dv_children").name_lt,
                                                          catalogue.indicator("dv_children").name_en)
    assert children["name_lt"] and children["name_en"] != "dv_children"
    for title in ("domestic_violence", "social_risk", "definitions", "dictionary"):
        assert workbook[title].freeze_panes == "A2", title
        assert workbook[title].auto_filter.ref == workbook[title].dimensions, title  # the header and every row
    assert [r[0] for r in workbook["dictionary"].iter_rows(min_row=2, values_only=True)][2:5] == [
        "indicator", "name_lt", "name_en"]


def test_the_diff_says_the_state_of_each_side_and_rounds_as_the_cells_do(hub: tuple[Workspace, Engine]) -> None:
    workspace, engine = hub
    store(engine, pd.concat([version_cells(), figure_cells()], ignore_index=True))
    approve(engine, workspace, PERIOD.label, by="ona")
    reopen_period(engine, PERIOD.label, by="ona", reason="late referrals")
    # The female repeat share had nothing to divide in v1 (0/0) and is 5/13 in v2; a count cell is added;
    # the total share moves from 5/13 to 458/1191, which both write as 0.3846: no change in the files.
    later = pd.concat([version_cells(), figure_cells(total=(458.0, 1191.0), female=(5.0, 13.0)),
                       cells({("dv_children", "sex", "male"): 12.0})], ignore_index=True)
    store(engine, later)
    _, files = approve(engine, workspace, PERIOD.label, by="ona")
    changes = {(r["indicator"], r["sex"]): r for r in csv_rows(files[0].parent / "changes.csv")}
    assert set(changes) == {("dv_repeat_share", "female"), ("dv_children", "male")}
    share, added = changes[("dv_repeat_share", "female")], changes[("dv_children", "male")]
    assert (share["change"], share["value_before"], share["value_after"]) == ("changed", "", "0.3846")
    assert (share["status_before"], share["status_after"]) == ("not_applicable", "published")
    assert (added["change"], added["value_after"], added["status_before"], added["status_after"]) == (
        "added", "12", "", "published")


def test_the_totals_a_run_shows_are_written_as_the_exports_write_them(hub: tuple[Workspace, Engine]) -> None:
    _, engine = hub
    publication = store(engine, pd.concat([version_cells(), figure_cells(total=(0.0, 0.0))], ignore_index=True))
    totals = {row["indicator"]: row for row in published_totals(engine, publication)}
    assert [(totals[code]["published_total"], totals[code]["status"]) for code in (
        "dv_help_persons", "dv_children", "dv_repeat_share", "supervision_care_hours")] == [
        (266, "published"), (None, "suppressed"), (None, "not_applicable"), (12.33, "published")]
    assert type(totals["dv_help_persons"]["published_total"]) is int
