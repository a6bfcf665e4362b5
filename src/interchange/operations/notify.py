"""E-mail to a partner when something of theirs needs them: a held batch, quarantined rows, an overdue drop.

`notify_partners` finds those events in the warehouse, leaves out the ones already told, and
sends each organisation one message, in Lithuanian and English, to the addresses its
`contacts:` in interchange.yaml give, through the SMTP server of `notifications: smtp:`. A
message carries batch ids, record kinds, dates, counts and codes: never a record value, a row's
record id or a partner's file name (a file may be named after a person).

Each event is sent once: it is claimed in the `notifications` table before its message goes,
marked sent when the server has taken it, and the claim is dropped when the server refuses, so
the next run tries again. A run that dies between sending and marking leaves a claim that a later
run takes over after CLAIM_EXPIRES: one message may then go twice, none is lost.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Literal

from sqlalchemy import ColumnElement, Engine, and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from interchange import clock
from interchange.i18n import LANGS, say
from interchange.ingest.quarantine import open_quarantine
from interchange.operations.mail import Mailer, MailError, open_mailer
from interchange.operations.missing import overdue_drops
from interchange.operations.status import held_batches
from interchange.warehouse.engine import stored_utc
from interchange.warehouse.load import chunked
from interchange.warehouse.tables import batches, notifications
from interchange.workspace.config import Organisation
from interchange.workspace.layout import Workspace

Event = Literal["batch_held", "rows_quarantined", "drop_overdue"]
# A claim not marked sent after this long belongs to a run that died: a later run sends it again.
CLAIM_EXPIRES = timedelta(minutes=15)


@dataclass(frozen=True)
class Notice:
    """One event of one organisation, in counts and codes."""

    org: str
    event: Event
    subject: str  # what it is about: batch:<the drop's first batch id>, or <source>/<period start>
    batch_id: int | None = None
    kind: str | None = None
    received: date | None = None
    rows: int = 0
    codes: tuple[str, ...] = ()  # with their counts where there are several: "value.date ×3"
    source: str | None = None
    period_start: date | None = None
    due: date | None = None

    def line(self, lang: str) -> str:
        if self.event == "drop_overdue":
            return say("partner.notice_overdue", lang, source=self.source, due=self.due, start=self.period_start)
        key = "partner.notice_held" if self.event == "batch_held" else "partner.notice_quarantined"
        return say(key, lang, batch=self.batch_id, kind=self.kind or "?", received=self.received, rows=self.rows,
                   codes=", ".join(self.codes) or "-")


@dataclass(frozen=True)
class Delivery:
    """What happened to one organisation's message."""

    org: str
    notices: tuple[Notice, ...]
    recipients: int = 0
    error: MailError | None = None  # why it was not sent (it is tried again next run)

    def events(self) -> str:
        """`batch_held 1, rows_quarantined 2`: the events in counts, for a steward's screen or a log."""
        counted = Counter(n.event for n in self.notices)
        return ", ".join(f"{event} {count}" for event, count in counted.items())


@dataclass
class NotifyReport:
    configured: bool  # False: no notifications: smtp in interchange.yaml; nothing was sent
    sent: list[Delivery] = field(default_factory=list)
    failed: list[Delivery] = field(default_factory=list)
    no_contact: list[Delivery] = field(default_factory=list)
    pending: list[Delivery] = field(default_factory=list)  # found but not sent: a dry run, or no SMTP server

    @property
    def complete(self) -> bool:
        """True when nothing found was left unsent for a reason a steward must fix."""
        return not self.failed and not self.no_contact


def notify_partners(workspace: Workspace, engine: Engine, *, today: date | None = None,
                    dry_run: bool = False) -> NotifyReport:
    """Tell each organisation, once, of its held batches, quarantined rows and overdue drops.

    Args:
        workspace: The workspace: its organisations' contacts and its SMTP server.
        engine: The warehouse.
        today: The day overdue drops are judged on; default interchange.clock.
        dry_run: Find and report what would be sent; send and record nothing.

    Raises:
        ConfigError: the SMTP password variable is missing, or the CA file unreadable
            (before anything is claimed or sent).
    """
    settings = workspace.config.notifications.smtp
    found = _by_org(unsent_notices(workspace, engine, today=today))
    report = NotifyReport(configured=settings is not None)
    organisations = {org.code: org for org in workspace.config.organisations}
    if settings is None or dry_run:
        report.pending = [Delivery(org, tuple(items)) for org, items in found.items()]
        return report
    reachable = {org: items for org, items in found.items() if organisations[org].contacts}
    report.no_contact = [Delivery(org, tuple(items)) for org, items in found.items() if org not in reachable]
    if not reachable:
        return report
    outage: MailError | None = None  # the server failed, not one message: the rest wait for the next run
    try:
        with open_mailer(settings, workspace.root) as mailer:
            for org, items in reachable.items():
                delivery = _deliver(mailer, engine, organisations[org], items, sender=settings.from_address,
                                    portal_url=workspace.config.notifications.portal_url)
                if delivery is None:
                    continue
                (report.sent if delivery.error is None else report.failed).append(delivery)
                if delivery.error is not None and delivery.error.transient:
                    outage = delivery.error
                    break
    except MailError as exc:  # could not connect, secure the connection or log in
        outage = exc
    if outage is not None:
        done = {d.org for d in (*report.sent, *report.failed)}
        report.failed += [Delivery(org, tuple(items), error=outage) for org, items in reachable.items()
                          if org not in done]
    return report


def _deliver(mailer: Mailer, engine: Engine, organisation: Organisation, found: Sequence[Notice], *, sender: str,
             portal_url: str | None) -> Delivery | None:
    """Claim, send and mark one organisation's notices; None when another run holds them all."""
    claimed = claim(engine, found)
    if not claimed:
        return None
    try:
        mailer.send(compose(organisation, claimed, sender=sender, portal_url=portal_url))
    except MailError as exc:
        release(engine, claimed)
        return Delivery(organisation.code, tuple(claimed), error=exc)
    recipients = len(organisation.contacts)
    mark_sent(engine, claimed, recipients=recipients)
    return Delivery(organisation.code, tuple(claimed), recipients=recipients)


def unsent_notices(workspace: Workspace, engine: Engine, *, today: date | None = None) -> list[Notice]:
    """Every current event of a configured organisation not told yet (nor being told by another run)."""
    told = _told(engine)
    configured = {org.code for org in workspace.config.organisations}
    return [n for n in current_notices(workspace, engine, today=today)
            if n.org in configured and (n.org, n.event, n.subject) not in told]


def current_notices(workspace: Workspace, engine: Engine, *, today: date | None = None) -> list[Notice]:
    """Held batches, batches with open quarantined rows, and overdue drops, as notices; by organisation."""
    held = held_batches(engine)
    per_batch: dict[int, list] = defaultdict(list)
    for row in open_quarantine(engine):
        per_batch[row.batch_id].append(row)
    drop_of = drops_of(engine, {h.batch_id for h in held} | set(per_batch))
    found = [Notice(h.org, "batch_held", f"batch:{drop_of[h.batch_id]}", batch_id=h.batch_id, kind=h.kind,
                    received=h.received_at.date(), rows=h.rows_held, codes=tuple(h.failed_checks)) for h in held]
    for batch_id, rows in sorted(per_batch.items()):
        codes = Counter(code for row in rows for code in row.codes)
        found.append(Notice(rows[0].org, "rows_quarantined", f"batch:{drop_of[batch_id]}", batch_id=batch_id,
                            kind=rows[0].kind, received=rows[0].received_at.date(), rows=len(rows),
                            codes=tuple(_counted(code, count) for code, count in sorted(codes.items()))))
    found += [Notice(d.org, "drop_overdue", f"{d.source}/{d.period_start.isoformat()}", source=d.source,
                     period_start=d.period_start, due=d.due)
              for d in overdue_drops(workspace, engine, today=today)]
    return sorted(found, key=lambda n: (n.org, _ORDER[n.event], n.batch_id or 0, n.subject))


_ORDER = {"batch_held": 0, "rows_quarantined": 1, "drop_overdue": 2}


def drops_of(engine: Engine, batch_ids: Iterable[int]) -> dict[int, int]:
    """batch id -> the first batch of its drop: a re-run keeps its drop's organisation, SHA-256 and arrival, so a
    re-run that is held or quarantines rows again is the same event, told once."""
    wanted = sorted(set(batch_ids))
    if not wanted:
        return {}
    first = batches.alias("first")
    found: dict[int, int] = {}
    with engine.connect() as connection:
        for chunk in chunked(wanted, 500):
            rows = connection.execute(
                select(batches.c.batch_id, func.min(first.c.batch_id))
                .join(first, (first.c.org == batches.c.org) & (first.c.sha256 == batches.c.sha256)
                      & (first.c.received_at == batches.c.received_at))
                .where(batches.c.batch_id.in_(chunk)).group_by(batches.c.batch_id))
            found.update({batch_id: drop for batch_id, drop in rows})
    return {batch_id: found.get(batch_id, batch_id) for batch_id in wanted}


def _counted(code: str, count: int) -> str:
    return code if count == 1 else f"{code} ×{count}"


def _by_org(found: Iterable[Notice]) -> dict[str, list[Notice]]:
    grouped: dict[str, list[Notice]] = defaultdict(list)
    for notice in found:
        grouped[notice.org].append(notice)
    return dict(grouped)


def _told(engine: Engine) -> set[tuple[str, str, str]]:
    """Events sent, or claimed by a run that may still be sending them."""
    fresh = clock.now() - CLAIM_EXPIRES
    with engine.connect() as connection:
        rows = connection.execute(select(notifications.c.org, notifications.c.event, notifications.c.subject,
                                         notifications.c.sent_at, notifications.c.claimed_at)).all()
    return {(r.org, r.event, r.subject) for r in rows if r.sent_at is not None or stored_utc(r.claimed_at) > fresh}


def claim(engine: Engine, found: Sequence[Notice]) -> list[Notice]:
    """Claim the notices not told yet; the ones another run holds (or has sent) are left out."""
    now = clock.now()
    claimed = []
    for notice in found:
        with engine.begin() as connection:
            connection.execute(delete(notifications).where(
                _the(notice), notifications.c.sent_at.is_(None), notifications.c.claimed_at < now - CLAIM_EXPIRES))
            try:
                with connection.begin_nested():
                    connection.execute(insert(notifications).values(org=notice.org, event=notice.event,
                                                                    subject=notice.subject, claimed_at=now))
            except IntegrityError:
                continue
        claimed.append(notice)
    return claimed


def release(engine: Engine, claimed: Iterable[Notice]) -> None:
    """Drop the claims of notices whose message did not go: the next run tries them again."""
    with engine.begin() as connection:
        for notice in claimed:
            connection.execute(delete(notifications).where(_the(notice), notifications.c.sent_at.is_(None)))


def mark_sent(engine: Engine, claimed: Iterable[Notice], *, recipients: int) -> None:
    now = clock.now()
    with engine.begin() as connection:
        for notice in claimed:
            connection.execute(update(notifications).where(_the(notice)).values(sent_at=now, recipients=recipients))


def _the(notice: Notice) -> ColumnElement[bool]:
    return and_(notifications.c.org == notice.org, notifications.c.event == notice.event,
                notifications.c.subject == notice.subject)




def compose(organisation: Organisation, found: Sequence[Notice], *, sender: str,
            portal_url: str | None = None) -> EmailMessage:
    """One organisation's message: Lithuanian first, then English, the same events in each."""
    message = EmailMessage()
    message["Subject"] = " / ".join(say("partner.notice_subject", lang, org=organisation.code, count=len(found))
                                    for lang in LANGS)
    message["From"] = sender
    message["To"] = ", ".join(organisation.contacts)
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to the hub
    sections = []
    for lang in LANGS:
        lines = [say("partner.notice_greeting", lang, org=f"{organisation.name} ({organisation.code})"), ""]
        lines += [notice.line(lang) for notice in found]
        lines += ["", say("partner.notice_receipts", lang)]
        if portal_url:
            lines.append(say("partner.notice_portal", lang, url=portal_url))
        lines.append(say("partner.notice_no_data", lang))
        sections.append("\n".join(lines))
    message.set_content("\n\n-----\n\n".join(sections) + "\n")
    return message
