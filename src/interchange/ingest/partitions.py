"""Fixed-size records of a whole batch (a digest and a row number per row), kept by partition so
that what is judged across the batch needs memory for one partition, not for the batch.

The batch expectations that span frames (a column's duplicates, the weekly visits per person)
group records by a 64-bit digest. Records with equal digests land in the same partition (the
digest's top bits), so each partition can be grouped on its own. A batch's records stay in
memory up to SPILL_RECORDS; past that they go, sorted by partition, to an anonymous temporary
file (unlinked when made, as the batch's spool: a killed process leaves nothing behind) and come
back a partition at a time. A small batch never touches the disk and is one partition.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from itertools import pairwise
from typing import IO

import numpy as np

SPILL_RECORDS = 1 << 18  # records held before they go to disk: some 6-8 MiB
PARTITION_BITS = 6  # 64 partitions: a 10M-row batch needs some 4 MiB of records at a time


class PartitionedRecords:
    """Records of one numpy structured `dtype`, partitioned by the uint64 field `key`."""

    def __init__(self, dtype: np.dtype, key: str) -> None:
        self._dtype = np.dtype(dtype)
        self._key = key
        self._pending: list[np.ndarray] = []
        self._pending_count = 0
        self._file: IO[bytes] | None = None
        self._end = 0
        self._runs: list[list[tuple[int, int]]] = [[] for _ in range(1 << PARTITION_BITS)]

    def add(self, records: np.ndarray) -> None:
        if not len(records):
            return
        self._pending.append(records.astype(self._dtype, copy=False))
        self._pending_count += len(records)
        if self._pending_count >= SPILL_RECORDS:
            self._spill()

    @property
    def spilled(self) -> bool:
        return self._file is not None

    def partitions(self) -> Iterator[np.ndarray]:
        """Every record once, a partition at a time (all of them at once when none went to disk);
        records of equal keys come in the same partition. The records are let go as they are read."""
        if self._file is None:
            if self._pending:
                records = np.concatenate(self._pending)
                self._pending, self._pending_count = [], 0
                yield records
            return
        self._spill()
        try:
            for runs in self._runs:
                parts = [np.frombuffer(os.pread(self._file.fileno(), size, offset), dtype=self._dtype)
                         for offset, size in runs]
                if parts:
                    yield np.concatenate(parts)
        finally:
            self._file.close()
            self._file = None
            self._runs = [[] for _ in self._runs]

    def _spill(self) -> None:
        if not self._pending:
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="interchange-partitions-")  # noqa: SIM115 - closed when read
        records = np.concatenate(self._pending)
        self._pending, self._pending_count = [], 0
        # The smallest integers (a byte), so that the stable sort is a radix sort, and the records
        # gathered by take: each several times faster than on words and by indexing a structured array.
        partition = (records[self._key] >> np.uint64(64 - PARTITION_BITS)).astype(
            np.min_scalar_type((1 << PARTITION_BITS) - 1))
        records = np.take(records, np.argsort(partition, kind="stable"))
        bounds = np.concatenate(([0], np.cumsum(np.bincount(partition, minlength=len(self._runs)))))
        data = memoryview(records.data).cast("B")  # the sorted records as they are, not a copy
        width = self._dtype.itemsize
        for number, (start, stop) in enumerate(pairwise(bounds)):
            if stop > start:
                view = data[start * width:stop * width]
                self._runs[number].append((self._end, len(view)))
                while view:  # a regular file takes all at once, but the call may say otherwise
                    written = os.pwrite(self._file.fileno(), view, self._end)
                    view, self._end = view[written:], self._end + written
