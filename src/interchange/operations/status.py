"""`interchange status`: what a steward needs to know about the hub, gathered in one pass.

Everything comes from the warehouse (batches, quarantine, linkage runs, the review queue,
publications when that table exists) and, when a Prefect API URL is given, from the
Prefect server's REST API (flow-run states), read with requests: nothing here imports
Prefect. Only organisation codes, batch ids, counts, states and dates: never a record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import requests
from sqlalchemy import Engine, MetaData, Table, func, inspect, select

from interchange import clock
from interchange.contract.manifest import Manifest
from interchange.contract.receipt import BatchStatus
from interchange.indicators.lineage import InputBatch
from interchange.indicators.publications import Staleness, current_versions, late_batches, stale_versions
from interchange.ingest.drops import MAX_ATTEMPTS
from interchange.ingest.quarantine import open_counts, open_quarantine
from interchange.ingest.reprocess import (
    newest_settled_pulls,
    open_failed_batches,
    open_failed_pulls,
    open_held_batches,
)
from interchange.ingest.run import configured_sources
from interchange.operations.missing import OverdueDrop, overdue_drops
from interchange.warehouse.engine import stored_utc
from interchange.warehouse.tables import batches, linkage_runs, review_pairs, source_runs
from interchange.workspace.layout import Workspace


@dataclass(frozen=True)
class SourceRun:
    """The newest batch of one configured source (None fields: it never sent anything)."""

    org: str
    source: str
    batch_id: int | None = None
    status: str | None = None
    received_at: datetime | None = None
    rows_read: int = 0
    loaded: int = 0
    quarantined: int = 0
    held: int = 0


@dataclass(frozen=True)
class HeldBatch:
    org: str
    source: str
    batch_id: int
    kind: str | None
    received_at: datetime
    rows_held: int
    failed_checks: list[str]


@dataclass(frozen=True)
class BatchConcern:
    """A batch that needs a person: stuck `received`, `failed`, or a rejected file not followed by a good one."""

    org: str
    source: str
    batch_id: int
    kind: str | None
    file_name: str | None
    received_at: datetime
    detail: str  # attempts (stuck, failed) or problem codes (rejected): never a value


@dataclass(frozen=True)
class FailingSource:
    """A configured source whose last FAILING_RUNS runs all failed."""

    org: str
    source: str
    runs: int
    since: datetime  # when the first of those runs started
    error_class: str | None  # of the newest failure


# A batch is processed within the run that claims it (minutes even for a million rows): one still
# `received` after a later run of its source ended, or after this long, is stuck.
STUCK_AFTER = timedelta(hours=1)
# A rejected file counts until a later drop of its organisation and kind loads, for this long at most:
# after that it is the partner's to resend, and the receipt has told them.
REJECTED_COUNTS_FOR = timedelta(days=14)
# A source is failing when this many runs in a row failed (one failure may be a passing outage).
FAILING_RUNS = 3


@dataclass(frozen=True)
class SourceRejection:
    """The newest drop of a kind whose manifest says the partner's kit left rows out of it."""

    org: str
    source: str
    batch_id: int
    kind: str | None
    file_name: str | None
    rows_read: int
    rows_rejected: int
    codes: str


@dataclass(frozen=True)
class QuarantineCount:
    org: str
    rows: int  # open (unresolved) rows with an error
    batches: int


@dataclass(frozen=True)
class LinkageRun:
    run_id: int
    started_at: datetime
    finished_at: datetime | None
    persons_new: int | None
    pairs_for_review: int | None


@dataclass(frozen=True)
class Publication:
    period: str
    version: int
    state: str
    created_at: datetime
    cells: int | None
    suppressed_cells: int | None


@dataclass(frozen=True)
class VersionWaiting:
    """A version a steward must act on: a draft to approve, late data, or a stale draft or approved version."""

    period: str
    version: int
    state: str
    late: list[InputBatch]  # approved: batches loaded since with records in the period
    staleness: Staleness  # whether its batches or person index changed since it was computed


@dataclass(frozen=True)
class FlowRun:
    flow: str
    name: str
    state: str
    start_time: datetime | None
    end_time: datetime | None
    run_id: str | None = None  # the Prefect flow run's id: the console links to it in the Prefect UI


@dataclass
class StatusReport:
    sources: list[SourceRun] = field(default_factory=list)
    held: list[HeldBatch] = field(default_factory=list)
    quarantine: list[QuarantineCount] = field(default_factory=list)
    rejected_at_source: list[SourceRejection] = field(default_factory=list)
    open_review_pairs: int = 0
    linkage: LinkageRun | None = None
    publications: list[Publication] | None = None  # None: no publications table yet
    overdue: list[OverdueDrop] = field(default_factory=list)
    flow_runs: list[FlowRun] | None = None  # None: no Prefect API asked
    flow_runs_error: str | None = None  # why the Prefect API could not be read: the error class only
    versions: list[VersionWaiting] = field(default_factory=list)  # publications waiting for a steward
    stuck: list[BatchConcern] = field(default_factory=list)  # received and not processed in time
    failed: list[BatchConcern] = field(default_factory=list)  # the hub could not process them
    rejected: list[BatchConcern] = field(default_factory=list)  # refused files no good drop followed yet
    failing_sources: list[FailingSource] = field(default_factory=list)

    def waiting(self) -> dict[str, int]:
        """What waits for a person, as its catalogue key (`steward.waiting_*`) and count; empty: all clear."""
        failed = [r for r in self.flow_runs or () if r.state in ("Failed", "Crashed")]
        found = {"steward.waiting_held": len(self.held),
                 "steward.waiting_quarantine": sum(q.rows for q in self.quarantine),
                 "steward.waiting_overdue": len(self.overdue), "steward.waiting_failed_runs": len(failed),
                 "steward.waiting_review": self.open_review_pairs,
                 "steward.waiting_drafts": sum(v.state == "draft" for v in self.versions),
                 "steward.waiting_late": sum(bool(v.late) for v in self.versions),
                 "steward.waiting_stale": sum(v.staleness.stale for v in self.versions),
                 "steward.waiting_stuck": len(self.stuck), "steward.waiting_failed_batches": len(self.failed),
                 "steward.waiting_rejected": len(self.rejected),
                 "steward.waiting_failing_sources": len(self.failing_sources)}
        return {key: count for key, count in found.items() if count}

    @property
    def needs_attention(self) -> bool:
        """True when something waits for a steward (see `waiting`)."""
        return bool(self.waiting())


def collect_status(workspace: Workspace, engine: Engine, *, today: date | None = None,
                   prefect_api_url: str | None = None) -> StatusReport:
    """Everything `interchange status` shows, read in one pass."""
    report = StatusReport(
        sources=latest_source_runs(workspace, engine),
        held=held_batches(engine),
        quarantine=quarantine_counts(engine),
        rejected_at_source=rejected_at_source(engine),
        open_review_pairs=open_review_pairs(engine),
        linkage=latest_linkage_run(engine),
        publications=latest_publications(engine),
        overdue=overdue_drops(workspace, engine, today=today),
        versions=versions_waiting(engine),
        stuck=stuck_batches(engine),
        failed=failed_batches(engine),
        rejected=rejected_files(engine),
        failing_sources=failing_sources(workspace, engine),
    )
    if prefect_api_url:
        try:
            report.flow_runs = latest_flow_runs(prefect_api_url)
        except (requests.RequestException, ValueError, KeyError) as exc:
            report.flow_runs_error = type(exc).__name__
    return report


def latest_source_runs(workspace: Workspace, engine: Engine) -> list[SourceRun]:
    """The newest batch of every configured source, in config order; a source never heard of has none."""
    newest = (select(batches.c.org, batches.c.source, func.max(batches.c.batch_id).label("batch_id"))
              .group_by(batches.c.org, batches.c.source).subquery())
    with engine.connect() as connection:
        rows = connection.execute(select(batches).join(newest, batches.c.batch_id == newest.c.batch_id)).all()
    by_source = {(row.org, row.source): row for row in rows}
    found = []
    for ref in configured_sources(workspace):
        row = by_source.get((ref.org, ref.name))
        if row is None:
            found.append(SourceRun(ref.org, ref.name))
            continue
        loaded = sum(getattr(row, f"rows_{name}") or 0 for name in ("inserted", "updated", "deleted"))
        found.append(SourceRun(ref.org, ref.name, row.batch_id, row.status, stored_utc(row.received_at),
                               row.rows_read or 0, loaded, row.rows_quarantined or 0, row.rows_held or 0))
    return found


def stuck_batches(engine: Engine, *, now: datetime | None = None) -> list[BatchConcern]:
    """`received` batches a run should have finished: a later run of their source ended since they
    arrived, or they arrived more than STUCK_AFTER ago."""
    moment = now or clock.now()
    with engine.connect() as connection:
        rows = connection.execute(select(
            batches.c.batch_id, batches.c.org, batches.c.source, batches.c.kind, batches.c.file_name,
            batches.c.received_at, batches.c.attempts).where(batches.c.status == BatchStatus.RECEIVED.value)
            .order_by(batches.c.batch_id)).all()
        ended = {(org, source): stored_utc(at) for org, source, at in connection.execute(
            select(source_runs.c.org, source_runs.c.source, func.max(source_runs.c.ended_at))
            .group_by(source_runs.c.org, source_runs.c.source))}
    found = []
    for row in rows:
        arrived = stored_utc(row.received_at)
        last_run = ended.get((row.org, row.source))
        if arrived < moment - STUCK_AFTER or (last_run is not None and last_run > arrived):
            found.append(BatchConcern(row.org, row.source, row.batch_id, row.kind, row.file_name, arrived,
                                      f"{row.attempts}/{MAX_ATTEMPTS}"))
    return found


def failed_batches(engine: Engine) -> list[BatchConcern]:
    """Failed batches not re-run since (inbox), and failed pulls no later pull of their kind loaded."""
    with engine.connect() as connection:
        ids = [row.batch_id for row in open_failed_batches(connection)]
        ids += [row.batch_id for row in open_failed_pulls(connection)]
        rows = connection.execute(select(
            batches.c.batch_id, batches.c.org, batches.c.source, batches.c.kind, batches.c.file_name,
            batches.c.received_at, batches.c.attempts).where(batches.c.batch_id.in_(ids))
            .order_by(batches.c.batch_id)).all()
    return [BatchConcern(r.org, r.source, r.batch_id, r.kind, r.file_name, stored_utc(r.received_at),
                         f"{r.attempts}/{MAX_ATTEMPTS}") for r in rows]


def rejected_files(engine: Engine, *, now: datetime | None = None) -> list[BatchConcern]:
    """Rejected batches of the last REJECTED_COUNTS_FOR that no later batch of the organisation and
    kind (any kind, when the file's was never known) has followed by loading."""
    since = (now or clock.now()) - REJECTED_COUNTS_FOR
    with engine.connect() as connection:
        rejected = connection.execute(select(
            batches.c.batch_id, batches.c.org, batches.c.source, batches.c.kind, batches.c.file_name,
            batches.c.received_at, batches.c.receipt).where(
            batches.c.status == BatchStatus.REJECTED.value, batches.c.received_at >= since)
            .order_by(batches.c.batch_id)).all()
        if not rejected:
            return []
        loaded = connection.execute(select(batches.c.org, batches.c.kind, func.max(batches.c.batch_id))
                                    .where(batches.c.status == BatchStatus.LOADED.value)
                                    .group_by(batches.c.org, batches.c.kind)).all()
    newest: dict[tuple[str, str | None], int] = {}
    for org, kind, batch_id in loaded:
        newest[(org, kind)] = batch_id
        newest[(org, None)] = max(batch_id, newest.get((org, None), 0))
    return [BatchConcern(r.org, r.source, r.batch_id, r.kind, r.file_name, stored_utc(r.received_at),
                         ", ".join(sorted({s["code"] for s in (r.receipt or {}).get("problem_summary", [])
                                           if s["severity"] == "error"})))
            for r in rejected if newest.get((r.org, r.kind), 0) < r.batch_id]


def failing_sources(workspace: Workspace, engine: Engine) -> list[FailingSource]:
    """Configured sources whose last FAILING_RUNS runs (source_runs) all failed, in config order."""
    found = []
    with engine.connect() as connection:
        for ref in configured_sources(workspace):
            runs = connection.execute(select(source_runs.c.outcome, source_runs.c.started_at,
                                             source_runs.c.error_class)
                                      .where(source_runs.c.org == ref.org, source_runs.c.source == ref.name)
                                      .order_by(source_runs.c.run_id.desc()).limit(FAILING_RUNS)).all()
            if len(runs) == FAILING_RUNS and all(r.outcome == "failed" for r in runs):
                found.append(FailingSource(ref.org, ref.name, FAILING_RUNS, stored_utc(runs[-1].started_at),
                                           runs[0].error_class))
    return found


def held_batches(engine: Engine) -> list[HeldBatch]:
    """Held batches not re-run since (inbox), and held pulls newer than any loaded pull of their kind."""
    with engine.connect() as connection:
        inbox = open_held_batches(connection)
        pulls = _held_pulls(connection)
        ids = [row.batch_id for row in inbox] + [row.batch_id for row in pulls]
        heads = connection.execute(select(batches.c.batch_id, batches.c.org, batches.c.source, batches.c.kind,
                                          batches.c.received_at, batches.c.rows_held, batches.c.receipt)
                                   .where(batches.c.batch_id.in_(ids)).order_by(batches.c.batch_id)).all()
    return [HeldBatch(h.org, h.source, h.batch_id, h.kind, stored_utc(h.received_at), h.rows_held or 0,
                      sorted(e["code"] for e in (h.receipt or {}).get("expectations", [])
                             if not e["success"] and e["severity"] == "critical")) for h in heads]


def _held_pulls(connection: Any) -> list[Any]:
    # A held pull leaves its cursor: it stays a concern until a later pull of its kind loads (or fails).
    return [row for row in newest_settled_pulls(connection) if row.status == BatchStatus.HELD.value]


def quarantine_counts(engine: Engine) -> list[QuarantineCount]:
    """Open quarantined rows (an error no later batch or steward has closed) per organisation."""
    return [QuarantineCount(org, rows, batch_count)
            for org, (rows, batch_count) in open_counts(open_quarantine(engine)).items()]


def rejected_at_source(engine: Engine) -> list[SourceRejection]:
    """Per organisation, source and kind, the newest drop, when its manifest says its kit rejected rows.

    Those rows never reached the hub, so neither quarantine nor reprocess knows them: only the
    partner can send them again, and until a newer drop of the kind arrives the steward sees them here.
    """
    newest = (select(func.max(batches.c.batch_id).label("batch_id"))
              .where(batches.c.status != BatchStatus.DUPLICATE.value)
              .group_by(batches.c.org, batches.c.source, batches.c.kind).subquery())
    with engine.connect() as connection:
        rows = connection.execute(select(batches.c.batch_id, batches.c.org, batches.c.source, batches.c.kind,
                                         batches.c.file_name, batches.c.manifest)
                                  .where(batches.c.batch_id.in_(select(newest.c.batch_id)))
                                  .order_by(batches.c.org, batches.c.batch_id)).all()
    found = []
    for row in rows:  # a JSON null reads as None: no manifest was sent
        extract = Manifest.model_validate(row.manifest).extract if row.manifest else None
        if extract is not None and extract.rows_rejected:
            found.append(SourceRejection(row.org, row.source, row.batch_id, row.kind, row.file_name,
                                         extract.rows_read, extract.rows_rejected, extract.codes_text()))
    return found


def open_review_pairs(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(review_pairs)
                                  .where(review_pairs.c.status == "open")).scalar_one()


def latest_linkage_run(engine: Engine) -> LinkageRun | None:
    with engine.connect() as connection:
        row = connection.execute(select(linkage_runs).order_by(linkage_runs.c.run_id.desc()).limit(1)).first()
    if row is None:
        return None
    return LinkageRun(row.run_id, stored_utc(row.started_at), stored_utc(row.finished_at) if row.finished_at else None,
                      row.new_persons, row.pairs_for_review)


def latest_publications(engine: Engine) -> list[Publication] | None:
    """The newest version of every period and its state; None while the warehouse has no publications yet.

    Read by reflection: publications are made by interchange.indicators, and status must
    work on a warehouse from before they existed.
    """
    if not inspect(engine).has_table("publications"):
        return None
    table = Table("publications", MetaData(), autoload_with=engine)
    newest = (select(table.c.period, func.max(table.c.version).label("version"))
              .group_by(table.c.period).subquery())
    with engine.connect() as connection:
        rows = connection.execute(select(table).join(
            newest, (table.c.period == newest.c.period) & (table.c.version == newest.c.version))
            .order_by(table.c.period)).mappings().all()
    return [Publication(r["period"], r["version"], r["state"], stored_utc(r["created_at"]), r.get("cells"),
                        r.get("suppressed_cells")) for r in rows]


def versions_waiting(engine: Engine) -> list[VersionWaiting]:
    """The newest draft or approved version of each period that waits for a steward, by period."""
    found = []
    for changed in stale_versions(engine, current_versions(engine)):
        publication = changed.publication
        late = late_batches(engine, publication.period) if publication.locked else []
        if not publication.locked or late or changed.stale:
            found.append(VersionWaiting(publication.period, publication.version, publication.state.value, late,
                                        changed))
    return found


def latest_flow_runs(api_url: str, *, timeout_s: float = 10.0) -> list[FlowRun]:
    """The newest finished or running flow run of each flow, from the Prefect server's REST API."""
    base = api_url.rstrip("/")
    flows = requests.post(f"{base}/flows/filter", json={"limit": 200}, timeout=timeout_s)
    flows.raise_for_status()
    names = {flow["id"]: flow["name"] for flow in flows.json()}
    runs = requests.post(f"{base}/flow_runs/filter", timeout=timeout_s, json={
        "sort": "START_TIME_DESC", "limit": 200,
        "flow_runs": {"state": {"type": {"any_": ["RUNNING", "COMPLETED", "FAILED", "CRASHED", "CANCELLED"]}}}})
    runs.raise_for_status()
    newest: dict[str, FlowRun] = {}
    for run in runs.json():
        flow = names.get(run["flow_id"], run["flow_id"])
        if flow not in newest:
            state = run.get("state") or {}
            newest[flow] = FlowRun(flow, run["name"], state.get("name") or run.get("state_name") or "?",
                                   _parse(run.get("start_time")), _parse(run.get("end_time")), run.get("id"))
    return sorted(newest.values(), key=lambda r: r.flow)


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
