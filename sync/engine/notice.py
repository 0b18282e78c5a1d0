"""The notice on a page whose entries have problems (pure): what it says, from the page's
current row problems and drift, in the page's language.

The notice is a pure function of what the records hold for the page once it is read: the
same problems give the same notice, so a sync that finds nothing new finds the notice on the
page already as it should be, and writes nothing. It lists each problem by entry (its
number among the page's entries, its key when it can be told), field and what is wrong --
the problem's sentence in the page's language (``page_templates/problems.toml``, from its
code and parameters), which says how to fix it -- and goes away (``items`` empty) when there
is none. The frame's texts are UI sentences (``page_templates/ui.toml``: ``notice_*``),
which a company may change like the others. Problems are rendered from their fields only,
whatever their kind (a governance value typed on the page included), so new kinds of
problems show without a change here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from connector.base import PageNotice
from page_templates import PageKind, localize
from page_templates.problems import problem_text
from page_templates.ui import ui_text, ui_texts
from sync.records.model import StoredProblem

MAX_ITEMS = 12  # a short notice: the innovation manager sees every problem in `cop status`


def page_notice(kinds: Sequence[PageKind], lang: str,
                problems: Iterable[StoredProblem]) -> PageNotice:
    """The notice of a page holding the rows of ``kinds`` (one, or a seminar page's row
    sets), from its problems; no items when there is nothing to fix."""
    kind = kinds[0]
    ui = kind.ui
    items = [_problem(kinds, lang, problem) for problem in
             sorted(problems, key=lambda p: (p.row, p.kind, p.field, p.message))]
    items = list(dict.fromkeys(items))  # one line per distinct problem
    if len(items) > MAX_ITEMS:
        more = ui_text("notice_more", lang, ui, count=str(len(items) - MAX_ITEMS + 1))
        items = [*items[:MAX_ITEMS - 1], more]
    return PageNotice(ui_text("notice_title", lang, ui), tuple(items),
                      ui_text("notice_footer", lang, ui) if items else "",
                      notice_titles(kind))


def notice_titles(kind: PageKind) -> frozenset[str]:
    """Every title a notice of cop-connector may carry: the kind's texts and the shipped
    ones, in every language (a company's text may have changed since one was written)."""
    texts = [*(kind.ui or {}).get("notice_title", {}).values(),
             *ui_texts()["notice_title"].values()]
    return frozenset(text for text in texts if text)


def _problem(kinds: Sequence[PageKind], lang: str, problem: StoredProblem) -> str:
    ui = kinds[0].ui
    row = str(problem.row)
    where = ui_text("notice_row_key", lang, ui, row=row, identity=problem.key) if problem.key \
        else ui_text("notice_row", lang, ui, row=row)
    if len(kinds) > 1:  # a page holding several lists (a seminar's): entries count per list
        kind = _kind(kinds, problem.kind)
        title = localize(kind.rows_title or kind.title, lang)
        where = ui_text("notice_in_list", lang, ui, list=title, where=where)
    label = _label(kinds, problem.kind, problem.field, lang)
    text = problem_text(problem.code, lang, problem.params, problem.message)
    if not label or _names(text, label):
        return ui_text("notice_line_page", lang, ui, where=where, message=text)
    return ui_text("notice_line", lang, ui, where=where, field=label, message=text)


def _names(text: str, label: str) -> bool:
    """Whether a problem's sentence names its field itself (so the line need not)."""
    return text.startswith(label) or f"“{label}”" in text or f"« {label} »" in text


def _label(kinds: Sequence[PageKind], key: str, name: str, lang: str) -> str:
    """How members know a field: its label in the page's language; a name in parentheses
    ("(template)", "(table)") is the entry as a whole: no field to name."""
    if not name or name.startswith("("):
        return ""
    field = _kind(kinds, key).field(name)
    return localize(field.label, lang) if field is not None else name


def _kind(kinds: Sequence[PageKind], key: str) -> PageKind:
    """The kind of a row set's key ("attendance@2027") among the page's kinds."""
    base = key.partition("@")[0]
    return next((k for k in kinds if k.kind == base), kinds[0])
