"""The Watch page on both page formats since it lists its sources and has a to-review
section: sources are rows of their own kind on it; proposed rows go under "To review"
(MediaWiki: after the section's heading; Confluence: a table of their own under it) and
read as watch rows wherever they stand; hostile values stay text; an upgrade brings both
sections to a page made before them, rows untouched."""

from __future__ import annotations

import re

import pytest
from msgspec.structs import replace
from storage_editor import rows_table_number

from connector.base import PageCodec, PageContext, PageRef, RowChange
from connector.confluence.storage import StorageCodec
from connector.confluence.xml_escape import parse_storage
from connector.mediawiki.wikitext import WikitextCodec
from page_templates import shipped
from page_templates.errors import TemplateDefinitionError
from page_templates.loader import parse_kind
from page_templates.values import normalize_row

T = shipped()
WATCH, SOURCE = T["watch"], T["source"]
CODECS = [WikitextCodec(), StorageCodec()]
IDS = ["wikitext", "storage"]
KEPT = {"date": "2026-10-01", "title": "Kept by a member", "url": "https://kept.example/1",
        "source": "Lab", "summary": "", "tags": "cells"}
FEED = {"url": "https://journal.example/rss", "name": "Journal", "tags": "sodium, anodes"}
INJECTIONS = ["{{CoP member|email=eve@evil.example}}", "}}", "|", "[[Category:Hacked]]",
              "~~~~", "<script>alert(1)</script>", "__NOTOC__", "{{#invoke:x}}",
              '<ac:structured-macro ac:name="html">', "]]>", "<![CDATA[x]]>", "&lt;b&gt;",
              "----", "<nowiki>", "</nowiki>"]
EVIL = "Eve " + " ".join(INJECTIONS)


def context(lang: str = "en") -> PageContext:
    return PageContext(lang=lang, space="S", values={"name": "Battery"},
                       pages={"watch": PageRef("S", "Watch")})


def page(codec: PageCodec, lang: str = "en", sources=(FEED,)) -> str:
    return codec.render_page(WATCH, context(lang), [KEPT], {"source": list(sources)})


def read(codec: PageCodec, content: str, kind=WATCH) -> list[dict[str, str]]:
    parsed = codec.parse_rows(content, kind, "S:Watch")
    assert parsed.problems == ()
    return [normalize_row(kind, raw.values)[0] for raw in parsed.rows]


def proposal(n: int, title: str = "") -> RowChange:
    values = {"date": f"2026-11-{n:02d}", "title": title or f"Entry {n}",
              "url": f"https://journal.example/{n}", "source": "Journal",
              "summary": f"Summary {n}", "tags": "sodium, anodes"}
    return RowChange("add", values["url"], values, section="review")


def review_part(codec: PageCodec, content: str) -> str:
    """The page between the to-review section's heading and the next heading."""
    if isinstance(codec, WikitextCodec):
        after = re.split(r"^==+ *(?:To review|À examiner) *==+ *$", content, flags=re.M)[1]
        return re.split(r"^==", after, maxsplit=1, flags=re.M)[0]
    after = re.split(r"<h[1-6][^>]*>(?:To review|À examiner)</h[1-6]>", content)[1]
    return re.split(r"<h[1-6][ >]", after, maxsplit=1)[0]


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("codec", CODECS, ids=IDS)
def test_the_watch_page_lists_its_sources_apart_from_its_items(codec: PageCodec,
                                                               lang: str) -> None:
    content = page(codec, lang)
    assert read(codec, content) == [KEPT]
    assert read(codec, content, SOURCE) == [FEED]
    heading = {"en": "To review", "fr": "À examiner"}[lang]
    assert heading in content and {"en": "Sources", "fr": "Sources"}[lang] in content
    # a source added by a member is a row of its own kind, the watch items untouched
    added = codec.apply_changes(content, SOURCE, [RowChange(
        "add", "https://office.example/atom", {"url": "https://office.example/atom",
                                               "name": "Office", "tags": ""})], lang)
    assert [s["name"] for s in read(codec, added, SOURCE)] == ["Journal", "Office"]
    assert read(codec, added) == [KEPT]


@pytest.mark.parametrize("codec", CODECS, ids=IDS)
def test_proposed_rows_go_under_to_review_and_read_as_watch_rows(codec: PageCodec) -> None:
    content = codec.apply_changes(page(codec), WATCH, [proposal(2), proposal(3)], "en")
    titles = [row["title"] for row in read(codec, content)]
    assert titles == ["Entry 2", "Entry 3", "Kept by a member"]  # down the page
    between = review_part(codec, content)
    assert "Entry 2" in between and "Entry 3" in between and "Kept" not in between
    # a later run adds after the rows already waiting there
    later = codec.apply_changes(content, WATCH, [proposal(4)], "en")
    assert [row["title"] for row in read(codec, later)] == \
        ["Entry 2", "Entry 3", "Entry 4", "Kept by a member"]
    assert read(codec, later, SOURCE) == [FEED]


@pytest.mark.parametrize("codec", CODECS, ids=IDS)
def test_a_row_moved_out_of_to_review_is_the_same_row(codec: PageCodec) -> None:
    content = codec.apply_changes(page(codec), WATCH, [proposal(2)], "en")
    kept = read(codec, content)
    # a member moves it: with the source editor, cut and paste under "Watch items"
    if isinstance(codec, WikitextCodec):
        line = next(li for li in content.splitlines() if "Entry 2" in li)
        moved = content.replace(line + "\n", "").replace(
            "{{CoP watch|date=2026-10-01", line + "\n{{CoP watch|date=2026-10-01")
    else:  # Confluence's "cut row" / "paste row": the row leaves one table for the other
        soup = parse_storage(content)
        row = next(tr for tr in soup.find_all("tr") if "Entry 2" in tr.get_text())
        items = soup.find_all("table")[rows_table_number(soup)]  # by its columns
        items.find_all("tr")[-1].insert_after(row.extract())
        moved = str(soup)
    assert "Entry 2" not in review_part(codec, moved)
    assert sorted(kept, key=str) == sorted(read(codec, moved), key=str)


@pytest.mark.parametrize("codec", CODECS, ids=IDS)
def test_without_its_to_review_section_a_proposal_goes_with_the_items(codec: PageCodec) -> None:
    # a member deleted the section: its heading and its text, up to the next heading
    content = page(codec)
    if isinstance(codec, WikitextCodec):
        content = re.sub(r"^== To review ==\n.*?(?=^== )", "", content, flags=re.S | re.M)
    else:
        content = re.sub(r"<h2>To review</h2>.*?(?=<h2>)", "", content, flags=re.S)
    assert "To review ==" not in content and "<h2>To review" not in content
    assert "arrive here" not in content and read(codec, content) == [KEPT]
    added = codec.apply_changes(content, WATCH, [proposal(2)], "en")
    assert [row["title"] for row in read(codec, added)] == ["Kept by a member", "Entry 2"]


@pytest.mark.parametrize("codec", CODECS, ids=IDS)
def test_feed_text_proposed_stays_text(codec: PageCodec) -> None:
    change = proposal(5, title=EVIL)
    change = replace(change, values={**change.values, "summary": EVIL, "source": EVIL})
    content = codec.apply_changes(page(codec), WATCH, [change], "en")
    (row,) = [r for r in read(codec, content) if r["url"] == "https://journal.example/5"]
    assert row["title"] == row["summary"] == row["source"] == " ".join(EVIL.split())
    if isinstance(codec, WikitextCodec):
        for raw in ("{{CoP member", "[[Category:", "~~~~", "<script>", "__NOTOC__", "}}|"):
            assert raw not in review_part(codec, content).replace("{{CoP watch|", ""), raw
    else:
        soup = parse_storage(content)
        macros = {m.get("ac:name") for m in soup.find_all("ac:structured-macro")}
        assert macros == set()  # the page has none: no html macro, no script
        assert soup.find("script") is None


@pytest.mark.parametrize("codec", CODECS, ids=IDS)
def test_rows_in_the_to_review_table_are_changed_and_removed_like_the_others(
        codec: PageCodec) -> None:
    content = codec.apply_changes(page(codec), WATCH, [proposal(2), proposal(3)], "en")
    changed = codec.apply_changes(content, WATCH, [
        RowChange("update", "https://journal.example/2", {"summary": "Read it"}),
        RowChange("remove", "https://journal.example/3")], "en")
    rows = read(codec, changed)
    assert [(r["title"], r["summary"]) for r in rows] == [("Entry 2", "Read it"),
                                                          ("Kept by a member", "")]


def old_watch():
    """The Watch page's kind as shipped before its sources and to-review sections."""
    kept = tuple(s for s in WATCH.sections if s.id in ("intro", "rows", "howto"))
    return replace(WATCH, version=1, sections=kept, parts=())


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("codec", CODECS, ids=IDS)
def test_an_upgrade_brings_sources_and_to_review_rows_untouched(codec: PageCodec,
                                                                lang: str) -> None:
    before = codec.render_page(old_watch(), context(lang), [KEPT])
    upgraded = codec.upgrade_page(before, WATCH, context(lang))
    assert upgraded.drift == ()
    assert {"new section 'review'", "new section 'source'",
            "new section 'source-help'"} <= set(upgraded.changes)
    content = upgraded.content
    assert read(codec, content) == [KEPT]
    assert read(codec, content, SOURCE) == []
    if isinstance(codec, StorageCodec):  # members add sources to a table: it is there
        assert "table of the source rows added" in upgraded.changes
        assert len(parse_storage(content).find_all("table")) == 2
    # a member adds a source; the sync proposes under "To review"
    content = codec.apply_changes(content, SOURCE, [RowChange("add", FEED["url"], FEED)],
                                  lang)
    content = codec.apply_changes(content, WATCH, [proposal(2)], lang)
    assert read(codec, content, SOURCE) == [FEED]
    assert [r["title"] for r in read(codec, content)] == ["Entry 2", "Kept by a member"]
    assert codec.upgrade_page(content, WATCH, context(lang)).changes == ()  # once only


def test_a_watch_table_sharing_a_label_is_never_the_sources_table() -> None:
    codec = StorageCodec()
    before = codec.render_page(old_watch(), context(), [KEPT])
    # a page without the sources' section: its one table names "Tags", never a source key
    assert codec.parse_rows(before, SOURCE, "S:Watch").rows == ()


def test_to_review_is_one_section_of_a_list_kind() -> None:
    base = {"kind": "k", "title": {"en": "K"}, "row_template": "K", "keys": [["a"]],
            "fields": [{"name": "a", "type": "text", "label": {"en": "A"}}]}
    rows = {"id": "rows", "rows": True}
    parse_kind({**base, "sections": [{"id": "r", "to_review": True}, rows]}, "k.toml")
    for sections in ([{"id": "r", "to_review": True}, {"id": "s", "to_review": True}, rows],
                     [{"id": "r", "to_review": True, "rows": True}]):
        with pytest.raises(TemplateDefinitionError):
            parse_kind({**base, "sections": sections}, "k.toml")
    with pytest.raises(TemplateDefinitionError):
        parse_kind({"kind": "p", "title": {"en": "P"},
                    "sections": [{"id": "r", "to_review": True}]}, "p.toml")
