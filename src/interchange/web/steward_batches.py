"""The console's batches: every batch with its lineage, held batches and quarantine by organisation and
problem code, and re-processing them after a fix (`ingest.reprocess`, as `interchange reprocess`).

A batch's lineage: the drop it re-runs (a re-run keeps its drop's arrival and SHA-256), its own
re-runs, the batch it duplicates or the duplicates of it, its quarantine by code (open and how the
rest closed) and the publication versions computed from it. Codes, counts and ids: never a value.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from interchange import clock
from interchange.errors import visible_path
from interchange.indicators.publications import list_publications
from interchange.ingest.batches import Judging
from interchange.ingest.drops import Hub as IngestHub
from interchange.ingest.quarantine import closed_quarantine, open_quarantine
from interchange.ingest.reprocess import ReprocessError, find_candidates, reprocess
from interchange.operations.status import failed_batches, held_batches, stuck_batches
from interchange.warehouse.engine import stored_utc
from interchange.warehouse.tables import batches
from interchange.web.dependencies import Hub, audit, check_csrf, hub, require_role
from interchange.web.pages import render
from interchange.web.sessions import Session

router = APIRouter()
Steward = Annotated[Session, Depends(require_role("steward"))]
HubOf = Annotated[Hub, Depends(hub)]
LISTED = 300  # batches on the list page, newest first


@router.get("/batches", response_class=HTMLResponse)
def batch_list(request: Request, session: Steward, found: HubOf, org: str | None = None) -> Response:
    query = select(batches.c.batch_id, batches.c.org, batches.c.source, batches.c.kind, batches.c.file_name,
                   batches.c.sha256, batches.c.status, batches.c.received_at, batches.c.rows_read,
                   batches.c.rows_inserted, batches.c.rows_updated, batches.c.rows_deleted, batches.c.rows_unchanged,
                   batches.c.rows_quarantined, batches.c.rows_held, batches.c.duplicate_of
                   ).order_by(batches.c.batch_id.desc()).limit(LISTED)
    if org:
        query = query.where(batches.c.org == org)
    with found.engine.connect() as connection:
        rows = connection.execute(query).all()
        firsts = _first_of_drops(connection, {(r.org, r.sha256) for r in rows})
    listed = [_listed(r, firsts) for r in rows]
    return render(request, "steward/batches.html", batches=listed, org=org,
                  orgs=[o.code for o in found.workspace.config.organisations])


def _first_of_drops(connection: Any, keys: set[tuple[str, str]]) -> dict[tuple[str, str, Any], int]:
    """(org, sha256, arrival) -> the first batch of that drop: a later one with the same three is its re-run."""
    if not keys:
        return {}
    rows = connection.execute(select(batches.c.org, batches.c.sha256, batches.c.received_at, batches.c.batch_id)
                              .where(batches.c.sha256.in_({sha for _, sha in keys}))
                              .order_by(batches.c.batch_id)).all()
    found: dict[tuple[str, str, Any], int] = {}
    for org, sha, at, batch_id in rows:
        found.setdefault((org, sha, stored_utc(at)), batch_id)
    return found


def _listed(row: Any, firsts: dict[tuple[str, str, Any], int]) -> dict[str, Any]:
    first = firsts.get((row.org, row.sha256, stored_utc(row.received_at)), row.batch_id)
    loaded = sum((getattr(row, f"rows_{n}") or 0) for n in ("inserted", "updated", "deleted"))
    return {"batch_id": row.batch_id, "org": row.org, "source": row.source, "kind": row.kind,
            "file": visible_path(row.file_name or ""), "status": row.status, "received_at": stored_utc(row.received_at),
            "rows_read": row.rows_read, "loaded": loaded, "unchanged": row.rows_unchanged or 0,
            "quarantined": row.rows_quarantined or 0, "held": row.rows_held or 0,
            "rerun_of": first if first != row.batch_id else None, "duplicate_of": row.duplicate_of}


@router.get("/batches/{batch_id}", response_class=HTMLResponse)
def batch_lineage(request: Request, batch_id: int, session: Steward, found: HubOf) -> Response:
    with found.engine.connect() as connection:
        head = connection.execute(select(batches).where(batches.c.batch_id == batch_id)).first()
        if head is None:
            raise HTTPException(status_code=404)
        family = connection.execute(select(batches.c.batch_id, batches.c.status, batches.c.received_at,
                                           batches.c.processed_at)
                                    .where(batches.c.org == head.org, batches.c.sha256 == head.sha256,
                                           batches.c.received_at == head.received_at)
                                    .order_by(batches.c.batch_id)).all()
        duplicates = connection.execute(select(batches.c.batch_id).where(batches.c.duplicate_of == batch_id)
                                        .order_by(batches.c.batch_id)).scalars().all()
    receipt = head.receipt or {}
    open_codes = Counter(code for row in open_quarantine(found.engine, batch_id=batch_id) for code in row.codes)
    closed = Counter((entry.code, entry.how) for entry in closed_quarantine(found.engine, batch_id=batch_id))
    used_by = [(p.period, p.version, p.state.value) for p in list_publications(found.engine)
               if any(b.get("batch_id") == batch_id for b in p.input_batches)]
    return render(request, "steward/batch.html", batch=_listed(head, {}), sha256=head.sha256,
                  archive=head.archive_path, processed_at=stored_utc(head.processed_at) if head.processed_at else None,
                  attempts=head.attempts, family=[(b.batch_id, b.status, stored_utc(b.processed_at)
                                                   if b.processed_at else None) for b in family],
                  duplicates=duplicates, open_codes=sorted(open_codes.items()), closed=sorted(closed.items()),
                  used_by=used_by, failed_checks=sorted(e["code"] for e in receipt.get("expectations", [])
                                                        if not e.get("success") and e.get("severity") == "critical"),
                  problem_codes=sorted({s["code"] for s in receipt.get("problem_summary", [])}))


@router.get("/quarantine", response_class=HTMLResponse)
def held_and_quarantine(request: Request, session: Steward, found: HubOf) -> Response:
    rows = open_quarantine(found.engine)
    by_code = Counter((row.org, code) for row in rows for code in row.codes)
    by_batch: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = by_batch.setdefault(row.batch_id, {"org": row.org, "kind": row.kind, "rows": 0, "codes": Counter(),
                                                   "received_at": row.received_at})
        entry["rows"] += 1
        entry["codes"].update(row.codes)
    candidates = find_candidates(found.engine)
    return render(request, "steward/quarantine.html", held=held_batches(found.engine),
                  stuck=stuck_batches(found.engine), failed=failed_batches(found.engine),
                  by_code=sorted(by_code.items()), by_batch=sorted(by_batch.items()),
                  rerunnable={c.batch_id for c in candidates}, candidates=candidates,
                  orgs=sorted({c.org for c in candidates}))


@router.post("/reprocess", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def reprocess_batches(request: Request, session: Steward, found: HubOf,
                      batch: Annotated[int | None, Form()] = None,
                      org: Annotated[str | None, Form(max_length=32)] = None) -> Response:
    try:
        candidates = find_candidates(found.engine, org=org or None, batch_ids=[batch] if batch is not None else None)
    except ReprocessError as exc:
        return render(request, "steward/reprocessed.html", status_code=409, reruns=[],
                      refused=exc.message(request.state.lang))
    workspace = found.workspace
    workspace.make_folders()
    judging = Judging(workspace.config.expectations, clock.today(), workspace.expectations_dir)
    reruns = reprocess(IngestHub(workspace, found.engine, judging), candidates)
    audit(request, "reprocess", target=f"batch {batch}" if batch is not None else (org or "all"),
          detail={"batches": [r.candidate.batch_id for r in reruns], "new": [r.receipt.batch_id for r in reruns]})
    return render(request, "steward/reprocessed.html", reruns=reruns, refused=None)
