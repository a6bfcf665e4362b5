"""How much of a partner's file a reader may hold at once, so memory stays bounded whatever arrives.

The defaults fit every real drop seen so far with a wide margin; `InboxSource` in interchange.yaml
can change them per source. docs/ingest.md gives the memory each one costs.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_COLUMNS = 512
# Excel's own limit is 32,767 characters a cell.
MAX_CELL_CHARS = 32 * 1024
MAX_LINE_CHARS = 1024 * 1024
MAX_UNPACKED_BYTES = 500 * 1024 * 1024
# openpyxl holds every shared string of a workbook in memory, at 2.5 to 5 times its XML size
# (benchmarks/hostile_files.py): 64 MiB costs at most about 330 MiB.
MAX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024
MAX_JSON_DEPTH = 32


@dataclass(frozen=True)
class ReadLimits:
    """Limits a reader enforces before it holds more than they allow.

    Attributes:
        max_columns: columns in the header (CSV, XLSX) or distinct keys (JSON Lines).
        max_cell_chars: characters in one cell; a longer cell is a row problem.
        max_line_chars: characters in one CSV record (with its quoted line breaks) or JSON line.
        max_unpacked_bytes: what an XLSX file's zip entries unpack to, together.
        max_shared_strings_bytes: what an XLSX file's shared-strings part unpacks to.
        max_json_depth: nesting of objects and lists in one JSON line.
    """

    max_columns: int = MAX_COLUMNS
    max_cell_chars: int = MAX_CELL_CHARS
    max_line_chars: int = MAX_LINE_CHARS
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES
    max_shared_strings_bytes: int = MAX_SHARED_STRINGS_BYTES
    max_json_depth: int = MAX_JSON_DEPTH


DEFAULT_LIMITS = ReadLimits()
