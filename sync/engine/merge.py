"""The pure part of sync: from a parsed page, its merge base and the local rows, a plan.

No I/O here. ``plan_page`` decides, row by row and field by field, what changes locally,
what changes on the wiki (two-way kinds only) and what is a conflict, in the manner of
vdirsyncer's decision table:

    local == wiki              nothing to do
    local == base              the wiki changed it: take the wiki's value
    wiki  == base              the records changed it: write it to the wiki
    otherwise                  both changed: merge field by field; a field changed
                               differently on both sides is a conflict, left as it is

Safety rules:

* a row that cannot be read decides nothing about its key: when its key can still be told
  (a bad date, or a template in another field, in a row whose url is fine) only that key
  waits; when it cannot (no e-mail, a template left open), no row missing from the page is
  taken as deleted (it may be that row), but local additions are still written (the page
  does not have them); a row of another kind (``{{CoP watch}}`` on the References page)
  is none of the page's rows and holds nothing back;
* two rows with the same key: the one the records know (equal to the merge base, else to the
  local row) is kept and the other is the duplicate; when neither is, the records keep their
  values for the key; a row pasted twice (same fields) is taken once; a change made by
  command to a key on several rows waits (the write would not know which row to change);
* a value only the records set (the member roles pilot and expert, see
  sync/engine/governance.py) is never taken from the wiki: reported, and the records keep
  theirs;
* a page that suddenly reads as empty is refused unless forced (the community-wide guard of
  sync/engine/deletions.py uses the same rule);
* a key recorded before web addresses became case-sensitive in keys (``row_key``) is the
  page's key in that spelling: renamed, never duplicated or tombstoned.

What waits is said (``PagePlan.notes``), so the CLI and the report can tell why the
records and the page still differ.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from msgspec import Struct, field
from msgspec.structs import replace

from connector.base import ParsedPage, RowChange
from connector.errors import RowProblem
from page_templates import PageKind
from page_templates.model import localize
from sync.engine.governance import hold_governed
from sync.engine.page_rows import OTHER_KIND, PageRows, read_page, read_rows, row_list
from sync.records.model import Rows

ROW = "(row)"  # the conflict "field" when one side deleted the row and the other changed it


class FieldConflict(Struct, frozen=True):
    key: str
    field: str
    base: str | None
    wiki: str | None
    local: str | None


class PagePlan(Struct, frozen=True):
    """What to do for one page. ``new_base`` is the merge base once the plan is applied."""

    upserts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    tombstones: tuple[str, ...] = ()
    wiki_changes: tuple[RowChange, ...] = ()
    conflicts: tuple[FieldConflict, ...] = ()
    problems: tuple[RowProblem, ...] = ()
    new_base: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    refused_empty: bool = False
    # local key -> the page's key: keys recorded in an older spelling (see row_key),
    # renamed in the records before the rest of the plan is applied
    renames: Mapping[str, str] = field(default_factory=dict)
    # what waits until the page is fixed: changes made by command (key -> why), and rows
    # missing from the page not taken as deleted (rows whose key cannot be read are there)
    held_changes: Mapping[str, str] = field(default_factory=dict)
    held_deletions: tuple[str, ...] = ()
    unkeyed_rows: tuple[int, ...] = ()  # the rows whose key cannot be read
    row_label: str = "row"  # what one row is ("member"), for the notes

    @property
    def changes_local(self) -> bool:
        return bool(self.upserts or self.tombstones or self.renames)

    @property
    def notes(self) -> tuple[str, ...]:
        """What is held back and why, one sentence each (empty when nothing is)."""
        notes = []
        if self.held_changes:
            why = "; ".join(f"{key}: {reason}" for key, reason in self.held_changes.items())
            notes.append(f"{len(self.held_changes)} {self.row_label} change(s) held back "
                         f"({why}); fix those rows on the page and the next cop-sync writes "
                         "them")
        if self.held_deletions:
            notes.append(f"{len(self.held_deletions)} deletion(s) held back: the page has "
                         f"rows whose key cannot be read ({row_list(self.unkeyed_rows)}), and a "
                         "row that looks deleted may be one of them; fix or remove those rows "
                         "and the next cop-sync takes the deletions")
        return tuple(notes)


def plan_page(kind: PageKind, page: str, parsed: ParsedPage, *, base: Rows | None,
              local: Rows, local_deleted: frozenset[str] = frozenset(),
              force_delete: bool = False, lang: str = "en") -> PagePlan:
    """Plan one page of rows. ``local`` holds the live local rows, ``local_deleted`` the keys
    tombstoned locally; ``base`` is None when the page was never synced; ``lang`` is the
    page's language (for the problems' messages)."""
    base = base or {}
    read = read_page(kind, page, parsed, base=base, local=local, lang=lang)
    wiki, problems = read.rows, read.problems
    if not (holds_rows(problems) or force_delete) and _reads_empty(kind, wiki, base, local):
        return PagePlan(problems=tuple(problems), new_base=base, refused_empty=True)
    on_page = set(wiki) | read.held
    renames = _renames(on_page, wiki, base, local, local_deleted)
    base_renames = {**_renames(on_page, wiki, {}, base, frozenset()), **renames}
    if renames:
        local = _renamed(local, renames)
        local_deleted = frozenset(renames.get(key, key) for key in local_deleted)
    if base_renames:
        base = _renamed(base, base_renames)
    wiki, governed = hold_governed(kind, page, wiki, base, local, read.at, lang)
    problems = sorted([*problems, *governed], key=lambda problem: problem.row)
    if kind.two_way:
        plan = _two_way(kind, wiki, base, local, local_deleted, read)
    else:
        plan = _wiki_wins(wiki, base, local, read)
    return replace(plan, problems=tuple(problems), renames=renames,
                   unkeyed_rows=read.unkeyed,
                   row_label=localize(kind.row_label, "en") or "row")


def _renames(on_page: set[str], wiki: Rows, base: Rows, local: Rows,
             local_deleted: frozenset[str]) -> dict[str, str]:
    """Recorded keys in an older spelling of a key on the page -> that key.

    Keys used to be case-folded whole; web addresses now keep the case of their path
    (``row_key``). A key on the page that the records do not have, whose case-folded form
    they do have (and the page does not), is that recorded row: renamed, so the next sync
    after an upgrade neither duplicates nor tombstones it. Several keys on the page folding
    to one recorded key: the one whose row equals the record, else none. ``local`` and
    ``local_deleted`` are the records' rows (renamed in the records); the merge base
    follows them."""
    known = set(local) | local_deleted
    claims: dict[str, list[str]] = {}
    for key in sorted(on_page - known):
        old = key.casefold()
        if old != key and old in known and old not in on_page:
            claims.setdefault(old, []).append(key)
    renames = {}
    for old, keys in claims.items():
        recorded = local.get(old) or base.get(old)
        matching = [key for key in keys if wiki.get(key) == recorded]
        if len(keys) == 1 or len(matching) == 1:
            renames[old] = keys[0] if len(keys) == 1 else matching[0]
    return renames


def _renamed(rows: Rows, renames: Mapping[str, str]) -> dict[str, Mapping[str, str]]:
    """``rows`` with keys renamed; a row already under the new key stays as it is."""
    return {renames.get(key, key): values for key, values in rows.items()
            if key not in renames or renames[key] not in rows}


def rows_at_risk(kind: PageKind, base: Rows, local: Rows) -> set[str]:
    """The recorded rows a page that reads as empty would delete: for a one-way kind every
    local row; for a two-way kind those the page had at the last sync (local rows not in
    the base are additions still to write, not rows the wiki lost)."""
    return set(base) & set(local) if kind.two_way else set(local)


def page_is_empty(kind: PageKind, page: str, parsed: ParsedPage, base: Rows,
                  local: Rows) -> bool:
    """No row on the page, apart from rows the records removed and still have to remove
    there (so a crash right after that write reads the same as before it). An unreadable
    row counts as a row (not another kind's row: it is none of this page's)."""
    if len(parsed.rows) > len(_removals(kind, base, local)):  # one row at least is not ours
        return False
    wiki, problems = read_rows(kind, page, parsed)
    return not holds_rows(problems) and not set(wiki) - _removals(kind, base, local)


def holds_rows(problems: list[RowProblem]) -> bool:
    """Whether problems stand for rows of the page that could not be taken (so the page
    is not empty, whatever it reads as): errors, but for another kind's rows."""
    return any(problem.blocking and problem.code != OTHER_KIND for problem in problems)


def _reads_empty(kind: PageKind, wiki: Rows, base: Rows, local: Rows) -> bool:
    """Suddenly empty: no row left but those being removed, while recorded rows would go."""
    return not set(wiki) - _removals(kind, base, local) and bool(rows_at_risk(kind, base, local))


def _removals(kind: PageKind, base: Rows, local: Rows) -> set[str]:
    """Rows the records removed since the last sync (two-way kinds), still to write."""
    return set(base) - set(local) if kind.two_way else set()


def _wiki_wins(wiki: Rows, base: Rows, local: Rows, read: PageRows) -> PagePlan:
    """One-way kinds: the wiki is the truth; a row gone from the page is tombstoned, unless
    its key is held (an unreadable row has it) or rows whose key cannot be read are on the
    page (it may be one of them: held back, and said)."""
    upserts = {key: values for key, values in wiki.items() if local.get(key) != values}
    gone = tuple(sorted(key for key in local if key not in wiki and key not in read.held))
    new_base = dict(wiki)
    # keep what we cannot see, so an unreadable row is not taken as deleted
    new_base.update({key: base[key] for key in base
                     if key not in wiki and (key in read.held or read.unkeyed)})
    if read.unkeyed:
        return PagePlan(upserts=upserts, new_base=new_base, held_deletions=gone)
    return PagePlan(upserts=upserts, tombstones=gone, new_base=new_base)


class _Acc(Struct):
    upserts: dict[str, Mapping[str, str]] = field(default_factory=dict)
    tombstones: list[str] = field(default_factory=list)
    changes: list[RowChange] = field(default_factory=list)
    conflicts: list[FieldConflict] = field(default_factory=list)
    new_base: dict[str, Mapping[str, str]] = field(default_factory=dict)
    held_changes: dict[str, str] = field(default_factory=dict)
    held_deletions: list[str] = field(default_factory=list)


def _two_way(kind: PageKind, wiki: Rows, base: Rows, local: Rows,
             local_deleted: frozenset[str], read: PageRows) -> PagePlan:
    acc = _Acc()
    for key in sorted(set(wiki) | set(base) | set(local) | local_deleted):
        b, w, lo = base.get(key), wiki.get(key), local.get(key)
        why = _undecided(key, b, w, lo, read)
        if why is None:
            _merge_row(kind, key, b, w, lo, acc)
            continue
        if b is not None:  # decide nothing about it: the base stays as it was
            acc.new_base[key] = b
        if lo != b:
            acc.held_changes[key] = why
        elif w is None and key not in read.held:  # would have been taken as deleted
            acc.held_deletions.append(key)
    return PagePlan(upserts=acc.upserts, tombstones=tuple(acc.tombstones),
                    wiki_changes=tuple(acc.changes), conflicts=tuple(acc.conflicts),
                    new_base=acc.new_base, held_changes=acc.held_changes,
                    held_deletions=tuple(acc.held_deletions))


def _undecided(key: str, b: Mapping[str, str] | None, w: Mapping[str, str] | None,
               lo: Mapping[str, str] | None, read: PageRows) -> str | None:
    """Why nothing can be decided about ``key`` now, or None.

    Its row cannot be read, or several rows have it and none is the recorded one; or it is
    missing from the page while rows whose key cannot be read are there (it may be one of
    them), and the records had it at the last sync (a local addition is not on the page:
    it is written); or several rows have it and a change made by command would have to be
    written to one of them (the write would not know which)."""
    if key in read.held:
        return read.why.get(key, "a row with this key cannot be read")
    if w is None and b is not None and read.unkeyed:
        return f"the page has rows whose key cannot be read ({row_list(read.unkeyed)})"
    if key in read.repeated and lo not in (b, w):
        return read.why.get(key, "several rows have this key")
    return None


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
