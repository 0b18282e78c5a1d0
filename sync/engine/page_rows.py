"""Reading a page's rows for the merge (pure): each row validated against its kind, its key
told, and the rows that decide nothing set apart -- a row that cannot be read holds back its
key when it can still be told (a bad date in a row whose url is fine), else it is "unkeyed"
(any key missing from the page may be its); of two rows with one key, the one the records
know is kept and the other reported. sync/engine/merge.py plans from what this reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from connector.base import ParsedPage, RawRow
from connector.errors import RowProblem
from page_templates import PageKind
from page_templates.values import FieldInvalid, key_fields, normalize_row, row_key
from sync.records.model import Rows


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
    hint = unknown_hint(raw.unknown)
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


def row_list(indexes: tuple[int, ...]) -> str:
    """"row 3, row 7, …" (the first five)."""
    shown = ", ".join(f"row {index}" for index in indexes[:5])
    return shown + (", …" if len(indexes) > 5 else "")


def unknown_hint(unknown: tuple[str, ...]) -> str:
    """What a row problem adds about parameters or columns the kind does not define."""
    if not unknown:
        return ""
    names = ", ".join(repr(u) for u in unknown)
    return f" (unknown field {names}: a misspelt parameter or column header?)"
