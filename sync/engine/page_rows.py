"""Reading a page's rows for the merge (pure): each row validated against its kind, its key
told, and the rows that decide nothing set apart -- a row that cannot be read holds back its
key when it can still be told (a bad date in a row whose url is fine), else it is "unkeyed"
(any key missing from the page may be its); of two rows with one key, the one the records
know is kept and the other reported. sync/engine/merge.py plans from what this reads.
"""

from __future__ import annotations

from collections.abc import Mapping

from msgspec import Struct, field
from msgspec.structs import replace

from connector.base import ParsedPage, RawRow
from connector.errors import RowProblem
from page_templates import PageKind
from page_templates.problems import quoted
from page_templates.values import (
    derived,
    key_fields,
    loose,
    normalize_row,
    row_key,
    suggest,
)
from sync.records.model import Rows


class PageRows(Struct, frozen=True):
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
    at: Mapping[str, RawRow] = field(default_factory=dict)  # key -> the row taken


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
    members may write (a choice's labels) are in ``lang``, the page's language.

    Rows pasted twice (same key, same fields) are recorded once, the copies reported as
    warnings; an unknown parameter on a valid row is a warning (the row is taken)."""
    found = _Found(problems=[])
    partial = {raw.index: raw for raw in parsed.partial}
    for row, problems in _by_row(parsed.problems).items():
        if all(problem.code == OTHER_KIND for problem in problems):
            found.problems += problems  # another kind's row: it is none of this page's keys
            continue
        key = _unreadable_key(kind, problems, partial.get(row))
        found.problems += [replace(problem, key=key) for problem in problems]
        found.unreadable(row, problems[0].line, key)
    for raw in parsed.rows:
        _validate(kind, page, raw, lang, found)
    rows: dict[str, dict[str, str]] = {}
    at: dict[str, RawRow] = {}
    for key, same in found.seen.items():
        if len(same) == 1 or _identical(same):
            at[key], rows[key] = same[0]
            found.problems += _copies(kind, page, key, same)
            continue
        kept = _established(kind, same, (base or {}).get(key), (local or {}).get(key))
        found.problems += _duplicates(kind, page, key, same, kept)
        found.why[key] = f"rows {_numbers(raw.index for raw, _ in same)} have the same key"
        if kept is None:
            found.held.setdefault(key, found.why[key])
        else:
            at[key], rows[key] = kept
    for key in found.held:
        rows.pop(key, None)  # an unreadable row has the key too: it decides nothing
    found.problems.sort(key=lambda problem: problem.row)
    repeated = {k for k, same in found.seen.items() if len(same) > 1}
    for key in repeated & set(rows) - set(found.why):
        found.why[key] = f"rows {_numbers(raw.index for raw, _ in found.seen[key])} have " \
                         "the same key"
    return PageRows(rows, found.problems, held=frozenset(found.held),
                    repeated=frozenset(repeated),
                    unkeyed=tuple(sorted(found.unkeyed)), why={**found.why, **found.held},
                    at={key: at[key] for key in rows})


OTHER_KIND = "wrong_kind"  # the code of a call of another kind's row template
# Problems after which nothing of the row can be trusted to tell its key: a row starting
# inside it or left open (its end, and the next rows, are unknown), a value without a name
# (it may be the key), merged cells (the columns are shifted), an unreadable page.
_KEYLESS = frozenset({"row_inside_row", "row_not_closed", "positional_value", "merged_cell",
                      "page_unreadable", "no_table", "no_properties_table"})


class _Found(Struct):
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
        key = _readable_key(kind, values, {problem.field for problem in invalid})
        found.problems += [RowProblem(page, raw.index, problem.field,
                                      problem.message_in(lang) + hint, raw.line, key,
                                      code=problem.code, params=problem.params_in(lang))
                           for problem in invalid]
        found.unreadable(raw.index, raw.line, key)
        return
    key = row_key(kind, values)
    if key is None:
        fields = key_fields(kind)
        found.problems.append(RowProblem(page, raw.index, fields,
                                         f"no key: fill {fields}{hint}", raw.line,
                                         code="no_key", params={"fields": fields}))
        found.unkeyed.add(raw.index)
    else:
        found.seen.setdefault(key, []).append((raw, values))
        found.problems += unknown_params(kind, page, raw, key)


def unknown_params(kind: PageKind, page: str, raw: RawRow,
                   key: str | None = None) -> list[RowProblem]:
    """Warnings for the parameters of a taken row that are no field of its kind and hold a
    value (a misspelt name, most often): the row is recorded without them; the value stays
    on the page and, with the warning, in the records. An empty one loses nothing: not
    reported."""
    problems = []
    for name, value in raw.extra.items():
        if not value.strip():
            continue
        like = suggest(name, derived(kind, _field_names))
        params = {"name": name, "value": quoted(value)}
        message = f"{name!r} is not a field of this row, so its value ({quoted(value)!r}) is " \
                  "not recorded; it stays on the page"
        if like:
            params["field"] = like
            message += f" (did you mean {like!r}?)"
        problems.append(RowProblem(page, raw.index, name, message, raw.line, key,
                                   code="misspelt_param" if like else "unknown_param",
                                   params=params, severity="warning"))
    return problems


def _field_names(kind: PageKind) -> dict[str, str]:
    """Field names and labels (any language), case-folded -> field name: what a misspelt
    parameter may have meant."""
    names = {loose(label): f.name for f in kind.fields for label in f.label.values()}
    names.update({loose(f.name): f.name for f in kind.fields})
    return names


def _by_row(problems: tuple[RowProblem, ...]) -> dict[int, list[RowProblem]]:
    found: dict[int, list[RowProblem]] = {}
    for problem in problems:
        found.setdefault(problem.row, []).append(problem)
    return found


def _unreadable_key(kind: PageKind, problems: list[RowProblem],
                    partial: RawRow | None) -> str | None:
    """The key of a row the codec could not read, where it can be told for sure: from what
    could be read of it (``partial``), when the troubles are in fields that cannot change
    it (a template in the owner of a reference whose url is fine); else None."""
    if any(problem.code in _KEYLESS for problem in problems):
        return None
    if partial is None:  # a codec that does not say what it could read
        keys = {_problem_key(kind, problem) for problem in problems}
        return next(iter(keys)) if len(keys) == 1 else None
    bad = {problem.field for problem in problems if kind.field(problem.field) is not None}
    if any(kind.field(problem.field) is None and problem.code != "misspelt_template"
           for problem in problems):
        return None
    values, invalid = normalize_row(kind, partial.values)
    return _readable_key(kind, values, bad | {problem.field for problem in invalid})


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


# the types any value is valid for
_NEVER_INVALID = frozenset({"text", "longtext", "tags", "entries"})


def _readable_key(kind: PageKind, values: Mapping[str, str], bad: set[str]) -> str | None:
    """The key of a row with unreadable or invalid fields (``bad``), when those cannot
    change it: the first complete key alternative, provided no alternative up to it holds
    a bad field."""
    for alternative in kind.keys:
        if bad.intersection(alternative):
            return None
        if all(values.get(name) for name in alternative):
            return row_key(kind, values)
    return None


def _identical(found: list[tuple[RawRow, dict[str, str]]]) -> bool:
    """Rows with one key and the same fields (a row pasted twice)."""
    return all(values == found[0][1] for _, values in found[1:])


def _copies(kind: PageKind, page: str, key: str,
            found: list[tuple[RawRow, dict[str, str]]]) -> list[RowProblem]:
    """Warnings for the copies of a row pasted twice (recorded once)."""
    first = found[0][0]
    return [RowProblem(page, raw.index, key_fields(kind),
                       f"a copy of row {first.index} (same fields): recorded once; remove "
                       "this copy", raw.line, key, code="duplicate_row",
                       params={"other": str(first.index)}, severity="warning")
            for raw, _ in found[1:]]


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
                           raw.line, key, code="same_key_recorded",
                           params={"other": str(row.index)})
                for raw, _ in found if raw is not row]
    problems = []
    for raw, _ in found:
        others = _numbers(other.index for other, _ in found if other is not raw)
        problems.append(RowProblem(
            page, raw.index, fields,
            f"same key as row {others}, and none of these rows is the one recorded: "
            "all are ignored and the records keep what they have for this key until "
            "only one row is left", raw.line, key, code="same_key_unresolved",
            params={"other": others}))
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
