"""``cop provision --upgrade``: one existing page brought to its kind's current template.

Pure, like sync/provision/plan.py: the codec computes the upgraded content from the page as
read (``codec.upgrade_page``: only the managed regions, the table header and the charter's
keys change; rows and members' text stay byte for byte), and this module turns it into a
plan line. A page is written only when its content changes, so a second upgrade writes
nothing; its state then only records the version it is at.

Pages made before region markers existed are adopted against the *shipped* definition of
their kind, which is what rendered them (company overrides did not exist then).
"""

from __future__ import annotations

from dataclasses import replace

from connector.base import PageCodec, PageContext, PageRef, RemotePage
from page_templates import PageKind, shipped, template_version
from sync.provision.actions import PageAction
from sync.records.model import PageState


def plan_upgrade(community: str, kind: PageKind, ref: PageRef, remote: RemotePage,
                 state: PageState, context: PageContext, codec: PageCodec, *,
                 key: str | None = None) -> PageAction:
    """The plan line upgrading ``remote``: "upgrade" with the new content and what changes,
    else "skip" (or "drift" when an edited region is kept) recording the version.
    ``key``: the page key (default: the kind)."""
    key = key or kind.kind
    version = template_version(kind)
    legacy = _legacy(kind)
    outcome = codec.upgrade_page(remote.content, kind, context, legacy)
    drift = tuple(outcome.drift)
    before = state.template_version or "unversioned"
    if outcome.content != remote.content:
        reason = (f"template {before} -> {version}: " if before != version else
                  "brought up to date with the records: ") + "; ".join(outcome.changes)
        return PageAction("upgrade", community, key, ref, reason,
                          content=outcome.content, base=remote, version=version,
                          notes=drift)
    op = "drift" if drift else "skip"
    reason = ("kept: " + "; ".join(drift)) if drift else (
        f"up to date (template {version})" if before == version
        else f"up to date (template {version}; was recorded as {before})")
    return PageAction(op, community, key, ref, reason, base=remote, version=version,
                      record_version=True)


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
