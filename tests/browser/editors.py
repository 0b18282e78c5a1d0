"""A member's hands in MediaWiki's editors (VisualEditor and the source editor), through
Playwright; the selectors are VisualEditor's own classes, the same on 1.39 and 1.43.

Every step waits for what the member would wait for (a dialog open, a button enabled, the
editor gone), never for a fixed time: the suite runs on loaded CI machines.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from playwright.sync_api import expect

# as the pages' default timeout (conftest): the editor is slow on a busy CI machine
expect.set_options(timeout=90_000)

PRIMARY = ".oo-ui-window-active .oo-ui-processDialog-actions-primary .oo-ui-buttonElement-button"
FORM_FIELD = ".oo-ui-window-active .ve-ui-mwParameterPage"
# The editor is ready for a member: VE's init sets this class once the surface and its
# toolbar are set up, just before it focuses the surface.
EDITOR_READY = "html.ve-active:not(.ve-activating) .ve-ce-surface .ve-ce-branchNode"

# MediaWiki answers "304 Not Modified" when the browser's copy is as recent as the page to the
# second: a page edited (through the API, by "someone else") in the same second as the last
# view stays the old page in the browser, F5 included, until it is touched again (measured:
# 8 stale views in 12 on this wiki). A member hardly ever edits and looks within one second;
# these tests always do, so each of their page loads is an address the browser has not cached.
_LOADS = itertools.count(1)


def fresh(address: str) -> str:
    """The address with a parameter of its own, which MediaWiki ignores."""
    return f"{address}{'&' if '?' in address else '?'}copload={next(_LOADS)}"


def view(page: Any, url: str, title: str, shot: Path | None = None) -> None:
    page.goto(fresh(f"{url}index.php/{quote(title)}"))
    page.wait_for_selector("#mw-content-text")
    if shot:
        page.screenshot(path=str(shot), full_page=True)


def wait_for_editor(page: Any) -> None:
    page.wait_for_selector(EDITOR_READY)


def open_visual_editor(page: Any, url: str, title: str, lang: str | None = None) -> None:
    query = f"title={quote(title)}&veaction=edit" + (f"&uselang={lang}" if lang else "")
    page.goto(fresh(f"{url}index.php?{query}"))
    wait_for_editor(page)
    page.wait_for_selector(".oo-ui-tool-name-transclusion", state="attached")


def open_template_dialog(page: Any) -> None:
    tool = page.locator(".oo-ui-tool-name-transclusion").first
    if not tool.is_visible():  # 1.43 folds it into the "+" (Insert) menu
        page.locator(".ve-ui-toolbar-group-insert").first.click()
    tool.click()


def insert_row_under_heading(page: Any, heading: str, template: str,
                             values: Mapping[str, str]) -> list[str]:
    """End of the list's heading, Enter, Insert → Template → ``template``, the form filled
    by label; returns the form's labels as shown."""
    page.locator(".ve-ce-surface h2", has_text=heading).first.click()
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    open_template_dialog(page)
    search = page.locator(".oo-ui-window-active .ve-ui-mwTemplateTitleInputWidget input, "
                          ".oo-ui-window-active .oo-ui-searchWidget-query input").first
    search.press_sequentially(template, delay=20)
    # "Add" takes the name as typed: no need to wait for the lookup's menu (which 1.43 may
    # not show again in one session)
    expect(search).to_have_value(template)
    page.locator(".oo-ui-window-active .oo-ui-buttonElement-button",
                 has_text=_add_label(page)).first.click()
    labels = fill_form(page, values)
    insert_from_form(page)
    return labels


def insert_from_form(page: Any) -> None:
    """The form's primary button (Insert, or Apply on an existing row), then the dialog
    gone."""
    page.locator(PRIMARY).first.click()
    page.wait_for_selector(FORM_FIELD, state="detached")


def _add_label(page: Any) -> str:
    lang = page.evaluate("mw.config.get('wgUserLanguage')")
    return {"fr": "Ajouter"}.get(lang, "Add")


def fill_form(page: Any, values: Mapping[str, str]) -> list[str]:
    """Fill the open template form by label; returns its labels in order."""
    page.locator(FORM_FIELD).first.wait_for()
    params = page.locator(FORM_FIELD)
    labels = []
    for index in range(params.count()):
        param = params.nth(index)
        label = param.locator(".ve-ui-mwParameterPage-label").inner_text().strip()
        labels.append(label)
        if label in values:
            param.locator("textarea, input").first.fill(values[label])
    return labels


def add_with_button(page: Any, index: int = 0) -> None:
    """Click the page's "Add" button (``index``-th on the page) once the wiki's script has
    pointed it at the visual editor, and wait for the new entry's form."""
    button = page.locator(".cop-add a.cop-add-visual").nth(index)
    button.wait_for()
    button.click()
    page.locator(FORM_FIELD).first.wait_for()


def edit_row(page: Any, row_text: str, values: Mapping[str, str]) -> None:
    """Click the row's card, Edit in its context menu (opens its form), change fields,
    apply."""
    page.locator(".ve-ce-surface .cop-row", has_text=row_text).first.click(force=True)
    page.locator(".ve-ui-linearContextItem-actions .oo-ui-buttonElement-button").first.click()
    fill_form(page, values)
    insert_from_form(page)


def delete_row(page: Any, row_text: str) -> None:
    """Click the row's card (it is selected), press Backspace: the card is gone."""
    card = page.locator(".ve-ce-surface .cop-row", has_text=row_text)
    card.first.click(force=True)
    expect(card.first).to_have_class(re.compile(r"\bve-ce-focusableNode-focused\b"))
    page.keyboard.press("Backspace")
    expect(card).to_have_count(0)


def save_visual_editor(page: Any, shot: Path | None = None) -> None:
    page.locator(".ve-ui-toolbar-saveButton").first.click()
    page.locator(PRIMARY).first.wait_for()
    if shot:
        page.screenshot(path=str(shot))
    page.locator(PRIMARY).first.click()
    page.wait_for_selector(".ve-ce-surface", state="detached")
    page.wait_for_selector("#mw-content-text")


def chips(page: Any) -> int:
    """HTML comments shown in the visual editor's surface (the "!" chips)."""
    return page.locator(".ve-ce-surface .ve-ce-commentNode").count()


def red_links(page: Any) -> list[str]:
    """Links to missing pages in the page's content (MediaWiki's class ``new``)."""
    return page.eval_on_selector_all("#mw-content-text a.new", "els => els.map(e => e.title)")
