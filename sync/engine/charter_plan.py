"""The charter's plan (pure): its one block, members' fields flowing back and the fields
the records own (pilot, expert, sponsor, status, account...) only compared, as drift."""

from __future__ import annotations

from collections.abc import Mapping

from msgspec import Struct, field

from connector.base import ParsedPage, RawRow
from connector.errors import RowProblem
from page_templates import FieldDef, PageKind
from page_templates.model import localize
from page_templates.problems import GOVERNED, quoted
from page_templates.values import clean_text, display, normalize_row
from sync.engine.page_rows import unknown_hint, unknown_params


class CharterPlan(Struct, frozen=True):
    """The charter: wiki-owned fields flow back; records-owned ones are compared (drift)."""

    accepted: Mapping[str, str] = field(default_factory=dict)
    drift: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # field -> (wiki, ours)
    problems: tuple[RowProblem, ...] = ()
    values: Mapping[str, str] | None = None  # the block as read, when readable


def plan_charter(kind: PageKind, page: str, parsed: ParsedPage,
                 records: Mapping[str, str], lang: str = "en") -> CharterPlan:
    """The charter block (the first one on the page). Fields owned by the records are only
    compared: any wiki value there, valid or not, empty or not, is drift, never a row
    problem, so a bad status does not stop members' own edits (objectives...) from being
    read. A member-owned field that cannot be read leaves the block unread (nothing
    accepted); the drift is still reported, and each drifted field is also a warning for
    the page's notice (``governed_value``), as an unknown parameter is."""
    problems = list(parsed.problems)
    template = kind.row_template or ""
    if not parsed.rows:
        if not problems:
            problems.append(RowProblem(page, 1, "(template)",
                                       f"no {{{{{template}}}}} block on the page",
                                       code="no_block", params={"template": template}))
        return CharterPlan(problems=tuple(problems))
    raw, *others = parsed.rows
    problems += [RowProblem(page, other.index, "(template)",
                            f"another {{{{{template}}}}} block: only the first one "
                            f"(row {raw.index}) is read; remove this one", other.line,
                            code="extra_block",
                            params={"template": template, "first": str(raw.index)})
                 for other in others]
    values, invalid = normalize_row(kind, raw.values)
    governance = {d.name for d in kind.fields if d.owner == "records"}
    for problem in invalid:
        if problem.field in governance:  # as written: it is drift, whatever it says
            values[problem.field] = clean_text(raw.values.get(problem.field, ""))
    invalid = [problem for problem in invalid if problem.field not in governance]
    hint = unknown_hint(raw.unknown)
    problems += [RowProblem(page, raw.index, problem.field, problem.message_in(lang) + hint,
                            raw.line, code=problem.code, params=problem.params_in(lang))
                 for problem in invalid]
    if not invalid:
        problems += unknown_params(kind, page, raw)
    accepted, drift = {}, {}
    for definition in kind.fields:
        wiki_value, ours = values.get(definition.name, ""), records.get(definition.name, "")
        if wiki_value == ours or ("@" in ours and wiki_value.casefold() == ours.casefold()):
            continue  # (an e-mail address's case is no change: the records lower-case them)
        if definition.owner == "records":
            drift[definition.name] = (wiki_value, ours)
            problems.append(_drift_problem(definition, page, raw, wiki_value, ours, lang))
        elif not invalid:
            accepted[definition.name] = wiki_value
    problems.sort(key=lambda problem: problem.row)
    return CharterPlan(accepted=accepted, drift=drift, problems=tuple(problems),
                       values=None if invalid else values)


def _drift_problem(definition: FieldDef, page: str, raw: RawRow, wiki_value: str,
                   ours: str, lang: str) -> RowProblem:
    """A governance field changed on the wiki, as the page's notice lists it (a warning:
    the drift itself is what `cop status` and `cop provision` act on)."""
    shown, kept = display(definition, wiki_value, lang), display(definition, ours, lang)
    return RowProblem(
        page, raw.index, definition.name,
        f"{shown!r} is not taken: the innovation manager sets {definition.name}; the "
        f"records keep {kept!r} (`cop provision` writes it back)", raw.line,
        code=GOVERNED, severity="warning",
        params={"field": localize(definition.label, lang) or definition.name,
                "value": quoted(shown), "records": quoted(kept)})
