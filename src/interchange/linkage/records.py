"""What linkage reads from the warehouse: non-deleted person and household records, by uid."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Connection, false, select

from interchange.contract.records import linkage_fields
from interchange.warehouse.tables import household_records, person_records

# The columns a scorer gets, one row per non-deleted person record (model.py's contract).
RECORD_COLUMNS = linkage_fields()


def make_uid(org: str, record_id: str) -> str:
    return f"{org}:{record_id}"


def split_uid(uid: str) -> tuple[str, str]:
    """(org, record_id): org codes have no colon, record ids may."""
    org, _, record_id = uid.partition(":")
    return org, record_id


def load_person_records(connection: Connection) -> pd.DataFrame:
    """One row per non-deleted person record: `uid` and RECORD_COLUMNS, sorted by uid."""
    columns = [person_records.c.org, person_records.c.record_id, *(person_records.c[n] for n in RECORD_COLUMNS)]
    rows = [tuple(row) for row in connection.execute(select(*columns).where(person_records.c.deleted == false()))]
    frame = pd.DataFrame(rows, columns=["org", "record_id", *RECORD_COLUMNS])
    frame.insert(0, "uid", [make_uid(o, r) for o, r in zip(frame["org"], frame["record_id"], strict=True)])
    frame = frame.drop(columns=["org", "record_id"]).sort_values("uid", ignore_index=True)
    frame["birth_year"] = frame["birth_year"].astype("Int64")
    return frame


def load_household_pseudonyms(connection: Connection) -> dict[str, str | None]:
    """uid -> household_pseudonym of every non-deleted household record."""
    rows = connection.execute(select(household_records.c.org, household_records.c.record_id,
                                     household_records.c.household_pseudonym)
                              .where(household_records.c.deleted == false())).all()
    return {make_uid(org, record_id): pseudonym for org, record_id, pseudonym in rows}


def existing_person_records(connection: Connection, uids: Iterable[str]) -> set[str]:
    """Which of `uids` (org:record_id) name a non-deleted person record: a lookup each, not a load of the index."""
    found = set()
    for uid in uids:
        org, record_id = split_uid(uid)
        exists = connection.execute(select(person_records.c.record_id).where(
            person_records.c.org == org, person_records.c.record_id == record_id,
            person_records.c.deleted == false())).first()
        if exists is not None:
            found.add(uid)
    return found
