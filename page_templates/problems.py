"""What a member should fix on a page, said in the community's language (problems.toml).

The sync records each problem with a stable code and its parameters (connector.errors
.RowProblem, sync.records StoredProblem); ``problem_text`` turns them into a sentence in a
language, for the notice on the page and ``cop status``. Codes are data: a translation, or a
company's wording, is a text edit of problems.toml.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from .model import localize

PROBLEMS_FILE = Path(__file__).parent / "problems.toml"
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# What a quoted value may show of itself in a sentence (a whole summary is not useful there).
QUOTE_LIMIT = 120
# The code of a value only the records set (sync.engine.governance), here so that a reader
# of problems (`cop status`) needs not load the governance rules.
GOVERNED = "governed_value"


@cache
def problem_texts() -> Mapping[str, Mapping[str, str]]:
    """Every problem code -> {lang: sentence} (read once)."""
    with PROBLEMS_FILE.open("rb") as handle:
        return tomllib.load(handle)


def problem_text(code: str, lang: str, params: Mapping[str, str],
                 fallback: str = "") -> str:
    """The sentence of problem ``code`` in ``lang`` (English when missing), its
    ``{placeholders}`` filled from ``params`` (a missing one is left as written).
    ``fallback`` (the English message a problem was recorded with) is returned for a code
    this version does not know (a problem recorded by a newer version)."""
    texts = problem_texts().get(code)
    if texts is None:
        return fallback
    return _PLACEHOLDER.sub(lambda m: params.get(m.group(1), m.group()), localize(texts, lang))


def quoted(value: str, limit: int = QUOTE_LIMIT) -> str:
    """``value`` as a problem's parameter shows it: on one line, cut at ``limit``."""
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
