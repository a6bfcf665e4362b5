"""The manifest that travels with every drop file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from interchange.contract.records import Kind
from interchange.contract.values import Hex64, OrgCode

MANIFEST_SUFFIX = ".manifest.json"


class ExtractCounts(BaseModel):
    """What the partner's kit did with the extract behind a drop: rows read, written and rejected.

    Rows rejected at the partner never reach the hub; without these counts the hub's receipt
    of a drop that kept 2 of 7 rows would read as complete.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, title="extract counts")

    rows_read: int = Field(ge=0, description="Data rows read from the partner's extract.")
    rows_written: int = Field(ge=0, description="Rows written to the drop file (the manifest's row_count).")
    rows_rejected: int = Field(ge=0, description="Rows left out of the drop because of an error.")
    rejected_codes: dict[str, int] = Field(
        default_factory=dict, description="Problem code -> number of rejected rows with that error; "
        "a row with two errors counts under both.")

    def codes_text(self) -> str:
        """The rejected rows' codes as people read them: "value.date ×3, record_id.repeated ×2"."""
        return ", ".join(f"{code} ×{count}" for code, count in self.rejected_codes.items())


class Manifest(BaseModel):
    """What the partner's kit declares about a drop file, verified by the hub."""

    model_config = ConfigDict(extra="forbid", title="manifest", use_enum_values=True)

    manifest_version: Literal[1] = 1
    org: OrgCode = Field(description="Code of the sending organisation.")
    kind: Kind = Field(description="Record kind held in the file.")
    file_name: str = Field(description="Name of the drop file this manifest describes.")
    sha256: Hex64 = Field(description="SHA-256 of the drop file's bytes, lowercase hex.")
    row_count: int = Field(ge=0, description="Number of records in the drop file.")
    schema_version: str = Field(description="Record contract version the file was made for.")
    service_catalogue_version: str = Field(description="Service catalogue version used.")
    created_at: datetime = Field(description="When the drop was made (UTC, ISO 8601).")
    generator: str = Field(description="Program and version that made the drop.")
    key_fingerprint: str | None = Field(
        None, pattern=r"^[0-9a-f]{16}$",
        description="Fingerprint of the pseudonymisation key: equal fingerprints mean "
        "linkable pseudonyms. Reveals nothing about the key.")
    extract: ExtractCounts | None = Field(
        None, description="Rows read, written and rejected by the pseudonymiser; null when the "
        "drop was not made from an extract by the kit.")


def manifest_path(drop: Path) -> Path:
    return drop.with_name(drop.name + MANIFEST_SUFFIX)
