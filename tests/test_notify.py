"""E-mail to partners: a held batch, quarantined rows, an overdue drop, each told once, in counts and codes.

What a partner and a steward rely on: one message per organisation to its contacts, in
Lithuanian and English, that names batches, kinds, counts and codes but never a record value,
a record id or a file name; each event sent once however often ingest runs; a server that
refuses or is down leaves the events for the next run; the password only from the environment.
Every test talks to a real SMTP server on 127.0.0.1 (tests/smtp_server.py).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from drop_kit import MIMC, SPC, TODAY, owe_monthly_drops, steward_scene
from smtp_server import SmtpServer, free_port
from typer.testing import CliRunner

from interchange.cli import app
from interchange.ingest.reprocess import find_candidates, reprocess
from interchange.ingest.run import open_hub
from interchange.operations.notify import notify_partners
from interchange.warehouse.engine import warehouse
from interchange.warehouse.tables import notifications
from interchange.workspace.config import ConfigError, parse_config
from interchange.workspace.layout import Workspace

pytestmark = pytest.mark.dates
runner = CliRunner()
# What only the SMTP side decides runs on SQLite alone; the happy path and the migration on both databases.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PASSWORD = "Slaptas-SMTP-žodis-42"
# After next month's 5th both partners owe that month's drop.
OVERDUE_DAY = (TODAY.replace(day=1) + timedelta(days=32)).replace(day=6)


def configure(root: Path, port: int, *, security: str = "none", ca_file: Path | None = None) -> None:
    """Contacts for both partners and the SMTP server at 127.0.0.1:port."""
    path = root / "interchange.yaml"
    text = path.read_text(encoding="utf-8").split("notifications:")[0]  # set anew when called again
    if "contacts:" not in text:
        text = text.replace("    municipality: LT-22\n    sources:",
                            "    municipality: LT-22\n    contacts: [CONTACTS]\n    sources:")
        text = text.replace("[CONTACTS]", "[duomenys@spc.kretinga.lt, vadove@spc.kretinga.lt]", 1)
        text = text.replace("[CONTACTS]", "[info@mimc.kretinga.lt]", 1)
    smtp = ["host: 127.0.0.1", f"port: {port}", f"security: {security}", "from_address: centras@kretinga.lt",
            "timeout_s: 5", "user: interchange", "password_env: TEST_SMTP_PASSWORD"]
    if ca_file is not None:
        smtp.append(f"ca_file: {ca_file}")
    text += "notifications:\n  portal_url: https://mainai.kretinga.lt\n  smtp:\n" + "".join(
        f"    {line}\n" for line in smtp)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def scene(hub_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SPC: persons with one quarantined row; MIMC: a held contact batch; both owing a monthly drop."""
    steward_scene(hub_root)
    owe_monthly_drops(hub_root)
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    return hub_root


def notify(root: Path, *, today: date = OVERDUE_DAY, dry_run: bool = False):  # type: ignore[no-untyped-def]
    workspace = Workspace(root)
    with warehouse(workspace.database_url) as engine:
        return notify_partners(workspace, engine, today=today, dry_run=dry_run)


def test_each_partner_is_told_once_of_its_held_batch_quarantined_rows_and_overdue_drop(
        scene: Path, tmp_path: Path) -> None:
    with SmtpServer(tmp_path, users={"interchange": PASSWORD}) as server:
        configure(scene, server.port)
        report = notify(scene)
        again = notify(scene)  # the next ingest, 15 minutes later: nothing new
        with open_hub(Workspace(scene)) as hub:  # a re-run of the held drop, held again: the same event
            assert [r.receipt.status.value for r in reprocess(hub, find_candidates(hub.engine, org=MIMC))] == ["held"]
        after_rerun = notify(scene)
        assert len(server.messages) == 2

    assert [(d.org, d.recipients, d.events()) for d in report.sent] == [
        (MIMC, 1, "batch_held 1, drop_overdue 1"), (SPC, 2, "rows_quarantined 1, drop_overdue 1")]
    assert report.complete and again.sent == [] and again.failed == [] and after_rerun.sent == []
    assert server.logins == [("interchange", PASSWORD)]  # from the environment, never the file
    to_mimc, to_spc = server.messages
    assert server.envelopes == [["info@mimc.kretinga.lt"], ["duomenys@spc.kretinga.lt", "vadove@spc.kretinga.lt"]]
    assert to_mimc["From"] == "centras@kretinga.lt"
    assert to_spc["Subject"] == (f"Interchange: {SPC} – laukia jūsų dėmesio: 2 / Interchange: {SPC} – 2 need your "
                                 "attention")
    spc = to_spc.get_content()
    mimc = to_mimc.get_content()
    assert "karantine eilučių – 1; klaidų kodai: value.integer" in spc
    assert "1 rows in quarantine; problem codes: value.integer" in spc
    assert "4 rows were not loaded because the batch failed its checks: batch.contact_person_known" in mimc
    due = OVERDUE_DAY.replace(day=5).isoformat()
    assert f"The drop from inbox was due by {due}" in mimc and f"turėjo ateiti iki {due}" in mimc
    assert "https://mainai.kretinga.lt" in spc
    for body in (spc, mimc):
        # Counts and codes: no record id, no value, no file name (a file may be named after a person).
        for secret in ("P000001", "19x0", "M1", "asmenys", "kontaktai", PASSWORD):
            assert secret not in body


@sqlite_only
def test_a_server_that_refuses_leaves_every_event_for_the_next_run(scene: Path, tmp_path: Path) -> None:
    with SmtpServer(tmp_path, users={"interchange": PASSWORD}) as server:
        configure(scene, server.port)
        server.refuse = "550 5.1.1 Mailbox unavailable"
        refused = notify(scene)
        assert server.messages == []
        server.refuse = None
        later = notify(scene)

    assert [(d.org, d.error.message("en") if d.error else None) for d in refused.failed] == [
        (MIMC, f"SMTP server 127.0.0.1:{server.port} refused the message (code 550)"),
        (SPC, f"SMTP server 127.0.0.1:{server.port} refused the message (code 550)")]
    assert not refused.complete and refused.sent == []
    assert [d.org for d in later.sent] == [MIMC, SPC] and len(server.messages) == 2


@sqlite_only
def test_a_server_that_is_down_fails_every_message_and_says_where(scene: Path) -> None:
    configure(scene, free_port())  # nothing listens there
    report = notify(scene)
    assert [d.org for d in report.failed] == [MIMC, SPC]
    error = report.failed[0].error
    assert error is not None and error.transient
    assert error.message("en").startswith(f"cannot reach the SMTP server 127.0.0.1:{report_port(scene)}")
    with warehouse(Workspace(scene).database_url) as engine, engine.connect() as connection:
        assert connection.execute(notifications.select()).all() == []  # nothing marked: all tried again


def report_port(root: Path) -> int:
    return Workspace(root).config.notifications.smtp.port  # type: ignore[union-attr]


@sqlite_only
def test_a_refused_login_is_said_without_the_password(scene: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "not-the-password-at-all")
    with SmtpServer(tmp_path, users={"interchange": PASSWORD}) as server:
        configure(scene, server.port)
        report = notify(scene)
    text = report.failed[0].error.message("en") if report.failed[0].error else ""
    assert "refused the login (code 535)" in text and "not-the-password-at-all" not in text


@sqlite_only
def test_starttls_checks_the_servers_certificate(scene: Path, tmp_path: Path) -> None:
    with SmtpServer(tmp_path, tls=True, users={"interchange": PASSWORD}) as server:
        assert server.ca_file is not None
        configure(scene, server.port, security="starttls")  # the system's CAs do not know this server
        untrusted = notify(scene)
        configure(scene, server.port, security="starttls", ca_file=server.ca_file)
        trusted = notify(scene)

    assert [d.error.key if d.error else None for d in untrusted.failed] == ["error.smtp_tls", "error.smtp_tls"]
    assert [d.org for d in trusted.sent] == [MIMC, SPC] and server.logins == [("interchange", PASSWORD)]


@sqlite_only
def test_a_missing_password_variable_stops_before_anything_is_sent(scene: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_SMTP_PASSWORD")
    with SmtpServer(tmp_path, users={"interchange": PASSWORD}) as server:
        configure(scene, server.port)
        with pytest.raises(ConfigError, match="TEST_SMTP_PASSWORD"):
            notify(scene)
        result = runner.invoke(app, ["notify", "--workspace", str(scene), "--lang", "lt"],
                               env={"INTERCHANGE_TODAY": OVERDUE_DAY.isoformat()})
    assert result.exit_code == 2
    assert "TEST_SMTP_PASSWORD" in result.output and "nenustatytas" in result.output
    assert server.messages == []


def test_a_bad_port_or_a_password_in_the_file_is_a_config_error() -> None:
    base = ("config_version: 1\norganisations:\n  - {code: kretingos-spc, name: SPC, municipality: LT-22, "
            "contacts: [not-an-address]}\nnotifications:\n  smtp:\n    host: mail.kretinga.lt\n"
            "    from_address: centras@kretinga.lt\n")
    with pytest.raises(ConfigError) as wrong:
        parse_config(base + "    port: 70000\n    password: hunter2\n")
    text = wrong.value.message("en")
    assert "notifications.smtp.port: Input should be less than or equal to 65535" in text
    assert "notifications.smtp.password:" in text and "hunter2" not in text
    assert "organisations.0.contacts.0:" in text


@sqlite_only
def test_the_command_sends_and_a_dry_run_only_lists(scene: Path, tmp_path: Path) -> None:
    env = {"INTERCHANGE_TODAY": OVERDUE_DAY.isoformat()}
    with SmtpServer(tmp_path, users={"interchange": PASSWORD}) as server:
        configure(scene, server.port)
        dry = runner.invoke(app, ["notify", "--workspace", str(scene), "--dry-run", "--lang", "en"], env=env)
        assert server.messages == []
        sent = runner.invoke(app, ["notify", "--workspace", str(scene), "--lang", "en"], env=env)
        again = runner.invoke(app, ["notify", "--workspace", str(scene), "--lang", "en"], env=env)
    assert dry.exit_code == 0 and f"{SPC}: would be sent: rows_quarantined 1, drop_overdue 1" in dry.output
    assert sent.exit_code == 0, sent.output
    assert f"{SPC}: sent to 2 addresses: rows_quarantined 1, drop_overdue 1" in sent.output
    assert again.exit_code == 0 and "No new notifications for partners." in again.output


@sqlite_only
def test_without_an_smtp_server_nothing_is_sent_or_remembered(scene: Path) -> None:
    report = notify(scene)
    assert not report.configured and [d.org for d in report.pending] == [MIMC, SPC]
    with warehouse(Workspace(scene).database_url) as engine, engine.connect() as connection:
        assert connection.execute(notifications.select()).all() == []


def test_the_notifications_migration_goes_both_ways(database_url: str) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from interchange.warehouse import engine as engine_module

    with warehouse(database_url, upgrade=False) as engine:
        config = engine_module._alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0013")
            assert inspect(connection).has_table("notifications")
            command.downgrade(config, "-1")
            assert not inspect(connection).has_table("notifications")
            assert inspect(connection).has_table("source_runs")
