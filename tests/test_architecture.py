"""The layer rule of docs/architecture.md holds, and the check of it would catch a break."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    # lint-imports puts its working folder first on sys.path, so a copy of the tree is read as it is.
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, capture_output=True, text=True, timeout=300)


def contracted_layers() -> list[str]:
    config = tomllib.loads((CHECKOUT / "pyproject.toml").read_text(encoding="utf-8"))
    (layers,) = [c["layers"] for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    return layers


def test_no_layer_imports_a_layer_above_it_and_nothing_below_the_command_line_imports_prefect() -> None:
    result = lint_imports(CHECKOUT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_an_upward_import_breaks_the_check_and_is_named(tmp_path: Path) -> None:
    shutil.copytree(CHECKOUT / "src" / "interchange", tmp_path / "interchange",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(CHECKOUT / "flows", tmp_path / "flows", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(CHECKOUT / "pyproject.toml", tmp_path)
    leaf = tmp_path / "interchange" / "contract" / "codes.py"
    leaf.write_text(leaf.read_text(encoding="utf-8") + "\nfrom interchange.indicators import catalogue  # noqa\n",
                    encoding="utf-8")

    result = lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "interchange.contract is not allowed to import interchange.indicators" in result.stdout
    assert "interchange.contract.codes -> interchange.indicators.catalogue" in result.stdout


def test_the_architecture_page_lists_the_layers_the_check_enforces_in_the_same_order() -> None:
    page = (CHECKOUT / "docs" / "architecture.md").read_text(encoding="utf-8")
    page = page.split("## The rule", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (`[^|]*`(?: \\\| `[^|]*`)*) \|", page, flags=re.MULTILINE)
    documented = [" | ".join(re.findall(r"`([^`]+)`", row)) for row in rows]

    assert documented == contracted_layers()
