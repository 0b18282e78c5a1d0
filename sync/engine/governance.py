"""Values only the records set (pure): a choice whose ``owner`` is ``"records"``.

The member roles pilot and expert are named on the charter (``cop community set``), so a
member writing ``role=pilot`` on the Members page, or changing the pilot's row to
``role=member``, must change nothing: the wiki's value is not taken, it is reported (a
warning for the member, the notice on the page) and the records keep theirs. The merge
(sync/engine/merge.py) then sees the field as unchanged on the wiki, so a change made by
command is still written there, and the next sync reads the same, reports the same, takes
nothing: stable until a member puts the value back.
"""

from __future__ import annotations

from collections.abc import Mapping

from connector.base import RawRow
from connector.errors import RowProblem
from page_templates import FieldDef, PageKind
from page_templates.model import localize
from page_templates.problems import GOVERNED, quoted
from page_templates.values import derived, display, normalize
from sync.records.model import Rows


def governed_fields(kind: PageKind) -> dict[str, frozenset[str]]:
    """Field name -> the choice values only the records set (fields that have some)."""
    return derived(kind, _governed)


def _governed(kind: PageKind) -> dict[str, frozenset[str]]:
    found = {f.name: frozenset(c.value for c in f.choices if c.owner == "records")
             for f in kind.fields}
    return {name: values for name, values in found.items() if values}


def hold_governed(kind: PageKind, page: str, wiki: Rows, base: Rows, local: Rows,
                  at: Mapping[str, RawRow], lang: str) -> tuple[Rows, list[RowProblem]]:
    """``wiki`` with every governed value a member changed put back to the recorded one,
    and a warning for each. A value changed on the wiki is one that differs from the merge
    base (else from the records, for a page never synced; a new row's is its field's
    default) and from the records' own; it is governed when it, or the recorded one, is a
    value only the records set."""
    fields = governed_fields(kind)
    if not fields:
        return wiki, []
    # once, not once a row: a first sync of a big page asks the same for every row
    checked = [(name, governed, definition, _default(definition))
               for name, governed in fields.items()
               if (definition := kind.field(name)) is not None]
    held: dict[str, Mapping[str, str]] = dict(wiki)
    problems: list[RowProblem] = []
    for key, row in wiki.items():
        ref = base.get(key) if key in base else local.get(key)
        mine = local.get(key) or {}
        for name, governed, definition, default in checked:
            recorded = ref.get(name, "") if ref is not None else default
            written = row.get(name, "")
            if written in (recorded, mine.get(name)):
                continue
            if written not in governed and recorded not in governed:
                continue
            held[key] = {**held[key], name: recorded}
            ours = mine.get(name, recorded)
            problems.append(_problem(definition, page, at.get(key), key, written, ours, lang))
    return held, problems


def _default(definition: FieldDef) -> str:
    try:
        return normalize(definition, definition.default)
    except ValueError:
        return ""


def _problem(definition: FieldDef, page: str, raw: RawRow | None, key: str, written: str,
             recorded: str, lang: str) -> RowProblem:
    shown = display(definition, written, lang)
    kept = display(definition, recorded, lang)
    return RowProblem(
        page, raw.index if raw else 0, definition.name,
        f"{shown!r} is not taken: the innovation manager sets {definition.name} "
        f"(cop community set); the records keep {kept!r}", raw.line if raw else None, key,
        code=GOVERNED, severity="warning",
        params={"field": localize(definition.label, lang) or definition.name,
                "value": quoted(shown), "records": quoted(kept)})
