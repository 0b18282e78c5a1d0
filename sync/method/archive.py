"""``cop archive SLUG [--undo]``: freeze a community's space, keep a snapshot, mark it
archived — nothing deleted; ``--undo`` reopens it.

Archiving, in this order (each step idempotent, so a failed run is simply run again; the
records say "archived" only once everything else is done):

1. (the CLI runs a last ``cop-sync`` of the community first, so the records are complete;)
2. the charter's status is written "archived" on the wiki;
3. the snapshot: every page as the wiki holds it and the records, as JSON and HTML; its
   lifecycle already ends with the change to "archived" that step 5 records (the same
   decision: who, when, why), so the snapshot is complete and a failure before step 5
   leaves the records as they were;
4. the space is frozen (``WikiBackend.freeze_space``: MediaWiki protects every page of the
   namespace, Confluence archives the space);
5. the community is marked archived (lifecycle and decision).

Asked to stop (Ctrl-C), it stops before step 3 or 4; once step 4 has begun, steps 4 and 5
are finished first (a space half frozen, or frozen and not recorded archived, is worse).

A community already archived is refused (UsageError) unless ``again``: then its pages are
protected and its snapshot taken once more (no new lifecycle change).

Undoing: the space reopened, the status it had before restored (records, then charter).
An archived community is skipped by cop-sync and by provisioning.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from msgspec import Struct, field
from msgspec.structs import replace

from connector.base import WikiBackend
from connector.errors import UsageError
from page_templates import TemplateSet
from sync.clock import utc_now
from sync.community.lifecycle import set_status, status_before_archive
from sync.method.snapshot import SnapshotFiles, write_snapshot
from sync.progress import Monitor
from sync.provision.run import CharterUnwritable, Provisioner
from sync.records.model import Community, Decision
from sync.records.store import Records

ARCHIVED = "archived"
# What a stop asked once the space is being frozen gets: the freeze and the records' change
# are finished (stopping between the two, or halfway through the pages, would leave a
# space frozen that the records do not call archived, or half frozen).
FINISHING = "finishing the archive first: its space is being frozen"


class ArchiveOutcome(Struct):
    community: Community
    frozen: str = ""  # what the wiki did, in a few words ("" when never provisioned)
    snapshot: SnapshotFiles | None = None
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False  # asked to stop between two steps: run it again to finish


def default_directory(base: Path, community: Community, now: str) -> Path:
    """``<base>/<slug>-<YYYY-MM-DD>``."""
    return base / f"{community.slug}-{now[:10]}"


def archive(records: Records, backend: WikiBackend, templates: TemplateSet,
            community: Community, directory: Path,
            clock: Callable[[], str] = utc_now, *, again: bool = False,
            monitor: Monitor | None = None) -> ArchiveOutcome:
    """Archive ``community`` (see the module's steps; each one reported to ``monitor``,
    which may ask to stop between two before the freeze: ``interrupted``, the records
    unchanged; once the freeze has begun, the archive is finished (FINISHING)). Raises
    UsageError when it is archived already and not ``again``, BackendError subclasses,
    OSError."""
    if not again:
        refuse_archived(records, community)
    monitor = monitor or Monitor()
    monitor.plan("archive", pages=4, unit="steps")
    monitor.community(community.slug)
    outcome = ArchiveOutcome(community)
    provisioned = bool(records.page_states(community.slug))
    target = replace(community, status=ARCHIVED)
    now = clock()
    change = None if community.archived else Decision(
        "community", community.slug, ARCHIVED, community.status, "cop archive",
        f"snapshot in {directory}", now)
    with monitor.page("the charter's status: archived"):
        if provisioned:
            _write_status(records, backend, templates, target, clock, outcome)
    if _stopped(monitor, outcome):
        return outcome
    with monitor.page(f"the snapshot, in {directory}"):
        outcome.snapshot = write_snapshot(records, backend, templates, target, directory,
                                          now, pending=(change,) if change else ())
    if _stopped(monitor, outcome):
        return outcome
    with monitor.unstoppable(FINISHING):  # a space half frozen would be worse than either
        with monitor.page(f"freeze the space {community.space}"):
            if provisioned:
                outcome.frozen = backend.freeze_space(community.space_spec, frozen=True)
            else:
                outcome.notes.append("never provisioned: nothing to freeze on the wiki")
        with monitor.page("the records: archived"):
            if change is not None:
                outcome.community = set_status(records, community, ARCHIVED,
                                               by=change.decided_by, note=change.note,
                                               now=change.at)
    return outcome


def _write_status(records: Records, backend: WikiBackend, templates: TemplateSet,
                  target: Community, clock: Callable[[], str],
                  outcome: ArchiveOutcome) -> None:
    try:
        written = Provisioner(records, backend, templates, clock).write_charter(target)
    except CharterUnwritable as unwritable:
        outcome.notes.append(f"warning: status not written on the charter: {unwritable}")
    else:
        if written is not None:
            outcome.notes.append(f"{written.ref}: status {target.status}")


def _stopped(monitor: Monitor, outcome: ArchiveOutcome) -> bool:
    outcome.interrupted = monitor.stopping()
    return outcome.interrupted


def refuse_archived(records: Records, community: Community) -> None:
    """UsageError when ``community`` is archived already (saying since when)."""
    if not community.archived:
        return
    since = ""
    for decision in reversed(records.decisions("community", community.slug)):
        if decision.decision == ARCHIVED:
            since = f" (since {decision.at[:10]}" + (f", {decision.note})" if decision.note
                                                     else ")")
            break
    raise UsageError(f"{community.slug} is already archived{since}: `cop archive "
                     f"{community.slug} --undo` reopens it; --force archives it once more "
                     "(its pages protected again, a new snapshot)")


def reopen(records: Records, backend: WikiBackend, templates: TemplateSet,
           community: Community, clock: Callable[[], str] = utc_now) -> ArchiveOutcome:
    """Undo ``archive``: the space reopened, the status it had before restored. Raises
    UsageError when it is not archived, BackendError subclasses."""
    if not community.archived:
        raise UsageError(f"{community.slug} is {community.status}, not archived")
    outcome = ArchiveOutcome(community)
    provisioned = bool(records.page_states(community.slug))
    if provisioned:
        outcome.frozen = backend.freeze_space(community.space_spec, frozen=False)
    previous = status_before_archive(records, community)
    outcome.community = set_status(records, community, previous, by="cop archive --undo",
                                   note="reopened", now=clock())
    if provisioned:
        _write_status(records, backend, templates, outcome.community, clock, outcome)
    return outcome

