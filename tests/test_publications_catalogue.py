"""A workspace adds an indicator with YAML only: `publishing.catalogue` in interchange.yaml.

With `extends: shipped` the file lists only what it adds; publish computes the shipped
indicators and the workspace's, records both catalogue versions, and the approved export
carries the new indicator's definition. A wrong entry refuses the publish with the file,
the indicator and the key.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from test_publish_cli import DAY, MONTH, send_and_link

from interchange.indicators.catalogue import CatalogueError, load_catalogue, parse_catalogue
from interchange.indicators.outbox import approve
from interchange.indicators.periods import parse_period
from interchange.indicators.publications import (
    PublicationError,
    load_workspace_catalogue,
    publication_cells_frame,
    publish,
)
from interchange.warehouse.engine import warehouse
from interchange.workspace.layout import Workspace

ADDED = """\
version: ws-1
extends: shipped
indicators:
  - code: legal_consultation_hours
    group: integrated_services
    name_lt: Teisinių konsultacijų valandos
    name_en: Legal consultation hours
    definition_lt: Paslaugos legal_consultation kontaktų trukmės suma valandomis.
    definition_en: Sum of the durations of legal_consultation contacts, in hours.
    unit: hours
    count: hours
    from:
      - source: contact
        service_codes: [legal_consultation]
    disaggregations: by_month_and_org
  - code: legal_consultations_per_person
    group: integrated_services
    name_lt: Teisinės konsultacijos vienam asmeniui
    name_en: Legal consultations per person
    definition_lt: legal_consultation_consultations / legal_consultation_persons.
    definition_en: legal_consultation_consultations / legal_consultation_persons.
    unit: ratio
    numerator: legal_consultation_consultations
    denominator: legal_consultation_persons
    disaggregations: [[org]]
"""


def use_catalogue(root: Path, text: str, name: str = "indicators.yaml") -> None:
    (root / name).write_text(text, encoding="utf-8")
    config = root / "interchange.yaml"
    config.write_text(config.read_text(encoding="utf-8") + f"publishing:\n  catalogue: {name}\n", encoding="utf-8")


def test_extends_shipped_keeps_every_shipped_indicator_and_adds_the_files_own() -> None:
    shipped = load_catalogue()
    catalogue = parse_catalogue(ADDED, origin="ws/indicators.yaml")

    assert catalogue.codes == [*shipped.codes, "legal_consultation_hours", "legal_consultations_per_person"]
    assert catalogue.version == f"{shipped.version}+ws-1"
    # a shipped disaggregation set and a shipped indicator can be named
    assert catalogue.indicator("legal_consultation_hours").breakdowns() == ["total", "month", "org"]


@pytest.mark.parametrize(("change", "expected"), [
    (("code: legal_consultation_hours", "code: persons_served"),
     "indicator 'persons_served': key 'code': the code is in the shipped catalogue already"),
    (("extends: shipped", "extends: national"), "key 'extends': must be 'shipped'"),
    (("version: ws-1\n", ""), "key 'version': is missing"),
    (("denominator: legal_consultation_persons", "denominator: legal_persons"),
     "indicator 'legal_consultations_per_person': key 'denominator': no indicator 'legal_persons'"),
    (("unit: hours", "unit: persons"),
     "indicator 'legal_consultation_hours': key 'unit': count hours has unit 'hours', not 'persons'"),
])
def test_a_bad_workspace_entry_names_the_file_the_indicator_and_the_key(change: tuple[str, str],
                                                                        expected: str) -> None:
    text = ADDED.replace(*change)
    with pytest.raises(CatalogueError) as raised:
        parse_catalogue(text, origin="ws/indicators.yaml")
    assert str(raised.value).startswith("ws/indicators.yaml:") and expected in str(raised.value)


def test_publish_computes_the_workspace_indicator_and_the_export_defines_it(hub_root: Path) -> None:
    send_and_link(hub_root, persons=12)  # 12 persons, a 45-minute legal consultation each
    use_catalogue(hub_root, ADDED)
    workspace = Workspace(hub_root)
    with warehouse(workspace.database_url) as engine:
        published = publish(engine, workspace, parse_period(MONTH), by="ona")
        cells = publication_cells_frame(engine, MONTH, published.version)
        _, files = approve(engine, workspace, MONTH, by="ona")

    assert published.catalogue_version == f"{load_catalogue().version}+ws-1"
    totals = cells[cells["breakdown"] == "total"].set_index("indicator")
    assert totals.loc["legal_consultation_hours", "value"] == 12 * 45 / 60
    assert totals.loc["legal_consultations_per_person", "value"] == 1.0
    assert totals.loc["legal_consultation_persons", "value"] == 12  # the shipped ones are still there
    from openpyxl import load_workbook

    [xlsx] = [f for f in files if f.suffix == ".xlsx"]
    workbook = load_workbook(xlsx, read_only=True)
    defined = [row[0] for row in workbook["definitions"].iter_rows(values_only=True)]
    workbook.close()
    assert "legal_consultation_hours" in defined and "legal_consultations_per_person" in defined
    # The analyst reads the definition next to the figure, from the documented tables.
    with warehouse(workspace.database_url) as engine, engine.connect() as connection:
        found = connection.execute(text("""
                SELECT d.name_en, d.unit, d.catalogue_version, c.value FROM ministry_cells c
                JOIN ministry_indicators d ON d.period = c.period AND d.version = c.version
                 AND d.indicator = c.indicator
                WHERE c.period = :period AND c.indicator = 'legal_consultation_hours' AND c.breakdown = 'total'"""),
            {"period": MONTH}).all()
    assert [tuple(r) for r in found] == [("Legal consultation hours", "hours", published.catalogue_version, 9.0)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_programme_publication_carries_the_targets_on_the_total_cells(hub_root: Path) -> None:
    send_and_link(hub_root, persons=12)
    config = hub_root / "interchange.yaml"
    config.write_text(config.read_text(encoding="utf-8") + f"""\
programmes:
  - code: kompleksines-kretinga
    name: Kompleksinių socialinių paslaugų plėtra Kretingos miesto gyventojams
    start: {DAY - timedelta(days=40):%Y-%m-%d}
    end: {DAY + timedelta(days=40):%Y-%m-%d}
    targets:
      - {{service: legal_consultation, persons: 16, contacts: 200}}
      - {{service: social_workshop, persons: 5}}
    long_term_persons: 50
""", encoding="utf-8")
    workspace = Workspace(hub_root)
    with warehouse(workspace.database_url) as engine:
        publish(engine, workspace, parse_period("kompleksines-kretinga", workspace.config), by="ona")
        approve(engine, workspace, "kompleksines-kretinga", by="ona")
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT indicator, breakdown, value, target FROM ministry_cells WHERE target IS NOT NULL "
                "ORDER BY indicator")).all()
            month_targets = connection.execute(text(
                "SELECT count(*) FROM ministry_cells WHERE breakdown <> 'total' AND target IS NOT NULL")).scalar()

    # social_workshop has no catalogue indicator answering a persons target: progress shows it, not the tables
    assert [tuple(r) for r in rows] == [
        ("integrated_services_long_term_persons", "total", 0.0, 50.0),
        ("legal_consultation_consultations", "total", 12.0, 200.0),
        ("legal_consultation_persons", "total", 12.0, 16.0),
    ]
    assert month_targets == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_wrong_or_missing_workspace_catalogue_refuses_the_publish(hub_root: Path) -> None:
    use_catalogue(hub_root, ADDED.replace("count: hours", "count: minutes"))
    workspace = Workspace(hub_root)
    with pytest.raises(PublicationError) as raised:
        load_workspace_catalogue(workspace)
    message = str(raised.value)
    assert "publishing.catalogue" in message and "indicators.yaml" in message
    assert "indicator 'legal_consultation_hours': key 'count'" in message

    (hub_root / "indicators.yaml").unlink()
    with (warehouse(workspace.database_url) as engine,
          pytest.raises(PublicationError, match="no such catalogue file")):
        publish(engine, Workspace(hub_root), parse_period(MONTH), by="ona")


WORKSHOP = """\
version: ws-2
extends: shipped
indicators:
  - code: workshop_visits
    group: day_activity
    name_lt: Socialinių dirbtuvių apsilankymai
    name_en: Social workshop visits
    definition_lt: Paslaugos social_workshop kontaktų skaičius.
    definition_en: Number of social_workshop contacts.
    unit: contacts
    count: contacts
    from: [{source: contact, service_codes: [social_workshop]}]
    target: {service: social_workshop, figure: contacts}
"""


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_progress_uses_the_workspace_indicator_that_answers_a_target(hub_root: Path) -> None:
    from test_publish_cli import invoke

    send_and_link(hub_root, persons=12)
    use_catalogue(hub_root, WORKSHOP)
    config = hub_root / "interchange.yaml"
    config.write_text(config.read_text(encoding="utf-8") + f"""\
programmes:
  - code: kompleksines-kretinga
    name: Kompleksinių socialinių paslaugų plėtra Kretingos miesto gyventojams
    start: {DAY - timedelta(days=40):%Y-%m-%d}
    end: {DAY + timedelta(days=40):%Y-%m-%d}
    targets:
      - {{service: legal_consultation, persons: 16}}
      - {{service: social_workshop, contacts: 10}}
""", encoding="utf-8")

    result = invoke("progress", "--programme", "kompleksines-kretinga", "--workspace", hub_root, "--lang", "en")
    assert result.exit_code == 0, result.output
    [workshop] = [line for line in result.output.splitlines() if "social_workshop" in line]
    assert workshop.startswith("Social workshop visits") and workshop.split()[-3:] == ["0", "10", "0%"]

    (hub_root / "indicators.yaml").write_text(WORKSHOP.replace("count: contacts", "count: visits"), encoding="utf-8")
    broken = invoke("progress", "--programme", "kompleksines-kretinga", "--workspace", hub_root, "--lang", "en")
    assert broken.exit_code == 2
    assert "indicators.yaml" in broken.output and "indicator 'workshop_visits': key 'count'" in broken.output
