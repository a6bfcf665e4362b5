"""Records into persons: connected components of linked pairs, with stewards' decisions as constraints.

Edges are taken strongest first (a steward's `same` before any model link, then by
probability), and an edge that would put two records a steward called `different` into
one person is skipped. So a `different` decision separates two records even when other
links would have chained them together, and a chain breaks at its weakest link.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter


@dataclass(frozen=True)
class Edge:
    uid_l: str
    uid_r: str
    strength: float  # a steward's `same` is above every probability


class _Components:
    """Union-find over uids that also tracks, per component, the records it must never join."""

    def __init__(self, uids: Iterable[str], apart: Iterable[tuple[str, str]]) -> None:
        self.parent = {uid: uid for uid in uids}
        self.apart: dict[str, set[str]] = {}
        for left, right in apart:
            if left in self.parent and right in self.parent:
                self.apart.setdefault(left, set()).add(right)
                self.apart.setdefault(right, set()).add(left)

    def find(self, uid: str) -> str:
        root = uid
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[uid] != root:  # path compression
            self.parent[uid], uid = root, self.parent[uid]
        return root

    def join(self, left: str, right: str, *, forced: bool) -> bool:
        a, b = self.find(left), self.find(right)
        if a == b:
            return True
        if not forced and any(self.find(other) == b for other in self.apart.get(a, ())):
            return False
        if len(self.apart.get(a, ())) < len(self.apart.get(b, ())):
            a, b = b, a
        self.parent[b] = a
        self.apart.setdefault(a, set()).update(self.apart.pop(b, set()))
        return True


def cluster_records(uids: Sequence[str], edges: Iterable[Edge], apart: Iterable[tuple[str, str]] = (),
                    *, forced_above: float = 1.0) -> list[list[str]]:
    """Persons as sorted lists of uids, ordered by their smallest uid; every uid is in exactly one.

    Edges stronger than `forced_above` (stewards' `same`) join even across an `apart` pair.
    """
    everyone = dict.fromkeys(uids)
    linked = [edge for edge in sorted(edges, key=lambda e: (-e.strength, e.uid_l, e.uid_r))
              if edge.uid_l in everyone and edge.uid_r in everyone]
    # Only records with a link go through the union-find: nationally nearly every record is a
    # person alone, and a find per record was most of the clustering's time.
    components = _Components(dict.fromkeys(uid for edge in linked for uid in (edge.uid_l, edge.uid_r)), apart)
    for edge in linked:
        components.join(edge.uid_l, edge.uid_r, forced=edge.strength > forced_above)
    groups: dict[str, list[str]] = {}
    for uid in sorted(components.parent):
        groups.setdefault(components.find(uid), []).append(uid)
    alone = [[uid] for uid in everyone if uid not in components.parent]
    return sorted([*groups.values(), *alone], key=itemgetter(0))
