"""Which drop file names the hub takes as they are, and how any name is shown to people.

The partner (or its copy tool) chose the name: it may be bytes that are not UTF-8 (Python hands
those over as lone surrogates), carry terminal escape sequences, newlines or right-to-left
overrides, or be too long to have a manifest beside it. Such a name never reaches a terminal, a
log, a receipt or the warehouse as it is: only `visible_name`'s escaped form does.
"""

from __future__ import annotations

from interchange.contract.manifest import MANIFEST_SUFFIX
from interchange.contract.problems import Problem, error

# The name and its manifest's name (`<name>.manifest.json`) must both fit in a file name (255
# bytes on Linux, macOS and Windows file systems), or the manifest could never be looked for.
MAX_NAME_BYTES = 255 - len(MANIFEST_SUFFIX.encode())
# batches.file_name holds 255 characters; an escaped name can be four times its length.
_MAX_SHOWN = 200
_SHORT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def visible_name(name: str) -> str:
    """`name` with every byte that is not UTF-8 and every control or format character escaped
    (`\\xff`, `\\x1b`, `\\n`, `\\u202e`), cut to 200 characters: safe to print and store."""
    shown = _escaped(name)
    return shown if len(shown) <= _MAX_SHOWN else shown[:_MAX_SHOWN - 1] + "…"


def _escaped(name: str) -> str:
    return "".join(_visible(char) for char in name)


def _visible(char: str) -> str:
    if char.isprintable():
        return char
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, as os.fsdecode hands it over
        return f"\\x{code - 0xDC00:02x}"
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def name_problem(name: str) -> Problem | None:
    """Why the hub does not take a file named `name`, or None when it does."""
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:  # not UTF-8 on disk
        return error("file.name", limit=MAX_NAME_BYTES)
    if size > MAX_NAME_BYTES or _escaped(name) != name:
        return error("file.name", limit=MAX_NAME_BYTES)
    return None
