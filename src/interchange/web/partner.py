"""The partner portal, under `/partner/{org}/`: a partner sees and sends only its own organisation's data.

Every route takes the organisation from its path and calls `require_org` first, so another
organisation's address answers 403 whatever follows it; a batch of another organisation under
one's own address is not found (404). A steward may look at any organisation's pages.

Pages: the start page, sending a file (`ingest.upload`: the inbox's rules and the partner kit's
check, then the inbox), drops with their receipts (view, JSON, text), the organisation's rows in
quarantine (codes, never values), what the hub expects and when (`operations.missing`), the
templates and the partner kit, and the organisation's API tokens.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from functools import cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from interchange.contract.receipt import Receipt
from interchange.contract.records import Kind
from interchange.i18n import say
from interchange.ingest.inbox import DROP_SUFFIXES, list_drops
from interchange.ingest.quarantine import open_quarantine
from interchange.ingest.receipts import render_receipt
from interchange.ingest.upload import NoInbox, inbox_settings, receive_upload, upload_limit
from interchange.partner.templates import csv_template, template_names, xlsx_template
from interchange.warehouse.engine import stored_utc
from interchange.warehouse.tables import batches
from interchange.web.accounts import AccountError, Role
from interchange.web.dependencies import Hub, SessionOf, audit, check_csrf, hub, require_org, require_role
from interchange.web.pages import render, see_other
from interchange.web.sessions import Session
from interchange.web.tokens import create_token, revoke_token, tokens_of

router = APIRouter(prefix="/partner/{org}")
PartnerOrSteward = Annotated[Session, Depends(require_role("partner", "steward"))]
HubOf = Annotated[Hub, Depends(hub)]
# Problems listed on the page after an upload; the API's JSON answer has them all.
_SHOWN_PROBLEMS = 200


def _organisation(found: Hub, session: Session, org: str) -> str:
    require_org(session, org)
    try:
        return found.workspace.config.organisation(org).name
    except KeyError:
        raise HTTPException(status_code=404) from None


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, org: str, session: PartnerOrSteward, found: HubOf) -> Response:
    name = _organisation(found, session, org)
    recent = _batches(found, org, limit=5)
    from interchange.operations.missing import overdue_drops  # the ingest's modules: loaded when first asked for

    open_rows = open_quarantine(found.engine, org=org)
    overdue = [d for d in overdue_drops(found.workspace, found.engine) if d.org == org]
    return render(request, "partner/overview.html", org=org, org_name=name, batches=recent,
                  open_rows=len(open_rows), overdue=overdue)


@router.get("/upload", response_class=HTMLResponse)
def upload_page(request: Request, org: str, session: PartnerOrSteward, found: HubOf) -> Response:
    name = _organisation(found, session, org)
    return render(request, "partner/upload.html", org=org, org_name=name, limit=_limit(found, org), kinds=list(Kind),
                  upload=None, accept=",".join(DROP_SUFFIXES))


@router.post("/upload", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def upload(request: Request, org: str, session: SessionOf, found: HubOf,
           file: Annotated[UploadFile | None, File()] = None, kind: Annotated[str, Form(max_length=20)] = "",
           send_with_row_problems: Annotated[bool, Form()] = False) -> Response:
    name = _organisation(found, session, org)
    if session.role is not Role.PARTNER:
        raise HTTPException(status_code=403)  # a steward looks; only the organisation sends its data
    context = {"org": org, "org_name": name, "limit": _limit(found, org), "kinds": list(Kind),
               "accept": ",".join(DROP_SUFFIXES)}
    if file is None or not file.filename:
        return render(request, "partner/upload.html", status_code=400, upload=None, missing_file=True, **context)
    chosen = Kind(kind) if kind in Kind._value2member_map_ else None
    try:
        result = receive_upload(found.workspace, org, file.filename, file.file, kind=chosen,
                                send_with_row_problems=send_with_row_problems)
    except NoInbox:
        raise HTTPException(status_code=403) from None
    audit(request, "upload" if result.accepted else "upload.refused", org=org, target=result.sent_as,
          detail=result.audited())
    return render(request, "partner/upload.html", status_code=200 if result.accepted else 422, upload=result,
                  shown=result.problems[:_SHOWN_PROBLEMS], hidden=max(0, len(result.problems) - _SHOWN_PROBLEMS),
                  **context)


def _limit(found: Hub, org: str) -> int:
    try:
        return upload_limit(found.workspace, org)
    except NoInbox:
        return 0


@router.get("/drops", response_class=HTMLResponse)
def drops(request: Request, org: str, session: PartnerOrSteward, found: HubOf) -> Response:
    name = _organisation(found, session, org)
    return render(request, "partner/drops.html", org=org, org_name=name, batches=_batches(found, org),
                  waiting=_waiting(found, org))


def _batches(found: Hub, org: str, limit: int = 500) -> list[dict[str, object]]:
    query = (select(batches.c.batch_id, batches.c.file_name, batches.c.kind, batches.c.source, batches.c.status,
                    batches.c.received_at, batches.c.rows_read, batches.c.rows_inserted, batches.c.rows_updated,
                    batches.c.rows_deleted, batches.c.rows_quarantined, batches.c.receipt.is_not(None).label("has"))
             .where(batches.c.org == org).order_by(batches.c.batch_id.desc()).limit(limit))
    with found.engine.connect() as connection:
        rows = connection.execute(query).all()
    return [{**row._mapping, "received_at": stored_utc(row.received_at),
             "loaded": sum(v or 0 for v in (row.rows_inserted, row.rows_updated, row.rows_deleted))} for row in rows]


def _waiting(found: Hub, org: str) -> list[str]:
    """Files handed to the inbox that the ingest has not taken yet."""
    try:
        settings = inbox_settings(found.workspace, org)
    except NoInbox:
        return []
    folder = found.workspace.inbox(org)
    listed = {d.name for d in list_drops(folder, settle_seconds=settings.settle_seconds)}
    return sorted(listed)


def _receipt(found: Hub, org: str, batch_id: int) -> Receipt | None:
    with found.engine.connect() as connection:
        row = connection.execute(select(batches.c.org, batches.c.receipt).where(batches.c.batch_id == batch_id)).first()
    if row is None or row.org != org:
        raise HTTPException(status_code=404)
    return None if row.receipt is None else Receipt.model_validate(row.receipt)


@router.get("/drops/{batch_id}", response_class=HTMLResponse)
def receipt_page(request: Request, org: str, batch_id: int, session: PartnerOrSteward, found: HubOf) -> Response:
    name = _organisation(found, session, org)
    receipt = _receipt(found, org, batch_id)
    return render(request, "partner/receipt.html", org=org, org_name=name, batch_id=batch_id, receipt=receipt,
                  text=render_receipt(receipt, request.state.lang) if receipt else None)


@router.get("/drops/{batch_id}/receipt.json")
def receipt_json(org: str, batch_id: int, session: PartnerOrSteward, found: HubOf) -> Response:
    _organisation(found, session, org)
    receipt = _receipt(found, org, batch_id)
    if receipt is None:
        raise HTTPException(status_code=404)
    body = json.dumps(receipt.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
    return Response(body, media_type="application/json", headers=_attachment(f"receipt-{org}-b{batch_id}.json"))


@router.get("/drops/{batch_id}/receipt.txt")
def receipt_text(org: str, batch_id: int, session: PartnerOrSteward, found: HubOf) -> Response:
    _organisation(found, session, org)
    receipt = _receipt(found, org, batch_id)
    if receipt is None:
        raise HTTPException(status_code=404)
    body = render_receipt(receipt, "lt") + "\n" + render_receipt(receipt, "en")
    return Response(body, media_type="text/plain; charset=utf-8",
                    headers=_attachment(f"receipt-{org}-b{batch_id}.txt"))


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/quarantine", response_class=HTMLResponse)
def quarantine(request: Request, org: str, session: PartnerOrSteward, found: HubOf) -> Response:
    name = _organisation(found, session, org)
    return render(request, "partner/quarantine.html", org=org, org_name=name,
                  rows=open_quarantine(found.engine, org=org))


@router.get("/expected", response_class=HTMLResponse)
def expected(request: Request, org: str, session: PartnerOrSteward, found: HubOf) -> Response:
    name = _organisation(found, session, org)
    from interchange import clock
    from interchange.ingest.run import configured_sources
    from interchange.operations.missing import due_date, overdue_drops, period_start

    today = clock.today()
    overdue = {(d.org, d.source) for d in overdue_drops(found.workspace, found.engine, today=today)}
    rows = []
    for ref in configured_sources(found.workspace):
        wanted = ref.source.expected_drop
        if ref.org != org or wanted is None:
            continue
        start = period_start(wanted, today)
        with found.engine.connect() as connection:
            last = connection.execute(select(batches.c.received_at).where(
                batches.c.org == org, batches.c.source == ref.name).order_by(batches.c.received_at.desc())).first()
        rows.append({"source": ref.name, "every": wanted.every, "by_day": wanted.by_day,
                     "due": due_date(wanted, start), "last": stored_utc(last[0]) if last else None,
                     "overdue": (org, ref.name) in overdue})
    return render(request, "partner/expected.html", org=org, org_name=name, rows=rows)


@router.get("/kit", response_class=HTMLResponse)
def kit(request: Request, org: str, session: PartnerOrSteward, found: HubOf) -> Response:
    name = _organisation(found, session, org)
    files = [INSTRUCTIONS] + [f"{name_}.{suffix}" for kind in Kind for name_, _ in template_names(kind)
                              for suffix in ("csv", "xlsx")]
    return render(request, "partner/kit.html", org=org, org_name=name, files=files)


@router.get("/kit/templates.zip")
def templates_zip(org: str, session: PartnerOrSteward, found: HubOf) -> Response:
    _organisation(found, session, org)
    return Response(_templates_zip(), media_type="application/zip", headers=_attachment("interchange-templates.zip"))


@router.get("/kit/{file_name}")
def template_file(org: str, file_name: str, session: PartnerOrSteward, found: HubOf) -> Response:
    _organisation(found, session, org)
    with zipfile.ZipFile(io.BytesIO(_templates_zip())) as archive:
        if file_name not in archive.namelist():
            raise HTTPException(status_code=404)
        body = archive.read(file_name)
    media = {".csv": "text/csv; charset=utf-8", ".txt": "text/plain; charset=utf-8"}.get(
        Path(file_name).suffix, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return Response(body, media_type=media, headers=_attachment(file_name))


KIT_STEPS = ("web.kit_step_key", "web.kit_step_export", "web.kit_step_pseudonymise", "web.kit_step_check",
             "web.kit_step_send")
INSTRUCTIONS = "instrukcija-instructions.txt"


def kit_instructions() -> str:
    """The kit's steps in Lithuanian, then in English: the text file that travels with the templates."""
    commands = {"web.kit_step_pseudonymise": "  interchange pseudonymise asmenys.csv --org ORG --kind person "
                                             "--key-file raktas.key -o ORG.person.csv",
                "web.kit_step_check": "  interchange check ORG.person.csv"}
    blocks = []
    for lang in ("lt", "en"):
        lines = [say("web.kit_title", lang), "", say("web.kit_help", lang), "", say("web.kit_steps", lang)]
        for number, key in enumerate(KIT_STEPS, start=1):
            lines.append(f"{number}. {say(key, lang)}")
            if key in commands:
                lines.append(commands[key])
        blocks.append("\n".join(lines))
    return "\n\n\n".join(blocks) + "\n"


@cache
def _templates_zip() -> bytes:
    """Every template of the contract (what `interchange templates export` writes) and the kit's
    instructions, zipped once per process."""
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as scratch, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(INSTRUCTIONS, kit_instructions())
        for kind in Kind:
            for name, raw in template_names(kind):
                archive.writestr(f"{name}.csv", csv_template(kind, raw=raw))
                path = Path(scratch) / f"{name}.xlsx"
                xlsx_template(kind, path, raw=raw)
                archive.write(path, f"{name}.xlsx")
    return buffer.getvalue()


@router.get("/tokens", response_class=HTMLResponse)
def tokens(request: Request, org: str, session: PartnerOrSteward, found: HubOf) -> Response:
    name = _organisation(found, session, org)
    return render(request, "partner/tokens.html", org=org, org_name=name, tokens=tokens_of(found.engine, org),
                  new_token=None)


@router.post("/tokens", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def new_token(request: Request, org: str, session: SessionOf, found: HubOf,
              label: Annotated[str, Form(max_length=80)] = "") -> Response:
    name = _organisation(found, session, org)
    token, kept = create_token(found.engine, org, created_by=session.user.login, label=label.strip() or None)
    audit(request, "token.create", org=org, target=f"token {kept.prefix}")
    return render(request, "partner/tokens.html", org=org, org_name=name, tokens=tokens_of(found.engine, org),
                  new_token=token)


@router.post("/tokens/{token_id}/revoke", dependencies=[Depends(check_csrf)])
def revoke(request: Request, org: str, token_id: int, session: SessionOf, found: HubOf) -> Response:
    _organisation(found, session, org)
    try:
        revoked = revoke_token(found.engine, token_id, org=org)
    except AccountError:
        raise HTTPException(status_code=404) from None
    audit(request, "token.revoke", org=org, target=f"token {revoked.prefix}")
    return see_other(f"/partner/{org}/tokens")
