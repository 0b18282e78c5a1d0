"""CQL (Confluence Query Language) as the adapter writes it: quoted literals, the batched
page read, the change feed and the check of known pages (pure, no I/O).

The change feed's window is relative to the *server's* clock (``lastmodified >=
now("-Nm")``) rather than a date literal: CQL reads a literal ``"yyyy-MM-dd HH:mm"`` in the
querying account's time zone, so a literal written in UTC would silently move the window by
hours for an account set to a time zone west of Greenwich. ``now()`` carries no time zone.
The minutes are rounded up and a margin added, so rounding only ever widens the window;
what is older than the asked ``since`` is dropped by the caller on exact timestamps.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime

from connector.base import PageRef

READ_EXPAND = "body.storage,version,space,metadata.labels"  # labels: ensure_labels
FEED_EXPAND = "version,space,history"  # no bodies: pages are read by id; history: creation
CHECK_EXPAND = "space,version"
CHECK_LIMIT = 200  # ids per ``id in (...)`` search (Data Center caps search pages at 200)
# Seconds the window is widened by, beyond ``since``: the Date header's one-second
# resolution, the time a request spends on the server and the client clock's error when the
# server's time is not known yet (checked afterwards, see feed.py).
WINDOW_MARGIN = 120.0


def literal(value: str) -> str:
    """A CQL string literal: double quotes, with ``\\`` and ``"`` escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def one_of(field: str, values: Iterable[str]) -> str:
    return f"{field} in ({', '.join(literal(v) for v in values)})"


def pages_query(spaces: Sequence[str], titles: Sequence[str]) -> str:
    """Current pages with one of ``titles`` in one of ``spaces``."""
    return f"{one_of('space', spaces)} AND type = page AND {one_of('title', titles)}"


def feed_query(spaces: Sequence[str], minutes: int | None) -> str:
    """Pages of ``spaces`` changed in the last ``minutes`` (all when None), newest first.

    Newest first, because the result list changes while it is paged through: a page edited
    meanwhile moves to the head (already read: it is read again, harmless) and pages leaving
    the window leave from the tail (older than asked); with oldest first, both would shift
    unread results before the cursor and the scan would skip them.
    """
    clauses = [one_of("space", spaces), "type = page"]
    if minutes is not None:
        clauses.append(f'lastmodified >= now("-{minutes}m")')
    return " AND ".join(clauses) + " ORDER BY lastmodified DESC"


def ids_query(ids: Sequence[str]) -> str:
    """Current pages among ``ids`` (numeric ids only: they are not quoted)."""
    numbers = [i for i in ids if i.isdigit()]
    return f"id in ({', '.join(numbers)}) AND type = page"


def window_minutes(server_now: datetime, since: datetime,
                   margin: float = WINDOW_MARGIN) -> int:
    """Minutes back from ``server_now`` that surely reach before ``since``."""
    seconds = (server_now - since).total_seconds() + margin
    return max(1, math.ceil(seconds / 60))


def read_batches(refs: Sequence[PageRef], size: int) -> list[tuple[list[str], list[str]]]:
    """(spaces, titles) per search: every asked page is in the cross product, and the
    cross product never exceeds ``size``, so each search fits in one page of results.

    Communities share their pages' titles, so whole spaces pack together (8 communities of
    6 pages in a search of 50); a space with more than ``size`` titles is split.
    """
    by_space: dict[str, list[str]] = {}
    for ref in refs:
        titles = by_space.setdefault(ref.space, [])
        if ref.title not in titles:
            titles.append(ref.title)
    batches: list[tuple[list[str], list[str]]] = []
    spaces: list[str] = []
    titles: list[str] = []
    for space, wanted in by_space.items():
        for start in range(0, len(wanted), size):
            chunk = wanted[start:start + size]
            merged = titles + [t for t in chunk if t not in titles]
            if spaces and (len(spaces) + 1) * len(merged) > size:
                batches.append((spaces, titles))
                spaces, merged = [], list(chunk)
            spaces.append(space)
            titles = merged
    if spaces:
        batches.append((spaces, titles))
    return batches
