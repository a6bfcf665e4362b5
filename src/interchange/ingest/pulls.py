"""Ingesting from a partner's HTTP API: one batch per kind and pull, the cursor moving with the commit.

Every page is archived before it is parsed. The batch and the new cursor are committed
in one transaction after the last page, so a crash between pages (or a failed page)
commits nothing and the next pull starts from the same cursor: no gap, no duplicate.
Records the hub cannot process (not an outage) end as a `failed` batch with a receipt and
the cursor where it was; the same pages are not tried again until a steward re-runs it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from interchange.contract.problems import error, warning
from interchange.contract.receipt import BatchStatus, Receipt
from interchange.contract.records import Kind
from interchange.contract.rows import map_headers, safe_record_id
from interchange.errors import failure_trace, is_transient
from interchange.ingest.archive import archive_bytes
from interchange.ingest.batches import claim_batch, commit_batch, commit_simple, failpoint, judge
from interchange.ingest.drops import Hub
from interchange.ingest.http_source import HttpEndpoint, max_updated_at, pull_pages
from interchange.ingest.receipts import write_pending_receipts
from interchange.ingest.validate import refuse_personal_codes, validate_rows
from interchange.partner.code_scan import CodeScan
from interchange.tabular import RawRow
from interchange.warehouse.locks import source_lock
from interchange.warehouse.tables import batches, source_cursors
from interchange.workspace.config import HttpSourceConfig

CURSOR_FIELD = "updated_at"
log = logging.getLogger(__name__)


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
    pulled = Pulled(org, source, kind, since, parts, records)
    if pulled.until is None:
        return  # no records: nothing changed since the cursor, so no batch and no receipt
    failed = _failed_before(hub, pulled)
    if failed is not None:
        # The same records the hub could not process last time: a steward re-runs that batch after a fix.
        log.info("pull of %s %s/%s: the same records as failed batch %d; waiting for interchange reprocess",
                 kind.value, org, source, failed)
        return
    commit_pull(hub, pulled)


@dataclass(frozen=True)
class Pulled:
    """One kind's records as pulled since a cursor, with the archived pages they came in."""

    org: str
    source: str
    kind: Kind
    since: str | None
    parts: list[str]
    records: list[dict[str, Any]]

    @property
    def until(self) -> str | None:
        return max_updated_at(self.records)

    @property
    def digest(self) -> str:
        return hashlib.sha256("\n".join(self.parts).encode()).hexdigest()


def commit_pull(hub: Hub, pulled: Pulled) -> int:
    """Validate, judge and commit a pull (moving its cursor when it loads); its batch id.

    A failure no retry can mend (interchange.errors.is_transient) ends the pull as a `failed`
    batch with a receipt, its cursor left where it was; an outage is raised, nothing committed.
    """
    try:
        return _commit_pull(hub, pulled)
    except Exception as exc:
        if is_transient(exc):
            raise
        log.error("pull of %s %s/%s could not be processed (%s); it ends failed until a steward re-runs it\n%s",
                  pulled.kind.value, pulled.org, pulled.source, type(exc).__name__, failure_trace(exc))
        with hub.engine.begin() as connection:
            batch_id = _claim(connection, pulled)
            commit_simple(connection, batch_id, BatchStatus.FAILED, [error("batch.failed", batch=batch_id)])
        return batch_id


def _commit_pull(hub: Hub, pulled: Pulled) -> int:
    org, kind, records = pulled.org, pulled.kind, pulled.records
    until = pulled.until
    assert until is not None
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
    with hub.engine.begin() as connection:
        batch_id = _claim(connection, pulled)
        verdict = judge(connection, batch, org, hub.judging)
        commit_batch(connection, batch_id, batch, verdict, cursor=(pulled.source, kind.value, until))
    if batch.purge_archive:  # direct identifiers: the hub keeps no copy of this pull's pages
        folder = hub.workspace.archive(org) / "http"
        for sha in pulled.parts:
            (folder / f"{sha}.json").unlink(missing_ok=True)
    return batch_id


def _claim(connection: Connection, pulled: Pulled) -> int:
    return claim_batch(connection, org=pulled.org, source=pulled.source, kind=pulled.kind.value,
                       sha256=pulled.digest, size_bytes=None, parts=pulled.parts, cursor_from=pulled.since,
                       cursor_to=pulled.until)


def _failed_before(hub: Hub, pulled: Pulled) -> int | None:
    """The newest batch of this source and kind, when it failed on these very pages."""
    with hub.engine.connect() as connection:
        newest = connection.execute(select(batches.c.batch_id, batches.c.status, batches.c.sha256).where(
            batches.c.org == pulled.org, batches.c.source == pulled.source, batches.c.kind == pulled.kind.value)
            .order_by(batches.c.batch_id.desc()).limit(1)).first()
    if newest is not None and newest.status == BatchStatus.FAILED.value and newest.sha256 == pulled.digest:
        return int(newest.batch_id)
    return None


def archived_pull(hub: Hub, head: Any) -> Pulled:
    """A pulled batch's records again, from its archived pages (for a re-run after a fix)."""
    folder = hub.workspace.archive(head.org) / "http"
    records: list[dict[str, Any]] = []
    for sha in head.parts or []:
        records.extend(json.loads((folder / f"{sha}.json").read_bytes())["records"])
    return Pulled(head.org, head.source, Kind(head.kind), head.cursor_from, list(head.parts or []), records)


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
