"""The pseudonymiser: a raw extract with personal codes and names in, a drop file out.

Runs on the partner's machine. Personal codes become keyed pseudonyms, names and
birth dates become keyed tokens and Bloom filters (plus one token and filter of the two
names in either order), and the direct identifiers never
reach the drop. Every row is either written or listed with its problems; a personal
code that fails its checks is left out (never hashed) and the row keeps its other data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from interchange.contract.codes import SEX_ALIASES
from interchange.contract.consent import ConsentCount
from interchange.contract.personal_code import PersonalCode, parse_personal_code
from interchange.contract.problems import Problem, ProblemError, Severity, error, warning
from interchange.contract.records import Kind
from interchange.contract.rows import HeaderMap, RecordIds, map_headers, validate_row
from interchange.contract.text import fold
from interchange.contract.values import PastDate
from interchange.partner.bloom import BloomEncoder, to_text
from interchange.partner.columns import ColumnMapping
from interchange.partner.drop_writer import DropWriter, write_manifest
from interchange.partner.identifiers import RAW_IDENTIFIERS, identifier_aliases
from interchange.partner.keys import PseudonymKey
from interchange.partner.normalise import (
    name_pair,
    normalise_birth_date,
    normalise_house_number,
    normalise_locality,
    normalise_name,
    normalise_postcode,
    normalise_street,
    surname_root,
)
from interchange.partner.pseudonyms import field_token, household_pseudonym, person_pseudonym
from interchange.partner.report import FileReport
from interchange.tabular import read_table

_PAST_DATE = TypeAdapter(PastDate)


@dataclass
class _Cells:
    """One raw row split into identifier cells and contract cells."""

    identifiers: dict[str, Any]
    contract: dict[str, Any]


class IdentifierEncoder:
    """Turns identifier cells into pseudonyms, tokens and Bloom filters with one key."""

    def __init__(self, key: PseudonymKey, today: date | None) -> None:
        self.key = key
        self.today = today
        self.blooms = {f: BloomEncoder(key, f)
                       for f in ("given_name", "surname", "name_pair", "birth_date", "street",
                                 "locality")}

    def person(self, ids: dict[str, Any], row: int, columns: dict[str, str],
               contract: dict[str, Any], contract_columns: dict[str, str]
               ) -> tuple[dict[str, Any], list[Problem]]:
        fields: dict[str, Any] = {}
        problems: list[Problem] = []
        code = self._code(ids.get("personal_code"), row, columns.get("personal_code"), problems)
        if code is not None:
            fields["person_pseudonym"] = person_pseudonym(self.key, code)
            fields["birth_year"] = code.birth_year
            fields["sex"] = code.sex
            problems += _conflicts(code, row, contract, contract_columns)
        birth = code.birth_date if code is not None else None
        if birth is None:
            birth = self._birth_date(ids.get("birth_date"), row, columns.get("birth_date"),
                                     problems)
            if birth is not None and code is None:
                fields["birth_year"] = birth.year
        given = normalise_name(_text(ids.get("given_name")))
        surname = normalise_name(_text(ids.get("surname")))
        birth_text = normalise_birth_date(birth) if birth is not None else ""
        fields |= self._encodings("given_name", given)
        fields |= self._encodings("surname", surname)
        fields |= self._encodings("name_pair", name_pair(given, surname))
        fields |= self._encodings("birth_date", birth_text)
        if surname:
            fields["surname_root_token"] = field_token(self.key, "surname_root",
                                                       surname_root(surname))
        if code is None and not (given or surname or birth_text):
            problems.append(warning("identity.none", row=row))
        return fields | self._address(ids), problems

    def _address(self, ids: dict[str, Any]) -> dict[str, Any]:
        """Street and locality get a token and a Bloom filter; house number and postcode a token."""
        fields = self._encodings("street", normalise_street(_text(ids.get("street"))))
        fields |= self._encodings("locality", normalise_locality(_text(ids.get("locality"))))
        for field, normalised in (("house_number", normalise_house_number(_text(ids.get("house_number")))),
                                  ("postcode", normalise_postcode(_text(ids.get("postcode"))))):
            if normalised:
                fields[f"{field}_token"] = field_token(self.key, field, normalised)
        return fields

    def household(self, ids: dict[str, Any], row: int, columns: dict[str, str]
                  ) -> tuple[dict[str, Any], list[Problem]]:
        problems: list[Problem] = []
        code = self._code(ids.get("reference_personal_code"), row,
                          columns.get("reference_personal_code"), problems)
        fields = {"household_pseudonym": household_pseudonym(self.key, code)} if code else {}
        return fields, problems

    def _code(self, cell: Any, row: int, column: str | None,
              problems: list[Problem]) -> PersonalCode | None:
        text = _text(cell)
        if not text:
            return None
        parsed = parse_personal_code(text, today=self.today)
        if isinstance(parsed, str):
            problems.append(warning(parsed, row=row, column=column))
            return None
        return parsed

    def _birth_date(self, cell: Any, row: int, column: str | None,
                    problems: list[Problem]) -> date | None:
        if not _text(cell):
            return None
        try:
            value = _PAST_DATE.validate_python(cell)
        except ValidationError:
            problems.append(warning("identity.birth_date", row=row, column=column))
            return None
        if self.today is not None and value > self.today:
            problems.append(warning("identity.birth_date", row=row, column=column))
            return None
        return value

    def _encodings(self, field: str, normalised: str) -> dict[str, Any]:
        if not normalised:
            return {}
        bloom = self.blooms[field].encode(normalised)
        return {
            f"{field}_token": field_token(self.key, field, normalised),
            f"{field}_bloom": to_text(bloom) if bloom is not None else None,
        }


def _text(cell: Any) -> str:
    return "" if cell is None else str(cell).strip()


def _conflicts(code: PersonalCode, row: int, contract: dict[str, Any],
               columns: dict[str, str]) -> list[Problem]:
    """Warn where a raw column disagrees with what the personal code says."""
    problems = []
    year = _text(contract.get(columns.get("birth_year", "")))
    if year and year != str(code.birth_year):
        problems.append(warning("code.conflict", row=row, column=columns["birth_year"]))
    sex = _text(contract.get(columns.get("sex", "")))
    if sex and SEX_ALIASES.get(fold(sex).rstrip(".")) != code.sex:
        problems.append(warning("code.conflict", row=row, column=columns["sex"]))
    return problems


def pseudonymise_file(raw: Path, output: Path, *, org: str, kind: Kind, key: PseudonymKey,
                      today: date | None = None, encoding: str | None = None,
                      created_at: datetime | None = None, columns: ColumnMapping | None = None) -> FileReport:
    """Pseudonymise a raw extract into a drop file and its manifest.

    Args:
        raw: the partner's extract (CSV, XLSX or JSON Lines) with codes and names.
        output: the drop file to write (.csv or .jsonl); its manifest goes beside it.
        org: the sending organisation's code, written into every record.
        kind: the record kind the extract holds.
        key: the partners' shared pseudonymisation key.
        today: the date codes and birth dates are checked against (default: today).
        encoding: force a CSV encoding instead of detecting it.
        created_at: when the manifest says the drop was made (default: now).
        columns: the partner's own column names mapped to the contract's (`--columns`).

    Returns:
        The report: counts and every problem with row, column and code. No drop is
        written when no row could be accepted.
    """
    report = FileReport(source=raw, kind=str(kind))
    try:
        table = read_table(raw, encoding=encoding)
    except ProblemError as exc:
        report.problems += exc.problems
        return report
    with table:
        headers = map_headers(kind, table.headers, supplied=["org"],
                              extra_aliases=identifier_aliases(RAW_IDENTIFIERS.get(kind, ()))
                              | (columns.aliases(kind) if columns else {}))
        report.problems += headers.problems
        if headers.fatal:
            return report
        _pseudonymise_rows(table.rows, headers, report, output, org=org, kind=kind,
                           encoder=IdentifierEncoder(key, today), key=key, created_at=created_at)
    return report


def _pseudonymise_rows(rows: Any, headers: HeaderMap, report: FileReport, output: Path, *,
                       org: str, kind: Kind, encoder: IdentifierEncoder, key: PseudonymKey,
                       created_at: datetime | None = None) -> None:
    identifier_names = {c.name for c in RAW_IDENTIFIERS.get(kind, ())}
    id_columns = {h: n for h, n in headers.columns.items() if n in identifier_names}
    contract_map = HeaderMap(kind, {h: n for h, n in headers.columns.items()
                                    if h not in id_columns})
    contract_columns = {n: h for h, n in contract_map.columns.items()}
    consent = ConsentCount()
    with DropWriter(output, kind) as writer:
        try:
            _write_rows(rows, report, writer, kind=kind, org=org, encoder=encoder,
                        id_columns=id_columns, contract_map=contract_map,
                        contract_columns=contract_columns, consent=consent)
        except ProblemError as exc:  # the file broke part-way: keep what came before
            report.problems += exc.problems
    report.rows_accepted = writer.rows
    if kind is Kind.PERSON:
        report.persons_without_consent = consent.without
        report.problems += consent.problems()
    if report.rows_read == 0 and not report.errors:
        report.problems.append(error("file.no_rows"))
    if writer.rows == 0:
        writer.discard()
        return
    report.output = output
    report.manifest = write_manifest(writer, org=org, key_fingerprint=key.fingerprint, created_at=created_at,
                                     extract=report.extract_counts())


def _write_rows(rows: Any, report: FileReport, writer: DropWriter, *, kind: Kind, org: str,
                encoder: IdentifierEncoder, id_columns: dict[str, str], contract_map: HeaderMap,
                contract_columns: dict[str, str], consent: ConsentCount) -> None:
    ids = RecordIds()
    for raw_row in rows:
        report.rows_read += 1
        if any(p.severity is Severity.ERROR for p in raw_row.problems):
            report.problems += raw_row.problems
            continue
        cells = _split(raw_row.values, id_columns)
        computed, identity_problems = _identity(kind, encoder, cells, raw_row.number,
                                                id_columns, contract_columns)
        row_map = HeaderMap(kind, contract_map.columns | {n: n for n in computed})
        result = validate_row(kind, raw_row.number, cells.contract | computed, row_map,
                              org=org)
        report.problems += identity_problems + result.problems
        repeated = ids.repeat(result, contract_map.column_of("record_id"))
        if repeated is not None:
            report.problems.append(repeated)
        elif result.record is not None:
            writer.write(result.record)
            if kind is Kind.PERSON and not result.record.deleted:
                consent.add(result.record.consent_reporting)  # type: ignore[attr-defined]


def _split(values: dict[str, Any], id_columns: dict[str, str]) -> _Cells:
    identifiers: dict[str, Any] = {}
    contract: dict[str, Any] = {}
    for header, value in values.items():
        if header in id_columns:
            identifiers[id_columns[header]] = value
        else:
            contract[header] = value
    return _Cells(identifiers, contract)


def _identity(kind: Kind, encoder: IdentifierEncoder, cells: _Cells, row: int,
              id_columns: dict[str, str], contract_columns: dict[str, str]
              ) -> tuple[dict[str, Any], list[Problem]]:
    columns = {n: h for h, n in id_columns.items()}
    if kind is Kind.PERSON:
        return encoder.person(cells.identifiers, row, columns, cells.contract, contract_columns)
    if kind is Kind.HOUSEHOLD:
        return encoder.household(cells.identifiers, row, columns)
    return {}, []
