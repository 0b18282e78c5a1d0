"""Results documents in every output: wikitext, Confluence storage, Markdown and HTML. Member
text (names, titles, profiles) is inert in each; tables keep their shape."""

from __future__ import annotations

import re

import mwparserfromhell
from bs4 import BeautifulSoup

from connector.confluence.report_render import render_document as storage
from connector.mediawiki.report_render import render_document as wikitext
from page_templates.report import Bullets, Heading, Link, Paragraph, Table, page_template
from sync.results.report.html import _block as html_block
from sync.results.report.markdown import md_escape, render_markdown

EVIL = ("Eve }} | [[Category:X]] ~~~~ {{#invoke:x}} <script>alert(1)</script> __NOTOC__ "
        "]]> <![CDATA[x]]> & *bold* [x](javascript:alert(1))")
DOC = [Heading(f"Title {EVIL}"), Paragraph(f"Intro {EVIL}"), Bullets((EVIL, "second")),
       Table(("Name", "Edits"), ((EVIL, "3"), (Link("CoP_Battery", "Results", EVIL), "12")))]


def test_wikitext_holds_no_markup_from_member_text() -> None:
    text = wikitext(DOC)
    code = mwparserfromhell.parse(text)
    assert code.filter_templates() == []
    links = code.filter_wikilinks()
    assert [str(link.title) for link in links] == ["CoP Battery:Results"]
    assert "<script" not in text and "~~~~" not in text and "__NOTOC__" not in text
    assert text.count("{|") == 1 and text.count("|}") == 1
    rows = re.findall(r"^\|-$", text, re.M)
    assert len(rows) == 2  # two table rows, no cell escaped into a row


def test_wikitext_table_shape() -> None:
    text = wikitext([Table(("Page", "Rows"), (("Watch", "4"),))])
    assert '{| class="wikitable"\n! Page\n! Rows\n|-\n| Watch\n| style="text-align:right" | 4\n|}' \
        in text
    assert "! " not in wikitext([Table(("", ""), (("a", "1"),))])  # no empty header row


def test_storage_holds_no_markup_from_member_text() -> None:
    text = storage(DOC)
    soup = BeautifulSoup(f"<root>{text}</root>", "html.parser")
    assert not soup.find_all(["script", "ac:structured-macro", "ac:plain-text-body"])
    assert [a.get("ri:content-title") for a in soup.find_all("ri:page")] == ["Results"]
    assert "<![CDATA[" not in text and "]]>" not in text
    assert len(soup.find_all("tr")) == 3 and soup.find("h2").get_text().startswith("Title Eve")


def test_markdown_escapes_member_text() -> None:
    text = render_markdown(DOC)
    assert "<script>" not in text and "[x](javascript" not in text and "*bold*" not in text
    assert md_escape("| a |") == r"\| a \|"
    assert md_escape("- not a list") == r"\- not a list"
    assert "| Name | Edits |\n|---|---:|" in text


def test_html_escapes_member_text() -> None:
    html = "".join(html_block(block) for block in DOC)
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.find_all("script")
    assert EVIL in soup.get_text()


def test_page_templates_are_data_in_both_languages() -> None:
    for name in ("results", "portfolio"):
        template = page_template(name)
        assert set(template.title) == {"en", "fr"}
        for block in template.blocks:
            assert block.table or block.type == "alerts" or set(block.text) == {"en", "fr"}
