import csv
from pathlib import Path

import pytest

from interchange.partner.keys import PseudonymKey, write_new_key


@pytest.fixture
def key(tmp_path: Path) -> PseudonymKey:
    return write_new_key(tmp_path / "partner.key")


@pytest.fixture
def key_file(tmp_path: Path, key: PseudonymKey) -> Path:
    return tmp_path / "partner.key"


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8",
              delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as stream:
        csv.writer(stream, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return path


def read_drop(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))
