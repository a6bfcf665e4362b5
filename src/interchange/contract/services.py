"""The service catalogue: one versioned code list with Lithuanian and English names.

A code, once published, keeps its meaning; a retired service stays in the list with
`retired` set, so old drops still validate against the version they were made for.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

CATALOGUE_VERSION = "2026.1"


class Mode(StrEnum):
    INDIVIDUAL = "individual"  # reported as contact rows
    GROUP = "group"  # reported as group_session rows
    EITHER = "either"


class Unit(StrEnum):
    CONSULTATION = "consultation"
    VISIT = "visit"
    HOUR = "hour"
    DAY = "day"
    MEETING = "meeting"
    ACTIVITY = "activity"


@dataclass(frozen=True)
class Service:
    code: str
    name_lt: str
    name_en: str
    mode: Mode
    unit: Unit
    group: str  # the family of services it belongs to, for the templates' code sheet
    retired: bool = False


SERVICES: tuple[Service, ...] = (
    Service("psychologist_child", "Individuali psichologo konsultacija vaikui",
            "Individual psychologist consultation for a child",
            Mode.INDIVIDUAL, Unit.CONSULTATION, "integrated_services"),
    Service("psychotherapist_adult", "Psichoterapeuto konsultacija suaugusiajam",
            "Psychotherapist consultation for an adult",
            Mode.INDIVIDUAL, Unit.CONSULTATION, "integrated_services"),
    Service("addiction_counsellor", "Priklausomybių konsultanto konsultacija",
            "Addiction counsellor consultation",
            Mode.INDIVIDUAL, Unit.CONSULTATION, "integrated_services"),
    Service("legal_consultation", "Teisinė konsultacija", "Legal consultation",
            Mode.INDIVIDUAL, Unit.CONSULTATION, "integrated_services"),
    Service("therapeutic_group", "Terapinės grupės užsiėmimas", "Therapeutic group meeting",
            Mode.GROUP, Unit.MEETING, "integrated_services"),
    Service("parenting_skills", "Pozityvios tėvystės įgūdžių užsiėmimas",
            "Parenting skills session", Mode.GROUP, Unit.MEETING, "integrated_services"),
    Service("sch_psychological", "Specializuota kompleksinė pagalba: psichologinė pagalba",
            "Specialised complex help: psychological help",
            Mode.INDIVIDUAL, Unit.CONSULTATION, "dv_specialised_help"),
    Service("sch_social_counselling", "Specializuota kompleksinė pagalba: socialinis konsultavimas",
            "Specialised complex help: social counselling",
            Mode.INDIVIDUAL, Unit.CONSULTATION, "dv_specialised_help"),
    Service("sch_legal_referral",
            "Specializuota kompleksinė pagalba: nukreipimas teisinei pagalbai",
            "Specialised complex help: referral to lawyers",
            Mode.INDIVIDUAL, Unit.CONSULTATION, "dv_specialised_help"),
    Service("sch_mediation", "Specializuota kompleksinė pagalba: tarpininkavimas institucijose",
            "Specialised complex help: mediation with institutions",
            Mode.INDIVIDUAL, Unit.CONSULTATION, "dv_specialised_help"),
    Service("sch_employment", "Specializuota kompleksinė pagalba: konsultavimas užimtumo klausimais",
            "Specialised complex help: employment consultation",
            Mode.INDIVIDUAL, Unit.CONSULTATION, "dv_specialised_help"),
    Service("social_workshop", "Socialinės dirbtuvės (dalyvavimo diena)",
            "Social workshop (attendance day)", Mode.EITHER, Unit.DAY, "day_activity"),
    Service("case_management", "Atvejo vadybos kontaktas", "Case management contact",
            Mode.INDIVIDUAL, Unit.CONSULTATION, "case_management"),
    Service("outreach_search", "Potencialių paslaugų gavėjų paieška",
            "Search for potential service recipients",
            Mode.INDIVIDUAL, Unit.ACTIVITY, "community"),
    Service("community_work", "Bendruomeninis darbas", "Community work",
            Mode.EITHER, Unit.ACTIVITY, "community"),
    Service("supervision_visit",
            "Socialinė priežiūra šeimai: socialinio darbuotojo vizitas",
            "Social supervision for families: social worker visit",
            Mode.INDIVIDUAL, Unit.VISIT, "social_supervision"),
    Service("supervision_care_hours",
            "Socialinė priežiūra šeimai: individualios priežiūros darbuotojo valandos",
            "Social supervision for families: individual care worker hours",
            Mode.INDIVIDUAL, Unit.HOUR, "social_supervision"),
    Service("family_conference", "Šeimos konferencija", "Family conference",
            Mode.INDIVIDUAL, Unit.MEETING, "social_supervision"),
    Service("youth_open", "Atviras darbas su jaunimu", "Open youth work",
            Mode.EITHER, Unit.ACTIVITY, "youth_work"),
    Service("youth_mobile", "Mobilus darbas su jaunimu", "Mobile youth work",
            Mode.EITHER, Unit.ACTIVITY, "youth_work"),
    Service("integrated_nursing", "Integrali pagalba namuose: slauga",
            "Integrated help at home: nursing", Mode.INDIVIDUAL, Unit.VISIT, "integrated_help"),
    Service("integrated_care", "Integrali pagalba namuose: priežiūra",
            "Integrated help at home: care", Mode.INDIVIDUAL, Unit.VISIT, "integrated_help"),
    Service("carer_psychological", "Psichologinė pagalba slaugantiesiems ir globėjams",
            "Psychological help for carers", Mode.EITHER, Unit.CONSULTATION, "integrated_help"),
)

SERVICES_BY_CODE: dict[str, Service] = {s.code: s for s in SERVICES}


def find_service(code: str) -> Service | None:
    return SERVICES_BY_CODE.get(code.strip().casefold())
