"""cells.json, the JSON export of an approved publication: a promise to the ministry, with a JSON Schema.

`interchange.indicators.exports` writes the file; ``schemas/cells.schema.json`` is generated
from these models and the tests check an exported file against it, so a program reading the
figures can rely on the shape: a figure is an integer for counts, a number rounded to
``decimals[unit]`` places otherwise, and null when its status is suppressed or not_applicable.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["published", "suppressed", "not_applicable"]
Figure = int | float | None


class ExportedCell(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(description="Reporting period: 2026-Q3, 2026-09, 2026 or a programme code.")
    version: int = Field(ge=1, description="Publication version within the period.")
    indicator: str = Field(description="Indicator code (see indicators).")
    breakdown: str = Field(description='Dimensions the cell breaks down by, joined by "+"; "total" for none.')
    month: str = Field(description='"YYYY-MM", or "*" for all months.')
    municipality: str = Field(description='Municipality code, or "*" for all.')
    org: str = Field(description='Organisation code, or "*" for all.')
    sex: str = Field(description='Sex code, "unknown", or "*" for all.')
    age_group: str = Field(description='"child", "adult", or "*" for all.')
    value: Figure = Field(description="The published figure; null when suppressed or not applicable.")
    numerator: Figure = Field(description="Ratios: the numerator; counts: equal to value; null when suppressed.")
    denominator: Figure = Field(description="Ratios only: the denominator; null otherwise or when suppressed.")
    target: Figure = Field(description="Programme periods: the target, on the indicator's total cell; else null.")
    unit: str = Field(description="persons, households, contacts, sessions, hours, days, family_weeks, ratio, ...")
    suppressed: bool = Field(description="Whether disclosure control hid the cell.")
    reason: Literal["", "suppressed"] = Field(
        description='"suppressed" when suppressed, "" when not: why is not published (it would disclose).')
    status: Status = Field(description="published; suppressed (hidden); not_applicable (a ratio of 0/0).")


class ExportedIndicator(BaseModel):
    model_config = ConfigDict(extra="allow")

    indicator: str
    group: str
    name_lt: str
    name_en: str
    unit: str


class CellsExport(BaseModel):
    model_config = ConfigDict(title="cells", extra="forbid")

    period: str
    version: int = Field(ge=1)
    statuses: list[Status]
    decimals: dict[str, int] = Field(description="Decimal places by unit; other_units for every unit not named.")
    rounding: Literal["half_up"]
    indicators: list[ExportedIndicator] = Field(description="Code, group, names, definitions and unit.")
    cells: list[ExportedCell]
