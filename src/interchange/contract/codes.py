"""Code lists of the contract: municipalities, sex, case types."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from interchange.contract.text import fold


@dataclass(frozen=True)
class Municipality:
    code: str  # ISO 3166-2:LT
    name_lt: str  # official name
    name_en: str


# ISO 3166-2:LT codes of the 60 municipalities, with official Lithuanian names.
MUNICIPALITIES: tuple[Municipality, ...] = tuple(
    Municipality(f"LT-{i:02d}", lt, en)
    for i, (lt, en) in enumerate(
        [
            ("Akmenės rajono savivaldybė", "Akmenė District Municipality"),
            ("Alytaus miesto savivaldybė", "Alytus City Municipality"),
            ("Alytaus rajono savivaldybė", "Alytus District Municipality"),
            ("Anykščių rajono savivaldybė", "Anykščiai District Municipality"),
            ("Birštono savivaldybė", "Birštonas Municipality"),
            ("Biržų rajono savivaldybė", "Biržai District Municipality"),
            ("Druskininkų savivaldybė", "Druskininkai Municipality"),
            ("Elektrėnų savivaldybė", "Elektrėnai Municipality"),
            ("Ignalinos rajono savivaldybė", "Ignalina District Municipality"),
            ("Jonavos rajono savivaldybė", "Jonava District Municipality"),
            ("Joniškio rajono savivaldybė", "Joniškis District Municipality"),
            ("Jurbarko rajono savivaldybė", "Jurbarkas District Municipality"),
            ("Kaišiadorių rajono savivaldybė", "Kaišiadorys District Municipality"),
            ("Kalvarijos savivaldybė", "Kalvarija Municipality"),
            ("Kauno miesto savivaldybė", "Kaunas City Municipality"),
            ("Kauno rajono savivaldybė", "Kaunas District Municipality"),
            ("Kazlų Rūdos savivaldybė", "Kazlų Rūda Municipality"),
            ("Kėdainių rajono savivaldybė", "Kėdainiai District Municipality"),
            ("Kelmės rajono savivaldybė", "Kelmė District Municipality"),
            ("Klaipėdos miesto savivaldybė", "Klaipėda City Municipality"),
            ("Klaipėdos rajono savivaldybė", "Klaipėda District Municipality"),
            ("Kretingos rajono savivaldybė", "Kretinga District Municipality"),
            ("Kupiškio rajono savivaldybė", "Kupiškis District Municipality"),
            ("Lazdijų rajono savivaldybė", "Lazdijai District Municipality"),
            ("Marijampolės savivaldybė", "Marijampolė Municipality"),
            ("Mažeikių rajono savivaldybė", "Mažeikiai District Municipality"),
            ("Molėtų rajono savivaldybė", "Molėtai District Municipality"),
            ("Neringos savivaldybė", "Neringa Municipality"),
            ("Pagėgių savivaldybė", "Pagėgiai Municipality"),
            ("Pakruojo rajono savivaldybė", "Pakruojis District Municipality"),
            ("Palangos miesto savivaldybė", "Palanga City Municipality"),
            ("Panevėžio miesto savivaldybė", "Panevėžys City Municipality"),
            ("Panevėžio rajono savivaldybė", "Panevėžys District Municipality"),
            ("Pasvalio rajono savivaldybė", "Pasvalys District Municipality"),
            ("Plungės rajono savivaldybė", "Plungė District Municipality"),
            ("Prienų rajono savivaldybė", "Prienai District Municipality"),
            ("Radviliškio rajono savivaldybė", "Radviliškis District Municipality"),
            ("Raseinių rajono savivaldybė", "Raseiniai District Municipality"),
            ("Rietavo savivaldybė", "Rietavas Municipality"),
            ("Rokiškio rajono savivaldybė", "Rokiškis District Municipality"),
            ("Šakių rajono savivaldybė", "Šakiai District Municipality"),
            ("Šalčininkų rajono savivaldybė", "Šalčininkai District Municipality"),
            ("Šiaulių miesto savivaldybė", "Šiauliai City Municipality"),
            ("Šiaulių rajono savivaldybė", "Šiauliai District Municipality"),
            ("Šilalės rajono savivaldybė", "Šilalė District Municipality"),
            ("Šilutės rajono savivaldybė", "Šilutė District Municipality"),
            ("Širvintų rajono savivaldybė", "Širvintos District Municipality"),
            ("Skuodo rajono savivaldybė", "Skuodas District Municipality"),
            ("Švenčionių rajono savivaldybė", "Švenčionys District Municipality"),
            ("Tauragės rajono savivaldybė", "Tauragė District Municipality"),
            ("Telšių rajono savivaldybė", "Telšiai District Municipality"),
            ("Trakų rajono savivaldybė", "Trakai District Municipality"),
            ("Ukmergės rajono savivaldybė", "Ukmergė District Municipality"),
            ("Utenos rajono savivaldybė", "Utena District Municipality"),
            ("Varėnos rajono savivaldybė", "Varėna District Municipality"),
            ("Vilkaviškio rajono savivaldybė", "Vilkaviškis District Municipality"),
            ("Vilniaus miesto savivaldybė", "Vilnius City Municipality"),
            ("Vilniaus rajono savivaldybė", "Vilnius District Municipality"),
            ("Visagino savivaldybė", "Visaginas Municipality"),
            ("Zarasų rajono savivaldybė", "Zarasai District Municipality"),
        ],
        start=1,
    )
)
MUNICIPALITY_CODES: tuple[str, ...] = tuple(m.code for m in MUNICIPALITIES)

_WORD = re.compile(r"[a-z0-9]+")
# Partners write 'Kretingos r. sav.', 'Kretingos rajono savivaldybė' or 'Kretingos r.':
# the abbreviations and the word 'savivaldybė' are normalised away before comparing.
_ABBREVIATIONS = {"rajono": "r", "miesto": "m", "district": "r", "city": "m"}
_DROPPED = {"savivaldybe", "sav", "municipality"}


def _municipality_key(text: str) -> str:
    words = [_ABBREVIATIONS.get(w, w) for w in _WORD.findall(fold(text))]
    return " ".join(w for w in words if w not in _DROPPED)


_MUNICIPALITY_LOOKUP: dict[str, str] = {}
for _m in MUNICIPALITIES:
    _MUNICIPALITY_LOOKUP[_m.code.casefold()] = _m.code
    _MUNICIPALITY_LOOKUP[_municipality_key(_m.name_lt)] = _m.code
    _MUNICIPALITY_LOOKUP[_municipality_key(_m.name_en)] = _m.code


def find_municipality(text: str) -> str | None:
    """The ISO code for a code or an official name in any common spelling, else None."""
    stripped = text.strip()
    return _MUNICIPALITY_LOOKUP.get(stripped.casefold()) or _MUNICIPALITY_LOOKUP.get(
        _municipality_key(stripped)
    )


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"


# 'M' means moteris (woman) to a Lithuanian clerk and male to an English reader, and 'V'
# (vyras) is unknown in English: single letters are refused rather than guessed.
SEX_ALIASES: dict[str, Sex] = {
    "female": Sex.FEMALE, "moteris": Sex.FEMALE, "mot": Sex.FEMALE, "f": Sex.FEMALE,
    "male": Sex.MALE, "vyras": Sex.MALE, "vyr": Sex.MALE,
}
AMBIGUOUS_SEX = {"m", "v"}


class CaseType(StrEnum):
    """Episodes of help; LT names in CASE_TYPE_NAMES."""

    DV_SPECIALISED_HELP = "dv_specialised_help"
    SOCIAL_RISK_FAMILY = "social_risk_family"
    CASE_MANAGEMENT = "case_management"
    SOCIAL_WORKSHOP = "social_workshop"
    INTEGRATED_HELP = "integrated_help"
    INTEGRATED_SERVICES = "integrated_services"
    YOUTH_WORK = "youth_work"
    PREVENTION = "prevention"


CASE_TYPE_NAMES: dict[CaseType, tuple[str, str]] = {
    CaseType.DV_SPECIALISED_HELP: (
        "Specializuota kompleksinė pagalba smurtą artimoje aplinkoje patyrusiems asmenims",
        "Specialised complex help for victims of domestic violence",
    ),
    CaseType.SOCIAL_RISK_FAMILY: (
        "Socialinė priežiūra socialinės rizikos šeimai",
        "Social supervision of a family at social risk",
    ),
    CaseType.CASE_MANAGEMENT: ("Atvejo vadyba", "Case management"),
    CaseType.SOCIAL_WORKSHOP: ("Socialinės dirbtuvės", "Social workshop enrolment"),
    CaseType.INTEGRATED_HELP: ("Integrali pagalba namuose", "Integrated help at home"),
    CaseType.INTEGRATED_SERVICES: (
        "Kompleksinės paslaugos (integruotų paslaugų programa)",
        "Integrated services programme",
    ),
    CaseType.YOUTH_WORK: ("Darbas su jaunimu", "Youth work"),
    CaseType.PREVENTION: ("Prevencinės paslaugos", "Prevention services"),
}
