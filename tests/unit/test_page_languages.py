"""Pages provisioned in French are entirely in French, and in English entirely in English:
titles, labels, help, prose and UI sentences, on both page formats (rows' values are data;
the row template's English parameter names are the contract)."""

from __future__ import annotations

import pytest
from languages import foreign_in, shown_storage, shown_wikitext

from connector.base import PageCodec, PageContext, PageRef
from connector.confluence.storage import StorageCodec
from connector.mediawiki.support import template_source
from connector.mediawiki.wikitext import WikitextCodec
from page_templates import LANGUAGES, shipped

T = shipped()
ROW = {"members": {"email": "a@corp.example", "name": "Ann", "role": "pilot"},
       "regulation": {"ref": "EU-1", "title": "Batteries", "status": "in-force"}}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("codec", [WikitextCodec(), StorageCodec()], ids=["wikitext", "storage"])
def test_every_page_is_entirely_in_its_language(codec: PageCodec, lang: str) -> None:
    wikitext = codec.format == "wikitext"
    kinds = [k for k in T.page_kinds if wikitext or k.kind != "home"]  # parts: no page
    space = "CoP_Battery" if wikitext else "BATTERY"
    context = PageContext(lang, space, {"name": "Battery", "theme": "Energy"},
                          {k.kind: PageRef(space, k.title[lang]) for k in kinds})
    for kind in kinds:
        rows = [ROW[kind.kind]] if kind.kind in ROW else []
        content = codec.render_page(kind, context, rows)
        shown = shown_wikitext(content) if wikitext else shown_storage(content)
        assert foreign_in(shown, T, lang) == [], (kind.kind, shown)
        rows_title = next(s.title for s in kind.sections if s.rows or s.index)
        assert rows_title[lang] in shown


def test_the_checker_finds_a_foreign_text() -> None:
    assert foreign_in("Liste des membres, Add yourself", T, "fr") == ["Add yourself"]


def test_the_charter_box_shows_labels_in_the_page_language() -> None:
    source = template_source(T["charter"])
    assert "{{#switch:{{{lang|}}}|fr=Pilote|#default=Pilot}}" in source
