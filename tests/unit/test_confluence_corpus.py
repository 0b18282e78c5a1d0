"""The corpus of pages as Confluence Cloud's and Data Center's editors store them
(tests/fixtures/confluence_corpus): every page reads row by row, field by field; the
editors' rewriting never reads as an edit of a template section, so an upgrade reaches
every section (the lists included); rows cop-connector adds or removes follow the table's
own shape (cells in paragraphs, numbering cells, <thead>/<tbody>)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag
from confluence_corpus import (
    COMMUNITIES,
    KINDS,
    NUMBERED,
    OWN_COLUMNS,
    ROWS,
    Community,
    page,
)

from connector.base import PageContext, PageRef, RowChange
from connector.confluence.storage import StorageCodec
from connector.confluence.storage_canonical import canonical_storage
from connector.confluence.storage_regions import BlockDoc
from connector.confluence.xml_escape import parse_storage, write_back
from page_templates import PageKind, TemplateSet, load_templates, localize, shipped
from page_templates.values import normalize_row, row_key

CODEC = StorageCodec()
PAGES = [(deployment, kind) for deployment in COMMUNITIES for kind in KINDS]
IDS = [f"{deployment}-{kind}" for deployment, kind in PAGES]
ANCHOR = re.compile(r'<p[^>]*><ac:structured-macro ac:name="anchor".*?</ac:structured-macro>'
                    r"</p>", re.S)


def context(community: Community, templates: TemplateSet) -> PageContext:
    pages = {kind: PageRef(community.space, title) for kind, title in community.titles.items()
             if kind != "charter"}
    pages = {"charter": PageRef(community.space, community.titles["charter"]), **pages}
    return PageContext(lang=community.lang, space=community.space,
                       values={"name": community.name, "slug": community.slug,
                               "theme": community.theme}, pages=pages)


def read(deployment: str, kind: PageKind, content: str) -> list[dict[str, str]]:
    parsed = CODEC.parse_rows(content, kind, f"{deployment}:{kind.kind}")
    assert parsed.problems == ()
    return [{k: v for k, v in normalize_row(kind, raw.values)[0].items() if v}
            for raw in parsed.rows]


@pytest.mark.parametrize("deployment, kind_name", PAGES, ids=IDS)
def test_every_corpus_page_reads_row_by_row_field_by_field(deployment: str,
                                                           kind_name: str) -> None:
    kind = shipped()[kind_name]
    parsed = CODEC.parse_rows(page(deployment, kind_name), kind, kind_name)
    assert parsed.problems == ()
    assert read(deployment, kind, page(deployment, kind_name)) == ROWS[deployment, kind_name]
    own = OWN_COLUMNS.get((deployment, kind_name))
    for raw in parsed.rows:  # no hint about the numbering column, only members' own columns
        assert set(raw.unknown) <= {own}, raw.unknown
        assert not any(name.startswith("(column") for name in raw.unknown)
        for problem in normalize_row(kind, raw.values)[1]:
            pytest.fail(f"{problem}")


def test_a_blank_numbered_row_is_neither_a_row_nor_a_problem() -> None:
    for deployment in COMMUNITIES:
        parsed = CODEC.parse_rows(page(deployment, "members"), shipped()["members"], "M")
        assert parsed.problems == ()
        assert len(parsed.rows) == len(ROWS[deployment, "members"])
    # Cloud's numbers count from 1 under the header: the blank row is 4, Ann's 5
    cloud = CODEC.parse_rows(page("cloud", "members"), shipped()["members"], "M")
    assert [raw.index for raw in cloud.rows] == [1, 2, 3, 5]


# --- upgrades -----------------------------------------------------------------------------

def changed_help(directory: Path) -> TemplateSet:
    """Every kind's template with a new help sentence for its first field (a list item of
    its help section), the charter's rules list changed."""
    for kind in KINDS:
        definition = shipped()[kind]
        if kind == "charter":
            text = ('[[sections]]\nid = "rules"\nbullets.en = ["Share one item a month."]\n'
                    'bullets.fr = ["Partagez un élément par mois."]\n')
        else:
            first = definition.fields[0].name
            text = (f'[[fields]]\nname = "{first}"\n'
                    'help = { en = "New help, version 2.", fr = "Nouvelle aide, version 2." }\n')
        (directory / f"{kind}.toml").write_text(f"version = 2\n\n{text}", encoding="utf-8")
    return load_templates(directory)


def outside_regions(content: str, regions: Mapping[str, str] | None = None) -> str:
    """What members wrote: the page without its managed regions -- between the anchors
    earlier versions wrote (the corpus pages carry them), or, once they are taken off,
    found as ``regions`` say they were written -- and without the anchors."""
    content = re.sub(r'<p[^>]*><ac:structured-macro ac:name="anchor"[^>]*>'
                     r'<ac:parameter ac:name="">cop-section-([a-z-]+)-[0-9a-f]+</ac:parameter>'
                     r"</ac:structured-macro></p>.*?cop-end-\1</ac:parameter>"
                     r"</ac:structured-macro></p>", "", content, flags=re.S)
    content = ANCHOR.sub("", content)
    if regions:
        soup = parse_storage(content, keep_source=True)
        assert soup is not None
        doc = BlockDoc(soup)
        for markup in regions.values():
            span = doc.locate(markup)
            assert span is not None, markup
            doc.remove(span)
        content = write_back(soup)
    return re.sub(r">\s+<", "><", content).strip()


@pytest.mark.parametrize("deployment, kind_name", PAGES, ids=IDS)
def test_the_editors_rewriting_never_holds_back_an_upgrade(deployment: str, kind_name: str,
                                                          tmp_path: Path) -> None:
    community = COMMUNITIES[deployment]
    content = page(deployment, kind_name)
    same = CODEC.upgrade_page(content, shipped()[kind_name], context(community, shipped()))
    assert same.drift == ()  # no section reads as edited on the wiki
    # A page of a kind changed since the corpus was stored (the Watch page got its sources
    # and to-review sections) is first brought to the shipped template, rows untouched.
    assert read(deployment, shipped()[kind_name], same.content) == ROWS[deployment, kind_name]
    templates = changed_help(tmp_path)
    upgraded = CODEC.upgrade_page(content, templates[kind_name], context(community, templates))
    assert upgraded.drift == ()
    section = "rules" if kind_name == "charter" else "howto"
    assert f"section {section!r} updated" in upgraded.changes
    new = "Share one item a month." if kind_name == "charter" else "New help, version 2."
    if community.lang == "fr":
        new = "Partagez un élément par mois." if kind_name == "charter" \
            else "Nouvelle aide, version 2."
    assert new in upgraded.content
    # the rows and what members wrote around the regions are as they were
    assert read(deployment, templates[kind_name], upgraded.content) == \
        ROWS[deployment, kind_name]
    before = outside_regions(content)
    after = outside_regions(upgraded.content, upgraded.regions)
    if kind_name == "members":  # the Digest column came after the corpus was saved
        label = localize(shipped()["members"].field("digest").label, community.lang)
        assert f"<strong>{label}</strong>" in after and label not in before
        before, after = (re.sub(r"<table[ >].*?</table>", "[table]", text, flags=re.S)
                         for text in (before, after))
    if kind_name == "watch":  # the Sources table came after the corpus was saved (issue 15)
        sources = [t for t in re.findall(r"<table[ >].*?</table>", after, flags=re.S)
                   if "Feed address" in t or "Adresse du flux" in t]
        assert len(sources) == 1 and "Feed address" not in before
        after = after.replace(sources[0], "", 1)
    assert after == before
    assert 'ac:name="anchor"' not in upgraded.content  # the markers are taken off
    again = CODEC.upgrade_page(upgraded.content, templates[kind_name],
                               context(community, templates), upgraded.regions)
    assert again.changes == () and again.drift == ()


def test_an_edit_of_a_section_on_an_editor_stored_page_is_still_kept() -> None:
    content = page("cloud", "members").replace("First name and last name.",
                                               "First name, then last name.")
    upgraded = CODEC.upgrade_page(content, shipped()["members"],
                                  context(COMMUNITIES["cloud"], shipped()))
    assert upgraded.drift == ("section 'howto' edited on the wiki: kept as it is",)
    assert "First name, then last name." in upgraded.content


# --- rows cop-connector writes ----------------------------------------------------------

def rows_table(content: str) -> Tag:
    soup = BeautifulSoup(content, "html.parser")
    tables = [t for t in soup.find_all("table")
              if t.find_parent("ac:structured-macro") is None]
    return tables[0]


def numbers(table: Tag) -> list[str]:
    return [cell.get_text() for cell in table.find_all(class_="numberingColumn")]


NEW = {"members": {"email": "new@corp.example", "name": "Nina New", "role": "member",
                   "since": "2025-05-05"},
       "regulation": {"ref": "ISO 99999", "title": "New text", "status": "draft"}}


@pytest.mark.parametrize("deployment, kind_name",
                         [(d, k) for d in COMMUNITIES for k in KINDS if k != "charter"])
def test_a_row_cop_adds_looks_like_the_tables_own(deployment: str, kind_name: str) -> None:
    kind = shipped()[kind_name]
    community = COMMUNITIES[deployment]
    content = page(deployment, kind_name)
    values = NEW.get(kind_name) or {f.name: "Added by cop" for f in kind.fields
                                    if f.type in ("text", "longtext")}
    canonical = normalize_row(kind, values)[0]
    out = CODEC.apply_changes(content, kind, [RowChange("add", row_key(kind, canonical) or "",
                                                        values)], community.lang)
    before, after = rows_table(content), rows_table(out)
    old_rows, new_rows = before.find_all("tr"), after.find_all("tr")
    assert [str(r) for r in new_rows[:-1]] == [str(r) for r in old_rows]  # nothing else moved
    added = new_rows[-1]
    last = old_rows[-1]
    assert len(added.find_all(["td", "th"], recursive=False)) == \
        len(last.find_all(["td", "th"], recursive=False))
    cells = [c for c in added.find_all("td", recursive=False)
             if "numberingColumn" not in (c.get("class") or "")]
    if deployment == "cloud":  # Cloud's cells hold their text in paragraphs, like the others
        assert all(c.find("p", recursive=False) is not None for c in cells), added
    else:
        assert all(c.find("p", recursive=False) is None for c in cells), added
    if (deployment, kind_name) in NUMBERED:
        numbered = numbers(after)
        assert numbered[-1] == str(int(numbered[-2]) + 1)
    if after.find("thead") is not None:
        assert added.parent is not None and added.parent.name == "tbody"
    # outside the table, not a byte changed
    table_at = re.compile(r"<table[ >].*?</table>", re.S)
    assert table_at.sub("[table]", out, count=1) == table_at.sub("[table]", content, count=1)
    assert read(deployment, kind, out)[-1] == {k: v for k, v in canonical.items() if v}


@pytest.mark.parametrize("deployment", list(COMMUNITIES))
def test_removing_a_member_renumbers_the_numbered_rows(deployment: str) -> None:
    kind = shipped()["members"]
    content = page(deployment, "members")
    before = numbers(rows_table(content))
    out = CODEC.apply_changes(content, kind, [RowChange("remove", "karim@corp.example", {})],
                              COMMUNITIES[deployment].lang)
    after = numbers(rows_table(out))
    assert len(after) == len(before) - 1
    assert after == before[:-1]  # the same numbers, in order, one fewer
    assert [r["email"] for r in read(deployment, kind, out)] == \
        [r["email"] for r in ROWS[deployment, "members"] if r["email"] != "karim@corp.example"]
    # an update changes the updated cell only
    updated = CODEC.apply_changes(content, kind, [RowChange(
        "update", "karim@corp.example", {"site": "Paris"})], COMMUNITIES[deployment].lang)
    assert numbers(rows_table(updated)) == before
    assert canonical_storage(updated.replace("Paris", "")) == canonical_storage(content)


def test_a_column_added_by_an_upgrade_follows_the_tables_shape(tmp_path: Path) -> None:
    (tmp_path / "members.toml").write_text(
        'version = 2\n[[fields]]\nname = "team"\nlabel = { en = "Team", fr = "Équipe" }\n',
        encoding="utf-8")
    templates = load_templates(tmp_path)
    for deployment, community in COMMUNITIES.items():
        content = page(deployment, "members")
        upgraded = CODEC.upgrade_page(content, templates["members"],
                                      context(community, templates))
        assert upgraded.drift == ()
        table = rows_table(upgraded.content)
        header = table.find("tr")
        assert header is not None
        last = header.find_all(["th", "td"], recursive=False)[-1]
        label = "Team" if community.lang == "en" else "Équipe"
        assert last.get_text() == label
        if deployment == "cloud":
            assert str(last) == "<th><p><strong>Team</strong></p></th>"
            assert table.colgroup is not None and len(table.colgroup.find_all("col")) == \
                len(header.find_all(["th", "td"], recursive=False))
        else:  # a bold first row of <td> cells stays one
            assert str(last) == "<td><p><strong>Équipe</strong></p></td>"
        assert read(deployment, templates["members"], upgraded.content) == \
            ROWS[deployment, "members"]
