"""Where a publication's figures come from: input batches, code version, person index, late data.

A publication records every loaded batch that fed it (id, organisation, kind and the
SHA-256 of the archived drop), the code that computed it and the linkage run its
distinct-person counts rest on, so a figure can be traced to the files it came from.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, and_, exists, func, or_, select

import interchange
from interchange.linkage.store import index_digest_of
from interchange.warehouse.engine import stored_utc
from interchange.warehouse.tables import (
    batches,
    case_records,
    contact_records,
    group_session_records,
    household_records,
    linkage_runs,
    person_records,
    record_versions,
)


@dataclass(frozen=True)
class InputBatch:
    batch_id: int
    org: str
    kind: str | None
    sha256: str
    processed_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {"batch_id": self.batch_id, "org": self.org, "kind": self.kind, "sha256": self.sha256}


@cache
def code_version() -> str:
    """`interchange <version>`, plus `+g<commit>` when running from a git checkout (and `.dirty` if edited)."""
    version = f"interchange {interchange.__version__}"
    root = Path(interchange.__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return version
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no", "--",
                                "src", "flows"], capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return version
    return f"{version}+g{commit}{'.dirty' if dirty.strip() else ''}"


def loaded_batches(connection: Connection) -> list[InputBatch]:
    """Every loaded batch, oldest first: the warehouse state a publication is computed from."""
    rows = connection.execute(
        select(batches.c.batch_id, batches.c.org, batches.c.kind, batches.c.sha256, batches.c.processed_at)
        .where(batches.c.status == "loaded").order_by(batches.c.batch_id))
    return [InputBatch(*row) for row in rows]


def inputs_digest(inputs: list[InputBatch]) -> str:
    """SHA-256 of the input list: two versions with the same digest were computed from the same batches."""
    text = json.dumps([b.as_json() for b in inputs], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def latest_linkage_run(connection: Connection) -> int | None:
    return connection.execute(
        select(func.max(linkage_runs.c.run_id)).where(linkage_runs.c.finished_at.is_not(None))).scalar()


def index_digest(connection: Connection) -> str:
    """SHA-256 of the person and household index (record -> key): another digest, other distinct counts.

    A version keeps the digest it was computed on; comparing it with today's says whether a
    relink or a review decision has moved a record to another person since. Only a linkage run
    writes the links, and it stores their digest as it finishes: this reads that one value. When
    the latest run kept none (it ran before the warehouse kept digests) or none has finished, the
    links are hashed as they are.
    """
    stored = connection.execute(
        select(linkage_runs.c.index_sha256).where(linkage_runs.c.finished_at.is_not(None))
        .order_by(linkage_runs.c.run_id.desc()).limit(1)).scalar()
    return stored if stored is not None else index_digest_of(connection)


def linkage_runs_after(connection: Connection, run_id: int | None) -> int:
    """How many linkage runs finished after `run_id` (all of them when None)."""
    statement = select(func.count()).select_from(linkage_runs).where(linkage_runs.c.finished_at.is_not(None))
    if run_id is not None:
        statement = statement.where(linkage_runs.c.run_id > run_id)
    return connection.execute(statement).scalar_one()


def has_records_dated_in(connection: Connection, start: date, end: date) -> bool:
    """Whether any organisation has a loaded, not deleted record dated inside [start, end]."""
    dated = _dated_in(start, end)
    return any(connection.execute(select(exists().where(table.c.deleted.is_(False), condition))).scalar()
               for table, condition in ((contact_records, dated["contact"]),
                                        (group_session_records, dated["group_session"]),
                                        (case_records, dated["case"]), (household_records, dated["household"])))


def _dated_in(start: date, end: date) -> dict[str, Any]:
    """Per record kind, what "dated inside [start, end]" means (see batches_touching)."""
    return {
        "contact": and_(contact_records.c.contact_date >= start, contact_records.c.contact_date <= end),
        "group_session": and_(group_session_records.c.session_date >= start,
                              group_session_records.c.session_date <= end),
        "case": and_(case_records.c.opened <= end,
                     or_(case_records.c.closed.is_(None), case_records.c.closed >= start)),
        "household": and_(household_records.c.social_risk_from <= end,
                          or_(household_records.c.social_risk_to.is_(None),
                              household_records.c.social_risk_to >= start)),
    }


def batches_touching(connection: Connection, start: date, end: date, *, after: datetime,
                     exclude: AbstractSet[int] = frozenset()) -> list[InputBatch]:
    """Loaded batches processed after `after` that wrote a record dated inside [start, end].

    Dated records: contacts and group sessions by their date, cases and social-risk households
    by the overlap of their span with the period, and persons who have a contact or case of
    their organisation in the period. A deleted record no longer has its date, so a batch that
    only deletes is not found here.
    """
    found = []
    for batch in loaded_batches(connection):
        if batch.batch_id in exclude or batch.processed_at is None:
            continue
        if stored_utc(batch.processed_at) <= stored_utc(after):
            continue
        if connection.execute(select(_touches(batch.batch_id, start, end))).scalar():
            found.append(batch)
    return found


def _touches(batch_id: int, start: date, end: date) -> Any:
    def written(table: Any, kind: str, *conditions: Any) -> Any:
        # A record whose current version the batch set, or one it set a version of since replaced.
        return or_(
            exists().where(table.c.batch_id == batch_id, *conditions),
            exists().where(
                record_versions.c.batch_id == batch_id, record_versions.c.kind == kind,
                table.c.org == record_versions.c.org, table.c.record_id == record_versions.c.record_id, *conditions))

    dated = _dated_in(start, end)
    contact_in, case_in = dated["contact"], dated["case"]
    person_served = or_(
        exists().where(contact_records.c.org == person_records.c.org,
                       contact_records.c.person_record_id == person_records.c.record_id, contact_in),
        exists().where(case_records.c.org == person_records.c.org,
                       case_records.c.person_record_id == person_records.c.record_id, case_in))
    return or_(
        written(contact_records, "contact", contact_in),
        written(group_session_records, "group_session", dated["group_session"]),
        written(case_records, "case", case_in),
        written(household_records, "household", dated["household"]),
        written(person_records, "person", person_served),
    )
