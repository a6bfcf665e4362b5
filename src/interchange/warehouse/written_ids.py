"""Which record_ids a load has written so far, kept small enough for a national drop.

A load looks up each chunk's stored versions before it writes the chunk. When the organisation
held no record of the kind as the batch began, the only stored versions there can be are those the
batch itself wrote: a national first drop of a million contacts asked the database a million
times for records that could not be there (on PostgreSQL about 3 s of the server's time). With
this, only the ids the batch may have written already are asked for.

An id is kept as its 64-bit hash in sorted numpy arrays (8 bytes an id: 80 MB for ten million),
never as the string: equal hashes of different ids only cost a look-up that finds nothing. The
arrays are merged as a binary counter merges its bits (two of one size become one of twice the
size), so there are never more than about log2(ids / chunk) of them to search.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class WrittenIds:
    """The hashes of the ids written so far: `add` a chunk's ids, ask which ids `may_hold`."""

    def __init__(self) -> None:
        self._parts: list[np.ndarray] = []  # sorted, largest first

    def add(self, ids: Sequence[str]) -> None:
        part = np.sort(_hashes(ids))
        while self._parts and len(self._parts[-1]) <= len(part):
            part = np.sort(np.concatenate((self._parts.pop(), part)), kind="stable")
        self._parts.append(part)

    def may_hold(self, ids: Sequence[str]) -> list[str]:
        """Those of `ids` that were added, and perhaps a few that were not (equal hashes)."""
        if not self._parts or not ids:
            return []
        wanted = _hashes(ids)
        found = np.zeros(len(wanted), dtype=bool)
        for part in self._parts:
            at = np.searchsorted(part, wanted)
            at[at == len(part)] = 0  # beyond the largest: the smallest, compared next, cannot equal it
            found |= part[at] == wanted
        return [ids[int(index)] for index in np.flatnonzero(found)]


def _hashes(ids: Sequence[str]) -> np.ndarray:
    return np.fromiter(map(hash, ids), dtype=np.int64, count=len(ids))
