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
  (a bad date in a row whose url is fine) only that key waits; when it cannot (no e-mail,
  a template left open), no row missing from the page is taken as deleted (it may be that
  row), but local additions are still written (the page does not have them);
* two rows with the same key: the one the records know (equal to the merge base, else to the
  local row) is kept and the other is the duplicate; when neither is, the records keep their
  values for the key; a change made by command to a key on several rows waits (the write
  would not know which row to change);
* a page that suddenly reads as empty is refused unless forced (the community-wide guard of
  sync/deletions.py uses the same rule);
* a key recorded before web addresses became case-sensitive in keys (``row_key``) is the
  page's key in that spelling: renamed, never duplicated or tombstoned.

What waits is said (``PagePlan.notes``), so the CLI and the report can tell why the
records and the page still differ.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from connector.base import ParsedPage, RawRow, RowChange
from connector.errors import RowProblem
from page_templates import PageKind
from page_templates.model import localize
from page_templates.values import FieldInvalid, clean_text, key_fields, normalize_row, row_key

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
                         f"rows whose key cannot be read ({_rows(self.unkeyed_rows)}), and a "
                         "row that looks deleted may be one of them; fix or remove those rows "
                         "and the next cop-sync takes the deletions")
        return tuple(notes)


@dataclass(frozen=True)
class PageRows:
    """A page's rows as read and validated against the records.

    ``rows``: the rows the merge decides on (key -> canonical values). ``held``: keys on the
    page that cannot be decided now (a row with the key cannot be read, or several rows
    have it and none is the one recorded). ``repeated``: keys on more than one row.
    ``unkeyed``: the rows whose key cannot be read (any key missing from the page may be
    theirs). ``why``: key -> why it is held or repeated, for the notes."""

    rows: dict[str, dict[str, str]]
    problems: list[RowProblem]
    held: frozenset[str] = frozenset()
    repeated: frozenset[str] = frozenset()
    unkeyed: tuple[int, ...] = ()
    why: Mapping[str, str] = field(default_factory=dict)


def read_rows(kind: PageKind, page: str, parsed: ParsedPage, *, base: Rows | None = None,
              local: Rows | None = None,
              lang: str = "en") -> tuple[dict[str, dict[str, str]], list[RowProblem]]:
    """Validate the parsed rows: key -> canonical values, and every problem found (rows
    whose key is held back, see ``read_page``, are left out)."""
    read = read_page(kind, page, parsed, base=base, local=local, lang=lang)
    return read.rows, read.problems


def read_page(kind: PageKind, page: str, parsed: ParsedPage, *, base: Rows | None = None,
              local: Rows | None = None, lang: str = "en") -> PageRows:
    """Validate the parsed rows; ``base`` and ``local`` (the merge base and the records)
    tell which of two rows with the same key is the established one. Messages naming what
    members may write (a choice's labels) are in ``lang``, the page's language."""
    found = _Found(problems=list(parsed.problems))
    for row, problems in _by_row(parsed.problems).items():
        keys = {_problem_key(kind, problem) for problem in problems}
        key = next(iter(keys)) if len(keys) == 1 else None
        found.unreadable(row, problems[0].line, key)
    for raw in parsed.rows:
        _validate(kind, page, raw, lang, found)
    rows: dict[str, dict[str, str]] = {}
    for key, same in found.seen.items():
        if len(same) == 1:
            rows[key] = same[0][1]
            continue
        kept = _established(kind, same, (base or {}).get(key), (local or {}).get(key))
        found.problems += _duplicates(kind, page, key, same, kept)
        found.why[key] = f"rows {_numbers(raw.index for raw, _ in same)} have the same key"
        if kept is None:
            found.held.setdefault(key, found.why[key])
        else:
            rows[key] = kept[1]
    for key in found.held:
        rows.pop(key, None)  # an unreadable row has the key too: it decides nothing
    found.problems.sort(key=lambda problem: problem.row)
    return PageRows(rows, found.problems, held=frozenset(found.held),
                    repeated=frozenset(k for k, same in found.seen.items() if len(same) > 1),
                    unkeyed=tuple(sorted(found.unkeyed)), why={**found.why, **found.held})


@dataclass
class _Found:
    """What reading a page's rows finds, as it goes."""

    problems: list[RowProblem]
    seen: dict[str, list[tuple[RawRow, dict[str, str]]]] = field(default_factory=dict)
    held: dict[str, str] = field(default_factory=dict)  # key -> why
    unkeyed: set[int] = field(default_factory=set)
    why: dict[str, str] = field(default_factory=dict)

    def unreadable(self, row: int, line: int | None, key: str | None) -> None:
        if key is None:
            self.unkeyed.add(row)
        else:
            where = f"row {row}" + (f" (line {line})" if line else "")
            self.held.setdefault(key, f"{where} with this key cannot be read")


def _validate(kind: PageKind, page: str, raw: RawRow, lang: str, found: _Found) -> None:
    """One parsed row: its problems, or its key and values."""
    values, invalid = normalize_row(kind, raw.values)
    hint = _unknown_hint(raw.unknown)
    if invalid:
        key = _readable_key(kind, values, invalid)
        found.problems += [RowProblem(page, raw.index, problem.field,
                                      problem.message_in(lang) + hint, raw.line, key)
                           for problem in invalid]
        found.unreadable(raw.index, raw.line, key)
        return
    key = row_key(kind, values)
    if key is None:
        found.problems.append(RowProblem(page, raw.index, key_fields(kind),
                                         f"no key: fill {key_fields(kind)}{hint}", raw.line))
        found.unkeyed.add(raw.index)
    else:
        found.seen.setdefault(key, []).append((raw, values))


def _by_row(problems: tuple[RowProblem, ...]) -> dict[int, list[RowProblem]]:
    found: dict[int, list[RowProblem]] = {}
    for problem in problems:
        found.setdefault(problem.row, []).append(problem)
    return found


def _problem_key(kind: PageKind, problem: RowProblem) -> str | None:
    """The key of a row the codec could not read, where it can be told for sure: the
    trouble is not in a key field, and no earlier key alternative could have been emptied
    by an invalid value (a watch row's bad url would leave it keyed by title and date)."""
    fields = {name for alternative in kind.keys for name in alternative}
    if problem.key is None or problem.field in fields or kind.field(problem.field) is None:
        return None
    if len(kind.keys) > 1 and any(
            (definition := kind.field(name)) is None or definition.type not in _NEVER_INVALID
            for alternative in kind.keys[:-1] for name in alternative):
        return None
    return problem.key


_NEVER_INVALID = frozenset({"text", "longtext", "tags"})  # types any value is valid for


def _readable_key(kind: PageKind, values: Mapping[str, str],
                  invalid: list[FieldInvalid]) -> str | None:
    """The key of a row with invalid values, when those values cannot change it: the first
    complete key alternative, provided no alternative up to it holds an invalid field."""
    bad = {problem.field for problem in invalid}
    for alternative in kind.keys:
        if bad.intersection(alternative):
            return None
        if all(values.get(name) for name in alternative):
            return row_key(kind, values)
    return None


def _established(kind: PageKind, found: list[tuple[RawRow, dict[str, str]]],
                 base: Mapping[str, str] | None,
                 local: Mapping[str, str] | None) -> tuple[RawRow, dict[str, str]] | None:
    """Of the rows with one key, the one the records know: equal to the merge base, else
    to the local row; None when none is."""
    for known in (base, local):
        if known is None:
            continue
        for raw, values in found:
            if all(values.get(name, "") == known.get(name, "") for name in kind.field_names):
                return raw, values
    return None


def _duplicates(kind: PageKind, page: str, key: str,
                found: list[tuple[RawRow, dict[str, str]]],
                kept: tuple[RawRow, dict[str, str]] | None) -> list[RowProblem]:
    """The problems of rows sharing a key: the new rows, or all of them when none is the
    recorded one (the records then keep their values for the key)."""
    fields = key_fields(kind)
    if kept is not None:
        row = kept[0]
        where = f"row {row.index}" + (f" (line {row.line})" if row.line else "")
        return [RowProblem(page, raw.index, fields,
                           f"same key as {where}, the row already recorded; this row is "
                           "ignored (remove it, or make your change in that row)",
                           raw.line, key)
                for raw, _ in found if raw is not row]
    problems = []
    for raw, _ in found:
        others = _numbers(other.index for other, _ in found if other is not raw)
        problems.append(RowProblem(
            page, raw.index, fields,
            f"same key as row {others}, and none of these rows is the one recorded: "
            "all are ignored and the records keep what they have for this key until "
            "only one row is left", raw.line, key))
    return problems


def _numbers(indexes: object) -> str:
    found = sorted(indexes)  # type: ignore[call-overload]
    return ", ".join(map(str, found[:-1])) + " and " + str(found[-1]) if len(found) > 1 \
        else str(found[0])


def _rows(indexes: tuple[int, ...]) -> str:
    shown = ", ".join(f"row {index}" for index in indexes[:5])
    return shown + (", …" if len(indexes) > 5 else "")


def _unknown_hint(unknown: tuple[str, ...]) -> str:
    if not unknown:
        return ""
    names = ", ".join(repr(u) for u in unknown)
    return f" (unknown field {names}: a misspelt parameter or column header?)"


def plan_page(kind: PageKind, page: str, parsed: ParsedPage, *, base: Rows | None,
              local: Rows, local_deleted: frozenset[str] = frozenset(),
              force_delete: bool = False, lang: str = "en") -> PagePlan:
    """Plan one page of rows. ``local`` holds the live local rows, ``local_deleted`` the keys
    tombstoned locally; ``base`` is None when the page was never synced; ``lang`` is the
    page's language (for the problems' messages)."""
    base = base or {}
    read = read_page(kind, page, parsed, base=base, local=local, lang=lang)
    wiki, problems = read.rows, read.problems
    clean = not problems
    if clean and not force_delete and _reads_empty(kind, wiki, base, local):
        return PagePlan(problems=tuple(problems), new_base=base, refused_empty=True)
    on_page = set(wiki) | read.held
    renames = _renames(on_page, wiki, base, local, local_deleted)
    base_renames = {**_renames(on_page, wiki, {}, base, frozenset()), **renames}
    if renames:
        local = _renamed(local, renames)
        local_deleted = frozenset(renames.get(key, key) for key in local_deleted)
    if base_renames:
        base = _renamed(base, base_renames)
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


@dataclass
class _Acc:
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
        return f"the page has rows whose key cannot be read ({_rows(read.unkeyed)})"
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


@dataclass(frozen=True)
class CharterPlan:
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
    accepted); the drift is still reported."""
    problems = list(parsed.problems)
    if not parsed.rows:
        if not problems:
            problems.append(RowProblem(page, 1, "(template)",
                                       f"no {{{{{kind.row_template}}}}} block on the page"))
        return CharterPlan(problems=tuple(problems))
    raw, *others = parsed.rows
    problems += [RowProblem(page, other.index, "(template)",
                            f"another {{{{{kind.row_template}}}}} block: only the first one "
                            f"(row {raw.index}) is read; remove this one", other.line)
                 for other in others]
    values, invalid = normalize_row(kind, raw.values)
    governance = {d.name for d in kind.fields if d.owner == "records"}
    for problem in invalid:
        if problem.field in governance:  # as written: it is drift, whatever it says
            values[problem.field] = clean_text(raw.values.get(problem.field, ""))
    invalid = [problem for problem in invalid if problem.field not in governance]
    hint = _unknown_hint(raw.unknown)
    problems += [RowProblem(page, raw.index, problem.field, problem.message_in(lang) + hint,
                            raw.line) for problem in invalid]
    problems.sort(key=lambda problem: problem.row)
    accepted, drift = {}, {}
    for definition in kind.fields:
        wiki_value, ours = values.get(definition.name, ""), records.get(definition.name, "")
        if wiki_value == ours or ("@" in ours and wiki_value.casefold() == ours.casefold()):
            continue  # (an e-mail address's case is no change: the records lower-case them)
        if definition.owner == "records":
            drift[definition.name] = (wiki_value, ours)
        elif not invalid:
            accepted[definition.name] = wiki_value
    return CharterPlan(accepted=accepted, drift=drift, problems=tuple(problems),
                       values=None if invalid else values)
