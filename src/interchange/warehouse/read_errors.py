"""What a failed read of the warehouse as Arrow columns says (warehouse/arrow_reader.py)."""

from __future__ import annotations

from interchange.errors import InterchangeError, mask_secrets


class ArrowReadError(InterchangeError, RuntimeError):
    """Reading the warehouse through its Arrow driver failed; the message names what was read."""


def read_error(name: str, kind: str, text: str) -> ArrowReadError:
    """The error of a read of `name` that failed with the driver's error class `kind` saying `text`
    (the driver's words: a table, a lock, a file; never a row's values)."""
    return ArrowReadError(f"reading {name} from the warehouse failed ({kind}): {mask_secrets(text)}")


__all__ = ["ArrowReadError", "read_error"]
