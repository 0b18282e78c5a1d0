"""The pure part of sync: from a parsed page, its merge base and the local rows, a plan.

No I/O here. ``plan_page`` decides, row by row and field by field, what changes locally,
what changes on the wiki (two-way kinds only) and what is a conflict, in the manner of
vdirsyncer's decision table:

    local == wiki              nothing to do
    local == base              the wiki changed it: take the wiki's value
    wiki  == base              the records changed it: write it to the wiki
    otherwise                  both changed: merge field by field; a field changed
                               differently on both sides is a conflict, left as it is

Safety rules: a page with an unreadable row never causes a deletion (the row may be the one
that looks deleted); a page that suddenly reads as empty is refused unless forced
(the community-wide guard of sync/deletions.py uses the same rule).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from connector.base import ParsedPage, RowChange
from connector.errors import RowProblem
from page_templates import PageKind
from page_templates.values import key_fields, normalize_row, row_key

from .model import Rows

ROW = "(row)"  # the conflict "field" when one side deleted the row and the other changed it


@dataclass(frozen=True)
class FieldConflict:
    key: str
    field: str
    base: str | None
    wiki: str | None
    local: str | None


@dataclass(frozen=True)
class PagePlan:
    """What to do for one page. ``new_base`` is the merge base once the plan is applied."""

    upserts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    tombstones: tuple[str, ...] = ()
    wiki_changes: tuple[RowChange, ...] = ()
    conflicts: tuple[FieldConflict, ...] = ()
    problems: tuple[RowProblem, ...] = ()
    new_base: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    refused_empty: bool = False

    @property
    def changes_local(self) -> bool:
        return bool(self.upserts or self.tombstones)


def read_rows(kind: PageKind, page: str,
              parsed: ParsedPage) -> tuple[dict[str, dict[str, str]], list[RowProblem]]:
    """Validate the parsed rows: key -> canonical values, and every problem found."""
    rows: dict[str, dict[str, str]] = {}
    first_row: dict[str, int] = {}
    problems = list(parsed.problems)
    for raw in parsed.rows:
        values, invalid = normalize_row(kind, raw.values)
        key = row_key(kind, values)
        hint = _unknown_hint(raw.unknown)
        for problem in invalid:
            problems.append(RowProblem(page, raw.index, problem.field, problem.message + hint,
                                       raw.line, key))
        if invalid:
            continue
        if key is None:
            problems.append(RowProblem(page, raw.index, key_fields(kind),
                                       f"no key: fill {key_fields(kind)}{hint}", raw.line))
        elif key in rows:
            problems.append(RowProblem(page, raw.index, key_fields(kind),
                                       f"same key as row {first_row[key]}; this row is ignored",
                                       raw.line, key))
        else:
            rows[key] = values
            first_row[key] = raw.index
    return rows, problems


def _unknown_hint(unknown: tuple[str, ...]) -> str:
    if not unknown:
        return ""
    return f" (unknown parameter {', '.join(repr(u) for u in unknown)}: a typo?)"


def plan_page(kind: PageKind, page: str, parsed: ParsedPage, *, base: Rows | None,
              local: Rows, local_deleted: frozenset[str] = frozenset(),
              force_delete: bool = False) -> PagePlan:
    """Plan one page of rows. ``local`` holds the live local rows, ``local_deleted`` the keys
    tombstoned locally; ``base`` is None when the page was never synced."""
    wiki, problems = read_rows(kind, page, parsed)
    base = base or {}
    clean = not problems
    if clean and not force_delete and _reads_empty(kind, wiki, base, local):
        return PagePlan(problems=tuple(problems), new_base=base, refused_empty=True)
    if kind.two_way:
        plan = _two_way(kind, wiki, base, local, local_deleted, clean)
    else:
        plan = _wiki_wins(wiki, base, local, clean)
    return PagePlan(upserts=plan.upserts, tombstones=plan.tombstones,
                    wiki_changes=plan.wiki_changes, conflicts=plan.conflicts,
                    problems=tuple(problems), new_base=plan.new_base)


def rows_at_risk(kind: PageKind, base: Rows, local: Rows) -> set[str]:
    """The recorded rows a page that reads as empty would delete: for a one-way kind every
    local row; for a two-way kind those the page had at the last sync (local rows not in
    the base are additions still to write, not rows the wiki lost)."""
    return set(base) & set(local) if kind.two_way else set(local)


def page_is_empty(kind: PageKind, page: str, parsed: ParsedPage, base: Rows,
                  local: Rows) -> bool:
    """No row on the page, apart from rows the records removed and still have to remove
    there (so a crash right after that write reads the same as before it). An unreadable
    row counts as a row."""
    if len(parsed.rows) > len(_removals(kind, base, local)):  # one row at least is not ours
        return False
    wiki, problems = read_rows(kind, page, parsed)
    return not problems and not set(wiki) - _removals(kind, base, local)


def _reads_empty(kind: PageKind, wiki: Rows, base: Rows, local: Rows) -> bool:
    """Suddenly empty: no row left but those being removed, while recorded rows would go."""
    return not set(wiki) - _removals(kind, base, local) and bool(rows_at_risk(kind, base, local))


def _removals(kind: PageKind, base: Rows, local: Rows) -> set[str]:
    """Rows the records removed since the last sync (two-way kinds), still to write."""
    return set(base) - set(local) if kind.two_way else set()


def _wiki_wins(wiki: Rows, base: Rows, local: Rows, clean: bool) -> PagePlan:
    """One-way kinds: the wiki is the truth; a row gone from a clean page is tombstoned."""
    upserts = {key: values for key, values in wiki.items() if local.get(key) != values}
    tombstones = tuple(sorted(key for key in local if key not in wiki)) if clean else ()
    new_base = dict(wiki)
    if not clean:  # keep what we cannot see, so an unreadable row is not taken as deleted
        new_base.update({key: base[key] for key in base if key not in wiki})
    return PagePlan(upserts=upserts, tombstones=tombstones, new_base=new_base)


@dataclass
class _Acc:
    upserts: dict[str, Mapping[str, str]] = field(default_factory=dict)
    tombstones: list[str] = field(default_factory=list)
    changes: list[RowChange] = field(default_factory=list)
    conflicts: list[FieldConflict] = field(default_factory=list)
    new_base: dict[str, Mapping[str, str]] = field(default_factory=dict)


def _two_way(kind: PageKind, wiki: Rows, base: Rows, local: Rows,
             local_deleted: frozenset[str], clean: bool) -> PagePlan:
    acc = _Acc()
    for key in sorted(set(wiki) | set(base) | set(local) | local_deleted):
        b, w, lo = base.get(key), wiki.get(key), local.get(key)
        if w is None and not clean:  # maybe an unreadable row: decide nothing about it
            if b is not None:
                acc.new_base[key] = b
            continue
        _merge_row(kind, key, b, w, lo, acc)
    return PagePlan(upserts=acc.upserts, tombstones=tuple(acc.tombstones),
                    wiki_changes=tuple(acc.changes), conflicts=tuple(acc.conflicts),
                    new_base=acc.new_base)


def _merge_row(kind: PageKind, key: str, b: Mapping[str, str] | None,
               w: Mapping[str, str] | None, lo: Mapping[str, str] | None, acc: _Acc) -> None:
    if w == lo:
        if w is not None:
            acc.new_base[key] = w
    elif lo == b:  # only the wiki changed
        if w is None:
            acc.tombstones.append(key)
        else:
            acc.upserts[key] = w
            acc.new_base[key] = w
    elif w == b:  # only the records changed
        acc.changes.append(_push(key, b, lo))
        if lo is not None:
            acc.new_base[key] = lo
    elif w is None or lo is None:  # deleted on one side, changed on the other
        acc.conflicts.append(FieldConflict(key, ROW, _dump(b), _dump(w), _dump(lo)))
        if b is not None:
            acc.new_base[key] = b
    else:
        _merge_fields(kind, key, b or {}, w, lo, acc)


def _merge_fields(kind: PageKind, key: str, b: Mapping[str, str], w: Mapping[str, str],
                  lo: Mapping[str, str], acc: _Acc) -> None:
    local_new, wiki_new, base_new = dict(lo), {}, {}
    for name in kind.field_names:
        bf, wf, lf = b.get(name, ""), w.get(name, ""), lo.get(name, "")
        if wf == lf:
            base_new[name] = wf
        elif lf == bf:
            local_new[name] = base_new[name] = wf
        elif wf == bf:
            wiki_new[name] = base_new[name] = lf
        else:
            acc.conflicts.append(FieldConflict(key, name, bf, wf, lf))
            base_new[name] = bf
    if local_new != dict(lo):
        acc.upserts[key] = local_new
    if wiki_new:
        acc.changes.append(RowChange("update", key, wiki_new))
    acc.new_base[key] = base_new


def _push(key: str, b: Mapping[str, str] | None, lo: Mapping[str, str] | None) -> RowChange:
    if lo is None:
        return RowChange("remove", key)
    if b is None:
        return RowChange("add", key, dict(lo))
    return RowChange("update", key, {k: v for k, v in lo.items() if b.get(k, "") != v})


def _dump(row: Mapping[str, str] | None) -> str | None:
    return None if row is None else json.dumps(dict(row), ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class CharterPlan:
    """The charter: wiki-owned fields flow back; records-owned ones are compared (drift)."""

    accepted: Mapping[str, str] = field(default_factory=dict)
    drift: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # field -> (wiki, ours)
    problems: tuple[RowProblem, ...] = ()
    values: Mapping[str, str] | None = None  # the block as read, when readable


def plan_charter(kind: PageKind, page: str, parsed: ParsedPage,
                 records: Mapping[str, str]) -> CharterPlan:
    rows, problems = read_rows(kind, page, parsed)
    if not rows:
        if not problems:
            problems.append(RowProblem(page, 1, "(template)",
                                       f"no {{{{{kind.row_template}}}}} block on the page"))
        return CharterPlan(problems=tuple(problems))
    values = next(iter(rows.values()))
    accepted, drift = {}, {}
    for definition in kind.fields:
        wiki_value, ours = values.get(definition.name, ""), records.get(definition.name, "")
        if wiki_value == ours:
            continue
        if definition.owner == "records":
            drift[definition.name] = (wiki_value, ours)
        else:
            accepted[definition.name] = wiki_value
    return CharterPlan(accepted=accepted, drift=drift, problems=tuple(problems), values=values)
