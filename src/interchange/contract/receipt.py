"""The receipt the hub writes for every drop or pull: a promise to partners, with a JSON Schema.

Counts always add up: rows_read = inserted + updated + deleted + unchanged + quarantined
+ held. Problems and expectation results carry stable codes, row numbers and columns,
and messages in Lithuanian and English; never a cell value.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from interchange.contract.manifest import ExtractCounts

RECEIPT_VERSION: Final = 1
# A receipt stays readable when a whole file is wrong: the first problems in row order
# and a count per code say what to fix; the hub's quarantine table keeps every one.
MAX_LISTED_PROBLEMS = 1000


class BatchStatus(StrEnum):
    RECEIVED = "received"  # claimed and archived, not processed yet
    LOADED = "loaded"  # valid rows are in the warehouse (some may be quarantined)
    HELD = "held"  # a critical batch expectation failed: nothing was loaded
    REJECTED = "rejected"  # the file as a whole was unusable: nothing was loaded
    DUPLICATE = "duplicate"  # the same bytes were already loaded: nothing changed
    FAILED = "failed"  # the hub could not process it (a bug, bad bytes its database refused, or too many
    # attempts): nothing was loaded; a steward re-runs it after a fix (interchange reprocess)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Counts(_Frozen):
    rows_read: int = Field(0, ge=0, description="Data rows read from the file or the pull.")
    inserted: int = Field(0, ge=0, description="New records.")
    updated: int = Field(0, ge=0, description="Records whose new version replaced the previous one.")
    deleted: int = Field(0, ge=0, description="Records deleted on the partner's request.")
    unchanged: int = Field(0, ge=0, description="Records identical to what the hub already held.")
    quarantined: int = Field(0, ge=0, description="Rows rejected; each is listed under problems.")
    held: int = Field(0, ge=0, description="Valid rows not loaded because the batch was held.")

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated + self.deleted

    @model_validator(mode="after")
    def _adds_up(self) -> Counts:
        accounted = self.loaded + self.unchanged + self.quarantined + self.held
        if accounted != self.rows_read:
            raise ValueError(f"rows_read {self.rows_read} != {accounted} rows accounted for")
        return self


class ProblemEntry(_Frozen):
    code: str = Field(description="Stable code, e.g. value.date; see the README's list.")
    severity: Literal["error", "warning"]
    row: int | None = Field(description="Row number as the partner sees it (header = 1), or null for the file.")
    column: str | None = Field(description="Column as written in the file.")
    record_id: str | None
    message_lt: str
    message_en: str


class ExpectationEntry(_Frozen):
    code: str = Field(description="Stable code of the batch expectation, e.g. batch.record_id_unique.")
    severity: Literal["critical", "warning"]
    success: bool
    column: str | None
    element_count: int
    unexpected_count: int
    unexpected_rows: list[int] = Field(description="Up to 50 row numbers that failed it.")
    message_lt: str
    message_en: str


class ProblemCount(_Frozen):
    code: str
    severity: Literal["error", "warning"]
    count: int = Field(ge=1, description="How many problems of this code the batch had.")
    first_row: int | None = Field(description="The first row with it, or null for a file-level problem.")


class Receipt(_Frozen):
    """What happened to one drop or pull."""

    model_config = ConfigDict(title="receipt", frozen=True, extra="forbid")

    receipt_version: Literal[1] = RECEIPT_VERSION
    batch_id: int
    org: str
    kind: str | None = Field(description="Record kind, or null when the file could not be read that far.")
    source: str = Field(description="'inbox', or 'http:<name>' for a pull from a partner API.")
    file_name: str | None = Field(description="The drop file's name as sent; null for a pull.")
    sha256: str = Field(description="SHA-256 of the file as received (for a pull: of its pages' hashes).")
    size_bytes: int | None
    received_at: datetime
    processed_at: datetime
    status: BatchStatus
    held: bool = Field(description="True when a critical expectation failed and nothing was loaded.")
    duplicate_of: int | None = Field(None, description="The batch that already loaded these same bytes.")
    cursor_from: str | None = Field(None, description="Pull only: the updated_since the pull asked for.")
    cursor_to: str | None = Field(None, description="Pull only: the cursor the next pull will start from.")
    counts: Counts
    problems: list[ProblemEntry] = Field(
        description="File problems, then row problems in row order; at most problems_listed_max of them "
        "(the hub's quarantine table keeps every one).")
    problems_total: int = Field(0, ge=0, description="How many problems the batch had in all.")
    problems_listed_max: int = Field(MAX_LISTED_PROBLEMS, ge=0)
    problem_summary: list[ProblemCount] = Field(
        default_factory=list, description="Every problem code with its count, most frequent first.")
    expectations: list[ExpectationEntry] = Field(description="Every batch expectation, passed or not.")
    persons_without_consent: int | None = Field(
        None, ge=0, description="Person drops: valid persons whose record does not say consent_reporting = yes "
        "(with publishing.consent: exclude, the hub's default, they are left out of the published figures).")
    extract: ExtractCounts | None = Field(
        None, description="From the drop's manifest: rows the partner's kit read from its extract, wrote and "
        "rejected at source (rejected rows never reached the hub); null when the manifest does not say.")
