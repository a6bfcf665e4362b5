"""Clustering over many random link sets equals the union-find as first written (every record in it)."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

import pytest

from interchange.linkage.clusters import Edge, _Components, cluster_records


def cluster_records_as_first_written(uids: Sequence[str], edges: Iterable[Edge],
                                     apart: Iterable[tuple[str, str]] = (), *,
                                     forced_above: float = 1.0) -> list[list[str]]:
    """cluster_records before records without links were left out of the union-find (commit 5646178)."""
    components = _Components(uids, apart)
    for edge in sorted(edges, key=lambda e: (-e.strength, e.uid_l, e.uid_r)):
        if edge.uid_l in components.parent and edge.uid_r in components.parent:
            components.join(edge.uid_l, edge.uid_r, forced=edge.strength > forced_above)
    groups: dict[str, list[str]] = {}
    for uid in sorted(components.parent):
        groups.setdefault(components.find(uid), []).append(uid)
    return sorted(groups.values(), key=lambda members: members[0])


@pytest.mark.parametrize("seed", range(30))
def test_clusters_of_random_links_and_decisions_are_those_of_the_first_union_find(seed: int) -> None:
    rng = random.Random(seed)
    uids = [f"org{rng.randrange(3)}:{n}" for n in rng.sample(range(1000), rng.randrange(1, 200))]
    # Some edges and decisions name records that are not in `uids` (deleted since they were scored).
    names = [*uids, "org9:gone", "org9:left"]
    edges = [Edge(*sorted(rng.sample(names, 2)), rng.choice([0.96, 0.97, 0.99, 1.0, 2.0]))
             for _ in range(rng.randrange(0, 2 * len(uids) + 2))]
    apart = [tuple(sorted(rng.sample(names, 2))) for _ in range(rng.randrange(0, 10))]
    expected = cluster_records_as_first_written(uids, edges, apart, forced_above=1.0)
    assert cluster_records(uids, edges, apart, forced_above=1.0) == expected
    assert sorted(uid for members in expected for uid in members) == sorted(uids)
