"""Problems found in partner files: stable codes, row and column, Lithuanian and English text.

Every message is the catalogue's template `problem.<code>` (interchange.i18n.problem) filled
with parameters that name columns, expected formats, counts and row numbers. A template never
includes the offending value itself, because that value may be a personal code or a name.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from interchange.errors import InterchangeError
from interchange.i18n import say


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


MAX_COLUMN_CHARS = 100


class Problem(BaseModel):
    """One thing wrong with a file, a row or a value.

    `row` is the row number as the partner sees it (the header is row 1 in CSV and
    XLSX; the first line is 1 in JSON Lines); `column` is the header as written in the
    file.
    """

    model_config = ConfigDict(frozen=True)

    code: str
    severity: Severity = Severity.ERROR
    row: int | None = None
    column: str | None = None
    record_id: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("column")
    @classmethod
    def _shown_column(cls, column: str | None) -> str | None:
        # A header can be a merged title cell hundreds of characters long: shown cut, so that
        # receipts stay readable and the quarantine's column_name (255) always holds it.
        if column is None or len(column) <= MAX_COLUMN_CHARS:
            return column
        return column[:MAX_COLUMN_CHARS - 1] + "…"

    @property
    def message_lt(self) -> str:
        return self.message("lt")

    @property
    def message_en(self) -> str:
        return self.message("en")

    def message(self, lang: str = "en") -> str:
        return say(f"problem.{self.code}", lang, column=self.column, row=self.row, **self.params)

    def where(self) -> str:
        parts = []
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        if self.record_id:
            parts.append(f"record {self.record_id}")
        return ", ".join(parts) or "file"

    def as_dict(self) -> dict[str, Any]:
        """The receipt form: code, place, and both messages."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "row": self.row,
            "column": self.column,
            "record_id": self.record_id,
            "message_lt": self.message_lt,
            "message_en": self.message_en,
        }


def error(code: str, *, row: int | None = None, column: str | None = None,
          record_id: str | None = None, **params: Any) -> Problem:
    return Problem(code=code, severity=Severity.ERROR, row=row, column=column,
                   record_id=record_id, params=params)


def warning(code: str, *, row: int | None = None, column: str | None = None,
            record_id: str | None = None, **params: Any) -> Problem:
    return Problem(code=code, severity=Severity.WARNING, row=row, column=column,
                   record_id=record_id, params=params)


# Problems a later attempt may not meet: the partner API was down. Every other stated
# problem (a missing or refused token, a wrong address) stays until someone fixes it.
TRANSIENT_CODES = frozenset({"http.unavailable"})


class ProblemError(InterchangeError):
    """A failure that stops the work on a file; carries the problems that explain it."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = problems if isinstance(problems, list) else [problems]
        super().__init__("; ".join(f"{p.code} ({p.where()}): {p.message_en}" for p in self.problems))
        self.transient = any(p.code in TRANSIENT_CODES for p in self.problems)

    def message(self, lang: str = "en") -> str:
        """The problems' codes and messages in `lang`, without their places."""
        return "; ".join(f"{p.code}: {p.message(lang)}" for p in self.problems)
