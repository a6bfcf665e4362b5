"""The indicator catalogue: the shipped file covers the reported figures; a bad file is a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from interchange.contract.services import SERVICES_BY_CODE
from interchange.indicators.catalogue import CatalogueError, load_catalogue, parse_catalogue
from interchange.indicators.cells import DIMENSIONS

GOOD = """\
version: "t1"
disaggregation_sets:
  persons: [[month], [sex, age_group]]
indicators:
  - code: legal_persons
    group: test_group
    name_lt: Teisinės konsultacijos
    name_en: Legal consultations
    definition_lt: Asmenys.
    definition_en: Persons.
    unit: persons
    count: persons
    from:
      - source: contact
        service_codes: [legal_consultation]
    disaggregations: persons
  - code: served_persons
    group: test_group
    name_lt: Asmenys
    name_en: Persons
    definition_lt: Asmenys.
    definition_en: Persons.
    unit: persons
    count: persons
    from:
      - source: contact
    disaggregations: persons
  - code: legal_share
    group: test_group
    name_lt: Dalis
    name_en: Share
    definition_lt: Dalis.
    definition_en: Share.
    unit: ratio
    numerator: legal_persons
    denominator: served_persons
    disaggregations: [[month]]
"""


def error_of(text: str, origin: str = "ws/catalogue.yaml") -> str:
    with pytest.raises(CatalogueError) as raised:
        parse_catalogue(text, origin=origin)
    message = str(raised.value)
    assert "Traceback" not in message
    return message


def test_the_shipped_catalogue_loads_and_is_bilingual() -> None:
    catalogue = load_catalogue()

    assert catalogue.version
    assert len(set(catalogue.codes)) == len(catalogue.codes) >= 30
    for indicator in catalogue.indicators:
        assert indicator.name_lt != indicator.name_en and indicator.definition_lt and indicator.definition_en
        assert all(set(b) <= set(DIMENSIONS) for b in indicator.disaggregations)
        assert indicator.breakdowns()[0] == "total"


def test_the_shipped_catalogue_covers_the_figures_of_the_seed_reports() -> None:
    catalogue = load_catalogue()
    codes = set(catalogue.codes)

    assert {"social_risk_families", "social_risk_children", "dv_help_persons", "dv_repeat_share", "dv_children",
            "integrated_services_long_term_persons", "multi_org_persons", "social_workshop_participants",
            "social_workshop_days", "case_management_clients", "supervised_families",
            "supervision_visits_per_family_week", "integrated_help_persons", "outreach_persons_found",
            "outreach_persons_helped"} <= codes
    for service in ("psychologist_child", "psychotherapist_adult", "addiction_counsellor", "legal_consultation"):
        persons = [i for i in catalogue.indicators if i.target and i.target.service == service
                   and i.target.figure == "persons"]
        contacts = [i for i in catalogue.indicators if i.target and i.target.service == service
                    and i.target.figure == "contacts"]
        assert len(persons) == len(contacts) == 1, service
    for service in ("therapeutic_group", "parenting_skills"):
        figures = {i.target.figure for i in catalogue.indicators if i.target and i.target.service == service}
        assert figures == {"sessions", "persons"}, service
    # built on domestic-violence data: the stricter suppression threshold applies
    assert {i.code for i in catalogue.indicators if i.sensitivity == "dv"} == {
        "dv_help_persons", "dv_repeat_persons", "dv_repeat_share", "dv_children"}
    share = catalogue.indicator("dv_repeat_share")
    assert (share.numerator, share.denominator, share.unit) == ("dv_repeat_persons", "dv_help_persons", "ratio")


def test_a_good_catalogue_expands_disaggregation_sets() -> None:
    catalogue = parse_catalogue(GOOD)

    assert catalogue.version == "t1"
    assert catalogue.indicator("legal_persons").breakdowns() == ["total", "month", "sex+age_group"]
    assert catalogue.indicator("legal_share").breakdowns() == ["total", "month"]
    assert catalogue.definitions()[2]["breakdowns"] == "total, month"


def test_a_catalogue_loads_from_a_path_and_a_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text(GOOD, encoding="utf-8")

    assert load_catalogue(path).codes == ["legal_persons", "served_persons", "legal_share"]
    with pytest.raises(CatalogueError, match=r"nowhere\.yaml: no such catalogue file"):
        load_catalogue(tmp_path / "nowhere.yaml")


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("service_codes: [legal_consultation]", "service_codes: [legal_consultatoin]",
     "indicator 'legal_persons': key 'from.0.service_codes': unknown service code(s) legal_consultatoin"),
    ("    name_lt: Teisinės konsultacijos\n", "",
     "indicator 'legal_persons': key 'name_lt': is missing"),
    ("    count: persons\n    from:\n      - source: contact\n        service_codes",
     "    count: people\n    from:\n      - source: contact\n        service_codes",
     "indicator 'legal_persons': key 'count': must be one of"),
    ("numerator: legal_persons", "numerator: legal_people",
     "indicator 'legal_share': key 'numerator': no indicator 'legal_people' in the catalogue"),
    ("disaggregations: [[month]]", "disaggregations: [[month], [region]]",
     "indicator 'legal_share': key 'disaggregations': unknown dimension(s) region"),
    ("disaggregations: [[month]]", "disaggregations: [[month], [org]]",
     "indicator 'legal_share': key 'disaggregations': org is not a breakdown of its numerator legal_persons"),
    ("    unit: ratio\n", "    unit: persons\n",
     "indicator 'legal_share': key 'unit': a ratio has unit 'ratio', not 'persons'"),
    ("code: served_persons", "code: legal_persons",
     "indicator 'legal_persons': key 'code': the code is used twice"),
    ("      - source: contact\n    disaggregations: persons",
     "      - source: contact\n        case_types: [case_management]\n    disaggregations: persons",
     "indicator 'served_persons': key 'from.0': case_types and case_flags apply to source case, not contact"),
    ("      - source: contact\n    disaggregations: persons",
     "      - source: group_session\n    disaggregations: persons",
     "indicator 'served_persons': key 'from': count persons cannot be made from source "
     "group_session"),
    ("disaggregations: persons\n  - code: legal_share", "disaggregations: people\n  - code: legal_share",
     "indicator 'served_persons': key 'disaggregations': no disaggregation set named 'people' (sets: persons)"),
    ("    group: test_group\n    name_lt: Asmenys", "    group: test_group\n    colour: blue\n    name_lt: Asmenys",
     "indicator 'served_persons': key 'colour': is not a known key"),
    ('version: "t1"\n', "", "key 'version': is missing"),
])
def test_a_bad_definition_names_the_file_the_indicator_and_the_key(old: str, new: str, expected: str) -> None:
    assert old in GOOD, old
    message = error_of(GOOD.replace(old, new, 1))

    assert message.startswith("ws/catalogue.yaml:")
    assert expected in message


def test_breakdowns_that_do_not_apply_to_the_count_are_refused() -> None:
    text = GOOD.replace("""  - code: served_persons
    group: test_group
    name_lt: Asmenys
    name_en: Persons
    definition_lt: Asmenys.
    definition_en: Persons.
    unit: persons
    count: persons
    from:
      - source: contact
    disaggregations: persons""", """  - code: served_persons
    group: test_group
    name_lt: Asmenys
    name_en: Persons
    definition_lt: Asmenys.
    definition_en: Persons.
    unit: households
    count: households
    from:
      - source: social_risk_household
    disaggregations: [[sex]]""")

    message = error_of(text)

    assert ("indicator 'served_persons': key 'disaggregations': households cannot be broken down by sex "
            "(possible: month, municipality, org)") in message


def test_a_file_that_is_not_yaml_or_not_a_catalogue_is_a_clear_error() -> None:
    assert error_of("version: [1\nindicators: x").startswith("ws/catalogue.yaml: not valid YAML (line")
    assert "expected a mapping with version, indicators" in error_of("- just\n- a list\n")
    assert "key 'indicators': is missing" in error_of("version: x\n")


def test_a_group_service_cannot_be_counted_as_a_contact() -> None:
    message = error_of(GOOD.replace("service_codes: [legal_consultation]", "service_codes: [therapeutic_group]"))

    assert "therapeutic_group is a group service and never comes as source contact" in message
    assert SERVICES_BY_CODE["therapeutic_group"].group == "integrated_services"


def test_the_analysts_page_lists_every_indicator_with_both_names() -> None:
    page = (Path(__file__).parents[1] / "docs" / "indicators.md").read_text(encoding="utf-8")

    for indicator in load_catalogue().indicators:
        assert f"| `{indicator.code}` | {indicator.group} | {indicator.name_lt} | {indicator.name_en} |" in page, (
            indicator.code)
