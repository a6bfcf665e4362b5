"""A first column mapping from an extract's own headers (`interchange columns suggest`).

Each header is compared, ignoring case, diacritics, spaces and punctuation, with the contract's
column names, their Lithuanian labels, the identifier columns the pseudonymiser reads and the
synonyms below. The synonyms are only ever suggested, never accepted on their own: "Nr." is a
record number in one system and a row count in another, so a person reads the mapping before
it is used.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import yaml

from interchange.contract.column_names import header_row_is_data, quotable
from interchange.contract.personal_code import holds_personal_code
from interchange.contract.problems import ProblemError, error
from interchange.contract.records import MODELS, Kind
from interchange.contract.rows import required_fields
from interchange.contract.text import key_of
from interchange.partner.columns import known_header_keys, targets
from interchange.partner.identifiers import RAW_IDENTIFIERS, identifier_aliases

# What partners' systems (SPIS, Excel registers kept by hand) call the contract's columns.
# Written as partners write them; compared folded and without punctuation.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "record_id": ("Įrašo Nr.", "Įrašo numeris", "Įrašo kodas", "Nr.", "ID", "Record no.", "Record number"),
    "deleted": ("Ištrinta", "Panaikinta", "Panaikintas", "Is deleted"),
    "birth_year": ("Gim. metai", "Year of birth"),
    "sex": ("Lytis", "Gender"),
    "municipality": ("Savivaldybės kodas", "Savivaldybė", "Municipality code"),
    "household_record_id": ("Namų ūkio Nr.", "Namų ūkio ID", "Šeimos Nr.", "Šeimos ID", "Household ID"),
    "person_record_id": ("Asmens Nr.", "Asmens ID", "Kliento Nr.", "Kliento ID", "Client ID", "Person ID"),
    "case_record_id": ("Bylos Nr.", "Bylos ID", "Atvejo Nr.", "Atvejo ID", "Case ID"),
    "service_code": ("Paslauga", "Paslaugos kodas", "Service"),
    "contact_date": ("Data", "Kontakto data", "Paslaugos data", "Suteikimo data", "Date"),
    "session_date": ("Data", "Užsiėmimo data", "Susitikimo data", "Date"),
    "duration_minutes": ("Trukmė", "Trukmė, min.", "Trukmė (min.)", "Minutės", "Duration"),
    "attendee_record_ids": ("Dalyvių Nr.", "Dalyvių ID", "Attendees"),
    "unregistered_attendees": ("Neregistruoti dalyviai", "Kiti dalyviai"),
    "case_type": ("Atvejo tipas", "Bylos tipas", "Pagalbos rūšis", "Case type"),
    "opened": ("Atidaryta", "Atidarymo data", "Pradžios data", "Pradžia", "Start date"),
    "closed": ("Uždaryta", "Uždarymo data", "Pabaigos data", "Pabaiga", "End date"),
    "children_count": ("Vaikų skaičius", "Vaikai", "Children"),
    "children_in_family": ("Vaikų skaičius", "Vaikų šeimoje", "Children"),
    "dv_victim": ("Smurto auka", "Patyrė smurtą", "Smurtas artimoje aplinkoje"),
    "consent_reporting": ("Sutikimas", "Consent"),
    "personal_code": ("Asmens kodas", "A. k.", "Kliento asmens kodas"),
    "given_name": ("Kliento vardas", "Name"),
    "surname": ("Kliento pavardė", "Surname"),
    "birth_date": ("Gimimo data", "Gim. data", "Birth date"),
    "street": ("Gatvė", "Street"),
    "house_number": ("Namo Nr.", "Namo ir buto Nr.", "House number"),
    "locality": ("Gyvenamoji vietovė", "Miestas / kaimas", "Locality"),
    "postcode": ("Pašto kodas", "Postcode"),
}


def _compact(text: str) -> str:
    """'Įrašo Nr.', 'iraso_nr' and 'IRAŠO-NR' all become 'irasonr'."""
    return key_of(text).replace("_", "")


@dataclass
class Suggestion:
    """What the headers of one extract of `kind` tell: mapped, not placed, still missing."""

    kind: Kind
    headers: int = 0  # non-blank headers of the extract
    mapped: dict[str, str] = field(default_factory=dict)  # header as written -> column, in file order
    unplaced: list[str] = field(default_factory=list)  # headers that match nothing ("#3" when not quotable)
    repeats: dict[str, tuple[str, str]] = field(default_factory=dict)  # header -> (column, header feeding it)
    missing: list[str] = field(default_factory=list)  # required columns no header feeds
    unfed: list[str] = field(default_factory=list)  # optional columns no header feeds

    @property
    def complete(self) -> bool:
        """Every header placed and every required column fed: the mapping can be used as it is."""
        return not (self.unplaced or self.repeats or self.missing)

    def yaml_text(self, comment: Iterable[str]) -> str:
        """The mapping file: `comment` lines first (as YAML comments), then the kind's section."""
        body = yaml.safe_dump({self.kind.value: self.mapped or {}}, allow_unicode=True, sort_keys=False,
                              default_flow_style=False, width=1000)
        return "".join(f"# {line}\n" for line in comment) + body


def suggest_columns(kind: Kind, headers: Iterable[str]) -> Suggestion:
    """Match an extract's headers to `kind`'s columns; each column is fed by the first header that matches.

    Raises a ProblemError when a header is itself a personal code: the file has no header row and
    its first row would be shown back as "headers".
    """
    headers = list(headers)
    coded = [position for position, h in enumerate(headers, start=1) if holds_personal_code(h)]
    if coded:
        raise ProblemError([error("header.personal_code", position=position) for position in coded])
    known = known_header_keys()
    if header_row_is_data(headers, known):
        raise ProblemError(error("file.no_header"))
    exact, similar = _names(kind)
    suggestion = Suggestion(kind)
    fed_by: dict[str, str] = {}
    for position, header in enumerate(headers, start=1):
        if not header.strip():
            continue
        suggestion.headers += 1
        compact = _compact(header)
        column = exact.get(compact) or similar.get(compact)
        if column is None:
            # A name that could be a person's data is shown by its position only (contract/column_names.py).
            suggestion.unplaced.append(header if quotable(header, known) else f"#{position}")
        elif column in fed_by:
            suggestion.repeats[header] = (column, fed_by[column])
        else:
            fed_by[column] = header
            suggestion.mapped[header] = column
    required = [name for name in required_fields(kind) if name != "org"]  # org comes from the sender
    suggestion.missing = [name for name in required if name not in fed_by]
    suggestion.unfed = [name for name in _optional(kind) if name not in fed_by and name not in required]
    return suggestion


def _names(kind: Kind) -> tuple[dict[str, str], dict[str, str]]:
    """Folded name -> column: the contract's own names and labels, and the synonyms."""
    exact = {key.replace("_", ""): name for key, name in targets(kind).items()}
    exact |= {_compact(alias): name for alias, name in identifier_aliases(RAW_IDENTIFIERS.get(kind, ())).items()}
    known = set(exact.values())
    similar = {_compact(s): name for name, spellings in SYNONYMS.items() if name in known for s in spellings}
    return exact, similar


def _optional(kind: Kind) -> list[str]:
    """Columns a partner's own export can have: not the pseudonymiser's output, not org or deleted."""
    own = [name for name in MODELS[kind].model_fields
           if name not in ("org", "deleted") and not name.endswith(("_token", "_bloom", "_pseudonym"))]
    return own + [column.name for column in RAW_IDENTIFIERS.get(kind, ())]
