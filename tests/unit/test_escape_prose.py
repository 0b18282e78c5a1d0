"""Company prose: readable in the source editor, yet never accidental markup."""

from __future__ import annotations

import mwparserfromhell
import pytest

from connector.mediawiki.escape import escape_prose


@pytest.mark.parametrize("text", ["l'équipe R&D ; voir : ici = là", "Rock 'n' roll"])
def test_ordinary_prose_is_left_as_typed(text: str) -> None:
    assert escape_prose(text) == text


@pytest.mark.parametrize("text", [
    "''italic'' and '''bold'''", "[[Category:X]]", "{{tpl}}", "~~~~", "__NOTOC__",
    "<b>x</b>", "&amp;", "https://x.example", "* list", "= heading =", "; term", "----",
])
def test_markup_in_prose_is_escaped_and_reads_back(text: str) -> None:
    escaped = escape_prose(text)
    code = mwparserfromhell.parse(escaped)
    assert not code.filter_templates() and not code.filter_wikilinks()
    assert not code.filter_tags() and not code.filter_external_links()
    assert code.strip_code(normalize=True, collapse=False) == text
