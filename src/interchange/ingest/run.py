"""One ingest over a workspace: every configured source, each on its own, and a summary."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial

from interchange import clock
from interchange.contract.problems import ProblemError, error
from interchange.contract.receipt import BatchStatus, Receipt
from interchange.errors import InterchangeError, describe_failure, is_transient
from interchange.ingest.batches import Judging
from interchange.ingest.drops import Hub, ingest_inbox
from interchange.ingest.http_source import token_from_env, usable_token
from interchange.ingest.inbox import settling_drops
from interchange.ingest.pulls import ingest_pull, source_name
from interchange.progress import ProgressHook, report
from interchange.warehouse.engine import warehouse
from interchange.warehouse.tables import source_runs
from interchange.workspace.config import HttpSourceConfig, InboxSource
from interchange.workspace.layout import Workspace

log = logging.getLogger(__name__)
TokenResolver = Callable[[HttpSourceConfig], str]


class SourceError(InterchangeError):
    """A source failed for a reason said in words that carry no record values (safe to log and alert).

    `cause` is the class name of what failed it (the flow's task passes it on), for `source_runs`.
    """

    def __init__(self, *args: object, key: str | None = None, cause: str | None = None, transient: bool = False,
                 **params: object) -> None:
        super().__init__(*args, key=key, **params)
        self.cause = cause
        self.transient = transient


@contextmanager
def open_hub(workspace: Workspace, *, today: date | None = None) -> Iterator[Hub]:
    """The workspace's warehouse (schema upgraded) and judging settings, for the block."""
    workspace.make_folders()
    with warehouse(workspace.database_url) as engine:
        yield Hub(workspace, engine, Judging(workspace.config.expectations, today or clock.today(),
                                             workspace.expectations_dir))


def token_from_environment(source: HttpSourceConfig) -> str:
    """Tokens from environment variables; the Prefect flow adds Secret blocks on top."""
    if source.token_env is None:
        raise ProblemError(error("http.token_block", block=source.token_block))
    return token_from_env(source.token_env)


@dataclass(frozen=True)
class SourceRef:
    org: str
    source: InboxSource | HttpSourceConfig

    @property
    def name(self) -> str:
        return "inbox" if isinstance(self.source, InboxSource) else source_name(self.source)

    @property
    def label(self) -> str:
        return f"{self.org}/{self.name}"


class UnknownOrganisations(InterchangeError, ValueError):
    """Organisations asked for by code that the workspace's interchange.yaml does not name."""

    def __init__(self, unknown: Collection[str], known: Collection[str]) -> None:
        super().__init__(key="error.unknown_orgs", orgs=", ".join(unknown), known=", ".join(known) or "-")
        self.unknown = list(unknown)


def configured_sources(workspace: Workspace, orgs: Collection[str] | None = None) -> list[SourceRef]:
    """Every source of the workspace's organisations, in the order of interchange.yaml.

    `orgs`: only these organisations' sources (codes, in any case: interchange.yaml's are lower
    case; none or empty: every organisation's); a code the workspace does not name raises
    UnknownOrganisations, before anything runs.
    """
    chosen = {code.lower() for code in ([orgs] if isinstance(orgs, str) else orgs or ())}
    known = [org.code for org in workspace.config.organisations]
    unknown = sorted(chosen - set(known))
    if unknown:
        raise UnknownOrganisations(unknown, known)
    return [SourceRef(org.code, source) for org in workspace.config.organisations
            if not chosen or org.code in chosen for source in org.sources]


def settling_files(workspace: Workspace) -> dict[str, tuple[int, float]]:
    """Per organisation: how many files its inbox holds that are too fresh to take yet, and the settle time."""
    waiting = {}
    for ref in configured_sources(workspace):
        if isinstance(ref.source, InboxSource):
            found = settling_drops(workspace.inbox(ref.org), settle_seconds=ref.source.settle_seconds)
            if found:
                waiting[ref.org] = (len(found), ref.source.settle_seconds)
    return waiting


def ingest_source(hub: Hub, ref: SourceRef, token_for: TokenResolver | None = None, *,
                  on_progress: ProgressHook | None = None) -> list[Receipt]:
    """Ingest one source; raises when it fails as a whole (a ProblemError says why, without data).

    Progress: ``ingest.source`` 0 of 1 when it starts and 1 of 1 when it ends (failed or
    not), ``ingest.drops`` after each drop of an inbox (interchange.progress).
    """
    report(on_progress, "ingest.source", 0, 1, ref.label)
    try:
        if isinstance(ref.source, InboxSource):
            return ingest_inbox(hub, ref.org, ref.source, on_progress=on_progress)
        token = (token_for or token_from_environment)(ref.source)
        if not usable_token(token):
            place = ref.source.token_env or f"Prefect Secret block {ref.source.token_block}"
            raise ProblemError(error("http.token_invalid", place=place))
        return ingest_pull(hub, ref.org, ref.source, token=token)
    finally:
        report(on_progress, "ingest.source", 1, 1, ref.label)


@dataclass
class IngestSummary:
    receipts: list[Receipt] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)  # source label -> safe message

    @property
    def held(self) -> list[Receipt]:
        return [r for r in self.receipts if r.status is BatchStatus.HELD]

    @property
    def failed(self) -> list[Receipt]:
        """Batches the hub could not process: nothing loaded, a steward re-runs them after a fix."""
        return [r for r in self.receipts if r.status is BatchStatus.FAILED]

    @property
    def rows_loaded(self) -> int:
        return sum(r.counts.loaded for r in self.receipts)

    @property
    def rows_quarantined(self) -> int:
        return sum(r.counts.quarantined for r in self.receipts)

    @property
    def exit_code(self) -> int:
        """0 when every source ran and nothing is held or failed; 1 when a steward has something to chase."""
        return 1 if self.failures or self.held or self.failed else 0

    def counts_line(self) -> str:
        """The run's counts in one English line, for flow-run states and alerts ("label: n" reads
        right for any n)."""
        return (f"batches: {len(self.receipts)}, rows loaded: {self.rows_loaded}, "
                f"quarantined: {self.rows_quarantined}, batches held: {len(self.held)}"
                + (f", batches failed: {len(self.failed)}" if self.failed else ""))


SourceRunner = Callable[[Hub, SourceRef], list[Receipt]]


def ingest_workspace(workspace: Workspace, *, orgs: Collection[str] | None = None,
                     run_source: SourceRunner | None = None, token_for: TokenResolver | None = None,
                     today: date | None = None) -> IngestSummary:
    """Every source once (only `orgs`' when given); one failing source does not stop the others.

    `run_source` runs one source and raises when it fails as a whole: the Prefect flow
    passes its task (retries, its own log); by default `ingest_source` runs here with
    `token_for` and a failure is logged. One source after another rather than side by
    side: SQLite takes one writer at a time, and a batch is CPU-bound Python, so threads
    would mostly wait for each other. Side by side is for several processes (Prefect workers,
    docs/scale-out.md), each given other organisations by `orgs`; runs that do meet on a source
    take it in turn (interchange.warehouse.locks), so nothing is loaded twice either way.
    An unknown organisation code raises UnknownOrganisations before any source runs.
    """
    run = run_source or partial(_run_and_log, token_for=token_for)
    summary = IngestSummary()
    sources = configured_sources(workspace, orgs)
    with open_hub(workspace, today=today) as hub:
        for ref in sources:
            started = clock.now()
            try:
                summary.receipts += run(hub, ref)
            except Exception as exc:  # reported per source; the caller decides the exit code
                summary.failures[ref.label] = describe_failure(exc)
                record_source_run(hub, ref, started, cause=getattr(exc, "cause", None) or type(exc).__name__)
            else:
                record_source_run(hub, ref, started)
    return summary


def record_source_run(hub: Hub, ref: SourceRef, started: datetime, *, cause: str | None = None) -> None:
    """Keep one attempt at a source (`source_runs`): its outcome and, when it failed, the error's class.

    Never fails the run: a warehouse that cannot take the row has already failed the source.
    """
    try:
        with hub.engine.begin() as connection:
            connection.execute(source_runs.insert().values(
                org=ref.org, source=ref.name, started_at=started, ended_at=clock.now(),
                outcome="ok" if cause is None else "failed", error_class=cause[:80] if cause else None))
    except Exception as exc:
        log.warning("the run of %s was not recorded: %s", ref.label, type(exc).__name__)


def _run_and_log(hub: Hub, ref: SourceRef, *, token_for: TokenResolver | None) -> list[Receipt]:
    try:
        return ingest_source(hub, ref, token_for)
    except Exception as exc:
        log.error("source %s failed: %s", ref.label, describe_failure(exc))
        raise


def worth_retrying(exc: BaseException) -> bool:
    """Whether a later attempt at the source may succeed: an outage (a database restart, a partner
    API down), not a permission, a full disk, a bad file or a bug (interchange.errors.is_transient)."""
    return is_transient(exc)


BatchRow = dict[str, str | int]


def batch_table(summary: IngestSummary) -> list[BatchRow]:
    """One row per batch, as the receipts count it: org, source, file, status and the row counts."""
    return [{"org": r.org, "source": r.source, "batch": r.batch_id, "file": r.file_name or "",
             "kind": r.kind or "", "status": r.status.value, "rows_read": r.counts.rows_read,
             "loaded": r.counts.loaded, "unchanged": r.counts.unchanged,
             "quarantined": r.counts.quarantined, "held": r.counts.held} for r in summary.receipts]


def attention_markdown(summary: IngestSummary) -> str:
    """What a steward must chase, as Markdown: held and rejected batches, failed sources.

    Only organisation codes, batch ids, file names, counts and problem codes: this text
    goes to the orchestrator's UI and to alerts.
    """
    sections = [_held_section(summary), _failed_section(summary), _rejected_section(summary),
                _failures_section(summary)]
    body = [s for s in sections if s] or ["Nothing: every source ran and no batch was held, failed or rejected."]
    return "\n\n".join(["# Ingest: what needs a steward", *body]) + "\n"


def _held_section(summary: IngestSummary) -> str:
    rows = [f"| {r.org} | {r.batch_id} | {_cell(r.file_name or r.source)} | {r.counts.held} | "
            f"{', '.join(e.code for e in r.expectations if not e.success and e.severity == 'critical')} |"
            for r in summary.held]
    return "\n".join(["## Held batches (nothing loaded)", "", "| org | batch | file | held rows | failed checks |",
                      "|---|---|---|---|---|", *rows]) if rows else ""


def _failed_section(summary: IngestSummary) -> str:
    rows = [f"| {r.org} | {r.batch_id} | {_cell(r.file_name or r.source)} |" for r in summary.failed]
    return "\n".join(["## Failed batches (the hub could not process them; nothing loaded)", "",
                      "The hub's log names each error's class; after a fix, `interchange reprocess`.", "",
                      "| org | batch | file |", "|---|---|---|", *rows]) if rows else ""


def _rejected_section(summary: IngestSummary) -> str:
    rows = [f"| {r.org} | {r.batch_id} | {_cell(r.file_name or r.source)} | "
            # From the summary: the listed problems stop at MAX_LISTED_PROBLEMS, the summary does not.
            f"{', '.join(sorted({s.code for s in r.problem_summary if s.severity == 'error'}))} |"
            for r in summary.receipts if r.status is BatchStatus.REJECTED]
    return "\n".join(["## Rejected files (nothing loaded)", "", "| org | batch | file | problems |",
                      "|---|---|---|---|", *rows]) if rows else ""


def _failures_section(summary: IngestSummary) -> str:
    rows = [f"- `{label}`: {message}" for label, message in summary.failures.items()]
    return "\n".join(["## Failed sources", "", *rows]) if rows else ""


def _cell(text: str) -> str:
    # A partner's file name must not break the table.
    return text.replace("|", "\\|").replace("\n", " ")
