"""Status changes of rows, as the sync sees them (pure): a list kind whose rows carry a
``status`` choice (a subject of the Ideas page: idea, studied, proposed...; a seminar
action; a regulatory text) has each change of it recorded with its date, so the results
can tell how long rows stay at each status (sync/records/status_history.py keeps them).

A row seen for the first time changes from "" to its status; a row whose status did not
change records nothing. The times are the sync's (when cop-sync saw the change).
"""

from __future__ import annotations

from collections.abc import Mapping

from page_templates import PageKind

STATUS = "status"
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
