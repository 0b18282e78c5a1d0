"""The texts of what is new, sent out: the Atom feeds and the e-mail digests (news.toml),
in French and English (a missing language falls back to English)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from .model import localize

NEWS_FILE = Path(__file__).parent / "news.toml"
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@cache
def _data() -> Mapping[str, Any]:
    with NEWS_FILE.open("rb") as handle:
        return tomllib.load(handle)


def news_text(key: str, lang: str, **values: object) -> str:
    """The text ``key`` ("feed.title", "digest.greeting", ...) in ``lang``, its
    ``{placeholders}`` filled from ``values`` (others left as they are). Values are
    inserted as they are: escaping is the caller's (XML, HTML). Raises KeyError for an
    unknown key."""
    section, _, name = key.partition(".")
    text = localize(_data()[section][name], lang)
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values
                            else m.group(), text)
