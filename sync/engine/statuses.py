"""Status changes of rows, as the sync sees them (pure): a list kind whose rows carry a
``status`` choice (a subject of the Ideas page: idea, studied, proposed...; a seminar
action; a regulatory text) has each change of it recorded with its date, so the results
can tell how long rows stay at each status (sync/records/status_history.py keeps them).

A row seen for the first time changes from "" to its status; a row whose status did not
change records nothing. The times are the sync's (when cop-sync saw the change).
"""

from __future__ import annotations

from collections.abc import Mapping

from connector.base import ParsedPage
from connector.errors import RowProblem
from page_templates import PageKind, localize
from page_templates.values import normalize_row, row_key

STATUS = "status"
# A row whose status is "dropped" says why in its "reason" field (the Ideas page's subjects):
# a warning until it does (the row is recorded all the same).
DROPPED, REASON = "dropped", "reason"
NO_REASON = "dropped_no_reason"  # the problem's code (page_templates/problems.toml)
StatusChange = tuple[str, str, str]  # (row key, previous status or "", new status)


def tracks_status(kind: PageKind) -> bool:
    """Whether ``kind``'s status changes are recorded: a list kind with a status choice."""
    definition = kind.field(STATUS)
    return definition is not None and definition.type == "choice" and not kind.single


def status_changes(before: Mapping[str, str],
                   upserts: Mapping[str, Mapping[str, str]]) -> list[StatusChange]:
    """The changes ``upserts`` make: ``before`` is key -> recorded status of the rows
    live before them (a key absent is a new row)."""
    found = []
    for key, values in upserts.items():
        previous, status = before.get(key, ""), values.get(STATUS, "")
        if status != previous and (status or key in before):
            found.append((key, previous, status))
    return found


def missing_reasons(kind: PageKind, page: str, parsed: ParsedPage,
                    lang: str) -> list[RowProblem]:
    """A warning for each row of ``kind`` whose status is dropped and whose reason is
    empty (kinds with both fields only)."""
    reason, status = kind.field(REASON), kind.field(STATUS)
    if reason is None or status is None or not tracks_status(kind) or \
            DROPPED not in {c.value for c in status.choices}:
        return []
    found = []
    for raw in parsed.rows:
        values, _ = normalize_row(kind, raw.values)
        if values.get(STATUS) == DROPPED and not values.get(REASON):
            found.append(RowProblem(
                page, raw.index, REASON, "dropped without a reason: say why in "
                f"{localize(reason.label, 'en')!r}", raw.line, row_key(kind, values),
                code=NO_REASON, severity="warning",
                params={"field": localize(reason.label, lang)}))
    return found

