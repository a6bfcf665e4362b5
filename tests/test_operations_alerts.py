"""Alerts: a JSON webhook on a real local HTTP server; flows post failures, held batches, overdue drops.

What a steward relies on: an alert names the flow, the source, batch ids and counts; it
never carries a record value, a partner's file name or the webhook's own URL; a broken
webhook never changes a run's outcome; an overdue drop is alerted once per period.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest
from conftest import HUB_CONFIG, write_csv
from prefect_harness import on_prefect
from webhook_receiver import WebhookReceiver

from interchange import clock
from interchange.operations.alerts import alert_payload, alert_target, send_alert
from interchange.operations.missing import due_date, period_start
from interchange.workspace.config import AlertSettings, ExpectedDrop

pytestmark = pytest.mark.dates  # run again by CI with the clock moved (Makefile, test)

pytest_plugins = ["prefect_harness"]

SPC, MIMC, DVC = "kretingos-spc", "kretingos-mimc", "kretingos-dvc"
HOOK_ENV = "INTERCHANGE_TEST_ALERT_WEBHOOK"
TOKEN_ENV = "INTERCHANGE_TEST_ALERT_PARTNER_TOKEN"
# Record values and a partner's file name: never in an alert.
VALUES = ("MIMC-C-0001", "MIMC-NOBODY-9", "SPC-REC-1", "slapta-byla")



@pytest.fixture(scope="module")
def flows_ingest() -> ModuleType:
    from interchange.cli import flows_module

    return flows_module("ingest")


@pytest.fixture(scope="module")
def flows_link() -> ModuleType:
    from interchange.cli import flows_module

    return flows_module("link")


def overdue_today() -> str:
    """An expected_drop that is overdue today whatever today is (a source that never sent anything)."""
    today = clock.today()
    for every in ("month", "week", "quarter"):
        expected = ExpectedDrop(every=every, by_day=1)
        if today > due_date(expected, period_start(expected, today)):
            return f"{{every: {every}, by_day: 1}}"
    pytest.skip("the first day of a quarter that is a Monday: no period is overdue on by_day 1")


def write_config(root: Path, *, http_org: bool) -> None:
    """Alerts to $HOOK_ENV; MIMC owes a regular drop; optionally an API partner whose token is missing."""
    # Only the second inbox (MIMC) owes a drop.
    head, marker, tail = HUB_CONFIG.rpartition("        settle_seconds: 0\n")
    text = head + marker + f"        expected_drop: {overdue_today()}\n" + tail
    if http_org:
        text += f"""\
  - code: {DVC}
    name: Kretingos dienos veiklos centras
    municipality: LT-22
    sources:
      - type: http
        base_url: http://127.0.0.1:9/api/v1
        kinds: [person]
        token_env: {TOKEN_ENV}
"""
    text += f"alerts:\n  webhook_url_env: {HOOK_ENV}\n  timeout_s: 5\n"
    (root / "interchange.yaml").write_text(text, encoding="utf-8")


def drop_held_contacts(root: Path) -> None:
    write_csv(root / "inbox" / SPC / "slapta-byla.contact.csv",
              [["record_id", "person_record_id", "service_code", "contact_date", "duration_minutes"],
               ["MIMC-C-0001", "MIMC-NOBODY-9", "psychologist_child", clock.today().isoformat(), "45"]])


def assert_safe(receiver: WebhookReceiver) -> None:
    for body in receiver.raw:
        for value in (*VALUES, "secret-in-url"):
            assert value not in body


def test_config_names_the_variable_and_the_url_stays_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = AlertSettings(webhook_url_env=HOOK_ENV)
    monkeypatch.delenv(HOOK_ENV, raising=False)
    assert not alert_target(settings).configured
    assert send_alert(alert_target(settings), alert_payload("flow_failed", flow="ingest")) is False
    with pytest.raises(ValueError, match="pattern"):
        AlertSettings(webhook_url_env="https://hooks.example.lt/abc")  # a URL is not a variable name


def test_an_alert_refuses_fields_that_could_carry_a_record() -> None:
    with pytest.raises(ValueError, match="alert fields not allowed: record"):
        alert_payload("flow_failed", flow="ingest", record={"record_id": "SPC-REC-1"})


def test_a_webhook_that_refuses_or_is_down_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = AlertSettings(webhook_url_env=HOOK_ENV, timeout_s=2)
    with WebhookReceiver(status=500) as receiver:
        monkeypatch.setenv(HOOK_ENV, receiver.url)
        assert send_alert(alert_target(settings), alert_payload("flow_failed", flow="link")) is False
        assert receiver.events() == ["flow_failed"]
    monkeypatch.setenv(HOOK_ENV, "http://127.0.0.1:9/nobody-listens")
    assert send_alert(alert_target(settings), alert_payload("flow_failed", flow="link")) is False


@on_prefect
def test_a_failed_ingest_posts_its_failure_held_batches_and_overdue_drops(
        hub_root: Path, flows_ingest: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(hub_root, http_org=True)
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    drop_held_contacts(hub_root)
    with WebhookReceiver() as receiver:
        monkeypatch.setenv(HOOK_ENV, receiver.url)

        state = flows_ingest.ingest(str(hub_root), return_state=True)

        assert state.is_failed()
        assert sorted(receiver.events()) == ["batch_held", "drop_overdue", "flow_failed"]
        failed = receiver.event("flow_failed")
        assert (failed["flow"], failed["state"], failed["workspace"]) == ("ingest", "Failed", "hub")
        assert failed["flow_run_id"] == str(state.state_details.flow_run_id)
        assert failed["sources"] == [{"source": f"{DVC}/http:api",
                                      "problem": failed["sources"][0]["problem"]}]
        assert failed["sources"][0]["problem"].startswith("http.token_missing")
        assert failed["counts"] == {"batches": 1, "rows_loaded": 0, "rows_quarantined": 0, "batches_held": 1}
        [batch] = failed["batches"]
        assert (batch["org"], batch["status"], batch["held"]) == (SPC, "held", 1)
        assert batch["failed_checks"] == ["batch.contact_person_known"]
        held = receiver.event("batch_held")
        assert [b["batch"] for b in held["batches"]] == [batch["batch"]]
        overdue = receiver.event("drop_overdue")
        assert [(o["org"], o["source"], o["last_arrival"]) for o in overdue["overdue"]] == [(MIMC, "inbox", None)]
        assert_safe(receiver)

        # The next run (every 15 minutes) does not repeat the overdue alert of this period.
        receiver.received.clear()
        receiver.raw.clear()
        flows_ingest.ingest(str(hub_root), return_state=True)
        assert receiver.events() == ["flow_failed"]


@on_prefect
def test_a_failed_link_posts_the_failure_without_the_database_error_text(
        hub_root: Path, flows_link: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write_config(hub_root, http_org=False)
    # A warehouse that cannot be opened: the link run fails before it changes anything.
    monkeypatch.setenv("INTERCHANGE_DATABASE_URL", f"sqlite:///{tmp_path / 'no-such-folder' / 'w.sqlite'}")
    (hub_root / "warehouse.identity").unlink()  # as a hub from before the record: the first use records it
    with WebhookReceiver() as receiver:
        monkeypatch.setenv(HOOK_ENV, receiver.url)

        state = flows_link.link(str(hub_root), return_state=True)

        assert state.is_failed()
        failed = receiver.event("flow_failed")
        assert (failed["flow"], failed["state"]) == ("link", "Failed")
        assert failed["message"] == "OperationalError (see the flow run's log)"
        assert "no-such-folder" not in json.dumps(failed)
        assert_safe(receiver)


@on_prefect
def test_a_run_whose_webhook_is_down_ends_as_it_would_have(
        hub_root: Path, flows_ingest: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(hub_root, http_org=False)
    monkeypatch.setenv(HOOK_ENV, "http://127.0.0.1:9/nobody-listens")
    drop_held_contacts(hub_root)

    state = flows_ingest.ingest(str(hub_root), return_state=True)

    assert state.is_completed()
    assert state.message == "batches: 1, rows loaded: 0, quarantined: 0, batches held: 1"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the alert, not the database
def test_a_batch_the_hub_could_not_process_is_alerted_without_its_file_name_or_error(
        hub_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from interchange.cli import flows_module
    from interchange.ingest import batches as batches_module
    from interchange.ingest.batches import FAILPOINT_ENV
    from interchange.ingest.run import ingest_workspace
    from interchange.workspace.layout import Workspace

    write_config(hub_root, http_org=False)
    write_csv(hub_root / "inbox" / SPC / "slapta-byla.person.csv",
              [["record_id", "birth_year", "sex"], ["SPC-REC-1", "1960", "male"]])
    monkeypatch.setattr(batches_module, "_RAISED", set())
    monkeypatch.setenv(FAILPOINT_ENV, "before_commit:raise-once")
    summary = ingest_workspace(Workspace(hub_root))
    with WebhookReceiver() as receiver:
        monkeypatch.setenv(HOOK_ENV, receiver.url)

        sent = flows_module("alerts").alert_attention(Workspace(hub_root), summary, flow_run="amber-otter")

        assert "batch_failed" in sent
        [batch] = receiver.event("batch_failed")["batches"]
        assert (batch["org"], batch["status"], batch["problem_codes"]) == (SPC, "failed", ["batch.failed"])
        assert_safe(receiver)
        assert all("FailpointError" not in body for body in receiver.raw)
