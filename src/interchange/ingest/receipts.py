"""Receipt files in `receipts/<org>/`: JSON for machines, text in Lithuanian and English for people."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from sqlalchemy import Engine, select

from interchange.contract.receipt import Receipt
from interchange.i18n import name_of, say
from interchange.warehouse.tables import batches

# The counts a receipt lists, in this order; each is labelled `receipt.count.<name>`.
_COUNTS = ("rows_read", "inserted", "updated", "deleted", "unchanged", "quarantined", "held")


def receipt_paths(folder: Path, receipt: Receipt) -> tuple[Path, Path]:
    stem = f"{receipt.received_at:%Y%m%d-%H%M%S}-b{receipt.batch_id:06d}-{_safe(receipt.file_name or receipt.source)}"
    return folder / f"{stem}.json", folder / f"{stem}.txt"


def _safe(name: str) -> str:
    # The partner chose the name: only letters, digits, dot, dash and underscore reach a path.
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name.replace("\\", "/")).name).strip("._")
    return cleaned[:60] or "drop"


def write_receipt(folder: Path, receipt: Receipt) -> Path:
    """Write both forms of `receipt` atomically; returns the JSON path."""
    folder.mkdir(parents=True, exist_ok=True)
    json_path, text_path = receipt_paths(folder, receipt)
    _write_atomic(json_path, json.dumps(receipt.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n")
    _write_atomic(text_path, render_receipt(receipt, "lt") + "\n" + render_receipt(receipt, "en"))
    return json_path


def write_pending_receipts(engine: Engine, receipts_root: Path, org: str) -> list[Receipt]:
    """Write every committed receipt of `org` whose files are not written yet (after a crash too)."""
    with engine.connect() as connection:
        pending = connection.execute(select(batches.c.batch_id, batches.c.receipt).where(
            batches.c.org == org, batches.c.receipt_written.is_(False), batches.c.receipt.is_not(None),
        ).order_by(batches.c.batch_id)).all()
    written = []
    for batch_id, data in pending:
        receipt = Receipt.model_validate(data)
        write_receipt(receipts_root, receipt)
        with engine.begin() as connection:
            connection.execute(batches.update().where(batches.c.batch_id == batch_id).values(receipt_written=True))
        written.append(receipt)
    return written


def _write_atomic(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".receipt-")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(temporary, path)


def render_receipt(receipt: Receipt, lang: str, *, limit: int = 200) -> str:
    """The receipt as text in one language; at most `limit` problems listed (the JSON has all)."""
    status = say(f"receipt.status.{receipt.status.value}", lang)
    lines = [
        f"{say('receipt.receipt', lang)} — {receipt.org}, {say('receipt.batch', lang)} {receipt.batch_id}",
        f"{say('receipt.file', lang)}: {receipt.file_name or receipt.source}"
        + (f" ({receipt.kind})" if receipt.kind else ""),
        f"SHA-256: {receipt.sha256}",
        f"{say('receipt.received', lang)}: {receipt.received_at:%Y-%m-%d %H:%M} UTC, "
        f"{say('receipt.processed', lang)}: {receipt.processed_at:%Y-%m-%d %H:%M} UTC",
        f"{say('receipt.status', lang)}: {status}",
    ]
    if receipt.duplicate_of is not None:
        lines.append(f"{say('receipt.same_as', lang)} {receipt.duplicate_of}")
    lines.append("")
    for name in _COUNTS:
        value = getattr(receipt.counts, name)
        if value or name == "rows_read":
            lines.append(f"  {say(f'receipt.count.{name}', lang)}: {value}")
    if receipt.persons_without_consent is not None:
        lines.append("  " + say("receipt.without_consent", lang, count=receipt.persons_without_consent))
    lines += rejected_at_source(receipt, lang)
    failed = [e for e in receipt.expectations if not e.success]
    if failed:
        lines += ["", say("receipt.checks", lang)]
        for item in failed:
            message = item.message_lt if lang == "lt" else item.message_en
            lines.append(f"  [{say(f'receipt.severity.{item.severity}', lang)}] {item.code}: {message}")
            if item.unexpected_rows:
                more = " …" if len(item.unexpected_rows) > 10 else ""
                rows = ", ".join(str(r) for r in item.unexpected_rows[:10])
                lines.append(f"    {say('receipt.rows', lang)}: {rows}{more}")
    if receipt.problems:
        lines += ["", say("receipt.problems", lang)]
        for problem in receipt.problems[:limit]:
            where = []
            if problem.row is not None:
                where.append(f"{say('receipt.row', lang)} {problem.row}")
            if problem.column:
                where.append(f"{say('receipt.column', lang)} '{problem.column}'")
            if problem.record_id:
                where.append(f"record_id {problem.record_id}")
            message = problem.message_lt if lang == "lt" else problem.message_en
            place = ", ".join(where) or say("receipt.whole_file", lang)
            lines.append(f"  {problem.severity} [{problem.code}] {place}: {message}")
        total = max(receipt.problems_total, len(receipt.problems))
        if total > limit:
            lines.append(f"  … {total - limit} " + say("receipt.more", lang, max=receipt.problems_listed_max))
    if len(receipt.problem_summary) > 1 or receipt.problems_total > limit:
        lines += ["", say("receipt.summary", lang)]
        for tally in receipt.problem_summary:
            first = f" ({say('receipt.first', lang)} {tally.first_row})" if tally.first_row is not None else ""
            lines.append(f"  {tally.code} ({tally.severity}) × {tally.count}{first}")
    return "\n".join(lines) + "\n"


def rejected_at_source(receipt: Receipt, lang: str) -> list[str]:
    """The line saying which rows the partner's kit left out of the drop, if it left out any."""
    extract = receipt.extract
    if extract is None or not extract.rows_rejected:
        return []
    return ["  " + say("receipt.rejected_at_source", lang, rejected=extract.rows_rejected, read=extract.rows_read,
                       codes=extract.codes_text() or "-")]


def render_batch_line(receipt: Receipt, lang: str) -> str:
    """One batch as `interchange ingest` lists it: org, batch, file, state and its counts."""
    line = say("steward.ingest_batch", lang, org=receipt.org, batch=receipt.batch_id,
               name=receipt.file_name or receipt.source, status=name_of("steward.state", receipt.status.value, lang),
               read=receipt.counts.rows_read, loaded=receipt.counts.loaded, unchanged=receipt.counts.unchanged,
               quarantined=receipt.counts.quarantined)
    if receipt.extract is not None and receipt.extract.rows_rejected:  # rows that never arrived
        line += say("steward.ingest_rejected_at_source", lang, rejected=receipt.extract.rows_rejected)
    return line
