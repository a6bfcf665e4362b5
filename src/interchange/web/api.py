"""The upload API for partners' own systems: `POST /api/v1/orgs/{org}/drops` with the organisation's token.

    curl -H "Authorization: Bearer $TOKEN" -F file=@kretingos-spc.person.csv \\
         https://hub.example/api/v1/orgs/kretingos-spc/drops

The file goes through exactly what the portal's upload does (`ingest.upload.receive_upload`).
Answers (JSON, both languages in every problem):

- 202 `{"accepted": true, "sent_as": ..., "rows_read": ..., "problems": [...]}`: checked and handed
  to the inbox; the receipt follows when the hub's ingest has run.
- 422 `{"accepted": false, "problems": [...]}`: refused; each problem has code, row, column and
  `message_lt`/`message_en`. Form field `send_with_row_problems=true` sends a file whose only
  errors are in single rows (they go to quarantine).
- 401 no token or a wrong or revoked one; 403 a token of another organisation (or one that sends
  through its own API); 404 no such organisation; 413 larger than the limit.

Every call with a valid token is audited (`token.use`, then `upload` or `upload.refused`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse

from interchange.contract.records import Kind
from interchange.i18n import say
from interchange.ingest.upload import NoInbox, receive_upload
from interchange.web.dependencies import Hub, audit, hub
from interchange.web.tokens import ApiToken, token_owner

router = APIRouter(prefix="/api/v1")


def _said(key: str, code: str, **params: object) -> dict[str, str]:
    return {"error": code, "message_lt": say(key, "lt", **params), "message_en": say(key, "en", **params)}


def bearer_token(request: Request, found: Annotated[Hub, Depends(hub)]) -> ApiToken:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise HTTPException(status_code=401, detail=_said("web.api_no_token", "no_token"),
                            headers={"WWW-Authenticate": "Bearer"})
    owner = token_owner(found.engine, value.strip())
    if owner is None:
        audit(request, "token.refused", actor="?", role="token")
        raise HTTPException(status_code=401, detail=_said("web.api_bad_token", "bad_token"),
                            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return owner


@router.post("/orgs/{org}/drops")
def upload_drop(request: Request, org: str, token: Annotated[ApiToken, Depends(bearer_token)],
                found: Annotated[Hub, Depends(hub)], file: Annotated[UploadFile | None, File()] = None,
                kind: Annotated[str, Form(max_length=20)] = "",
                send_with_row_problems: Annotated[bool, Form()] = False) -> JSONResponse:
    codes = [o.code for o in found.workspace.config.organisations]
    audit(request, "token.use", actor=token.prefix, role="token", org=token.org, target=f"/orgs/{org}/drops")
    if token.org != org:
        raise HTTPException(status_code=403, detail=_said("web.api_wrong_org", "wrong_org"))
    if org not in codes:
        raise HTTPException(status_code=404, detail=_said("web.api_unknown_org", "unknown_org"))
    if file is None or not file.filename:
        raise HTTPException(status_code=422, detail=_said("web.api_no_file", "no_file"))
    chosen = Kind(kind) if kind in Kind._value2member_map_ else None
    try:
        result = receive_upload(found.workspace, org, file.filename, file.file, kind=chosen,
                                send_with_row_problems=send_with_row_problems)
    except NoInbox:
        raise HTTPException(status_code=403, detail=_said("web.no_inbox", "no_inbox", org=org)) from None
    audit(request, "upload" if result.accepted else "upload.refused", actor=token.prefix, role="token", org=org,
          target=result.sent_as, detail=result.audited())
    return JSONResponse(result.as_dict(), status_code=202 if result.accepted else 422)
