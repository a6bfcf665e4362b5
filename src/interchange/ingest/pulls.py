"""Ingesting from a partner's HTTP API: one batch per kind and pull, the cursor moving with the commit.

Every page is archived before it is parsed. The batch and the new cursor are committed
in one transaction after the last page, so a crash between pages (or a failed page)
commits nothing and the next pull starts from the same cursor: no gap, no duplicate.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections import Counter
from typing import Any

from sqlalchemy import select

from interchange.contract.problems import warning
from interchange.contract.receipt import Receipt
from interchange.contract.records import Kind
from interchange.contract.rows import map_headers, safe_record_id
from interchange.ingest.archive import archive_bytes
from interchange.ingest.batches import claim_batch, commit_batch, failpoint, judge
from interchange.ingest.drops import Hub
from interchange.ingest.http_source import HttpEndpoint, max_updated_at, pull_pages
from interchange.ingest.receipts import write_pending_receipts
from interchange.ingest.validate import refuse_personal_codes, validate_rows
from interchange.partner.code_scan import CodeScan
from interchange.tabular import RawRow
from interchange.warehouse.locks import source_lock
from interchange.warehouse.tables import source_cursors
from interchange.workspace.config import HttpSourceConfig

CURSOR_FIELD = "updated_at"


def source_name(source: HttpSourceConfig) -> str:
    return f"http:{source.name}"


def ingest_pull(hub: Hub, org: str, source: HttpSourceConfig, *, token: str) -> list[Receipt]:
    """Pull every configured kind from `org`'s API since its cursor; returns the receipts written."""
    name = source_name(source)
    endpoint = HttpEndpoint(base_url=source.base_url, page_size=source.page_size, timeout_s=source.timeout_s,
                            max_attempts=source.max_attempts, backoff_s=source.backoff_s)
    with source_lock(hub.engine, hub.workspace.locks, f"{org}.http-{source.name}"):
        try:
            for kind in source.kinds:
                _pull_kind(hub, org, name, endpoint, Kind(kind), token)
        except BaseException:
            # Kinds committed before the failure keep their batches: their receipts go out now,
            # not whenever this source next succeeds. The original failure is what is raised.
            with contextlib.suppress(Exception):
                write_pending_receipts(hub.engine, hub.workspace.receipts(org), org)
            raise
        return write_pending_receipts(hub.engine, hub.workspace.receipts(org), org)


def cursor_of(hub: Hub, org: str, source: str, kind: str) -> str | None:
    with hub.engine.connect() as connection:
        return connection.execute(select(source_cursors.c.updated_since).where(
            source_cursors.c.org == org, source_cursors.c.source == source, source_cursors.c.kind == kind)).scalar()


def _pull_kind(hub: Hub, org: str, source: str, endpoint: HttpEndpoint, kind: Kind, token: str) -> None:
    since = cursor_of(hub, org, source, kind.value)
    folder = hub.workspace.archive(org) / "http"
    parts: list[str] = []
    records: list[dict[str, Any]] = []
    for page in pull_pages(endpoint, kind.value, token=token, updated_since=since):
        parts.append(archive_bytes(page.raw, folder, ".json").sha256)
        records.extend(page.records)
        failpoint("between_pages")
    until = max_updated_at(records)
    if until is None:
        return  # no records: nothing changed since the cursor, so no batch and no receipt
    # Every key of the pull, superseded versions included (an identifier there still refuses it).
    headers = list(dict.fromkeys(key for record in records for key in record if key != CURSOR_FIELD))
    # The partner may name record_id in Lithuanian, or by its own name, as in drop files.
    columns = hub.columns(org)
    id_key = map_headers(kind, headers, supplied=["org"],
                         extra_aliases=columns.aliases(kind) if columns else None).column_of("record_id")
    latest, repeats = _latest_versions(records, id_key)
    rows = (RawRow(number, {k: v for k, v in record.items() if k != CURSOR_FIELD}) for number, record
            in enumerate(latest, start=1))
    scan = CodeScan(headers)  # a personal code in any value refuses the pull and purges its pages
    batch = refuse_personal_codes(validate_rows(kind, org, headers, scan.watch(rows), columns=columns), scan, columns)
    batch.problems += [warning("pull.duplicate_id", record_id=safe_record_id(record_id), times=times)
                       for record_id, times in repeats.items()]
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    with hub.engine.begin() as connection:
        batch_id = claim_batch(connection, org=org, source=source, kind=kind.value, sha256=digest,
                               size_bytes=None, parts=parts, cursor_from=since, cursor_to=until)
        verdict = judge(connection, batch, org, hub.judging)
        commit_batch(connection, batch_id, batch, verdict, cursor=(source, kind.value, until))
    if batch.purge_archive:  # direct identifiers: the hub keeps no copy of this pull's pages
        for sha in parts:
            (folder / f"{sha}.json").unlink(missing_ok=True)


def _latest_versions(records: list[dict[str, Any]], id_key: str) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """One record per record_id, its last version in the pull; and how often ids repeated.

    The contract lets a record changed during a pull appear again on a later page. A record
    without a usable record_id is kept on its own, so that validation quarantines each one.
    """
    seen: Counter[str] = Counter()
    last: dict[str | int, dict[str, Any]] = {}
    for position, record in enumerate(records):
        record_id = _id_of(record, id_key)
        if record_id is None:
            last[position] = record
            continue
        seen[record_id] += 1
        last[record_id] = record
    repeats = {record_id: times for record_id, times in seen.items() if times > 1}
    return list(last.values()), repeats


def _id_of(record: dict[str, Any], id_key: str) -> str | None:
    # As the contract reads it: surrounding spaces do not make another record.
    value = record.get(id_key)
    return value.strip() or None if isinstance(value, str) else None
