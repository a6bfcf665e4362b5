"""The `ingest` Prefect flow on a real (temporary) Prefect server, on SQLite and PostgreSQL.

What a steward relies on: every source runs even when one fails, the run is Failed when
one did, the receipts are written, the flow run carries the receipts' counts as a table
artifact, and nothing Prefect stores (logs, artifacts, state messages) holds a record value.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import HUB_CONFIG, write_csv
from flow_runs import run_artifacts, run_logs, run_task_runs
from http_partner import PartnerApi
from prefect_harness import on_prefect
from smtp_server import SmtpServer

from interchange import clock
from interchange.contract.problems import ProblemError, error
from interchange.contract.receipt import BatchStatus
from interchange.errors import describe_failure, failure_trace
from interchange.ingest.run import IngestSummary, SourceError, worth_retrying
from interchange.workspace.layout import Workspace

pytestmark = pytest.mark.dates  # run again by CI with the clock moved (Makefile, test)

pytest_plugins = ["prefect_harness"]

SPC, MIMC, DVC = "kretingos-spc", "kretingos-mimc", "kretingos-dvc"
# Record values that may be personal data: they must never reach Prefect.
VALUES = ("SPC-REC-7431", "SPC-REC-7432", "19x7", "MIMC-C-0001", "MIMC-NOBODY-9", "API-P-0001")
TOKEN_ENV = "INTERCHANGE_TEST_PARTNER_TOKEN"


@pytest.fixture(scope="module")
def flows_ingest() -> ModuleType:
    from interchange.cli import flows_module

    return flows_module("ingest")


def drop_persons(root: Path) -> None:
    """Two persons for SPC: one loads, one is quarantined (a birth year that is not a number)."""
    write_csv(root / "inbox" / SPC / f"{SPC}.person.csv",
              [["record_id", "birth_year", "sex"], ["SPC-REC-7431", "1960", "male"],
               ["SPC-REC-7432", "19x7", "female"]])


def drop_unknown_contacts(root: Path) -> None:
    """Contacts with a person MIMC never sent: a critical expectation fails and the batch is held."""
    write_csv(root / "inbox" / MIMC / f"{MIMC}.contact.csv",
              [["record_id", "person_record_id", "service_code", "contact_date", "duration_minutes"],
               ["MIMC-C-0001", "MIMC-NOBODY-9", "psychologist_child", clock.today().isoformat(), "45"]])


def add_http_org(root: Path, *, base_url: str, token: str, max_attempts: int = 3) -> None:
    """A third organisation whose records come from an API; `token` is a token_env or token_block line."""
    (root / "interchange.yaml").write_text(HUB_CONFIG + f"""\
  - code: {DVC}
    name: Kretingos dienos veiklos centras
    municipality: LT-22
    sources:
      - type: http
        base_url: {base_url}
        kinds: [person]
        {token}
        max_attempts: {max_attempts}
        backoff_s: 0
        timeout_s: 5
""", encoding="utf-8")


def api_person() -> dict[str, Any]:
    return {"record_id": "API-P-0001", "org": DVC, "birth_year": 1975, "sex": "female",
            "updated_at": "2026-10-01T10:00:00Z"}


@pytest.fixture
def api() -> Iterator[PartnerApi]:
    with PartnerApi(token="tok-flow-test") as server:
        server.set_records("person", [api_person()])
        yield server


# ---- reading the run back through the Prefect API ----------------------------------------------

def assert_no_record_values(state: Any) -> None:
    stored = [run_logs(state), state.message or ""]
    stored += [json.dumps(a.data) + (a.description or "") for a in run_artifacts(state).values()]
    for text in stored:
        for value in VALUES:
            assert value not in text



# ---- what the flow's tasks say about a failure (plain functions) ---------------------------------

def _fail_with_values() -> None:
    try:
        {}["Jonaitienė"]
    except KeyError as exc:
        raise ValueError("row 7: 33309240064 does not fit") from exc


def test_a_failure_is_told_by_class_and_code_location_never_by_its_message() -> None:
    with pytest.raises(ValueError) as caught:
        _fail_with_values()

    trace = failure_trace(caught.value)

    assert describe_failure(caught.value) == "ValueError (see the flow run's log)"
    assert trace.splitlines()[0] == "ValueError, raised at:"
    assert "in _fail_with_values" in trace and "KeyError, raised at:" in trace
    assert "33309240064" not in trace and "Jonaitienė" not in trace


def test_only_failures_that_may_pass_are_worth_a_retry() -> None:
    assert worth_retrying(ProblemError(error("http.unavailable", attempts=3)))
    assert worth_retrying(OSError("disk"))  # a library's I/O error (no errno): it may pass
    assert not worth_retrying(ProblemError(error("http.token_missing", variable="X")))
    assert not worth_retrying(ProblemError(error("http.unauthorized")))
    assert not worth_retrying(SourceError("no Prefect Secret block named 'x'"))


# ---- the flow ------------------------------------------------------------------------------------

@on_prefect
def test_drops_of_two_orgs_complete_the_run_with_receipts_and_a_table_artifact(
        hub_root: Path, flows_ingest: ModuleType, tmp_path: Path) -> None:
    drop_persons(hub_root)
    drop_unknown_contacts(hub_root)
    config = hub_root / "interchange.yaml"
    with SmtpServer(tmp_path) as mail:
        config.write_text(config.read_text(encoding="utf-8").replace(
            "    municipality: LT-22\n", "    municipality: LT-22\n    contacts: [duomenys@kretinga.lt]\n") +
            f"notifications:\n  smtp: {{host: 127.0.0.1, port: {mail.port}, security: none, "
            "from_address: centras@kretinga.lt}\n", encoding="utf-8")
        state = flows_ingest.ingest(str(hub_root), return_state=True)
    # ... and each partner is told by e-mail what of theirs needs them (tests/test_notify.py: what it says)
    assert [message["Subject"].split(" / ")[1] for message in mail.messages] == [
        f"Interchange: {MIMC} – 1 need your attention", f"Interchange: {SPC} – 1 need your attention"]

    assert state.is_completed()
    assert state.message == "batches: 2, rows loaded: 1, quarantined: 1, batches held: 1"
    summary = state.result()
    assert [(r.org, r.status) for r in summary.receipts] == [(SPC, BatchStatus.LOADED), (MIMC, BatchStatus.HELD)]
    for org in (SPC, MIMC):
        assert len(list((hub_root / "receipts" / org).glob("*.json"))) == 1
    found = run_artifacts(state)
    assert found["ingest-batches"].type == "table"
    assert json.loads(found["ingest-batches"].data) == [
        {"org": SPC, "source": "inbox", "batch": 1, "file": f"{SPC}.person.csv", "kind": "person",
         "status": "loaded", "rows_read": 2, "loaded": 1, "unchanged": 0, "quarantined": 1, "held": 0},
        {"org": MIMC, "source": "inbox", "batch": 2, "file": f"{MIMC}.contact.csv", "kind": "contact",
         "status": "held", "rows_read": 1, "loaded": 0, "unchanged": 0, "quarantined": 0, "held": 1},
    ]
    attention = found["ingest-attention"].data
    assert f"| {MIMC} | 2 | {MIMC}.contact.csv | 1 | batch.contact_person_known |" in attention
    assert_no_record_values(state)


@on_prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # which sources run, not the database
def test_a_run_given_organisations_ingests_only_theirs_and_an_unknown_code_is_refused_by_name(
        hub_root: Path, flows_ingest: ModuleType) -> None:
    drop_persons(hub_root)
    drop_unknown_contacts(hub_root)

    state = flows_ingest.ingest(str(hub_root), orgs=[SPC], return_state=True)

    assert state.is_completed()
    assert [(r.org, r.status) for r in state.result().receipts] == [(SPC, BatchStatus.LOADED)]
    assert list(run_task_runs(state)) == [f"ingest {SPC}/inbox"]
    assert len(list((hub_root / "receipts" / SPC).glob("*.json"))) == 1
    assert list((hub_root / "inbox" / MIMC).glob("*.csv")) != []  # MIMC's drop waits for its own run
    assert not (hub_root / "receipts" / MIMC).exists() or not any((hub_root / "receipts" / MIMC).iterdir())

    refused = flows_ingest.run_ingest(Workspace(hub_root), ["kretingos-spc", "kretinga-mimc"])

    assert refused.receipts == []
    assert refused.failures == {"ingest": f"interchange.yaml names no organisation kretinga-mimc "
                                          f"(it names: {SPC}, {MIMC})"}
    assert list((hub_root / "inbox" / MIMC).glob("*.csv")) != []  # nothing ran


def test_an_unknown_organisation_is_said_in_both_languages() -> None:
    from interchange.ingest.run import UnknownOrganisations

    error = UnknownOrganisations(["spc-lt99"], [SPC, MIMC])

    assert error.message("en") == f"interchange.yaml names no organisation spc-lt99 (it names: {SPC}, {MIMC})"
    assert error.message("lt") == f"interchange.yaml nenurodo organizacijos spc-lt99 (nurodytos: {SPC}, {MIMC})"


@on_prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_run_whose_database_is_not_the_workspaces_own_fails_without_making_an_empty_warehouse(
        hub_root: Path, flows_ingest: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A worker started without the hub's INTERCHANGE_DATABASE_URL, or with another one.
    stray = tmp_path / "stray.sqlite"
    monkeypatch.setenv("INTERCHANGE_DATABASE_URL", f"sqlite:///{stray}")
    drop_persons(hub_root)

    summary = flows_ingest.run_ingest(Workspace(hub_root))

    assert list(summary.failures) == ["ingest"]
    assert summary.failures["ingest"].startswith("this workspace's warehouse is ")
    assert f"would open sqlite:///{stray}" in summary.failures["ingest"]
    assert not stray.exists() and list((hub_root / "inbox" / "kretingos-spc").iterdir())  # the drop waits


@on_prefect
def test_a_source_without_its_token_fails_the_run_and_the_others_still_ingest(
        hub_root: Path, flows_ingest: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    add_http_org(hub_root, base_url="http://127.0.0.1:9/api/v1", token=f"token_env: {TOKEN_ENV}")
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    drop_persons(hub_root)
    drop_unknown_contacts(hub_root)

    state = flows_ingest.ingest(str(hub_root), return_state=True)

    assert state.is_failed()
    assert f"{DVC}/http:api" in state.message
    summary = state.result(raise_on_failure=False)
    assert isinstance(summary, IngestSummary)
    assert [r.org for r in summary.receipts] == [SPC, MIMC]
    assert list(summary.failures) == [f"{DVC}/http:api"]
    assert summary.failures[f"{DVC}/http:api"].startswith("http.token_missing")
    runs = run_task_runs(state)
    failed = runs[f"ingest {DVC}/http:api"]
    assert failed.state.is_failed() and failed.run_count == 1  # a missing token is not retried
    assert runs[f"ingest {SPC}/inbox"].state.is_completed()
    found = run_artifacts(state)
    assert len(json.loads(found["ingest-batches"].data)) == 2
    assert f"- `{DVC}/http:api`: http.token_missing" in found["ingest-attention"].data
    # The steward finds the reason and the code location in the run's log, and nothing more.
    assert f"{DVC}/http:api failed: http.token_missing" in run_logs(state)
    assert "in token_from_env" in run_logs(state)
    assert_no_record_values(state)


@on_prefect
def test_a_partner_api_outage_is_retried_by_the_source_task(
        hub_root: Path, flows_ingest: ModuleType, api: PartnerApi, monkeypatch: pytest.MonkeyPatch) -> None:
    add_http_org(hub_root, base_url=api.base_url, token=f"token_env: {TOKEN_ENV}", max_attempts=1)
    monkeypatch.setenv(TOKEN_ENV, api.token)
    # The production delays are minutes; the retry itself is what this test is about.
    monkeypatch.setattr(flows_ingest.ingest_source_task, "retry_delay_seconds", 0)
    api.fail_next = [503]  # the client gives up after one attempt; the task's retry succeeds

    state = flows_ingest.ingest(str(hub_root), return_state=True)

    assert state.is_completed()
    [receipt] = state.result().receipts
    assert (receipt.org, receipt.source, receipt.status, receipt.counts.inserted) == (
        DVC, "http:api", BatchStatus.LOADED, 1)
    assert [seen["status"] for seen in api.requests_seen] == [503, 200]
    assert run_task_runs(state)[f"ingest {DVC}/http:api"].run_count == 2
    assert_no_record_values(state)


@on_prefect
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # Prefect's retry, not the database
def test_a_source_failure_no_retry_can_mend_is_tried_once_and_its_path_named(
        hub_root: Path, flows_ingest: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flows_ingest.ingest_source_task, "retry_delay_seconds", 0)
    lock = hub_root / ".locks" / f"{SPC}.inbox.lock"
    lock.mkdir(parents=True)  # a real, lasting OS error (root bypasses a chmod 000)
    drop_persons(hub_root)

    state = flows_ingest.ingest(str(hub_root), return_state=True)

    assert state.is_failed()
    assert run_task_runs(state)[f"ingest {SPC}/inbox"].run_count == 1
    assert f"{SPC}/inbox failed: IsADirectoryError (EISDIR): {lock}" in run_logs(state)
    assert_no_record_values(state)


@on_prefect
def test_a_prefect_secret_block_holds_the_api_token(
        hub_root: Path, flows_ingest: ModuleType, api: PartnerApi) -> None:
    from prefect.blocks.system import Secret

    Secret(value=api.token).save("dvc-api-token", overwrite=True)
    add_http_org(hub_root, base_url=api.base_url, token="token_block: dvc-api-token")

    state = flows_ingest.ingest(str(hub_root), return_state=True)

    assert state.is_completed()
    [receipt] = state.result().receipts
    assert (receipt.org, receipt.counts.inserted) == (DVC, 1)
    assert api.token not in run_logs(state)


@on_prefect
def test_a_missing_secret_block_is_named_without_a_retry(flows_ingest: ModuleType) -> None:
    from interchange.workspace.config import HttpSourceConfig

    source = HttpSourceConfig(base_url="http://127.0.0.1:9/api", kinds=["person"], token_block="no-such-block")

    with pytest.raises(SourceError, match="no Prefect Secret block named 'no-such-block'"):
        flows_ingest.resolve_token(source)


def test_the_source_task_retries_with_delays_of_minutes(flows_ingest: ModuleType) -> None:
    task = flows_ingest.ingest_source_task
    assert task.retries == 2
    assert task.retry_delay_seconds == [60, 300]
    assert task.retry_condition_fn is not None
