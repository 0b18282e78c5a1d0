"""Small user-interface sentences (French and English) for generated help and documentation.

Kept as data in ``ui.toml`` next to the page kinds, so a translation is a text edit.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from .model import localize

UI_FILE = Path(__file__).parent / "ui.toml"
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@cache
def ui_texts() -> Mapping[str, Mapping[str, str]]:
    """Every UI sentence: key -> {lang: text} (read once)."""
    with UI_FILE.open("rb") as handle:
        return tomllib.load(handle)


def ui_text(key: str, lang: str, **values: str) -> str:
    """The sentence ``key`` in ``lang`` (English when missing), placeholders filled.

    Only ``{name}`` tokens named in ``values`` are replaced (not ``str.format``), so braces in
    values or in the sentence itself are left alone. Raises KeyError for an unknown key.
    """
    texts = ui_texts()[key]
    text = localize(texts, lang)
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group()), text)
