"""The checks a row template makes on the wiki, so that members see a problem where the row is.

Each list row template ends with ``row_problems``: ParserFunctions code (shipped with
MediaWiki; string functions are off by default, so none are used) that shows a red note in
the row's card, in the community's language, for each field the sync would refuse:

* a required field left empty (``{{#if:}}``);
* a date that is not ``YYYY-MM-DD``: ``{{#time:Y-m-d|v}}`` must give back ``v`` itself (a
  date PHP cannot read is an error, caught by ``{{#iferror:}}``; ``2026-02-30`` or
  ``2026-3-1`` come back different);
* a link that is not ``http://`` or ``https://`` followed by something: ``{{padleft:|8|v}}``
  is the first 8 characters of ``v``, ``{{lc:}}`` makes the scheme case-insensitive;
* a choice that is none of the spellings the sync accepts (``values.choice_names``: values,
  labels in every language and aliases, case-folded, and their loose forms without accents or
  spaces), compared after ``{{#titleparts:}}`` (which folds runs of spaces and underscores, as
  the sync's clean-up does) and ``{{lc:}}``; markup characters in a choice (``R&D``) are
  written as character references in the case labels.

The wiki's checks are a subset of the sync's (``page_templates/values.py``): what the wiki
flags, the sync refuses; the common mistakes get the same verdict on both
(``tests/integration/test_row_checks_mediawiki.py`` feeds the same values to both). E-mail
addresses and numbers are only checked when required and empty.
"""

from __future__ import annotations

from collections.abc import Mapping

from page_templates import FieldDef, PageKind, localize
from page_templates.ui import ui_text
from page_templates.values import choice_names, display

from .escape import escape_text
from .space_text import by_space

PROBLEM_STYLE = ("margin-top:0.3em;padding:0.15em 0.5em;color:#b32424;background:#fee7e6;"
                 "border-radius:2px")
# Characters a #switch case label cannot hold as written (they are markup there): written as
# numeric character references, which #switch compares decoded (measured on 1.39: the label
# ``r&#38;d`` matches a member's ``R&D`` and the ``R&#38;D`` cop-connector writes).
_MARKUP = "|={}[]<>&"


def row_problems(kind: PageKind, languages: tuple[str, ...],
                 space_languages: Mapping[str, str] | None) -> str:
    """Wikitext: a red box listing the row's problems, nothing when there is none."""
    notes = "".join(_field_checks(kind, field, languages, space_languages)
                    for field in kind.fields)
    if not notes:
        return ""
    heading = _texts(kind, "row_problem", languages, space_languages)
    return (f'{{{{#if:{notes}|<div class="cop-problem" style="{PROBLEM_STYLE}">'
            f"<div>⚠ {heading}</div>{notes}</div>}}}}")


def _field_checks(kind: PageKind, field: FieldDef, languages: tuple[str, ...],
                  space_languages: Mapping[str, str] | None) -> str:
    value = f"{{{{{{{field.name}|}}}}}}"
    checks = ""
    if field.required:
        note = _note(kind, field, "row_problem_required", languages, space_languages)
        checks += f"{{{{#if:{value}||{note}}}}}"
    typed = _type_check(kind, field, value, languages, space_languages)
    if typed:
        checks += f"{{{{#if:{value}|{typed}}}}}"
    return checks


def _type_check(kind: PageKind, field: FieldDef, value: str, languages: tuple[str, ...],
                space_languages: Mapping[str, str] | None) -> str:
    """The check of a non-empty value of ``field``'s type ('' when the type has none)."""
    if field.type == "date":
        note = _note(kind, field, "row_problem_date", languages, space_languages)
        iso = f"{{{{#time:Y-m-d|{value}}}}}"
        return f"{{{{#iferror:{iso}|{note}|{{{{#ifeq:{iso}|{value}||{note}}}}}}}}}"
    if field.type == "url":
        note = _note(kind, field, "row_problem_url", languages, space_languages)
        return (f"{{{{#switch:{{{{lc:{{{{padleft:|8|{value}}}}}}}}}"
                f"|https://={{{{#ifeq:{{{{lc:{value}}}}}|https://|{note}}}}}"
                f"|#default={{{{#ifeq:{{{{lc:{{{{padleft:|7|{value}}}}}}}}}|http://"
                f"|{{{{#ifeq:{{{{lc:{value}}}}}|http://|{note}}}}}|{note}}}}}}}}}")
    if field.type == "choice" and field.choices:
        note = _note(kind, field, "row_problem_choice", languages, space_languages)
        names = [_case_label(name) for name in choice_names(field)]
        cases = "|".join(dict.fromkeys(name for name in names if name))
        return (f"{{{{#switch:{{{{lc:{{{{#titleparts:{value}}}}}}}}}"
                f"|{cases}=|#default={note}}}}}")
    return ""


def _case_label(name: str) -> str:
    """``name`` as a #switch case label matching what ``{{lc:{{#titleparts:v}}}}`` makes of
    it. ``#titleparts`` drops everything from a ``#`` (a title's fragment): such a name is
    matched by what comes before it, so the wiki may let a wrong value pass, never flag a
    right one (its checks stay a subset of the sync's)."""
    name = " ".join(name.split("#", 1)[0].split())
    return "".join(f"&#{ord(char)};" if char in _MARKUP else char for char in name)


def _note(kind: PageKind, field: FieldDef, key: str, languages: tuple[str, ...],
          space_languages: Mapping[str, str] | None) -> str:
    def text(lang: str) -> str:
        choices = ", ".join(display(field, choice.value, lang) for choice in field.choices)
        return ui_text(key, lang, kind.ui, label=localize(field.label, lang),
                       choices=choices)

    texts = {lang: escape_text(text(lang)) for lang in languages}
    shown = by_space(texts, languages, space_languages)
    # one line per problem (a trailing space would be trimmed by the parser functions)
    return f'<div class="cop-problem-field cop-problem-{field.name}">{shown}</div>'


def _texts(kind: PageKind, key: str, languages: tuple[str, ...],
           space_languages: Mapping[str, str] | None) -> str:
    texts = {lang: escape_text(ui_text(key, lang, kind.ui)) for lang in languages}
    return by_space(texts, languages, space_languages)
