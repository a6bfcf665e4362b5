"""The record contract as partners meet it: headers, values, code lists, messages."""

from datetime import date, timedelta

import pytest

from interchange import clock
from interchange.contract.codes import MUNICIPALITIES, find_municipality
from interchange.contract.records import MODELS, Kind
from interchange.contract.rows import map_headers, validate_row
from interchange.contract.services import SERVICES, find_service
from interchange.i18n.problem import TEXT as PROBLEM_TEXT

pytestmark = pytest.mark.dates  # run again by CI with the clock moved (Makefile, test)

A_PERSONAL_CODE = "33309240064"


def _row(kind: Kind, values: dict, org: str | None = "kretingos-spc"):
    headers = map_headers(kind, list(values), supplied=["org"] if org else [])
    assert not headers.fatal, [p.code for p in headers.problems]
    return validate_row(kind, 2, values, headers, org=org)


@pytest.mark.parametrize(
    "header",
    ["gimimo_metai", "Gimimo metai", "GIMIMO-METAI", "birth_year", "Birth Year", " gimimo_metai "],
)
def test_birth_year_header_matches_in_both_languages_and_any_case(header):
    headers = map_headers(Kind.PERSON, ["record_id", header], supplied=["org"])
    assert headers.columns[header] == "birth_year"
    assert not headers.problems


def test_lithuanian_headers_match_with_or_without_diacritics():
    with_letters = map_headers(Kind.PERSON, ["Įrašo_ID", "Savivaldybė", "Priklausomybė"],
                               supplied=["org"])
    without = map_headers(Kind.PERSON, ["iraso_id", "savivaldybe", "priklausomybe"],
                          supplied=["org"])
    assert sorted(with_letters.columns.values()) == sorted(without.columns.values()) == [
        "addiction", "municipality", "record_id"]


def test_unknown_missing_and_repeated_columns_are_named():
    headers = map_headers(Kind.CONTACT, ["record_id", "org", "data", "contact_date", "adresas"])
    codes = {(p.code, p.column) for p in headers.problems}
    assert ("header.unknown", "adresas") in codes
    assert ("header.duplicate", "contact_date") in codes
    assert ("header.missing", "asmens_iraso_id") in codes
    assert headers.fatal


def test_every_field_has_lithuanian_header_and_both_descriptions():
    for kind, model in MODELS.items():
        lt_headers = []
        for name, info in model.model_fields.items():
            extra = info.json_schema_extra or {}
            assert info.description, (kind, name)
            assert extra.get("x-description-lt"), (kind, name)
            lt_headers.append(extra["x-header-lt"])
        assert len(set(lt_headers)) == len(lt_headers), kind


@pytest.mark.parametrize(
    "spelling", ["LT-22", "lt-22", "Kretingos rajono savivaldybė", "Kretingos r. sav.",
                 "kretingos r.", "KRETINGOS RAJONO SAVIVALDYBE", "Kretinga District Municipality"],
)
def test_municipality_accepts_code_and_official_names(spelling):
    assert find_municipality(spelling) == "LT-22"


def test_sixty_municipalities_with_unique_codes_and_names():
    assert len(MUNICIPALITIES) == 60
    assert len({m.code for m in MUNICIPALITIES}) == 60
    assert len({m.name_lt for m in MUNICIPALITIES}) == 60
    assert find_municipality("Vilniaus m. sav.") == "LT-57"
    assert find_municipality("Vilniaus r. sav.") == "LT-58"
    assert find_municipality("Birštono sav.") == "LT-05"


def test_person_row_in_lithuanian_becomes_a_record():
    result = _row(Kind.PERSON, {
        "įrašo_id": "A1", "gimimo_metai": "1985", "lytis": "Moteris",
        "savivaldybė": "Kretingos r. sav.", "smurto_auka": "TAIP", "negalia": "taip",
        "dalyvumo_lygis": "40", "sutikimas_ataskaitoms": "ne",
    })
    assert result.problems == []
    person = result.record
    assert (person.org, person.birth_year, person.sex, person.municipality) == (
        "kretingos-spc", 1985, "female", "LT-22")
    assert person.dv_victim and person.disability and person.consent_reporting is False
    assert person.participation_level == 40


def test_single_letter_sex_is_refused_as_ambiguous():
    result = _row(Kind.PERSON, {"record_id": "A1", "sex": "M"})
    assert [p.code for p in result.problems] == ["value.sex_ambiguous"]


def test_each_bad_value_gets_its_own_code_and_column():
    future = (clock.today() + timedelta(days=3)).isoformat()
    result = _row(Kind.CONTACT, {
        "record_id": "K1", "person_record_id": "A1", "service_code": "palm_reading",
        "contact_date": future, "duration_minutes": "sixty",
    })
    found = {(p.column, p.code) for p in result.problems}
    assert found == {("service_code", "value.unknown_service"), ("contact_date", "value.future"),
                     ("duration_minutes", "value.integer")}
    assert all(p.row == 2 and p.record_id == "K1" for p in result.problems)


def test_group_service_in_a_contact_row_is_refused():
    result = _row(Kind.CONTACT, {"record_id": "K1", "person_record_id": "A1",
                                 "service_code": "therapeutic_group", "contact_date": "2026-03-02"})
    assert [p.code for p in result.problems] == ["value.invalid"]
    assert "group_session" in result.problems[0].message_en


def test_group_session_attendance_is_a_pipe_separated_list():
    result = _row(Kind.GROUP_SESSION, {"record_id": "G1", "paslaugos_kodas": "parenting_skills",
                                       "data": "2026.03.05", "dalyviai": "A1| A2 |A1||A3"})
    assert result.problems == []
    assert result.record.attendee_record_ids == ["A1", "A2", "A3"]
    assert result.record.session_date == date(2026, 3, 5)


def test_case_needs_a_subject_and_dates_in_order():
    no_subject = _row(Kind.CASE, {"record_id": "C1", "case_type": "dv_specialised_help",
                                  "opened": "2026-02-01"})
    assert [p.code for p in no_subject.problems] == ["value.needs_one_of"]
    backwards = _row(Kind.CASE, {"record_id": "C1", "case_type": "dv_specialised_help",
                                 "person_record_id": "A1", "pradzia": "2026-02-01",
                                 "pabaiga": "2026-01-01"})
    assert [(p.code, p.column) for p in backwards.problems] == [("value.order", "pabaiga")]
    assert "pradzia" in backwards.problems[0].message_en


def test_ambiguous_day_first_dates_are_refused():
    result = _row(Kind.CASE, {"record_id": "C1", "case_type": "case_management",
                              "person_record_id": "A1", "opened": "03/04/2026"})
    assert [p.code for p in result.problems] == ["value.date"]


def test_deletion_row_needs_only_its_id():
    result = _row(Kind.CONTACT, {"record_id": "K9", "deleted": "taip", "service_code": ""})
    assert result.problems == []
    assert result.record.deleted is True and result.record.record_id == "K9"


def test_file_of_deletions_only_is_readable_and_other_rows_say_what_is_missing():
    headers = map_headers(Kind.CONTACT, ["record_id", "deleted"], supplied=["org"])
    assert not headers.fatal
    assert {p.severity.value for p in headers.problems} == {"warning"}
    kept = validate_row(Kind.CONTACT, 3, {"record_id": "K1", "deleted": "ne"}, headers, org="x1")
    assert {p.code for p in kept.problems} == {"value.required"}


def test_row_of_another_organisation_is_refused():
    result = _row(Kind.PERSON, {"record_id": "A1", "org": "kretingos-dvc"})
    assert [p.code for p in result.problems] == ["value.invalid"]


def test_personal_code_used_as_record_id_is_refused_and_not_repeated():
    result = _row(Kind.PERSON, {"record_id": A_PERSONAL_CODE, "birth_year": "1933"})
    assert [p.code for p in result.problems] == ["value.personal_code"]
    problem = result.problems[0]
    assert problem.record_id is None
    for text in (problem.message_en, problem.message_lt, problem.where(), str(problem.as_dict())):
        assert A_PERSONAL_CODE not in text


def test_messages_never_format_the_rejected_value():
    for code, (lt, en) in PROBLEM_TEXT.items():
        for template in (lt, en):
            assert "{value}" not in template and "{input}" not in template, code


SEED_SERVICES = [
    "psychologist_child", "psychotherapist_adult", "addiction_counsellor", "legal_consultation",
    "therapeutic_group", "parenting_skills", "sch_psychological", "sch_social_counselling",
    "sch_legal_referral", "sch_mediation", "sch_employment", "social_workshop",
    "case_management", "outreach_search", "community_work", "supervision_visit",
    "supervision_care_hours", "family_conference", "youth_open", "youth_mobile",
    "integrated_nursing", "integrated_care", "carer_psychological",
]


def test_service_catalogue_covers_the_seed_organisations_services():
    assert all(find_service(code) is not None for code in SEED_SERVICES)
    assert len({s.code for s in SERVICES}) == len(SERVICES)
    assert all(s.name_lt and s.name_en for s in SERVICES)


@pytest.mark.parametrize(("cell", "minutes"), [("45", 45), ("45,0", 45), (" 45,00 ", 45), ("45.0", 45)])
def test_whole_number_written_with_a_decimal_comma_is_accepted(cell, minutes):
    # Spreadsheets in the Lithuanian locale write a number cell formatted with decimals as 45,0.
    result = _row(Kind.CONTACT, {"record_id": "K1", "person_record_id": "A1",
                                 "service_code": "legal_consultation", "contact_date": "2026-01-05",
                                 "duration_minutes": cell})
    assert result.problems == []
    assert result.record.duration_minutes == minutes


@pytest.mark.parametrize("cell", ["1,5", "45,05", "1,000", "4 500", "45,", ",0"])
def test_fraction_or_ambiguous_separator_in_a_whole_number_field_is_value_integer(cell):
    # 1,000 is a thousand in an English locale and one in the Lithuanian: never guessed.
    for kind, values in [
        (Kind.CONTACT, {"record_id": "K1", "person_record_id": "A1", "service_code": "legal_consultation",
                        "contact_date": "2026-01-05", "duration_minutes": cell}),
        (Kind.PERSON, {"record_id": "A1", "birth_year": cell}),
        (Kind.HOUSEHOLD, {"record_id": "H1", "children_count": cell}),
    ]:
        result = _row(kind, values)
        assert [p.code for p in result.problems] == ["value.integer"], (kind, cell)


def test_decimal_comma_whole_numbers_are_accepted_in_every_integer_field():
    person = _row(Kind.PERSON, {"record_id": "A1", "birth_year": "1980,0", "disability": "taip",
                                "participation_level": "40,0"})
    household = _row(Kind.HOUSEHOLD, {"record_id": "H1", "children_count": "3,0"})
    session = _row(Kind.GROUP_SESSION, {"record_id": "G1", "service_code": "therapeutic_group",
                                        "session_date": "2026-01-05", "duration_minutes": "90,0",
                                        "unregistered_attendees": "2,0"})
    case = _row(Kind.CASE, {"record_id": "C1", "case_type": "dv_specialised_help", "person_record_id": "A1",
                            "opened": "2026-01-05", "children_in_family": "2,0"})
    assert [r.problems for r in (person, household, session, case)] == [[], [], [], []]
    assert (person.record.birth_year, person.record.participation_level) == (1980, 40)
    assert household.record.children_count == 3
    assert (session.record.duration_minutes, session.record.unregistered_attendees) == (90, 2)
    assert case.record.children_in_family == 2
    # Limits still apply after the comma is read.
    assert [p.code for p in _row(Kind.HOUSEHOLD, {"record_id": "H1", "children_count": "31,0"}).problems] == [
        "value.too_large"]
