"""Peak memory and time of reading hostile partner files, with the readers' default limits.

Each case is generated once into `--dir` and read by `interchange.tabular.read_table` (header and
every row, as ingest reads them) in a fresh Python process. Printed per case: what the reader
answered (the rows read, or the problem code that refused the file), the process's peak RSS
(`getrusage(RUSAGE_SELF).ru_maxrss`, interpreter and imports included), the peak minus the RSS
right after the imports, and the wall and CPU time of the read (CPU time is the steadier figure on a
busy machine).

    wide-csv       one CSV header line of 4,000,000 columns (about 35 MB): used to grow past 10 GB
    strings-xlsx   an XLSX whose shared strings unpack to about 493 MB, compressed under the
                   zip-bomb ratio: used to cost 4.5 GB and 208 s
    strings-limit  an XLSX whose shared strings unpack to just under the default limit (64 MiB):
                   the most a readable workbook of 80-character strings costs
    short-strings  the same with 20-character strings (more strings in the same bytes)
    wide-row-xlsx  one sheet row of 1,000,000 cells: openpyxl builds the whole row (600 MB) before
                   the header's width can be judged, so rows wider than Excel's are refused first
    long-csv       512 columns, 40 records of almost 1 MiB each (the line limit): the most a
                   readable CSV costs per record

    .venv/bin/python benchmarks/hostile_files.py [--dir DIR] [--case NAME ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

MiB = 1024 * 1024

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"

# Runs in the child: imports first (their memory is the baseline), then one full read.
_CHILD = """
import json, resource, sys, time
from pathlib import Path
from interchange.contract.problems import ProblemError
from interchange.tabular import read_table
usage = resource.getrusage(resource.RUSAGE_SELF)
base, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
start = time.perf_counter()
try:
    with read_table(Path(sys.argv[1])) as table:
        rows = sum(1 for _ in table.rows)
    answer = f"read {rows} rows of {len(table.headers)} columns"
except ProblemError as exc:
    answer = "refused: " + ", ".join(p.code for p in exc.problems)
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"answer": answer, "peak_kib": usage.ru_maxrss, "base_kib": base, "seconds": seconds,
                  "cpu": usage.ru_utime + usage.ru_stime - cpu}))
"""


def _wide_csv(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        for start in range(0, 4_000_000, 100_000):
            f.write(",".join(f"c{n}" for n in range(start, start + 100_000)))
            f.write("," if start + 100_000 < 4_000_000 else "\n")
        f.write("x\n")


def _long_csv(path: Path) -> None:
    cell = "y" * 2000  # 512 cells of 2,000 characters: just under 1 MiB a record
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(",".join(f"c{n}" for n in range(512)) + "\n")
        for _ in range(40):
            f.write(",".join([cell] * 512) + "\n")


def _strings_xlsx(path: Path, unpacked_bytes: int, pad: int = 60) -> None:
    """A workbook whose sharedStrings part unpacks to about `unpacked_bytes`, written as a stream."""
    item = 40 + pad  # bytes of one <si> element below
    count = unpacked_bytes // item
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/></Types>'))
        archive.writestr("_rels/.rels", (
            f'<Relationships xmlns="{_PKG_RELS}"><Relationship Id="rId1" Target="xl/workbook.xml" '
            f'Type="{_DOC_RELS}/officeDocument"/></Relationships>'))
        archive.writestr("xl/workbook.xml", (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        archive.writestr("xl/_rels/workbook.xml.rels", (
            f'<Relationships xmlns="{_PKG_RELS}">'
            f'<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="{_DOC_RELS}/worksheet"/>'
            f'<Relationship Id="rId2" Target="sharedStrings.xml" Type="{_DOC_RELS}/sharedStrings"/>'
            '</Relationships>'))
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'<worksheet xmlns="{_MAIN}"><sheetData>'.encode())
            _write_rows(sheet.write, min(count, 100_000))
            sheet.write(b"</sheetData></worksheet>")
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as strings:
            strings.write(f'<sst xmlns="{_MAIN}">'.encode())
            batch = []
            for n in range(count):
                # Unique, partly repetitive text: compresses well, but under the zip-bomb ratio.
                batch.append(f"<si><t>P{n:010d} {n * 7919 % 1000003:07d} {'z' * pad}</t></si>")
                if len(batch) == 10_000:
                    strings.write("".join(batch).encode())
                    batch.clear()
            strings.write("".join(batch).encode() + b"</sst>")


def _wide_row_xlsx(path: Path) -> None:
    """One sheet row of 1,000,000 cells (about 22 MB of XML, compressed 4 times)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/></Types>'))
        archive.writestr("_rels/.rels", (
            f'<Relationships xmlns="{_PKG_RELS}"><Relationship Id="rId1" Target="xl/workbook.xml" '
            f'Type="{_DOC_RELS}/officeDocument"/></Relationships>'))
        archive.writestr("xl/workbook.xml", (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        archive.writestr("xl/_rels/workbook.xml.rels", (
            f'<Relationships xmlns="{_PKG_RELS}">'
            f'<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="{_DOC_RELS}/worksheet"/></Relationships>'))
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'<worksheet xmlns="{_MAIN}"><sheetData><row r="1">'.encode())
            for start in range(0, 1_000_000, 10_000):
                sheet.write("".join(f"<c><v>{n * 7919 % 1000000007}</v></c>"
                                    for n in range(start, start + 10_000)).encode())
            sheet.write(b"</row></sheetData></worksheet>")


def _write_rows(write: Callable[[bytes], object], rows: int) -> None:
    write(b'<row r="1"><c r="A1" t="inlineStr"><is><t>record_id</t></is></c></row>')
    for n in range(1, rows):
        write(f'<row r="{n + 1}"><c r="A{n + 1}" t="s"><v>{n}</v></c></row>'.encode())


CASES: dict[str, Callable[[Path], None]] = {
    "wide-csv": _wide_csv,
    "strings-xlsx": lambda path: _strings_xlsx(path, 493 * 1000 * 1000),
    "strings-limit": lambda path: _strings_xlsx(path, 63 * MiB),
    "short-strings": lambda path: _strings_xlsx(path, 63 * MiB, pad=0),
    "long-csv": _long_csv,
    "wide-row-xlsx": _wide_row_xlsx,
}
_SUFFIX = {"wide-csv": ".csv", "long-csv": ".csv", "strings-xlsx": ".xlsx", "strings-limit": ".xlsx",
           "short-strings": ".xlsx", "wide-row-xlsx": ".xlsx"}


def _describe(path: Path) -> str:
    if path.suffix != ".xlsx":
        return f"{path.stat().st_size / MiB:.0f} MiB"
    if path.stem == "wide-row-xlsx":
        return f"{path.stat().st_size / MiB:.0f} MiB zip, one row of 1,000,000 cells"
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/sharedStrings.xml")
    return (f"{path.stat().st_size / MiB:.0f} MiB zip, shared strings {info.file_size / MiB:.0f} MiB "
            f"(ratio {info.file_size / info.compress_size:.0f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "interchange-hostile")
    parser.add_argument("--case", action="append", choices=sorted(CASES))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    print(f"{'case':<14} {'file':<44} {'answer':<40} {'peak MiB':>9} {'+read MiB':>9} {'seconds':>8} {'cpu s':>7}")
    for name in args.case or list(CASES):
        path = args.dir / f"{name}{_SUFFIX[name]}"
        if not path.exists():
            CASES[name](path)
        done = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, check=True)
        result = json.loads(done.stdout)
        print(f"{name:<14} {_describe(path):<44} {result['answer']:<40} {result['peak_kib'] / 1024:>9.0f} "
              f"{(result['peak_kib'] - result['base_kib']) / 1024:>9.0f} {result['seconds']:>8.2f} "
              f"{result['cpu']:>7.2f}")


if __name__ == "__main__":
    main()
