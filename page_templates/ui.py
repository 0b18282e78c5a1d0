"""Small user-interface sentences (French and English) for generated help and documentation.

Kept as data in ``ui.toml`` next to the page kinds, so a translation is a text edit; a
company's override directory may change them and add languages (``ui.toml`` there, merged
per key and language). Each PageKind carries the sentences it is rendered with (``kind.ui``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import tomli  # the compiled tomllib: see pyproject.toml

from .model import UiTexts, localize

UI_FILE = Path(__file__).parent / "ui.toml"
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@cache
def ui_texts() -> Mapping[str, Mapping[str, str]]:
    """Every shipped UI sentence: key -> {lang: text} (read once)."""
    with UI_FILE.open("rb") as handle:
        return tomli.load(handle)


def placeholders(text: str) -> set[str]:
    """The ``{name}`` placeholders a sentence uses."""
    return set(_PLACEHOLDER.findall(text))


def ui_text(key: str, lang: str, texts: UiTexts | None = None, **values: str) -> str:
    """The sentence ``key`` in ``lang`` (English when missing), placeholders filled.

    ``texts`` are the sentences to use (a kind's ``ui``); the shipped ones when None or
    empty. Only ``{name}`` tokens named in ``values`` are replaced (not ``str.format``), so
    braces in values or in the sentence itself are left alone. Raises KeyError for an
    unknown key.
    """
    text = localize((texts or ui_texts())[key], lang)
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group()), text)
