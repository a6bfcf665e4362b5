"""The upload API as a partner's own system calls it: a bearer token of its organisation, a file, a JSON answer.

Against the real server of web_fixtures (uvicorn on a local port); no browser.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from drop_kit import PERSON_HEADER, person_rows
from web_fixtures import MIMC, SPC, WebHub

from interchange.ingest.run import ingest_workspace
from interchange.web.audit import audit_trail
from interchange.web.tokens import create_token, revoke_token, tokens_of
from interchange.workspace.init import init_workspace

pytest_plugins = ["web_fixtures"]


def _csv(rows: list[list[str]]) -> bytes:
    return ("\n".join(",".join(r) for r in [PERSON_HEADER, *rows]) + "\n").encode()


def _post(web_hub: WebHub, org: str, token: str | None, body: bytes, name: str = "asmenys.person.csv",
          **fields: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.post(f"{web_hub.url}/api/v1/orgs/{org}/drops", headers=headers, files={"file": (name, body)},
                      data=fields, timeout=30)


@pytest.fixture(scope="module")
def spc_token(web_hub: WebHub) -> str:
    token, _ = create_token(web_hub.engine, SPC, created_by="test", label="nightly export")
    return token


def test_a_good_file_with_the_organisations_token_is_accepted_and_loaded_by_the_next_ingest(
        web_hub: WebHub, spc_token: str) -> None:
    answer = _post(web_hub, SPC, spc_token, _csv(person_rows(5, prefix="A")))

    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["accepted"] is True and body["rows_read"] == 5
    assert [p["code"] for p in body["problems"]] == ["consent.none"]  # a warning: the file has no consent column
    inbox = web_hub.workspace.inbox(SPC)
    assert (inbox / body["sent_as"]).is_file() and (inbox / f"{body['sent_as']}.manifest.json").is_file()
    summary = ingest_workspace(web_hub.workspace)
    [receipt] = [r for r in summary.receipts if r.file_name == body["sent_as"]]
    assert receipt.status.value == "loaded" and receipt.counts.inserted == 5
    assert tokens_of(web_hub.engine, SPC)[0].last_used_at is not None
    actions = [e.action for e in audit_trail(web_hub.engine, org=SPC)]
    assert "token.use" in actions and "upload" in actions


def test_a_file_with_errors_is_refused_with_every_problem_in_both_languages(web_hub: WebHub, spc_token: str) -> None:
    rows = person_rows(2, prefix="E")
    rows[0][3] = "M"  # ambiguous sex
    answer = _post(web_hub, SPC, spc_token, _csv(rows))

    assert answer.status_code == 422
    body = answer.json()
    assert body["accepted"] is False and body["sent_as"] is None
    [problem] = [p for p in body["problems"] if p["severity"] == "error"]
    assert (problem["row"], problem["column"]) == (2, "sex")
    assert problem["message_lt"] and problem["message_en"]
    refused = audit_trail(web_hub.engine, org=SPC, action="upload.refused")[0]
    assert refused.role == "token" and refused.detail["codes"]["value.sex_ambiguous"] == 1  # type: ignore[index]
    assert '"M"' not in answer.text.replace('„M“', "")  # the value is named only by the message's own example


def test_no_token_or_a_wrong_or_revoked_one_is_refused_with_401(web_hub: WebHub) -> None:
    token, kept = create_token(web_hub.engine, SPC, created_by="test")
    revoke_token(web_hub.engine, kept.token_id)
    body = _csv(person_rows(1, prefix="T"))

    for sent in (None, "ix_not-a-token-of-this-hub", token):
        answer = _post(web_hub, SPC, sent, body)
        assert answer.status_code == 401, sent
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert answer.json()["message_en"]


def test_a_token_of_another_organisation_is_refused_with_403(web_hub: WebHub, spc_token: str) -> None:
    before = sorted(web_hub.workspace.inbox(MIMC).iterdir())

    answer = _post(web_hub, MIMC, spc_token, _csv(person_rows(1, prefix="W")))

    assert answer.status_code == 403
    assert answer.json()["error"] == "wrong_org"
    assert sorted(web_hub.workspace.inbox(MIMC).iterdir()) == before


def test_a_file_over_the_limit_is_refused_with_413_and_nothing_is_kept(web_hub: WebHub, spc_token: str) -> None:
    body = _csv(person_rows(3000, prefix="L"))  # the fixture's limit is 200,000 bytes
    assert len(body) > 200_000
    before = sorted(web_hub.workspace.inbox(SPC).iterdir())

    answer = _post(web_hub, SPC, spc_token, body)

    assert answer.status_code == 413
    assert "195.3 KiB" in answer.json()["message_en"]
    assert sorted(web_hub.workspace.inbox(SPC).iterdir()) == before


def test_a_name_the_inbox_would_refuse_is_refused_here_too(web_hub: WebHub, spc_token: str) -> None:
    answer = _post(web_hub, SPC, spc_token, _csv(person_rows(1, prefix="N")), name="bad\x1bname.person.csv")

    assert answer.status_code == 422
    assert [p["code"] for p in answer.json()["problems"]] == ["file.name"]
    assert "\x1b" not in answer.text


def test_a_file_sent_in_chunks_without_a_length_is_cut_off_at_the_limit(web_hub: WebHub, spc_token: str) -> None:
    boundary = "interchange-test-boundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.person.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode()
    rows = _csv(person_rows(3000, prefix="C"))

    def chunks():  # a generator: httpx sends it chunked, with no Content-Length
        yield head
        for start in range(0, len(rows), 16_384):
            yield rows[start:start + 16_384]
        yield f"\r\n--{boundary}--\r\n".encode()

    answer = httpx.post(f"{web_hub.url}/api/v1/orgs/{SPC}/drops", content=chunks(), timeout=30,
                        headers={"Authorization": f"Bearer {spc_token}",
                                 "Content-Type": f"multipart/form-data; boundary={boundary}"})

    assert answer.status_code == 413
    assert not [p for p in web_hub.workspace.inbox(SPC).iterdir() if "big" in p.name]


def test_interchange_serve_serves_the_workspace_on_the_port_it_is_given(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "hub").root
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = Path(sys.executable).with_name("interchange")
    server = subprocess.Popen([str(command), "serve", "--workspace", str(root), "--port", str(port), "--lang", "en"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.communicate()
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/partner/kretingos-spc/", follow_redirects=False)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "interchange serve did not answer within 60 s"
                time.sleep(0.1)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")
        assert httpx.get(f"http://127.0.0.1:{port}/static/app.css").status_code == 200  # from the package
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    assert f"Interchange is serving http://127.0.0.1:{port}/" in out
    assert "There is no steward yet: add one with interchange users add LOGIN --role steward" in err
