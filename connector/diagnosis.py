"""`cop doctor`'s vocabulary: what the records expect of a wiki, and each finding with its fix.

A wiki adapter that can check itself has ``diagnose(expect) -> list[Check]``: read-only
requests (never an edit, never a saved session), then checks computed from what the wiki
said and what the records expect (``Expectations``, plain data the sync layer gathers).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

from msgspec import Struct

Status = Literal["ok", "warning", "failure"]
OK: Status = "ok"
WARNING: Status = "warning"
FAILURE: Status = "failure"


class Check(Struct, frozen=True):
    """One finding: on ``wiki`` ("" for cop-connector's own configuration), about
    ``topic``, what was found (``message``) and, unless it is ok, exactly what to do
    (``fix``: the LocalSettings.php line, the grant to tick, the permission to give)."""

    wiki: str
    topic: str
    status: Status
    message: str
    fix: str = ""


class ExpectedSpace(Struct, frozen=True):
    """A community's space as the records know it. ``space_id`` is the namespace number
    (MediaWiki) or the space id (Confluence) recorded at provisioning ("" before);
    ``planned_id`` the namespace number the snippet of `cop mediawiki namespaces` gives."""

    slug: str
    name: str
    space: str
    lang: str
    provisioned: bool
    space_id: str = ""
    planned_id: int | None = None
    archived: bool = False
    admins: tuple[str, ...] = ()  # e-mails of those who administer the space (pilot, expert)
    editors: tuple[str, ...] = ()  # e-mails of the members who edit it


class Expectations(Struct, frozen=True):
    """What the records and the configuration expect of one wiki. ``last_sync``: the
    oldest watermark of its provisioned communities (None: never synced); ``now``: the
    time of the check (ISO 8601, UTC); ``config_file``: the configuration file in use, as
    the fixes name it (`cop --config other.toml doctor`: other.toml)."""

    spaces: Sequence[ExpectedSpace]
    now: str
    last_sync: str | None = None
    history_days: int = 90
    overlap_seconds: int = 300
    config_file: str = "cop.toml"


@runtime_checkable
class Diagnosable(Protocol):
    def diagnose(self, expect: Expectations) -> list[Check]:
        """Read-only checks of everything provisioning and the cron job need on this wiki,
        each with its fix. Never raises for what it finds: a wiki that does not answer is a
        failed check."""
        ...


def worst(checks: Sequence[Check]) -> Status:
    """The most serious status among ``checks`` (ok when there are none)."""
    statuses = {check.status for check in checks}
    return FAILURE if FAILURE in statuses else WARNING if WARNING in statuses else OK
