"""Reading and writing a key index (persons or households): keys, links, events. Same shape for both."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, Select, Table, delete, select, tuple_, update

from interchange.linkage.keys import KeyEvent, KeyPlan
from interchange.linkage.records import make_uid, split_uid
from interchange.warehouse.bulk import insert_columns
from interchange.warehouse.tables import (
    household_keys,
    household_links,
    linkage_events,
    person_keys,
    person_links,
)

_CHUNK = 500
_DIGEST_ROWS = 50_000  # links hashed per fetch


@dataclass(frozen=True)
class KeyIndex:
    entity: str  # "person" or "household", as linkage_events names it
    prefix: str
    keys: Table
    links: Table
    key_column: str

    @property
    def key(self) -> Column:
        return self.keys.c[self.key_column]

    @property
    def link_key(self) -> Column:
        return self.links.c[self.key_column]


PERSONS = KeyIndex("person", "p-", person_keys, person_links, "person_key")
HOUSEHOLDS = KeyIndex("household", "h-", household_keys, household_links, "household_key")


@dataclass(frozen=True)
class CurrentIndex:
    links: dict[str, str]  # uid -> key
    age: dict[str, datetime]  # active key -> created_at
    taken: set[str]  # every key ever issued


def read_index(connection: Connection, index: KeyIndex) -> CurrentIndex:
    links = {make_uid(org, record_id): key for org, record_id, key in connection.execute(
        select(index.links.c.org, index.links.c.record_id, index.link_key))}
    age, taken = {}, set()
    for key, created_at, retired_at in connection.execute(
            select(index.key, index.keys.c.created_at, index.keys.c.retired_at)):
        taken.add(key)
        if retired_at is None:
            age[key] = created_at
    return CurrentIndex(links, age, taken)


def write_index(connection: Connection, index: KeyIndex, plan: KeyPlan, previous: Mapping[str, str],
                run_id: int, now: datetime) -> None:
    """New keys, moved links, links of vanished records deleted, new links, then retirements."""
    insert_columns(connection, index.keys, {index.key_column: plan.created, "created_at": [now] * len(plan.created),
                                            "created_by_run": [run_id] * len(plan.created)})
    gone = [split_uid(uid) for uid in sorted(previous) if uid not in plan.key_of]
    for start in range(0, len(gone), _CHUNK):
        connection.execute(delete(index.links).where(
            tuple_(index.links.c.org, index.links.c.record_id).in_(gone[start:start + _CHUNK])))
    added: list[tuple[str, str]] = []
    for uid, key in sorted(plan.key_of.items()):
        old = previous.get(uid)
        if old is None:
            added.append((uid, key))
        elif old != key:
            org, record_id = split_uid(uid)
            connection.execute(update(index.links).where(
                (index.links.c.org == org) & (index.links.c.record_id == record_id)).values(
                {index.key_column: key, "linked_at": now, "run_id": run_id}))
    records = [split_uid(uid) for uid, _ in added]
    insert_columns(connection, index.links, {
        "org": [org for org, _ in records], "record_id": [record_id for _, record_id in records],
        index.key_column: [key for _, key in added], "linked_at": [now] * len(added), "run_id": [run_id] * len(added)})
    # Retired last: by now no link points at a retired key.
    for key, into in sorted(plan.retired.items()):
        connection.execute(update(index.keys).where(index.key == key).values(retired_at=now, retired_into=into))


def log_events(connection: Connection, index: KeyIndex, plan: KeyPlan, run_id: int,
               explain: Callable[[KeyEvent], str]) -> None:
    events = plan.events
    insert_columns(connection, linkage_events, {
        "run_id": [run_id] * len(events), "entity": [index.entity] * len(events),
        "kind": [event.kind for event in events], "entity_key": [event.key for event in events],
        # Tuples store as the JSON arrays lists do, and repeat (a new key's empty one): each distinct
        # one is serialised once.
        "other_keys": [event.other_keys for event in events], "records": [len(event.moved) for event in events],
        "reason": [explain(event) for event in events]})


def index_digest_of(connection: Connection) -> str:
    """SHA-256 of the person and household index (record -> key), read from the links.

    A linkage run stores it with the links it wrote (``linkage_runs.index_sha256``), so that
    comparing today's index with a publication's needs no pass over the links
    (indicators.lineage.index_digest).
    """
    digest = hashlib.sha256()
    for index in (PERSONS, HOUSEHOLDS):
        links = index.links
        digest.update(f"{links.name}\n".encode())
        statement = select(links.c.org, links.c.record_id, index.link_key).order_by(links.c.org, links.c.record_id)
        for part in _driver_rows(connection, statement, _DIGEST_ROWS):
            digest.update("".join(f"{org}\t{record_id}\t{key}\n" for org, record_id, key in part).encode())
    return digest.hexdigest()


def _driver_rows(connection: Connection, statement: Select[Any], size: int) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of a select without parameters or typed results, `size` at a time, as the driver's tuples.

    Inside the connection's transaction. SQLAlchemy's Row for each of a million links was most of
    the digest's time; on PostgreSQL a server-side cursor, so the links are never held at once.
    """
    driver = connection.connection.driver_connection
    if driver is None:  # SQLAlchemy's state for a connection invalidated under us
        raise RuntimeError("the warehouse connection was invalidated")
    server_side = connection.dialect.name == "postgresql"
    cursor = driver.cursor(name="interchange_index_rows") if server_side else driver.cursor()
    try:
        cursor.execute(str(statement.compile(dialect=connection.dialect)))
        while part := cursor.fetchmany(size):
            yield part
    finally:
        cursor.close()
