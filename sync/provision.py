"""Provisioning: ``plan_community`` (pure) decides page by page; ``apply`` writes.

A page is created when missing, rewritten only when cop-connector was its last writer and
what it would write changed, and otherwise left alone: a page members edited is never
overwritten (reported as drift). Rows are never touched here (cop-sync owns them), except
the charter's records-owned fields (pilot, expert, sponsor, status, account), which the
innovation manager changes by command and provisioning writes.

``cop provision --upgrade`` goes further for pages that exist: their managed regions are
brought to the current template (sync/upgrade.py), members' rows and text left as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from connector.base import PageCodec, PageRef, RemotePage, RowChange
from page_templates import PageKind, TemplateSet, template_version
from page_templates.values import row_key

from .merge import plan_charter
from .model import Community, PageState, Rows
from .pages import content_hash, initial_rows, page_context, same_text
from .provision_plan import SUPPORT, Op, PageAction
from .upgrade import plan_upgrade, with_version_note

__all__ = ["SUPPORT", "Op", "PageAction", "PlanInput", "community_kinds", "plan_community",
           "plan_support", "ref_kind"]


@dataclass(frozen=True)
class PlanInput:
    """Everything plan_community needs, read beforehand by the shell."""

    community: Community
    refs: Mapping[str, PageRef]
    remote: Mapping[PageRef, RemotePage]
    states: Mapping[str, PageState]
    rows: Mapping[str, Rows]  # kind -> recorded live rows


def community_kinds(templates: TemplateSet, home_kind: str) -> list[PageKind]:
    """The kinds that get a page: all, except a separate home page where another kind is
    the space's home (Confluence: the charter)."""
    return [k for k in templates.kinds if k.kind != "home" or home_kind == "home"]


def plan_community(data: PlanInput, templates: TemplateSet, codec: PageCodec,
                   home_kind: str = "home", *, upgrade: bool = False) -> list[PageAction]:
    """The pages of one community, in page order; the home page first (the others' parent).

    ``upgrade``: existing pages known to the records are brought to the current template
    (sync/upgrade.py) instead of being left as they are."""
    kinds = community_kinds(templates, home_kind)
    refs = {k.kind: data.refs[k.kind] for k in kinds}
    context = page_context(data.community, refs)
    actions = []
    for kind in kinds:
        ref = refs[kind.kind]
        rows = initial_rows(kind, data.community, data.rows.get(kind.kind, {}))
        remote, state = data.remote.get(ref), data.states.get(kind.kind)
        if upgrade and remote is not None and state is not None:
            action = plan_upgrade(data.community.slug, kind, ref, remote, state, context,
                                  codec)
        else:
            desired = codec.render_page(kind, context, rows)
            action = _decide(data.community.slug, kind, ref, desired, remote, state,
                             managed=kind.kind == "home")
            action = _versioned(action, state, kind)
        if action.op in ("skip", "upgrade", "drift") and kind.single and \
                action.base is not None:
            action = _charter_update(kind, action, data.community, codec)
        is_home = kind.kind == home_kind
        keyed = {_key(kind, r): r for r in rows} if kind.has_rows else None
        actions.append(_with(action, parent=None if is_home else refs[home_kind],
                             home=is_home, labels=("cop", f"cop-{kind.kind}"), rows=keyed))
    return actions


def _versioned(action: PageAction, state: PageState | None, kind: PageKind) -> PageAction:
    """The version a plain provisioning line leaves the page at: the current template's
    for a page it writes whole, else the one recorded."""
    if action.op in ("create", "update"):
        return _with(action, version=template_version(kind))
    return with_version_note(action, state, kind)


def plan_support(pages: Sequence[tuple[PageRef, str]], remote: Mapping[PageRef, RemotePage],
                 states: Mapping[str, PageState]) -> list[PageAction]:
    """Pages every community uses (the MediaWiki row templates): fully managed."""
    return [_decide(SUPPORT, ref_kind(ref), ref, content, remote.get(ref),
                    states.get(ref_kind(ref)), managed=True) for ref, content in pages]


def ref_kind(ref: PageRef) -> str:
    return f"support:{ref}"


def _decide(community: str, kind: PageKind | str, ref: PageRef, desired: str,
            remote: RemotePage | None, state: PageState | None, *,
            managed: bool) -> PageAction:
    name = kind if isinstance(kind, str) else kind.kind
    if remote is None:
        reason = "missing" if state is None or state.state == "ok" else \
            f"{state.state} on the wiki; recreated from the records"
        return PageAction("create", community, name, ref, reason, content=desired)
    if state is None or not state.revision:
        if managed and not same_text(remote.content, desired):
            return PageAction("drift", community, name, ref, "already on the wiki, written "
                              "by someone else and different; not overwritten", base=remote)
        return PageAction("adopt", community, name, ref,
                          "already on the wiki; adopted, not overwritten", base=remote)
    ours = remote.revision == state.revision  # nobody edited since cop-connector wrote it
    if not managed or same_text(remote.content, desired) or (
            ours and content_hash(desired) == state.written_hash):
        return PageAction("skip", community, name, ref, "unchanged", base=remote)
    if ours:
        return PageAction("update", community, name, ref, "template changed", content=desired,
                          base=remote)
    return PageAction("drift", community, name, ref,
                      "edited on the wiki since cop-connector wrote it; not overwritten",
                      base=remote)


def _charter_update(kind: PageKind, action: PageAction, community: Community,
                    codec: PageCodec) -> PageAction:
    """Write the records-owned charter fields that differ on the wiki (changed by command),
    over the upgraded content when the line is an upgrade."""
    assert action.base is not None
    content = action.content if action.op == "upgrade" else action.base.content
    parsed = codec.parse_rows(content, kind, str(action.ref))
    plan = plan_charter(kind, str(action.ref), parsed, community.charter_values())
    if not plan.drift or plan.values is None:
        return action
    changes = {name: ours for name, (_, ours) in plan.drift.items()}
    content = codec.apply_changes(content, kind,
                                  [RowChange("update", community.slug, changes)],
                                  community.lang)
    fields = ", ".join(f"{name}: {wiki!r} -> {ours!r}"
                       for name, (wiki, ours) in sorted(plan.drift.items()))
    if action.op == "upgrade":
        return _with(action, reason=f"{action.reason}; records-owned fields ({fields})",
                     content=content)
    return _with(action, op="update", reason=f"records-owned fields ({fields})",
                 content=content)


def _key(kind: PageKind, values: Mapping[str, str]) -> str:
    return row_key(kind, values) or ""


def _with(action: PageAction, **changes: object) -> PageAction:
    return replace(action, **changes)  # type: ignore[arg-type]
