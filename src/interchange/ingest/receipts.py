"""Receipt files in `receipts/<org>/`: JSON for machines, text in Lithuanian and English for people."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from sqlalchemy import Engine, select

from interchange.contract.receipt import BatchStatus, Receipt
from interchange.warehouse.tables import batches

_STATUS = {
    BatchStatus.LOADED: ("įkelta", "loaded"),
    BatchStatus.HELD: ("SULAIKYTA: niekas neįkelta", "HELD: nothing was loaded"),
    BatchStatus.REJECTED: ("ATMESTA: niekas neįkelta", "REJECTED: nothing was loaded"),
    BatchStatus.DUPLICATE: ("pakartotinis failas: niekas nepakeista", "duplicate file: nothing changed"),
    BatchStatus.RECEIVED: ("gauta, dar neapdorota", "received, not processed yet"),
}
_COUNTS = (
    ("rows_read", "Perskaityta eilučių", "Rows read"),
    ("inserted", "Nauji įrašai", "New records"),
    ("updated", "Atnaujinti įrašai", "Updated records"),
    ("deleted", "Ištrinti įrašai", "Deleted records"),
    ("unchanged", "Nepakitę įrašai", "Unchanged records"),
    ("quarantined", "Atmestos eilutės", "Rejected rows"),
    ("held", "Sulaikytos eilutės", "Held rows"),
)


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


_LABELS = {
    "receipt": ("KVITAS", "RECEIPT"), "batch": ("paketas", "batch"), "file": ("Failas", "File"),
    "received": ("Gauta", "Received"), "processed": ("apdorota", "processed"), "status": ("Būsena", "Status"),
    "same_as": ("Toks pat kaip paketas", "Same as batch"), "checks": ("Paketo patikros:", "Batch checks:"),
    "critical": ("KRITINĖ", "CRITICAL"), "warning": ("įspėjimas", "warning"), "rows": ("eilutės", "rows"),
    "problems": ("Problemos:", "Problems:"), "row": ("eilutė", "row"), "column": ("stulpelis", "column"),
    "whole_file": ("failas", "file"), "more": ("daugiau (JSON kvite – iki {max}; visos – centro karantino lentelėje)",
             "more (up to {max} in the JSON receipt; all in the hub's quarantine table)"),
    "summary": ("Problemos pagal kodą:", "Problems by code:"), "first": ("pirmoji eilutė", "first row"),
}


def render_receipt(receipt: Receipt, lang: str, *, limit: int = 200) -> str:
    """The receipt as text in one language; at most `limit` problems listed (the JSON has all)."""
    index = 0 if lang == "lt" else 1

    def say(key: str) -> str:
        return _LABELS[key][index]

    lines = [
        f"{say('receipt')} — {receipt.org}, {say('batch')} {receipt.batch_id}",
        f"{say('file')}: {receipt.file_name or receipt.source}" + (f" ({receipt.kind})" if receipt.kind else ""),
        f"SHA-256: {receipt.sha256}",
        f"{say('received')}: {receipt.received_at:%Y-%m-%d %H:%M} UTC, "
        f"{say('processed')}: {receipt.processed_at:%Y-%m-%d %H:%M} UTC",
        f"{say('status')}: {_STATUS[receipt.status][index]}",
    ]
    if receipt.duplicate_of is not None:
        lines.append(f"{say('same_as')} {receipt.duplicate_of}")
    lines.append("")
    for name, *labels in _COUNTS:
        value = getattr(receipt.counts, name)
        if value or name == "rows_read":
            lines.append(f"  {labels[index]}: {value}")
    failed = [e for e in receipt.expectations if not e.success]
    if failed:
        lines += ["", say("checks")]
        for item in failed:
            message = item.message_lt if index == 0 else item.message_en
            lines.append(f"  [{say(item.severity)}] {item.code}: {message}")
            if item.unexpected_rows:
                more = " …" if len(item.unexpected_rows) > 10 else ""
                lines.append(f"    {say('rows')}: {', '.join(str(r) for r in item.unexpected_rows[:10])}{more}")
    if receipt.problems:
        lines += ["", say("problems")]
        for problem in receipt.problems[:limit]:
            where = []
            if problem.row is not None:
                where.append(f"{say('row')} {problem.row}")
            if problem.column:
                where.append(f"{say('column')} '{problem.column}'")
            if problem.record_id:
                where.append(f"record_id {problem.record_id}")
            message = problem.message_lt if index == 0 else problem.message_en
            lines.append(f"  {problem.severity} [{problem.code}] {', '.join(where) or say('whole_file')}: {message}")
        total = max(receipt.problems_total, len(receipt.problems))
        if total > limit:
            lines.append(f"  … {total - limit} " + say("more").format(max=receipt.problems_listed_max))
    if len(receipt.problem_summary) > 1 or receipt.problems_total > limit:
        lines += ["", say("summary")]
        for item in receipt.problem_summary:
            first = f" ({say('first')} {item.first_row})" if item.first_row is not None else ""
            lines.append(f"  {item.code} ({item.severity}) × {item.count}{first}")
    return "\n".join(lines) + "\n"
