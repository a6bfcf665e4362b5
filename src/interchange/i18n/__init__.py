"""The one message catalogue: every sentence a person reads, in Lithuanian and English.

Keys are namespaced by who reads them: `problem.*` (a row or file problem, in receipts and the
partner's check), `receipt.*` (receipt labels), `partner.*` (the partner kit), `steward.*` (the
hub's commands and screens), `demo.*` (`interchange demo`), `web.*` (the web application and its
accounts), `console.*` (its steward console and ministry view), `error.*` (errors of the package,
see `interchange.errors`). Each namespace is one module of this package holding a table
`TEXT: {key: (lt, en)}` without its prefix; `say("steward.init_created", lang, root=...)` fills
one in. Renderers that lay these out as screens live next to the commands that print them, not
here. `tests/test_i18n.py` checks that every key has both languages with the same placeholders,
that every key the code asks for exists and that every key is used.

The language is `--lang lt|en`; without it, `default_lang()` decides from the environment:

1. `INTERCHANGE_LANG` when it is `lt` or `en`;
2. else the first of `LC_ALL`, `LC_MESSAGES`, `LANG` that is set: Lithuanian when it starts
   with `lt` (`lt_LT.UTF-8`), English otherwise (`C.UTF-8`, `en_GB.UTF-8`);
3. else English.

Messages carry organisation codes, batch ids, record ids, row numbers, counts, states, dates and
paths: never a record value. Bottom layer: imports nothing of the package.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType

from interchange.i18n import console, demo, error, partner, problem, receipt, steward, web

LANGS = ("lt", "en")

_NAMESPACES = {
    "problem": problem.TEXT,
    "receipt": receipt.TEXT,
    "partner": partner.TEXT,
    "steward": steward.TEXT,
    "demo": demo.TEXT,
    "error": error.TEXT,
    "web": web.TEXT,
    "console": console.TEXT,
}

CATALOGUE: Mapping[str, tuple[str, str]] = MappingProxyType({
    f"{namespace}.{key}": texts for namespace, table in _NAMESPACES.items() for key, texts in table.items()
})


def default_lang(environ: Mapping[str, str] | None = None) -> str:
    """The reader's language from the environment (see the module docstring): `lt` or `en`."""
    env = os.environ if environ is None else environ
    chosen = (env.get("INTERCHANGE_LANG") or "").strip().lower()
    if chosen in LANGS:
        return chosen
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return "lt" if value.lower().startswith("lt") else "en"
    return "en"


def say(key: str, lang: str, **params: object) -> str:
    """The message `key` (with its namespace) in `lang`, filled in."""
    lt, en = CATALOGUE[key]
    return (lt if lang == "lt" else en).format(**params)


def has(key: str) -> bool:
    return key in CATALOGUE


def name_of(prefix: str, code: str | None, lang: str) -> str:
    """What the catalogue calls a stored `code` under `prefix` (`steward.state`, `steward.step` ...).

    A code it does not name is shown as it is, and no code as nothing.
    """
    if code is None:
        return ""
    key = f"{prefix}.{code}"
    return say(key, lang) if key in CATALOGUE else code
