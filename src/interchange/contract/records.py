"""The record kinds every partner sends: the single source of truth of the contract.

Each field carries an English description (`description`), a Lithuanian header
(`x-header-lt`) and a Lithuanian description (`x-description-lt`); the field name is
the English header. JSON Schemas, templates and header matching are all generated
from these models.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, ClassVar, NamedTuple, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError, PydanticUndefined

from interchange.contract.codes import CaseType
from interchange.contract.values import (
    AttendeeCount,
    BirthYear,
    BloomText,
    ChildCount,
    GroupService,
    Hex64,
    IdList,
    IndividualService,
    Minutes,
    MunicipalityCode,
    OrgCode,
    ParticipationLevel,
    PastDate,
    RecordId,
    SexValue,
    YesNo,
)

SCHEMA_VERSION = "1.0"


class Kind(StrEnum):
    PERSON = "person"
    HOUSEHOLD = "household"
    CONTACT = "contact"
    GROUP_SESSION = "group_session"
    CASE = "case"


class Linkage(StrEnum):
    """What a person field is to the matching model (:mod:`interchange.linkage`), which compares
    exactly the fields marked with one; listed in the order the model's record frames take them."""

    IDENTITY = "identity"    # the pseudonym and the keyed encodings of name and birth date
    CLEAR = "clear"          # coarse values sent in clear: birth year, sex, municipality
    ADDRESS = "address"      # keyed encodings of the address (contract 1.1)
    NAME_PAIR = "name_pair"  # given name and surname in either order (contract 1.2)


class Encoding(StrEnum):
    """How a linkage field travels: a keyed token (Hex64), a keyed Bloom filter (BloomText), or in clear."""

    TOKEN = "token"
    BLOOM = "bloom"
    CLEAR = "clear"


def bilingual(header_lt: str, en: str, lt: str, default: Any = PydanticUndefined, **kw: Any) -> Any:
    """A field with its Lithuanian header and descriptions in both languages."""
    extra: JsonDict = {"x-header-lt": header_lt, "x-description-lt": lt}
    return Field(default, description=en, json_schema_extra=extra, **kw)


def lithuanian_texts(kind: Kind) -> dict[str, tuple[str, str]]:
    """For each field of a kind: its Lithuanian header and description, as `bilingual` stored them."""
    texts = {}
    for name, info in MODELS[kind].model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        header, description = extra.get("x-header-lt"), extra.get("x-description-lt")
        if not isinstance(header, str) or not isinstance(description, str):
            raise TypeError(f"{kind}.{name} is not declared with bilingual()")
        texts[name] = (header, description)
    return texts


class Record(BaseModel):
    """What every row has: the partner's own id, the organisation, and the deletion flag."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)
    kind: ClassVar[Kind]

    record_id: RecordId = bilingual(
        "įrašo_id",
        "The partner's own id of this record, unique within the organisation and record kind: "
        "up to 64 characters without spaces (A-1001). Never a personal code or a name.",
        "Organizacijos suteiktas įrašo identifikatorius, unikalus organizacijoje ir įrašų "
        "rūšyje: iki 64 simbolių be tarpų (A-1001). Niekada ne asmens kodas ir ne vardas.",
    )
    org: OrgCode = bilingual(
        "organizacija",
        "Code of the organisation that sends the record, as in the hub's configuration.",
        "Duomenis teikiančios organizacijos kodas, kaip nurodyta centro konfigūracijoje.",
    )
    deleted: YesNo = bilingual(
        "ištrintas",
        "True to delete this record at the hub; then only record_id and org are needed.",
        "„Taip“, jei įrašą reikia ištrinti centre; tada pakanka įrašo_id ir organizacijos.",
        False,
    )


class Person(Record):
    """One person as known to one organisation."""

    model_config = ConfigDict(title="person", json_schema_extra={
        "x-title-lt": "Asmuo", "x-description-lt": "Vienas asmuo, kaip jį žino viena organizacija."})
    kind: ClassVar[Kind] = Kind.PERSON

    person_pseudonym: Annotated[Hex64 | None, Linkage.IDENTITY] = bilingual(
        "asmens_pseudonimas",
        "Keyed HMAC-SHA256 of the person's valid personal code, made on the partner's machine. "
        "Empty when no valid code is known.",
        "Raktu apsaugotas asmens kodo HMAC-SHA256, sukurtas partnerio kompiuteryje. Tuščias, "
        "jei galiojantis asmens kodas nežinomas.",
        None,
    )
    given_name_token: Annotated[Hex64 | None, Linkage.IDENTITY] = bilingual(
        "vardo_zetonas", "Keyed exact-match token of the normalised given name.",
        "Raktu apsaugotas normalizuoto vardo žetonas tiksliam sutapimui.", None)
    surname_token: Annotated[Hex64 | None, Linkage.IDENTITY] = bilingual(
        "pavardes_zetonas", "Keyed exact-match token of the normalised surname.",
        "Raktu apsaugotas normalizuotos pavardės žetonas tiksliam sutapimui.", None)
    surname_root_token: Annotated[Hex64 | None, Linkage.IDENTITY] = bilingual(
        "pavardes_kamieno_zetonas",
        "Keyed token of the surname without its gender and marital ending "
        "(Jonaitis, Jonaitienė and Jonaitytė share it).",
        "Raktu apsaugotas pavardės kamieno žetonas be giminės ir šeiminės padėties galūnės "
        "(Jonaitis, Jonaitienė ir Jonaitytė jį turi bendrą).", None)
    birth_date_token: Annotated[Hex64 | None, Linkage.IDENTITY] = bilingual(
        "gimimo_datos_zetonas", "Keyed exact-match token of the birth date.",
        "Raktu apsaugotas gimimo datos žetonas tiksliam sutapimui.", None)
    given_name_bloom: Annotated[BloomText | None, Linkage.IDENTITY] = bilingual(
        "vardo_bloom", "Keyed Bloom filter of the given name's letter pairs, for fuzzy linkage.",
        "Raktu apsaugotas vardo raidžių porų Bloom filtras apytiksliam susiejimui.", None)
    surname_bloom: Annotated[BloomText | None, Linkage.IDENTITY] = bilingual(
        "pavardes_bloom", "Keyed Bloom filter of the surname's letter pairs, for fuzzy linkage.",
        "Raktu apsaugotas pavardės raidžių porų Bloom filtras apytiksliam susiejimui.", None)
    birth_date_bloom: Annotated[BloomText | None, Linkage.IDENTITY] = bilingual(
        "gimimo_datos_bloom", "Keyed Bloom filter of the birth date's digit pairs.",
        "Raktu apsaugotas gimimo datos skaitmenų porų Bloom filtras.", None)
    name_pair_token: Annotated[Hex64 | None, Linkage.NAME_PAIR] = bilingual(
        "vardo_pavardes_poros_zetonas",
        "Keyed token of the given name and surname in either order (sorted), so names entered "
        "the wrong way round still link. Empty unless both names are known.",
        "Raktu apsaugotas vardo ir pavardės (bet kuria tvarka, surikiuotų) žetonas, kad "
        "sukeisti vardas ir pavardė vis tiek būtų susieti. Tuščias, jei nežinomas vardas ar "
        "pavardė.", None)
    name_pair_bloom: Annotated[BloomText | None, Linkage.NAME_PAIR] = bilingual(
        "vardo_pavardes_poros_bloom",
        "Keyed Bloom filter of the sorted given name and surname's letter pairs, for swapped "
        "names with a typo.",
        "Raktu apsaugotas surikiuotų vardo ir pavardės raidžių porų Bloom filtras sukeistiems "
        "vardui ir pavardei su klaida.", None)
    street_token: Annotated[Hex64 | None, Linkage.ADDRESS] = bilingual(
        "gatves_zetonas", "Keyed exact-match token of the normalised street name of residence.",
        "Raktu apsaugotas normalizuoto gyvenamosios vietos gatvės pavadinimo žetonas tiksliam "
        "sutapimui.", None)
    street_bloom: Annotated[BloomText | None, Linkage.ADDRESS] = bilingual(
        "gatves_bloom", "Keyed Bloom filter of the street name's letter pairs, for fuzzy linkage.",
        "Raktu apsaugotas gatvės pavadinimo raidžių porų Bloom filtras apytiksliam susiejimui.",
        None)
    house_number_token: Annotated[Hex64 | None, Linkage.ADDRESS] = bilingual(
        "namo_numerio_zetonas",
        "Keyed exact-match token of the house and flat number (as in 12A-5).",
        "Raktu apsaugotas namo ir buto numerio (pvz., 12A-5) žetonas tiksliam sutapimui.", None)
    locality_token: Annotated[Hex64 | None, Linkage.ADDRESS] = bilingual(
        "gyvenvietes_zetonas",
        "Keyed exact-match token of the city, town or village of residence.",
        "Raktu apsaugotas gyvenamosios vietovės (miesto, miestelio, kaimo) žetonas tiksliam "
        "sutapimui.", None)
    locality_bloom: Annotated[BloomText | None, Linkage.ADDRESS] = bilingual(
        "gyvenvietes_bloom", "Keyed Bloom filter of the locality name's letter pairs.",
        "Raktu apsaugotas gyvenamosios vietovės pavadinimo raidžių porų Bloom filtras.", None)
    postcode_token: Annotated[Hex64 | None, Linkage.ADDRESS] = bilingual(
        "pasto_kodo_zetonas", "Keyed exact-match token of the postcode's digits.",
        "Raktu apsaugotas pašto kodo skaitmenų žetonas tiksliam sutapimui.", None)
    birth_year: Annotated[BirthYear | None, Linkage.CLEAR] = bilingual(
        "gimimo_metai", "Year of birth.", "Gimimo metai.", None)
    sex: Annotated[SexValue | None, Linkage.CLEAR] = bilingual(
        "lytis", "female or male (moteris or vyras).", "moteris arba vyras (female, male).", None)
    municipality: Annotated[MunicipalityCode | None, Linkage.CLEAR] = bilingual(
        "savivaldybe", "Municipality of residence: ISO 3166-2:LT code (LT-22) or official name.",
        "Gyvenamoji savivaldybė: ISO 3166-2:LT kodas (LT-22) arba oficialus pavadinimas.", None)
    household_record_id: RecordId | None = bilingual(
        "namu_ukio_id", "record_id of the person's household at the same organisation, if any.",
        "Asmens namų ūkio įrašo_id toje pačioje organizacijoje, jei yra.", None)
    dv_victim: YesNo = bilingual(
        "smurto_auka", "Target group: has experienced domestic violence.",
        "Tikslinė grupė: patyrė smurtą artimoje aplinkoje.", False)
    social_risk_family: YesNo = bilingual(
        "socialines_rizikos_seima", "Target group: member of a family at social risk.",
        "Tikslinė grupė: socialinės rizikos šeimos narys.", False)
    disability: YesNo = bilingual(
        "negalia", "Target group: has a disability.", "Tikslinė grupė: turi negalią.", False)
    participation_level: ParticipationLevel | None = bilingual(
        "dalyvumo_lygis", "Participation level in percent (0–55) when disability is set.",
        "Dalyvumo lygis procentais (0–55), kai nurodyta negalia.", None)
    addiction: YesNo = bilingual(
        "priklausomybe", "Target group: has an addiction.", "Tikslinė grupė: turi priklausomybę.",
        False)
    consent_reporting: YesNo | None = bilingual(
        "sutikimas_ataskaitoms",
        "Whether the person agreed to be counted in reports; empty when not recorded.",
        "Ar asmuo sutiko būti įtrauktas į ataskaitas; tuščia, jei nežinoma.", None)

    @model_validator(mode="after")
    def _level_needs_disability(self) -> Person:
        if self.participation_level is not None and not self.disability:
            raise PydanticCustomError(
                "value.invalid", "value.invalid",
                {"expected": "participation_level only together with disability = true"})
        return self


class LinkageField(NamedTuple):
    name: str
    group: Linkage
    encoding: Encoding


def _linkage_field(name: str, annotation: Any, group: Linkage) -> LinkageField:
    kinds = get_args(annotation)
    encoding = Encoding.TOKEN if Hex64 in kinds else Encoding.BLOOM if BloomText in kinds else Encoding.CLEAR
    return LinkageField(name, group, encoding)


LINKAGE_FIELDS: tuple[LinkageField, ...] = tuple(
    _linkage_field(name, field.annotation, group) for name, field in Person.model_fields.items()
    for group in field.metadata if isinstance(group, Linkage))
"""The person fields the matching model compares, in the contract's (and the person table's) order."""


def linkage_fields(*groups: Linkage, encodings: tuple[Encoding, ...] = tuple(Encoding)) -> tuple[str, ...]:
    """Names of the linkage fields of ``groups`` (default: all) with one of ``encodings``, group by group."""
    return tuple(f.name for group in groups or tuple(Linkage) for f in LINKAGE_FIELDS
                 if f.group is group and f.encoding in encodings)


class Household(Record):
    """A family as known to one organisation."""

    model_config = ConfigDict(title="household", json_schema_extra={
        "x-title-lt": "Namų ūkis", "x-description-lt": "Šeima, kaip ją žino viena organizacija."})
    kind: ClassVar[Kind] = Kind.HOUSEHOLD

    household_pseudonym: Hex64 | None = bilingual(
        "namu_ukio_pseudonimas",
        "Keyed HMAC-SHA256 of the household's reference person's personal code.",
        "Raktu apsaugotas namų ūkio atstovo asmens kodo HMAC-SHA256.", None)
    municipality: MunicipalityCode | None = bilingual(
        "savivaldybe", "Municipality of residence: ISO 3166-2:LT code or official name.",
        "Gyvenamoji savivaldybė: ISO 3166-2:LT kodas arba oficialus pavadinimas.", None)
    social_risk_from: PastDate | None = bilingual(
        "socialines_rizikos_pradzia", "Date the family was recognised as at social risk.",
        "Data, kai šeima pripažinta socialinės rizikos šeima.", None)
    social_risk_to: PastDate | None = bilingual(
        "socialines_rizikos_pabaiga", "Date the social risk ended; empty while it continues.",
        "Data, kai socialinė rizika baigėsi; tuščia, kol tęsiasi.", None)
    children_count: ChildCount | None = bilingual(
        "vaiku_skaicius", "Number of children (under 18) in the household.",
        "Vaikų (iki 18 metų) skaičius namų ūkyje.", None)

    @model_validator(mode="after")
    def _risk_period_in_order(self) -> Household:
        _check_order(self.social_risk_from, self.social_risk_to, "social_risk_to", "social_risk_from")
        return self


class Contact(Record):
    """One individual service delivery."""

    model_config = ConfigDict(title="contact", json_schema_extra={
        "x-title-lt": "Kontaktas", "x-description-lt": "Viena individuali paslaugos suteikimo proga."})
    kind: ClassVar[Kind] = Kind.CONTACT

    person_record_id: RecordId = bilingual(
        "asmens_iraso_id", "record_id of the person served, at the same organisation.",
        "Paslaugos gavėjo asmens įrašo_id toje pačioje organizacijoje.")
    service_code: IndividualService = bilingual(
        "paslaugos_kodas", "Service code from the service catalogue.",
        "Paslaugos kodas iš paslaugų katalogo.")
    contact_date: PastDate = bilingual(
        "data", "Date of the contact (YYYY-MM-DD).", "Kontakto data (MMMM-MM-DD).")
    duration_minutes: Minutes | None = bilingual(
        "trukme_min", "Duration in minutes.", "Trukmė minutėmis.", None)
    case_record_id: RecordId | None = bilingual(
        "atvejo_id", "record_id of the case this contact belongs to, if any.",
        "Atvejo, kuriam priklauso kontaktas, įrašo_id, jei yra.", None)


class GroupSession(Record):
    """One group meeting with its attendance."""

    model_config = ConfigDict(title="group_session", json_schema_extra={
        "x-title-lt": "Grupės užsiėmimas",
        "x-description-lt": "Vienas grupės susitikimas su dalyvių sąrašu."})
    kind: ClassVar[Kind] = Kind.GROUP_SESSION

    service_code: GroupService = bilingual(
        "paslaugos_kodas", "Service code from the service catalogue (a group service).",
        "Paslaugos kodas iš paslaugų katalogo (grupinė paslauga).")
    session_date: PastDate = bilingual(
        "data", "Date of the meeting (YYYY-MM-DD).", "Užsiėmimo data (MMMM-MM-DD).")
    duration_minutes: Minutes | None = bilingual(
        "trukme_min", "Duration in minutes.", "Trukmė minutėmis.", None)
    attendee_record_ids: IdList = bilingual(
        "dalyviai",
        "record_ids of the persons who attended, separated by '|' (a list in JSON).",
        "Dalyvavusių asmenų įrašo_id, atskirti „|“ (JSON faile – sąrašas).",
        default_factory=list)
    unregistered_attendees: AttendeeCount = bilingual(
        "neregistruoti_dalyviai", "Attendees without a person record.",
        "Dalyviai, neturintys asmens įrašo.", 0)


class Case(Record):
    """An episode of help for a person or a household."""

    model_config = ConfigDict(title="case", json_schema_extra={
        "x-title-lt": "Atvejis", "x-description-lt": "Pagalbos asmeniui ar šeimai epizodas."})
    kind: ClassVar[Kind] = Kind.CASE

    case_type: CaseType = bilingual(
        "atvejo_tipas", "Type of help: one of the case type codes.",
        "Pagalbos tipas: vienas iš atvejo tipų kodų.")
    person_record_id: RecordId | None = bilingual(
        "asmens_iraso_id", "record_id of the person helped (this or household_record_id).",
        "Asmens, kuriam padėta, įrašo_id (šis arba namų_ūkio_id).", None)
    household_record_id: RecordId | None = bilingual(
        "namu_ukio_id", "record_id of the household helped (this or person_record_id).",
        "Namų ūkio, kuriam padėta, įrašo_id (šis arba asmens_įrašo_id).", None)
    opened: PastDate = bilingual("pradzia", "Date the case opened.", "Atvejo pradžios data.")
    closed: PastDate | None = bilingual(
        "pabaiga", "Date the case closed; empty while open.",
        "Atvejo pabaigos data; tuščia, kol atvejis tęsiasi.", None)
    repeat_victimisation: YesNo | None = bilingual(
        "pakartotinis_smurtas", "Domestic violence: the person experienced violence repeatedly.",
        "Smurtas artimoje aplinkoje: asmuo smurtą patyrė pakartotinai.", None)
    children_in_family: ChildCount | None = bilingual(
        "vaiku_seimoje", "Number of children in the family of the person helped.",
        "Vaikų skaičius pagalbą gavusio asmens šeimoje.", None)

    @model_validator(mode="after")
    def _subject_and_dates(self) -> Case:
        if self.person_record_id is None and self.household_record_id is None:
            raise PydanticCustomError(
                "value.needs_one_of", "value.needs_one_of",
                {"columns": "person_record_id, household_record_id"})
        _check_order(self.opened, self.closed, "closed", "opened")
        return self


class Deletion(Record):
    """A row that only deletes the record with this id (of the kind the file holds)."""


def _check_order(earlier: Any, later: Any, later_field: str, earlier_field: str) -> None:
    if earlier is not None and later is not None and later < earlier:
        raise PydanticCustomError(
            "value.order", "value.order", {"field": later_field, "other": earlier_field})


MODELS: dict[Kind, type[Record]] = {
    Kind.PERSON: Person,
    Kind.HOUSEHOLD: Household,
    Kind.CONTACT: Contact,
    Kind.GROUP_SESSION: GroupSession,
    Kind.CASE: Case,
}
