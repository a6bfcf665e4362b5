"""The pre-flight check: is this drop file what the hub will accept? No hub needed."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from interchange.contract.column_names import header_row_is_data, hide_unquotable
from interchange.contract.consent import ConsentCount
from interchange.contract.manifest import Manifest, manifest_path
from interchange.contract.personal_code import holds_personal_code
from interchange.contract.problems import ProblemError, Severity, error
from interchange.contract.records import SCHEMA_VERSION, Kind
from interchange.contract.rows import HeaderMap, RecordIds, guess_kind, map_headers, validate_row
from interchange.contract.text import key_of
from interchange.partner.code_scan import CodeScan
from interchange.partner.columns import ColumnMapping, known_header_keys
from interchange.partner.identifiers import identifier_keys
from interchange.partner.report import FileReport
from interchange.tabular import DEFAULT_LIMITS, ReadLimits, read_table


def check_drop(path: Path, *, kind: Kind | None = None, org: str | None = None,
               encoding: str | None = None, columns: ColumnMapping | None = None,
               limits: ReadLimits = DEFAULT_LIMITS) -> FileReport:
    """Validate a drop file, and its manifest when one lies beside it.

    Args:
        path: the drop file (CSV, XLSX or JSON Lines).
        kind: the record kind; else the manifest's, else told from the header.
        org: the sending organisation; else the manifest's; else each row's own.
        encoding: force a CSV encoding instead of detecting it.
        columns: the partner's own column names mapped to the contract's (`--columns`).
        limits: what reading the file may hold at once (the hub passes its inbox's own).
    """
    report = FileReport(source=path, kind=str(kind) if kind else None)
    manifest = _read_manifest(path, report)
    if manifest is not None:
        kind = kind or Kind(manifest.kind)
        org = org or manifest.org
    try:
        table = read_table(path, encoding=encoding, limits=limits)
    except ProblemError as exc:
        report.problems += exc.problems
        return report
    with table:
        mapped_identifiers = set(columns.identifier_headers(table.headers)) if columns else set()
        identifier_columns = [h for h in table.headers
                              if key_of(h) in identifier_keys() or h in mapped_identifiers]
        report.problems += [error("header.identifier", column=h) for h in identifier_columns]
        known = known_header_keys(columns)
        coded = [position for position, h in enumerate(table.headers, start=1) if holds_personal_code(h)]
        report.problems += [error("header.personal_code", position=position) for position in coded]
        if coded or (not identifier_columns and header_row_is_data(table.headers, known)):
            # The first record was read as the header: nothing of it may be shown as a column name.
            if not coded:
                report.problems.append(error("file.no_header"))
            return report
        headers_to_map = [h for h in table.headers if h not in identifier_columns]
        aliases = columns.by_kind() if columns else {}
        kind = kind or guess_kind(headers_to_map, supplied=["org"] if org else [], extra_aliases=aliases)
        if kind is None:
            report.problems.append(error("kind.unknown", kinds=", ".join(k.value for k in Kind)))
            return report
        report.kind = str(kind)
        headers = map_headers(kind, headers_to_map, supplied=["org"] if org else [],
                              extra_aliases=aliases.get(kind))
        report.problems += headers.problems
        if headers.fatal:
            return report
        scan = CodeScan(table.headers, frozenset(identifier_columns))  # a personal code in any other cell
        try:
            _check_rows(scan.watch(table.rows), kind, headers, org, report)
        except ProblemError as exc:  # the file broke part-way: the rows before still count
            report.problems += exc.problems
        said = {(p.row, p.column) for p in report.problems if p.code == "value.personal_code"}
        report.problems += [p for p in scan.problems(known)
                            if p.code != "value.personal_code" or (p.row, p.column) not in said]
        report.problems = hide_unquotable(report.problems, table.headers, known)
    if manifest is not None:
        _verify_manifest(path, manifest, kind, report)
    if report.rows_read == 0 and not report.errors:
        report.problems.append(error("file.no_rows"))
    return report


def _check_rows(rows: Any, kind: Kind, headers: HeaderMap, org: str | None,
                report: FileReport) -> None:
    ids = RecordIds()
    consent = ConsentCount()
    try:
        for raw_row in rows:
            report.rows_read += 1
            report.problems += raw_row.problems
            if any(p.severity is Severity.ERROR for p in raw_row.problems):
                continue
            result = validate_row(kind, raw_row.number, raw_row.values, headers, org=org)
            report.problems += result.problems
            repeated = ids.repeat(result, headers.column_of("record_id"))
            if repeated is not None:
                report.problems.append(repeated)
            elif result.record is not None:
                report.rows_accepted += 1
                if kind is Kind.PERSON and not result.record.deleted:
                    consent.add(result.record.consent_reporting)  # type: ignore[attr-defined]
    finally:  # also when the file broke part-way: the rows before it still count
        if kind is Kind.PERSON:
            report.persons_without_consent = consent.without
            report.problems += consent.problems()


def _read_manifest(path: Path, report: FileReport) -> Manifest | None:
    location = manifest_path(path)
    if not location.is_file():
        return None
    try:
        return Manifest.model_validate_json(location.read_bytes())
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) or "file" for e in exc.errors()})
        report.problems.append(error("manifest.unreadable", column=location.name,
                                     reason="invalid fields: " + ", ".join(fields)))
        return None


def _verify_manifest(path: Path, manifest: Manifest, kind: Kind, report: FileReport) -> None:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    if digest.hexdigest() != manifest.sha256:
        report.problems.append(error("manifest.sha256"))
    if manifest.row_count != report.rows_read:
        report.problems.append(error("manifest.row_count", expected=manifest.row_count,
                                     found=report.rows_read))
    if manifest.kind != kind:
        report.problems.append(error("manifest.kind", expected=manifest.kind, found=str(kind)))
    if manifest.schema_version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        report.problems.append(error("manifest.schema_version", expected=SCHEMA_VERSION,
                                     found=manifest.schema_version))
