"""A line of a provisioning plan (``PageAction``): what to do with one page, and why."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from msgspec import Struct

from connector.base import PageRef, RemotePage
from sync.records.model import Rows

Op = Literal["create", "update", "upgrade", "skip", "adopt", "drift"]
SUPPORT = ""  # the "community" of pages shared by every community (MediaWiki templates)


class PageAction(Struct, frozen=True):
    """One line of a provisioning plan.

    ``version`` is the template version the page carries once the action is done (what its
    state records); ``record_version`` asks to record it even without a write (an upgrade
    that found the page up to date); ``notes`` are the parts an upgrade left alone (drift);
    ``regions`` what the page's managed regions hold once it is done (their merge base,
    see connector/regions.py; None: as recorded); ``minor`` a write that changes nothing
    members see (markers taken off), written as a minor edit.
    """

    op: Op
    community: str
    kind: str  # the page key ("members", "seminar@2027")
    ref: PageRef
    reason: str
    content: str = ""
    base: RemotePage | None = None
    rows: Rows | None = None  # the page's rows once written (the first merge base)
    # A page holding other kinds' rows: row key ("attendance@2027") -> its rows once
    # written (each part's first merge base, kept under its own row key)
    part_rows: Mapping[str, Rows] | None = None
    parent: PageRef | None = None
    home: bool = False  # the space's home page
    labels: tuple[str, ...] = ()
    version: str = ""
    record_version: bool = False
    notes: tuple[str, ...] = ()
    regions: Mapping[str, str] | None = None
    minor: bool = False  # a write members need not be told of (no watcher e-mail)

    @property
    def writes(self) -> bool:
        return self.op in ("create", "update", "upgrade")
