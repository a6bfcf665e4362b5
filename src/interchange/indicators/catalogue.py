"""The indicator catalogue: a versioned YAML file of indicator definitions (docs/indicators.md).

Adding an indicator is adding a YAML entry: what is counted (``count``), from which
records (``from``: a list of selections), an optional person-level condition
(``require``), or a ratio of two other indicators (``numerator`` / ``denominator``), and
which breakdowns may be published (``disaggregations``). The shipped catalogue is
``catalogue.yaml`` next to this module; a workspace may use its own file
(:func:`load_catalogue` with a path; ``publishing.catalogue`` in interchange.yaml), either a
whole catalogue or, with ``extends: shipped``, only the indicators it adds to the shipped
ones. A bad file raises :class:`CatalogueError` naming the file, the indicator code and the
key, never a traceback.
"""

from __future__ import annotations

from collections.abc import Collection
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from interchange.contract.codes import CaseType
from interchange.contract.services import SERVICES, SERVICES_BY_CODE, Mode
from interchange.errors import InterchangeError
from interchange.indicators.cells import DIMENSIONS, breakdown_name

SHIPPED = "catalogue.yaml"

Source = Literal["contact", "attendance", "group_session", "case", "social_risk_household"]
"""Where rows come from: individual contacts; registered attendances of group sessions (one row per
session and attendee); group sessions themselves; cases (episodes of help) open during the period;
household records whose social-risk period overlaps the period."""

Count = Literal["persons", "households", "children", "person_days", "family_weeks", "contacts", "sessions",
                "cases", "hours"]

COUNT_UNITS: dict[str, str] = {
    "persons": "persons", "households": "households", "children": "children", "person_days": "days",
    "family_weeks": "family_weeks", "contacts": "contacts", "sessions": "sessions", "cases": "cases",
    "hours": "hours",
}
"""The unit a count's cells carry (cells.unit)."""

COUNT_SOURCES: dict[str, frozenset[str]] = {
    "persons": frozenset({"contact", "attendance", "case"}),
    "households": frozenset({"contact", "attendance", "case", "social_risk_household"}),
    "children": frozenset({"case", "social_risk_household"}),
    "person_days": frozenset({"contact", "attendance"}),
    "family_weeks": frozenset({"case", "social_risk_household"}),
    "contacts": frozenset({"contact"}),
    "sessions": frozenset({"group_session"}),
    "cases": frozenset({"case"}),
    "hours": frozenset({"contact", "group_session"}),
}
"""Which sources each count can be made from."""

_PERSON_DIMENSIONS = frozenset(DIMENSIONS)
_FAMILY_DIMENSIONS = frozenset({"month", "municipality", "org"})
COUNT_DIMENSIONS: dict[str, frozenset[str]] = {
    "persons": _PERSON_DIMENSIONS, "person_days": _PERSON_DIMENSIONS, "contacts": _PERSON_DIMENSIONS,
    "hours": frozenset({"month", "org"}),  # group sessions have no person to give sex, age or residence
    "households": _FAMILY_DIMENSIONS, "children": _FAMILY_DIMENSIONS, "family_weeks": _FAMILY_DIMENSIONS,
    "cases": _FAMILY_DIMENSIONS, "sessions": frozenset({"month", "org"}),
}
"""Dimensions a count can be broken down by: sex and age group belong to persons only."""

_SERVICE_SOURCES = frozenset({"contact", "attendance", "group_session"})
_PERSON_SOURCES = frozenset({"contact", "attendance", "case"})
PERSON_FLAGS = ("dv_victim", "social_risk_family", "disability", "addiction")
SERVICE_GROUPS = tuple(sorted({s.group for s in SERVICES}))
_CODE = r"^[a-z][a-z0-9_]{1,63}$"


class CatalogueError(InterchangeError, ValueError):
    """The catalogue cannot be used; the message names the file, the indicator code and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Selection(_Strict):
    """One set of rows an indicator counts: a source and filters on it (all filters must hold)."""

    source: Source
    service_codes: tuple[str, ...] | None = Field(None, description="Only these services (contacts, sessions).")
    service_groups: tuple[str, ...] | None = Field(
        None, description="Only services of these groups of the service catalogue (contract/services.py).")
    exclude_service_codes: tuple[str, ...] = Field((), description="Never these services.")
    case_types: tuple[CaseType, ...] | None = Field(None, description="Only cases of these types.")
    case_flags: dict[Literal["repeat_victimisation"], bool] = Field(
        default_factory=dict, description="Only cases whose flag has this value (empty never matches true).")
    person_flags: dict[Literal["dv_victim", "social_risk_family", "disability", "addiction"], bool] = Field(
        default_factory=dict, description="Only persons whose target-group flag has this value, in any of "
                                          "their records (after linkage).")

    @field_validator("service_codes", "exclude_service_codes")
    @classmethod
    def _known_services(cls, codes: tuple[str, ...] | None) -> tuple[str, ...] | None:
        unknown = [c for c in codes or () if c not in SERVICES_BY_CODE]
        if unknown:
            raise ValueError(f"unknown service code(s) {', '.join(unknown)}; the service catalogue has "
                             f"{', '.join(SERVICES_BY_CODE)}")
        return codes

    @field_validator("service_groups")
    @classmethod
    def _known_groups(cls, groups: tuple[str, ...] | None) -> tuple[str, ...] | None:
        unknown = [g for g in groups or () if g not in SERVICE_GROUPS]
        if unknown:
            raise ValueError(f"unknown service group(s) {', '.join(unknown)}; groups are {', '.join(SERVICE_GROUPS)}")
        return groups

    @model_validator(mode="after")
    def _filters_fit_source(self) -> Selection:
        service_filter = self.service_codes is not None or self.service_groups is not None or self.exclude_service_codes
        if service_filter and self.source not in _SERVICE_SOURCES:
            raise ValueError(f"source {self.source} has no service code: service filters apply to "
                             f"{', '.join(sorted(_SERVICE_SOURCES))}")
        if (self.case_types is not None or self.case_flags) and self.source != "case":
            raise ValueError(f"case_types and case_flags apply to source case, not {self.source}")
        if self.person_flags and self.source not in _PERSON_SOURCES:
            raise ValueError(f"person_flags apply to sources naming a person ({', '.join(sorted(_PERSON_SOURCES))}),"
                             f" not {self.source}")
        if self.source in ("contact", "attendance", "group_session"):
            wanted = "group" if self.source != "contact" else "individual"
            for code in self.service_codes or ():
                mode = SERVICES_BY_CODE[code].mode
                if mode not in (wanted, Mode.EITHER):
                    raise ValueError(f"service {code} is a {mode} service and never comes as source {self.source}")
        return self

    def services(self) -> tuple[str, ...] | None:
        """The service codes this selection keeps, or None for any service."""
        if self.service_codes is None and self.service_groups is None and not self.exclude_service_codes:
            return None
        codes = [s.code for s in SERVICES if (self.service_codes is None or s.code in self.service_codes)
                 and (self.service_groups is None or s.group in self.service_groups)
                 and s.code not in self.exclude_service_codes]
        return tuple(codes)


class Require(_Strict):
    """A person-level condition over the whole period and every organisation."""

    min_distinct_services: int | None = Field(
        None, ge=2, description="The person got at least this many different services in the indicator's rows.")
    min_distinct_orgs: int | None = Field(
        None, ge=2, description="The person was served by at least this many organisations in the indicator's rows.")
    also_in: tuple[Selection, ...] = Field(
        (), description="The person also appears in at least one of these selections in the same period.")

    @model_validator(mode="after")
    def _something(self) -> Require:
        if self.min_distinct_services is None and self.min_distinct_orgs is None and not self.also_in:
            raise ValueError("require needs min_distinct_services, min_distinct_orgs or also_in")
        return self


class TargetLink(_Strict):
    """Which programme target (workspace config) this indicator answers."""

    service: str | None = Field(None, description="targets[].service; empty for a programme-wide target")
    figure: Literal["persons", "contacts", "sessions", "long_term_persons"]


Breakdown = tuple[str, ...]


class Indicator(_Strict):
    """One indicator of the catalogue."""

    code: str = Field(pattern=_CODE)
    group: str = Field(pattern=_CODE, description="Indicator group: one sheet of the XLSX export.")
    name_lt: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    definition_lt: str = Field(min_length=1)
    definition_en: str = Field(min_length=1)
    unit: str = Field(min_length=1)
    sensitivity: Literal["standard", "dv"] = "standard"
    count: Count | None = None
    from_: tuple[Selection, ...] = Field((), alias="from")
    require: Require | None = None
    numerator: str | None = None
    denominator: str | None = None
    disaggregations: tuple[Breakdown, ...] = ()
    target: TargetLink | None = None

    @field_validator("disaggregations", mode="before")
    @classmethod
    def _breakdowns(cls, value: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise ValueError("expected a list of breakdowns, each a list of dimensions (or the name of a "
                             "disaggregation set)")
        found = []
        for item in value:
            dims = [item] if isinstance(item, str) else item
            if not isinstance(dims, list | tuple) or not dims:
                raise ValueError("each breakdown is a non-empty list of dimensions")
            unknown = [d for d in dims if d not in DIMENSIONS]
            if unknown:
                raise ValueError(f"unknown dimension(s) {', '.join(map(str, unknown))}; dimensions are "
                                 f"{', '.join(DIMENSIONS)}")
            if len(set(dims)) != len(dims):
                raise ValueError(f"breakdown {dims} names a dimension twice")
            found.append(tuple(d for d in DIMENSIONS if d in dims))
        if len(set(found)) != len(found):
            raise ValueError("a breakdown is listed twice")
        return tuple(found)

    @model_validator(mode="after")
    def _shape(self) -> Indicator:
        if self.is_ratio:
            if self.numerator is None or self.denominator is None:
                raise ValueError("numerator: a ratio needs both numerator and denominator (indicator codes)")
            if self.count is not None or self.from_ or self.require is not None:
                raise ValueError("numerator: a ratio has numerator and denominator only, not count, from or require")
            if self.unit != "ratio":
                raise ValueError(f"unit: a ratio has unit 'ratio', not {self.unit!r}")
            return self
        if self.count is None:
            raise ValueError("count: is missing: say what is counted (" + ", ".join(COUNT_UNITS) + ") or give "
                             "numerator and denominator for a ratio")
        if not self.from_:
            raise ValueError("from: is missing: list at least one selection of records to count")
        expected_unit = COUNT_UNITS[self.count]
        if self.unit != expected_unit:
            raise ValueError(f"unit: count {self.count} has unit {expected_unit!r}, not {self.unit!r}")
        allowed = COUNT_SOURCES[self.count]
        for selection in self.from_:
            if selection.source not in allowed:
                raise ValueError(f"from: count {self.count} cannot be made from source {selection.source} "
                                 f"(possible: {', '.join(sorted(allowed))})")
        if self.require is not None and self.count != "persons":
            raise ValueError("require: applies to count persons only")
        dims = COUNT_DIMENSIONS[self.count]
        for breakdown in self.disaggregations:
            extra = [d for d in breakdown if d not in dims]
            if extra:
                raise ValueError(f"disaggregations: {self.count} cannot be broken down by {', '.join(extra)} "
                                 f"(possible: {', '.join(d for d in DIMENSIONS if d in dims)})")
        return self

    @property
    def is_ratio(self) -> bool:
        return self.numerator is not None or self.denominator is not None

    def breakdowns(self) -> list[str]:
        """The breakdown labels of every cell this indicator gets: "total" first, then the listed ones."""
        return ["total", *(breakdown_name(b) for b in self.disaggregations)]


class Catalogue(_Strict):
    """The whole catalogue. ``indicator(code)`` finds one; ``indicators`` keeps the file's order."""

    version: str = Field(min_length=1)
    indicators: tuple[Indicator, ...] = Field(min_length=1)
    origin: str = Field(SHIPPED, exclude=True, description="Where it was read from, for messages.")

    def indicator(self, code: str) -> Indicator:
        for item in self.indicators:
            if item.code == code:
                return item
        raise KeyError(code)

    @property
    def codes(self) -> list[str]:
        return [i.code for i in self.indicators]

    def rates(self) -> list[str]:
        """Ratio indicators whose numerator is not a part of their denominator (visits per family-week):
        their numerator and denominator count different things, so "all but 2" says nothing of anyone."""
        unit = {i.code: i.unit for i in self.indicators}
        return [i.code for i in self.indicators if i.numerator is not None and i.denominator is not None
                and unit.get(i.numerator) != unit.get(i.denominator)]

    def definitions(self) -> list[dict[str, Any]]:
        """One plain dict per indicator (for the definitions table and sheet)."""
        return [{
            "indicator": i.code, "group": i.group, "name_lt": i.name_lt, "name_en": i.name_en,
            "definition_lt": i.definition_lt, "definition_en": i.definition_en, "unit": i.unit,
            "sensitivity": i.sensitivity, "numerator": i.numerator, "denominator": i.denominator,
            "breakdowns": ", ".join(i.breakdowns()), "catalogue_version": self.version,
        } for i in self.indicators]


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """The shipped catalogue, or the one at ``path`` (a workspace's own).

    Raises:
        CatalogueError: the file is missing, not YAML, or a definition is wrong; the message
            names the file, the indicator code and the key.
    """
    if path is None:
        origin = f"interchange/indicators/{SHIPPED}"
        text = resources.files("interchange.indicators").joinpath(SHIPPED).read_text(encoding="utf-8")
    else:
        origin = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CatalogueError(f"{origin}: no such catalogue file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CatalogueError(f"{origin}: cannot be read ({type(exc).__name__})") from None
    return parse_catalogue(text, origin=origin)


def parse_catalogue(text: str, *, origin: str = SHIPPED) -> Catalogue:
    """The catalogue in ``text`` (YAML); see :func:`load_catalogue`."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise CatalogueError(f"{origin}: not valid YAML{where}") from None
    if not isinstance(data, dict):
        raise CatalogueError(f"{origin}: expected a mapping with version, indicators (and disaggregation_sets)")
    data = dict(data)
    sets = data.pop("disaggregation_sets", {}) or {}
    if not isinstance(sets, dict):
        raise CatalogueError(f"{origin}: disaggregation_sets: expected a mapping of set name -> list of breakdowns")
    inherited: set[str] = set()
    if "extends" in data:
        data, sets, inherited = _extend_shipped(data, sets, origin)
    raw_indicators = data.get("indicators")
    if isinstance(raw_indicators, list):
        data["indicators"] = [_expand_sets(item, index, sets, origin) for index, item in enumerate(raw_indicators)]
    try:
        catalogue = Catalogue.model_validate({**data, "origin": origin})
    except ValidationError as exc:
        errors = exc.errors()
        # pydantic also calls a list "too short" when its only items are wrong: that says nothing more.
        if any(e["type"] != "too_short" for e in errors):
            errors = [e for e in errors if e["type"] != "too_short" or len(e["loc"]) > 1]
        raise CatalogueError(f"{origin}:\n" + "\n".join(_describe(error, raw_indicators) for error in errors)) from None
    _check_references(catalogue, origin, inherited)
    return catalogue


def _extend_shipped(data: dict[str, Any], sets: dict[str, Any], origin: str
                    ) -> tuple[dict[str, Any], dict[str, Any], set[str]]:
    """A workspace file with ``extends: shipped``: the shipped indicators and sets, then the file's own.

    The version becomes "<shipped version>+<the file's version>", so a publication names both.
    """
    extends = data.pop("extends")
    if extends != "shipped":
        raise CatalogueError(f"{origin}: key 'extends': must be 'shipped' (the catalogue that comes with "
                             f"Interchange), not {extends!r}")
    shipped_text = resources.files("interchange.indicators").joinpath(SHIPPED).read_text(encoding="utf-8")
    shipped = yaml.safe_load(shipped_text)
    own = data.get("indicators")
    if not isinstance(own, list):
        raise CatalogueError(f"{origin}: key 'indicators': expected a list of the indicators this file adds")
    version = data.get("version")
    if not isinstance(version, str | int | float) or not str(version).strip():
        raise CatalogueError(f"{origin}: key 'version': is missing: give this file's own version (it is "
                             f"published as {shipped['version']}+<version>)")
    clash = sorted(set(sets) & set(shipped.get("disaggregation_sets") or {}))
    if clash:
        raise CatalogueError(f"{origin}: key 'disaggregation_sets': {', '.join(clash)} is already a set of the "
                             f"shipped catalogue; use another name")
    merged = {**data, "version": f"{shipped['version']}+{version}",
              "indicators": [*shipped["indicators"], *own]}
    inherited = {item["code"] for item in shipped["indicators"]}
    return merged, {**(shipped.get("disaggregation_sets") or {}), **sets}, inherited


def _expand_sets(item: Any, index: int, sets: dict[str, Any], origin: str) -> Any:
    """An indicator with ``disaggregations: <set name>`` replaced by that set's list."""
    if not isinstance(item, dict):
        return item
    value = item.get("disaggregations")
    if isinstance(value, str):
        if value not in sets:
            raise CatalogueError(f"{origin}: indicator {_code_of(item, index)}: key 'disaggregations': no "
                                 f"disaggregation set named {value!r} (sets: {', '.join(sorted(sets)) or 'none'})")
        return {**item, "disaggregations": sets[value]}
    return item


def _code_of(item: Any, index: int) -> str:
    code = item.get("code") if isinstance(item, dict) else None
    return repr(code) if isinstance(code, str) else f"#{index + 1} (no code)"


def _describe(error: Any, raw_indicators: Any) -> str:
    loc = list(error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        message = "is missing"
    elif error["type"] == "extra_forbidden":
        message = "is not a known key"
    elif error["type"] == "string_pattern_mismatch":
        message = "must be 2-64 characters of a-z, 0-9 and _, starting with a letter"
    elif error["type"] in ("literal_error", "enum"):
        message = f"must be one of {error['ctx']['expected']}"
    if len(loc) >= 2 and loc[0] == "indicators" and isinstance(loc[1], int):
        index = loc[1]
        item = raw_indicators[index] if isinstance(raw_indicators, list) and index < len(raw_indicators) else None
        key = ".".join(str(part) for part in loc[2:])
        if not key:  # a check of the whole entry: its message starts with the key it is about
            head, _, rest = message.partition(": ")
            key, message = (head, rest) if rest and head.replace("_", "").isalpha() else ("(the entry)", message)
        return f"  indicator {_code_of(item, index)}: key '{key}': {message}"
    key = ".".join(str(part) for part in loc) or "(top level)"
    return f"  key '{key}': {message}"


def _check_references(catalogue: Catalogue, origin: str, inherited: Collection[str] = ()) -> None:
    problems = []
    seen: set[str] = set()
    for item in catalogue.indicators:
        if item.code in seen:
            where = "is in the shipped catalogue already" if item.code in inherited else "is used twice"
            problems.append(f"  indicator '{item.code}': key 'code': the code {where}")
        seen.add(item.code)
    by_code = {i.code: i for i in catalogue.indicators}
    for item in catalogue.indicators:
        if not item.is_ratio:
            continue
        for key in ("numerator", "denominator"):
            other = by_code.get(getattr(item, key))
            if other is None:
                problems.append(f"  indicator '{item.code}': key '{key}': no indicator "
                                f"{getattr(item, key)!r} in the catalogue")
            elif other.is_ratio:
                problems.append(f"  indicator '{item.code}': key '{key}': {other.code} is a ratio itself; "
                                f"name a count")
            else:
                missing = [breakdown_name(b) for b in item.disaggregations if b not in other.disaggregations]
                if missing:
                    problems.append(f"  indicator '{item.code}': key 'disaggregations': {', '.join(missing)} "
                                    f"is not a breakdown of its {key} {other.code}")
        if item.sensitivity != "dv" and any(
                by_code.get(getattr(item, k)) is not None and by_code[getattr(item, k)].sensitivity == "dv"
                for k in ("numerator", "denominator")):
            problems.append(f"  indicator '{item.code}': key 'sensitivity': built on a dv indicator, so it must "
                            f"be dv too")
    targets: dict[tuple[str | None, str], str] = {}  # (service, figure) -> the indicator answering it
    for item in catalogue.indicators:
        if item.target is not None:
            target = (item.target.service, item.target.figure)
            if target in targets:
                problems.append(f"  indicator '{item.code}': key 'target': {targets[target]} already answers "
                                f"this target")
            targets[target] = item.code
    if problems:
        raise CatalogueError(f"{origin}:\n" + "\n".join(problems))


__all__ = ["COUNT_DIMENSIONS", "COUNT_SOURCES", "COUNT_UNITS", "Catalogue", "CatalogueError", "Indicator",
           "Require", "Selection", "TargetLink", "load_catalogue", "parse_catalogue"]
