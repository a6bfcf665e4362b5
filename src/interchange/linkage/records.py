"""What linkage reads from the warehouse: non-deleted person and household records, by uid.

The person records are read as Arrow columns (interchange.warehouse.arrow_reader), not row by
row: at national scale (a million records, sixteen token and filter columns) a Python string
per cell was most of the read's CPU and memory. Tokens and Bloom filters stay Arrow
dictionaries, each distinct value once, which the model decodes once per value
(interchange.linkage.text_columns).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Integer, false, select

from interchange.contract.records import Encoding, linkage_fields
from interchange.warehouse.arrow_reader import Kind, arrow_reader
from interchange.warehouse.tables import household_records, person_records

# The columns a scorer gets, one row per non-deleted person record (model.py's contract).
RECORD_COLUMNS = linkage_fields()
# Names, birth dates and places repeat: kept as dictionaries, each distinct text once.
_DICTIONARY_COLUMNS = frozenset(linkage_fields(encodings=(Encoding.TOKEN, Encoding.BLOOM)))


# Between a record's org and record_id in its uid: org codes have no colon, record ids may.
_UID_SEPARATOR = ":"


def make_uid(org: str, record_id: str) -> str:
    return f"{org}{_UID_SEPARATOR}{record_id}"


def split_uid(uid: str) -> tuple[str, str]:
    """(org, record_id) of a uid made by make_uid."""
    org, _, record_id = uid.partition(_UID_SEPARATOR)
    return org, record_id


def load_person_records(connection: Connection) -> pd.DataFrame:
    """One row per non-deleted person record: `uid` and RECORD_COLUMNS, sorted by uid.

    `uid` is text (Python strings), `birth_year` Int64, `sex` and `municipality` text; the token
    and filter columns are ``pd.ArrowDtype`` dictionaries of strings (missing: NA).

    The read goes through the warehouse's Arrow driver on its own read-only connection, so it
    sees what is committed, not what `connection`'s open transaction has written. Linkage
    writes nothing before its reads; `connection` is where it holds its lock (BEGIN IMMEDIATE
    on SQLite, an advisory lock on PostgreSQL) while it reads.
    """
    columns = [person_records.c.org, person_records.c.record_id, *(person_records.c[n] for n in RECORD_COLUMNS)]
    kinds: dict[str, Kind] = {c.name: "integer" if isinstance(c.type, Integer) else "text" for c in columns}
    statement = select(*columns).where(person_records.c.deleted == false())
    with arrow_reader(connection.engine) as reader:
        batches = reader.read("person records", statement, kinds)
        schema = _encoded_schema(batches.schema)
        # Batch by batch, so that the plain strings of the whole read never exist at once.
        table = pa.Table.from_batches([_encoded(batch, schema) for batch in batches], schema=schema)
    table = table.unify_dictionaries()
    uids = pc.binary_join_element_wise(table["org"], table["record_id"], _UID_SEPARATOR)  # make_uid's
    order = pc.sort_indices(uids)  # byte order of UTF-8 is code point order, as Python sorts str
    frame = pd.DataFrame({"uid": uids.take(order).to_numpy(zero_copy_only=False)})
    for name in RECORD_COLUMNS:
        column = table[name].take(order)
        if name in _DICTIONARY_COLUMNS:
            frame[name] = pd.Series(pd.arrays.ArrowExtensionArray(column))
        elif name == "birth_year":
            frame[name] = pd.Series(column.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get), dtype="Int64")
        else:
            frame[name] = column.to_numpy(zero_copy_only=False)
    return frame


def _encoded_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema([field.with_type(pa.dictionary(pa.int32(), field.type)) if field.name in _DICTIONARY_COLUMNS
                      else field for field in schema])


def _encoded(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [column.dictionary_encode() if name in _DICTIONARY_COLUMNS else column
         for name, column in zip(batch.schema.names, batch.columns, strict=True)], schema=schema)


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
