"""Reading partner files (CSV, XLSX, JSON Lines) into raw rows, without interpreting values.

Nothing from a cell value ever reaches an exception, a Problem or a log line.
"""

from .limits import DEFAULT_LIMITS, ReadLimits
from .read import read_table
from .table import RawRow, RowStream, Table

__all__ = ["DEFAULT_LIMITS", "RawRow", "ReadLimits", "RowStream", "Table", "read_table"]
