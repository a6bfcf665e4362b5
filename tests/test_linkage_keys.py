"""Key assignment over many random re-runs equals the rules as first written (keys.py's docstring)."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from interchange.linkage.keys import KeyEvent, KeyPlan, assign_keys, derive_key


def assign_keys_as_first_written(clusters: Sequence[Sequence[str]], previous: Mapping[str, str],
                                 age: Mapping[str, Any], *, prefix: str, taken: set[str]) -> KeyPlan:
    """assign_keys before it was made fast (commit 5646178): a Counter per key, every key sorted."""
    plan = KeyPlan()
    cluster_of = {uid: index for index, members in enumerate(clusters) for uid in members}
    parts: dict[str, Counter[int]] = defaultdict(Counter)
    for uid, key in previous.items():
        if uid in cluster_of:
            parts[key][cluster_of[uid]] += 1
    holder = {key: min(counts, key=lambda i: (-counts[i], clusters[i][0])) for key, counts in parts.items()}
    claims: dict[int, list[str]] = defaultdict(list)
    for key, index in holder.items():
        claims[index].append(key)
    key_of_cluster: dict[int, str] = {}
    taken = set(taken)
    for index, members in enumerate(clusters):
        keys = sorted(claims.get(index, []), key=lambda k: (-parts[k][index], age[k], k))
        if keys:
            key = keys[0]
            if len(keys) > 1:
                plan.retired.update({other: key for other in keys[1:]})
                moved = tuple(uid for uid in members if previous.get(uid) in keys[1:])
                kept = tuple(uid for uid in members if previous.get(uid) == key)
                plan.events.append(KeyEvent("merge", key, tuple(sorted(keys[1:])), moved, kept))
        else:
            key = derive_key(prefix, members[0], taken)
            taken.add(key)
            plan.created.append(key)
            if not any(uid in previous for uid in members):
                plan.events.append(KeyEvent("new", key, (), tuple(members)))
        key_of_cluster[index] = key
        plan.key_of.update(dict.fromkeys(members, key))
    for key in sorted(parts):
        major = clusters[holder[key]]
        for index in sorted(parts[key], key=lambda i: clusters[i][0]):
            if index != holder[key]:
                moved = tuple(uid for uid in clusters[index] if previous.get(uid) == key)
                kept = tuple(uid for uid in major if previous.get(uid) == key)
                plan.events.append(KeyEvent("split", key_of_cluster[index], (key,), moved, kept))
    for key in sorted(set(previous.values()) - set(parts)):
        plan.retired[key] = None
        plan.events.append(KeyEvent("retire", key, (), tuple(sorted(u for u, k in previous.items() if k == key))))
    return plan


def random_clusters(rng: random.Random, uids: list[str]) -> list[list[str]]:
    """`uids` (a random share of them deleted) grouped at random into persons, as cluster_records orders them."""
    kept = [uid for uid in uids if rng.random() > 0.1]
    groups: dict[int, list[str]] = defaultdict(list)
    for uid in kept:
        groups[rng.randrange(max(1, len(kept) * 2 // 3))].append(uid)
    return sorted((sorted(members) for members in groups.values()), key=lambda members: members[0])


@pytest.mark.parametrize("seed", range(20))
def test_keys_over_random_reruns_follow_the_rules_as_first_written(seed: int) -> None:
    rng = random.Random(seed)
    uids = [f"org{rng.randrange(3)}:{n}" for n in range(rng.randrange(2, 120))]
    previous: dict[str, str] = {}
    age: dict[str, int] = {}
    taken: set[str] = set()
    for run in range(4):
        clusters = random_clusters(rng, uids)
        plan = assign_keys(clusters, previous, age, prefix="p-", taken=taken)
        assert plan == assign_keys_as_first_written(clusters, previous, age, prefix="p-", taken=taken)
        age.update({key: run for key in plan.created})
        for key in plan.retired:
            age.pop(key, None)
        taken |= set(plan.created)
        previous = dict(plan.key_of)
    assert len(taken) > 1
