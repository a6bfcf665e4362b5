"""Writes a drop file atomically and hashes it on the way."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from interchange import __version__, clock
from interchange.contract.manifest import ExtractCounts, Manifest, manifest_path
from interchange.contract.records import SCHEMA_VERSION, Kind, Record
from interchange.contract.serialise import field_names, to_cells, to_json
from interchange.contract.services import CATALOGUE_VERSION

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

DROP_SUFFIXES = (".csv", ".jsonl")


class _HashingFile(io.RawIOBase):
    def __init__(self, target: io.BufferedWriter) -> None:
        self._target = target
        self.sha256 = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer, /) -> int:
        self.sha256.update(data)
        return self._target.write(data)


class DropWriter:
    """Writes records of one kind to `path` (.csv or .jsonl) via a temporary file.

    The drop appears under its name only when complete, so a partner's upload job (or the
    hub, when the drop is written straight into its inbox) can never pick up half a file;
    `write_manifest` then adds the manifest, last, as the hub's commit signal.
    """

    def __init__(self, path: Path, kind: Kind) -> None:
        if path.suffix not in DROP_SUFFIXES:
            raise ValueError(f"a drop file must end in {' or '.join(DROP_SUFFIXES)}")
        self.path = path
        self.kind = kind
        self.rows = 0
        self._part = path.with_name(f".{path.name}.part")
        self._raw = open(self._part, "wb")  # noqa: SIM115 - closed in __exit__
        self._hashing = _HashingFile(self._raw)
        self._text = io.TextIOWrapper(io.BufferedWriter(self._hashing), encoding="utf-8",
                                      newline="")
        self._csv = csv.writer(self._text, lineterminator="\n") if path.suffix == ".csv" else None
        if self._csv is not None:
            self._csv.writerow(field_names(kind))

    def write(self, record: Record) -> None:
        if self._csv is not None:
            self._csv.writerow(to_cells(record, self.kind))
        else:
            self._text.write(json.dumps(to_json(record), ensure_ascii=False) + "\n")
        self.rows += 1

    @property
    def sha256(self) -> str:
        return self._hashing.sha256.hexdigest()

    def __enter__(self) -> DropWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._text.flush()
        self._text.detach().flush()
        self._raw.close()
        if exc_type is None:
            os.replace(self._part, self.path)
        else:
            self._part.unlink(missing_ok=True)

    def discard(self) -> None:
        """Forget a finished drop that turned out empty."""
        self.path.unlink(missing_ok=True)


def write_manifest(writer: DropWriter, *, org: str, key_fingerprint: str | None,
                   created_at: datetime | None = None, extract: ExtractCounts | None = None) -> Path:
    manifest = Manifest(
        org=org,
        kind=writer.kind,
        file_name=writer.path.name,
        sha256=writer.sha256,
        row_count=writer.rows,
        schema_version=SCHEMA_VERSION,
        service_catalogue_version=CATALOGUE_VERSION,
        created_at=(created_at or clock.now()).replace(microsecond=0),
        generator=f"interchange {__version__}",
        key_fingerprint=key_fingerprint,
        extract=extract,
    )
    path = manifest_path(writer.path)
    # The manifest is the hub's sign that the drop is complete: it appears whole, after the drop.
    part = path.with_name(f".{path.name}.part")
    part.write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    os.replace(part, path)
    return path
