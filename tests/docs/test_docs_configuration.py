"""Every setting cop.toml accepts is documented: shown in a `cop.toml` example of the docs
(a marked `toml` block, which tests/docs/test_docs_examples.py loads), set or commented out.
What the loader accepts is asked of the loader itself: its refusal of an unknown setting
names every setting of the section."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from doc_blocks import all_blocks, uncommented

from connector.errors import ConfigError
from sync.config.loader import parse

A_WIKI = {"mediawiki": {"url": "https://wiki.corp.example/w/"}}
EXPECTED = re.compile(r"expected one of: ([^)]*)\)")
PROBE = "zz_not_a_setting"


def accepted(section: str = "") -> list[str]:
    """The settings the loader accepts in ``section`` (the sections themselves for "")."""
    data: dict[str, Any] = {**A_WIKI}
    if not section:
        data[PROBE] = 1
    else:
        data[section] = {**data.get(section, {}), PROBE: 1}
    try:
        parse(data, Path("cop.toml"))
    except ConfigError as error:
        found = EXPECTED.search(str(error))
        assert found, str(error)
        return [name.strip() for name in found[1].split(",")]
    raise AssertionError(f"[{section}] accepted an unknown setting")


def documented() -> set[str]:
    """`section.key` of every setting shown in the docs' cop.toml examples, commented-out
    lines included (`# ca_bundle = "…"` documents the setting)."""
    shown: set[str] = set()
    for block in all_blocks():
        if block.kind != "toml" or block.arg:
            continue
        for text in (block.code, uncommented(block.code)):
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError:
                continue
            shown |= {f"{name}.{key}" for name, table in data.items()
                      if isinstance(table, dict) for key in table}
    return shown


def test_every_setting_is_in_a_documented_example() -> None:
    shown = documented()
    settings = [f"{section}.{key}" for section in accepted() for key in accepted(section)]
    assert len(settings) > 20
    missing = [setting for setting in settings if setting not in shown]
    assert not missing, f"settings no cop.toml example of docs/ shows: {missing}"
