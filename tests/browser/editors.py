"""A member's hands in MediaWiki's editors (VisualEditor and the source editor), through
Playwright; the selectors are VisualEditor's own classes, the same on 1.39 and 1.43."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

PRIMARY = ".oo-ui-processDialog-actions-primary .oo-ui-buttonElement-button"


def view(page: Any, url: str, title: str, shot: Path | None = None) -> None:
    page.goto(f"{url}index.php/{quote(title)}")
    page.wait_for_selector("#mw-content-text")
    if shot:
        page.screenshot(path=str(shot), full_page=True)


def open_visual_editor(page: Any, url: str, title: str, lang: str | None = None) -> None:
    query = f"title={quote(title)}&veaction=edit" + (f"&uselang={lang}" if lang else "")
    page.goto(f"{url}index.php?{query}")
    page.wait_for_selector(".ve-ce-surface .ve-ce-branchNode")
    page.wait_for_selector(".oo-ui-tool-name-transclusion", state="attached")
    page.wait_for_timeout(800)  # the surface settles (focus, toolbar state)


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
    search = page.locator(".oo-ui-processDialog .oo-ui-searchWidget-query input, "
                          ".ve-ui-mwTemplateTitleInputWidget input").first
    search.press_sequentially(template, delay=20)
    page.wait_for_timeout(1500)  # the lookup (1.43 may not list it again in one session)
    page.locator(".oo-ui-processDialog .oo-ui-buttonElement-button",
                 has_text=_add_label(page)).first.click()
    page.locator(".ve-ui-mwParameterPage").first.wait_for()
    labels = fill_form(page, values)
    page.locator(PRIMARY).first.click()  # Insert
    page.wait_for_selector(".oo-ui-processDialog", state="hidden")
    return labels


def _add_label(page: Any) -> str:
    lang = page.evaluate("mw.config.get('wgUserLanguage')")
    return {"fr": "Ajouter"}.get(lang, "Add")


def fill_form(page: Any, values: Mapping[str, str]) -> list[str]:
    params = page.locator(".ve-ui-mwParameterPage")
    labels = []
    for index in range(params.count()):
        param = params.nth(index)
        label = param.locator(".ve-ui-mwParameterPage-label").inner_text().strip()
        labels.append(label)
        if label in values:
            param.locator("textarea, input").first.fill(values[label])
    return labels


def edit_row(page: Any, row_text: str, values: Mapping[str, str]) -> None:
    """Click the row's card, Edit in its context menu (opens its form), change fields,
    apply."""
    page.locator(".ve-ce-surface .cop-row", has_text=row_text).first.click(force=True)
    page.locator(".ve-ui-linearContextItem-actions .oo-ui-buttonElement-button").first.click()
    page.locator(".ve-ui-mwParameterPage").first.wait_for()
    fill_form(page, values)
    page.locator(PRIMARY).first.click()
    page.wait_for_selector(".oo-ui-processDialog", state="hidden")


def delete_row(page: Any, row_text: str) -> None:
    page.locator(".ve-ce-surface .cop-row", has_text=row_text).first.click(force=True)
    page.wait_for_timeout(300)
    page.locator(".ve-ce-surface").first.focus()
    page.keyboard.press("Backspace")


def save_visual_editor(page: Any, shot: Path | None = None) -> None:
    page.locator(".ve-ui-toolbar-saveButton").first.click()
    page.locator(PRIMARY).first.wait_for()
    if shot:
        page.screenshot(path=str(shot))
    page.locator(PRIMARY).first.click()
    page.wait_for_selector(".ve-ce-surface", state="detached")
    page.wait_for_selector("#mw-content-text")


def red_links(page: Any) -> list[str]:
    """Links to missing pages in the page's content (MediaWiki's class ``new``)."""
    return page.eval_on_selector_all("#mw-content-text a.new", "els => els.map(e => e.title)")
