"""``cop provision --upgrade``: one existing page brought to its kind's current template.

Pure, like sync/provision/plan.py: the codec computes the upgraded content from the page as
read (``codec.upgrade_page``: only the managed regions, the table header and the charter's
keys change; rows and members' text stay byte for byte), and this module turns it into a
plan line. A page is written only when its content changes, so a second upgrade writes
nothing; its state then only records the version it is at and its regions' merge base.

The merge base is the page state's (what cop-connector last wrote in each region); a page
without one (written by an earlier version, adopted, records lost) is judged against the
current template and the *shipped* definition of its kind, which is what rendered the
earliest pages (company overrides did not exist then). The markers earlier versions wrote
are taken off (``remove_markers`` alone, on a plain provisioning).
"""

from __future__ import annotations

from msgspec.structs import replace

from connector.base import PageCodec, PageContext, PageRef, RemotePage
from connector.regions import with_markers
from page_templates import PageKind, shipped, template_version
from sync.provision.actions import PageAction
from sync.records.model import PageState


def plan_upgrade(community: str, kind: PageKind, ref: PageRef, remote: RemotePage,
                 state: PageState, context: PageContext, codec: PageCodec, *,
                 key: str | None = None, restore: bool = False) -> PageAction:
    """The plan line upgrading ``remote``: "upgrade" with the new content and what changes,
    else "skip" (or "drift" when an edited region is kept) recording the version and the
    regions' merge base. ``key``: the page key (default: the kind); ``restore``: add back
    the sections members deleted."""
    key = key or kind.kind
    version = template_version(kind)
    outcome = codec.upgrade_page(remote.content, kind, context, state.regions,
                                 _legacy(kind), restore=restore)
    drift = tuple(outcome.drift)
    regions = dict(outcome.regions)
    before = state.template_version or "unversioned"
    if outcome.content != remote.content:
        reason = (f"template {before} -> {version}: " if before != version else
                  "brought up to date with the records: ") + "; ".join(outcome.changes)
        return PageAction("upgrade", community, key, ref, reason,
                          content=outcome.content, base=remote, version=version,
                          notes=drift, regions=regions)
    op = "drift" if drift else "skip"
    reason = ("kept: " + "; ".join(drift)) if drift else (
        f"up to date (template {version})" if before == version
        else f"up to date (template {version}; was recorded as {before})")
    return PageAction(op, community, key, ref, reason, base=remote, version=version,
                      record_version=True, regions=regions)


def plan_unmark(community: str, kind: PageKind, ref: PageRef, remote: RemotePage,
                state: PageState, context: PageContext, codec: PageCodec, *,
                key: str | None = None) -> PageAction | None:
    """The plan line taking the markers of an earlier version off ``remote`` (nothing else
    changes: a plain provisioning does not upgrade), None when it has none. The merge
    base they give is recorded, the template version stays the one recorded."""
    outcome = codec.remove_markers(remote.content, kind, context, _legacy(kind))
    if outcome.content == remote.content:
        return None
    regions = with_markers(state.regions, outcome.regions) or {}
    return PageAction("upgrade", community, key or kind.kind, ref,
                      "markers taken off the page (no other change)",
                      content=outcome.content, base=remote,
                      version=state.template_version, regions=dict(regions), minor=True)


def _legacy(kind: PageKind) -> PageKind | None:
    try:
        return shipped()[kind.kind]
    except KeyError:
        return None


def with_version_note(action: PageAction, state: PageState | None,
                      kind: PageKind) -> PageAction:
    """A plain provisioning line, telling when the page's template is older than the
    current one (``cop provision --upgrade`` brings it up to date)."""
    current = template_version(kind)
    if action.op != "skip" or state is None or state.template_version == current:
        return replace(action, version=state.template_version if state else "")
    return replace(action, version=state.template_version,
                   reason=f"{action.reason}; made from template "
                          f"{state.template_version or 'unversioned'}, current {current}: "
                          "cop provision --upgrade")
