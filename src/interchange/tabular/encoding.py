"""Choosing how to decode a partner's CSV: UTF-8, UTF-8 with BOM or Windows-1257."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from interchange.contract.problems import ProblemError, error

_CHUNK = 1 << 20

# After decoding with surrogateescape: a character that came from a well-formed non-ASCII
# UTF-8 sequence. Python's UTF-8 codec follows RFC 3629 (no overlongs, no surrogates), and
# every byte outside such a sequence becomes a lone surrogate U+DC80..U+DCFF.
_DECODED_MULTIBYTE = re.compile("[^\x00-\x7f\udc80-\udcff]")

# What surrogateescape turns undecodable bytes into.
UNDECODABLE = re.compile(r"[\udc80-\udcff]")

_UTF8_FAMILY = ("utf-8", "utf-8-sig")


@dataclass(frozen=True)
class TextEncoding:
    """How to open the file: codec name and error handler.

    With `errors == "surrogateescape"` the caller must find and drop the cells that hold
    undecodable bytes (see `UNDECODABLE`).
    """

    name: str
    errors: str = "strict"

    @property
    def flags_cells(self) -> bool:
        return self.errors == "surrogateescape"


def choose_encoding(path: Path, forced: str | None = None) -> TextEncoding:
    """Detect (or check the forced) encoding of a CSV file.

    Raises:
        ProblemError: `file.encoding` when the bytes fit neither UTF-8 nor Windows-1257
            (or not the forced encoding), with the line of the first bad byte.
        ValueError: the forced encoding is unknown or not ASCII-compatible.
    """
    if forced is not None:
        return _check_forced(path, forced)
    with path.open("rb") as f:
        if f.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8:
            # Trust the BOM; stray bad bytes are still caught cell by cell.
            return TextEncoding("utf-8-sig", "surrogateescape")
    scan = _scan(path)
    if scan.utf8_ok:
        return TextEncoding("utf-8")
    if scan.multibyte:
        # Real UTF-8 text elsewhere: a few corrupt bytes, not a Windows-1257 file.
        return TextEncoding("utf-8", "surrogateescape")
    if scan.cp1257_bad_line is None:
        return TextEncoding("cp1257")
    raise ProblemError(error("file.encoding", line=scan.cp1257_bad_line))


def _check_forced(path: Path, forced: str) -> TextEncoding:
    try:
        name = codecs.lookup(forced).name
    except LookupError:
        raise ValueError(f"unknown encoding: {forced!r}") from None
    if name in _UTF8_FAMILY:
        return TextEncoding(name, "surrogateescape")
    if "\n".encode(name) != b"\n":
        # Line-aligned chunks below rely on b"\n" never being part of a character.
        raise ValueError(f"only ASCII-compatible encodings are supported, not {name!r}")
    for lines_before, chunk in _line_chunks(path):
        line = _first_bad_line(chunk, name, lines_before)
        if line is not None:
            raise ProblemError(error("file.encoding", line=line))
    return TextEncoding(name)


@dataclass
class _Scan:
    utf8_ok: bool = True
    multibyte: bool = False
    cp1257_bad_line: int | None = None


def _scan(path: Path) -> _Scan:
    scan = _Scan()
    for lines_before, chunk in _line_chunks(path):
        if scan.utf8_ok:
            if _first_bad_line(chunk, "utf-8", 0) is None:
                # A valid UTF-8 chunk with any high byte holds a multi-byte sequence.
                scan.multibyte = scan.multibyte or not chunk.isascii()
                continue
            scan.utf8_ok = False
        scan.multibyte = scan.multibyte or _has_multibyte(chunk)
        if scan.multibyte:
            break  # the verdict is "UTF-8 with corrupt bytes"; no need to read on
        if scan.cp1257_bad_line is None:
            scan.cp1257_bad_line = _first_bad_line(chunk, "cp1257", lines_before)
    return scan


def _has_multibyte(chunk: bytes) -> bool:
    """True when `chunk` holds a well-formed non-ASCII UTF-8 sequence."""
    if chunk.isascii():
        return False
    # The codec is ~50x faster than a byte-pattern regex over a whole file.
    return _DECODED_MULTIBYTE.search(chunk.decode("utf-8", "surrogateescape")) is not None


def _first_bad_line(chunk: bytes, codec: str, lines_before: int) -> int | None:
    try:
        chunk.decode(codec)
    except UnicodeDecodeError as exc:
        return lines_before + chunk.count(b"\n", 0, exc.start) + 1
    return None


def _line_chunks(path: Path) -> Iterator[tuple[int, bytes]]:
    """Yield (lines before the chunk, chunk), each chunk ending at a line break.

    Cutting at b"\n" keeps every multi-byte character inside one chunk.
    """
    lines = 0
    carry = b""
    with path.open("rb") as f:
        while block := f.read(_CHUNK):
            data = carry + block
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                carry = data
                continue
            chunk, carry = data[:cut], data[cut:]
            yield lines, chunk
            lines += chunk.count(b"\n")
    if carry:
        yield lines, carry
