"""The household index: household records of every agency that carry one household_pseudonym share a key.

Households are linked exactly, by pseudonym (the keyed hash of the reference person's
personal code); a record without one is a household of its own. Keys follow the same
stability rules as person keys (keys.py). With person_records.household_record_id this
lets an indicator count each child in a family at social risk once, whichever agencies
know the family.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, false, select

from interchange.linkage.keys import KeyEvent, assign_keys
from interchange.linkage.records import load_household_pseudonyms
from interchange.linkage.store import HOUSEHOLDS, log_events, read_index, write_index
from interchange.warehouse.tables import household_links, person_links, person_records

_REASONS = {
    "new": "household record(s) not linked before",
    "merge": "records now share one household pseudonym",
    "split": "records no longer share the household pseudonym (changed)",
    "retire": "every record of this household was deleted",
}


def link_households(connection: Connection, run_id: int, now: datetime) -> int:
    """Re-link every non-deleted household record; returns the number of households."""
    pseudonyms = load_household_pseudonyms(connection)
    groups: dict[str, list[str]] = {}
    for uid, pseudonym in sorted(pseudonyms.items()):
        groups.setdefault(pseudonym or f"\0{uid}", []).append(uid)  # no pseudonym: a household alone
    clusters = sorted(groups.values(), key=lambda members: members[0])
    current = read_index(connection, HOUSEHOLDS)
    plan = assign_keys(clusters, current.links, current.age, prefix=HOUSEHOLDS.prefix, taken=current.taken)
    write_index(connection, HOUSEHOLDS, plan, current.links, run_id, now)
    log_events(connection, HOUSEHOLDS, plan, run_id, _reason)
    return len(clusters)


def _reason(event: KeyEvent) -> str:
    return _REASONS[event.kind]


def person_households(connection: Connection) -> list[tuple[str, str]]:
    """Distinct (person key, household key) pairs: who lives in which household, across agencies.

    Built from person records that name their household record at the same organisation.
    Two agencies that know the same child in the same family give one pair, so an indicator
    such as "children growing up in families at social risk" counts each child once.
    """
    rows = connection.execute(
        select(person_links.c.person_key, household_links.c.household_key).distinct()
        .select_from(person_records
                     .join(person_links, (person_links.c.org == person_records.c.org)
                           & (person_links.c.record_id == person_records.c.record_id))
                     .join(household_links, (household_links.c.org == person_records.c.org)
                           & (household_links.c.record_id == person_records.c.household_record_id)))
        .where(person_records.c.deleted == false()))
    return sorted((person_key, household_key) for person_key, household_key in rows)
