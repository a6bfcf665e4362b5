"""Stable keys for clusters of records: the same data gives the same keys, run after run.

The rules, in order (they hold for person keys and household keys alike):

1. Every existing key goes with the cluster that holds most of its records (a tie goes to
   the cluster with the smallest uid). That cluster keeps the key; records of the key in
   any other cluster were split off.
2. A cluster that holds several keys this way is a merge: the key that covers most of the
   cluster's records survives (a tie goes to the oldest key, then the smallest key), and
   the others are retired into it, never to be issued again.
3. A cluster that holds no key gets a new one derived from its smallest uid
   (`<prefix>` + 16 hex digits of SHA-256), so two fresh runs on the same data agree; if
   that key was issued before, a counter is appended to the uid until the key is free.
4. A key none of whose records is left (all deleted) is retired into nothing.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class KeyEvent:
    """One change to the index: `new`, `merge`, `split` or `retire` of `key`.

    merge: `other_keys` were retired into `key`; split: `moved` records left `other_keys[0]`
    for `key`. `moved` and `kept` name the records on either side, to explain the event.
    """

    kind: str
    key: str
    other_keys: tuple[str, ...]
    moved: tuple[str, ...]
    kept: tuple[str, ...] = ()


@dataclass
class KeyPlan:
    key_of: dict[str, str] = field(default_factory=dict)  # uid -> key
    created: list[str] = field(default_factory=list)
    retired: dict[str, str | None] = field(default_factory=dict)  # key -> the key it went into
    events: list[KeyEvent] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(event.kind == kind for event in self.events)


def derive_key(prefix: str, smallest_uid: str, taken: set[str]) -> str:
    """A key for a new cluster: from its smallest uid, never one issued before."""
    attempt = 0
    while True:
        seed = smallest_uid if attempt == 0 else f"{smallest_uid}#{attempt}"
        key = prefix + hashlib.sha256(seed.encode()).hexdigest()[:16]
        if key not in taken:
            return key
        attempt += 1


def assign_keys(clusters: Sequence[Sequence[str]], previous: Mapping[str, str], age: Mapping[str, Any], *,
                prefix: str, taken: set[str]) -> KeyPlan:
    """Keys for `clusters` (sorted uid lists) given the `previous` uid -> key links.

    `age` orders the previously active keys, oldest first (created_at); `taken` is every key
    ever issued, active or retired.
    """
    plan = KeyPlan()
    cluster_of = {uid: index for index, members in enumerate(clusters) for uid in members}
    # Per key, how many of its records each cluster holds; plain dicts, one entry for nearly every
    # key (a Counter per key was most of a re-run's time: 1 s per 100,000 records).
    parts: dict[str, dict[int, int]] = {}
    gone: dict[str, list[str]] = defaultdict(list)  # records of a key no cluster holds (deleted)
    for uid, key in previous.items():
        held_by = cluster_of.get(uid)
        if held_by is None:
            gone[key].append(uid)
            continue
        counts = parts.get(key)
        if counts is None:
            parts[key] = {held_by: 1}
        else:
            counts[held_by] = counts.get(held_by, 0) + 1
    holder = {key: next(iter(counts)) if len(counts) == 1 else min(counts, key=lambda i: (-counts[i], clusters[i][0]))
              for key, counts in parts.items()}
    claims: dict[int, list[str]] = defaultdict(list)
    for key, index in holder.items():
        claims[index].append(key)

    key_of_cluster: dict[int, str] = {}
    taken = set(taken)
    for index, members in enumerate(clusters):
        keys = claims.get(index)
        if keys:
            key = keys[0]
            if len(keys) > 1:  # a merge: the key holding most of these records stays, the others retire
                keys = sorted(keys, key=lambda k: (-parts[k][index], age[k], k))
                key = keys[0]
                plan.retired.update({other: key for other in keys[1:]})
                moved = tuple(uid for uid in members if previous.get(uid) in keys[1:])
                kept = tuple(uid for uid in members if previous.get(uid) == key)
                plan.events.append(KeyEvent("merge", key, tuple(sorted(keys[1:])), moved, kept))
        else:
            key = derive_key(prefix, members[0], taken)
            taken.add(key)
            plan.created.append(key)
            if previous.keys().isdisjoint(members):
                plan.events.append(KeyEvent("new", key, (), tuple(members)))
        key_of_cluster[index] = key
        plan.key_of.update(dict.fromkeys(members, key))

    for key in sorted(parts):
        if len(parts[key]) == 1:  # all its records in one cluster: nothing split off
            continue
        major = clusters[holder[key]]
        for index in sorted(parts[key], key=lambda i: clusters[i][0]):
            if index != holder[key]:
                moved = tuple(uid for uid in clusters[index] if previous.get(uid) == key)
                kept = tuple(uid for uid in major if previous.get(uid) == key)
                plan.events.append(KeyEvent("split", key_of_cluster[index], (key,), moved, kept))

    for key in sorted(gone.keys() - parts.keys()):
        plan.retired[key] = None
        plan.events.append(KeyEvent("retire", key, (), tuple(sorted(gone[key]))))
    return plan
