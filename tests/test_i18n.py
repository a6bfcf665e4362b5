"""The one message catalogue: both languages for every key, every key the code asks for exists, every key is used.

The code is read with `ast`, so a mistyped key fails here rather than as a KeyError in front of a steward.
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from interchange.i18n import CATALOGUE, LANGS

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*(ROOT / "src" / "interchange").rglob("*.py"), *(ROOT / "flows").glob("*.py")])
# The web application's page templates ask for keys as t("web.key") or build them as t("web.role." ~ code).
TEMPLATES = sorted((ROOT / "src" / "interchange" / "web" / "templates").rglob("*.html"))
TEMPLATE_KEY = re.compile(r"""t\(\s*["']([a-z]+\.[a-z0-9_.]*[a-z0-9_])["']\s*[,)]""")
TEMPLATE_PREFIX = re.compile(r"""t\(\s*["']([a-z]+\.[a-z0-9_.]*\.)["']\s*~""")
KEY = re.compile(r"(problem|receipt|partner|steward|demo|error|web|console)\.[a-z][a-z0-9_.]*[a-z0-9_]")
# Template names (render(request, "error.html")) are not keys.
NOT_KEYS = re.compile(r".*\.html")
# Keys the code builds from a prefix and a stored code (a problem's code, a batch state, a step ...):
# which key is asked for depends on the data, so these prefixes count as using every key under them.
BUILT = ("problem.", "receipt.status.", "receipt.count.", "receipt.severity.", "steward.state.", "steward.step.",
         "steward.outcome.", "steward.progress.", "steward.stage.", "demo.step", "demo.where.", "web.role.",
         "web.severity.", "web.every.", "console.decision.", "console.state.", "console.change.", "console.kind.")
# Functions whose first argument is a problem code (contract.problems.error/warning, contract.values._fail).
PROBLEM_MAKERS = {"error", "warning", "_fail"}


def _trees() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text("utf-8"), str(path))) for path in SOURCES]


def _constants() -> set[str]:
    """Every whole string constant of src/ and flows/ outside the catalogue's own tables.

    Not the heads of f-strings, nor the prefixes given to `name_of`: those are `_built_prefixes`.
    """
    found, parts = set(), set()
    for path, tree in _trees():
        if "i18n" in path.parts:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                parts.update(id(value) for value in node.values)
            elif isinstance(node, ast.Call) and _name(node.func) == "name_of" and node.args:
                parts.add(id(node.args[0]))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add((id(node), node.value))
    return {value for ident, value in found if ident not in parts} | {
        key for path in TEMPLATES for key in TEMPLATE_KEY.findall(path.read_text("utf-8"))}


def _built_prefixes() -> set[str]:
    """The constant heads of f-strings (f"steward.state.{code}") and the prefixes given to `name_of`."""
    found = set()
    for _, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                found.add(str(node.values[0].value))
            elif (isinstance(node, ast.Call) and _name(node.func) == "name_of" and node.args
                  and isinstance(node.args[0], ast.Constant)):
                found.add(f"{node.args[0].value}.")
    return found | {prefix for path in TEMPLATES for prefix in TEMPLATE_PREFIX.findall(path.read_text("utf-8"))}


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_message_has_both_languages_with_the_same_placeholders(key: str) -> None:
    texts = CATALOGUE[key]
    assert len(texts) == len(LANGS) and all(isinstance(t, str) and t.strip() for t in texts), key
    lt, en = texts
    assert _fields(lt) == _fields(en), key


def test_every_key_the_code_asks_for_is_in_the_catalogue() -> None:
    asked = {value for value in _constants() if KEY.fullmatch(value) and not NOT_KEYS.fullmatch(value)}
    assert "steward.init_created" in asked, "no keys found: the pattern is out of date"
    assert sorted(asked - set(CATALOGUE)) == []


def test_every_problem_code_the_code_raises_has_its_message() -> None:
    codes = {node.args[0].value for _, tree in _trees() for node in ast.walk(tree)
             if isinstance(node, ast.Call) and _name(node.func) in PROBLEM_MAKERS and node.args
             and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
             and re.fullmatch(r"[a-z_]+\.[a-z_]+", node.args[0].value)}
    assert "value.date" in codes, "no problem codes found: the pattern is out of date"
    assert sorted(code for code in codes if f"problem.{code}" not in CATALOGUE) == []


def test_every_key_in_the_catalogue_is_used() -> None:
    built = _built_prefixes()
    assert sorted(prefix for prefix in BUILT if prefix not in built) == []  # the allowance is still needed
    used = _constants()
    unused = [key for key in CATALOGUE if key not in used and not key.startswith(BUILT)]
    assert unused == []
