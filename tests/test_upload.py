"""A drop that arrives over HTTP is held to the inbox's rules and handed on as a partner would send it.

The library under the portal and the upload API (interchange.ingest.upload), without a server.
"""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path

import pytest
from conftest import HUB_CONFIG
from drop_kit import PERSON_HEADER, SPC, person_rows

from interchange.ingest.run import ingest_workspace
from interchange.ingest.upload import NoInbox, receive_upload
from interchange.workspace.init import init_workspace
from interchange.workspace.layout import Workspace

CODE = "38503140410"  # a personal code with a valid check digit


@pytest.fixture
def hub(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "hub", config_text=HUB_CONFIG)


def _file(rows: list[list[str]], header: list[str] = PERSON_HEADER) -> io.BytesIO:
    return io.BytesIO(("\n".join(",".join(r) for r in [header, *rows]) + "\n").encode())


def _inbox(hub: Workspace) -> list[str]:
    return sorted(p.name for p in hub.inbox(SPC).iterdir())


def test_an_accepted_upload_lies_in_the_inbox_with_a_manifest_that_matches_and_is_ingested_once(
        hub: Workspace) -> None:
    upload = receive_upload(hub, SPC, "asmenys.person.csv", _file(person_rows(3)))

    assert upload.accepted
    assert _inbox(hub) == [upload.sent_as, f"{upload.sent_as}.manifest.json"]
    manifest = json.loads((hub.inbox(SPC) / f"{upload.sent_as}.manifest.json").read_text(encoding="utf-8"))
    assert (manifest["org"], manifest["kind"], manifest["row_count"], manifest["sha256"]) == (
        SPC, "person", 3, upload.sha256)
    first = ingest_workspace(hub)
    second = ingest_workspace(hub)
    assert [(r.file_name, r.status.value, r.counts.inserted) for r in first.receipts] == [
        (upload.sent_as, "loaded", 3)]
    assert second.receipts == [] and _inbox(hub) == []


def test_a_personal_code_in_any_cell_refuses_the_file_even_when_row_errors_may_be_sent(hub: Workspace) -> None:
    rows = person_rows(3)
    rows[1][0] = CODE  # a record id that is a personal code

    upload = receive_upload(hub, SPC, "asmenys.person.csv", _file(rows), send_with_row_problems=True)

    assert not upload.accepted and upload.whole_file_refused
    assert "value.personal_code" in {p.code for p in upload.errors}
    assert CODE not in json.dumps(upload.as_dict())
    assert _inbox(hub) == []


def test_rows_with_errors_are_sent_on_only_when_the_sender_asks(hub: Workspace) -> None:
    rows = person_rows(3)
    rows[2][2] = "19x0"

    refused = receive_upload(hub, SPC, "a.person.csv", _file(rows))
    sent = receive_upload(hub, SPC, "a.person.csv", _file(rows), send_with_row_problems=True)

    assert not refused.accepted and [(p.row, p.column) for p in refused.errors] == [(4, "birth_year")]
    assert sent.accepted and _inbox(hub) == [sent.sent_as, f"{sent.sent_as}.manifest.json"]


def test_a_windows_path_counts_only_by_its_last_part_and_a_bad_name_is_refused_escaped(hub: Workspace) -> None:
    from_windows = receive_upload(hub, SPC, "C:\\Users\\ona\\asmenys.person.csv", _file(person_rows(1)))
    refused = receive_upload(hub, SPC, "asmenys\x1b[2J.person.csv", _file(person_rows(1)))

    assert from_windows.accepted and from_windows.sent_as.endswith("-asmenys.person.csv")  # type: ignore[union-attr]
    assert [p.code for p in refused.problems] == ["file.name"] and refused.file_name == "asmenys\\x1b[2J.person.csv"


def test_a_file_over_the_limit_is_not_read_past_it(hub: Workspace) -> None:
    limit = hub.config.web.max_upload_bytes

    class Endless(io.RawIOBase):
        read_so_far = 0

        def read(self, size: int = -1) -> bytes:
            self.read_so_far += size
            return b"x" * size

    stream = Endless()
    upload = receive_upload(hub, SPC, "big.person.csv", stream)  # type: ignore[arg-type]

    assert [p.code for p in upload.problems] == ["file.too_large"]
    assert stream.read_so_far == limit + 1 and _inbox(hub) == []


def test_a_staged_upload_left_by_a_stopped_server_is_removed_by_the_next_upload(hub: Workspace) -> None:
    folder = hub.inbox(SPC)
    folder.mkdir(parents=True, exist_ok=True)
    stale, fresh = folder / ".upload-0123456789abcdef.csv", folder / ".upload-fedcba9876543210.csv"
    for leftover in (stale, fresh):
        leftover.write_bytes(b"part of a file")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))

    receive_upload(hub, SPC, "asmenys.person.csv", _file(person_rows(1)))

    assert not stale.exists() and fresh.exists()  # another upload may still be writing that one


def test_an_organisation_that_sends_through_its_api_takes_no_uploads(tmp_path: Path) -> None:
    config = HUB_CONFIG.replace("""  - code: kretingos-mimc
    name: Kretingos moterų informacijos ir mokymo centras
    municipality: LT-22
    sources:
      - type: inbox
        settle_seconds: 0
""", """  - code: kretingos-mimc
    name: Kretingos moterų informacijos ir mokymo centras
    municipality: LT-22
    sources:
      - type: http
        base_url: http://127.0.0.1:9/api/v1
        kinds: [person]
        token_env: MIMC_TOKEN
""")
    hub = init_workspace(tmp_path / "hub", config_text=config)

    with pytest.raises(NoInbox) as refused:
        receive_upload(hub, "kretingos-mimc", "a.person.csv", _file(person_rows(1)))
    assert refused.value.message("en") == "kretingos-mimc sends its data through its own API: the hub takes no " \
                                          "files from it"
