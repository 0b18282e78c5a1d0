"""Provisioning: ``plan_community`` (pure) decides page by page; ``apply`` writes.

A page is created when missing, rewritten only when cop-connector was its last writer and
what it would write changed, and otherwise left alone: a page members edited is never
overwritten (reported as drift). Rows are never touched here (cop-sync owns them), except
the charter's records-owned fields (pilot, expert, sponsor, status, account), which the
innovation manager changes by command and provisioning writes (and the charter's block
itself, added again when members removed it: see ``_unreadable_charter``).

"Last writer" is judged by content as well as by revision (``still_ours``): a revision that
left the page as cop-connector wrote it (MediaWiki makes one when a page is protected or
unprotected) is no one's edit.

``cop provision --upgrade`` goes further for pages that exist: their managed regions are
brought to the current template (sync/provision/upgrade.py), members' rows and text left as
they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from msgspec import Struct, field
from msgspec.structs import replace

from connector.base import PageCodec, PageContext, PageRef, ParsedPage, RemotePage, RowChange
from page_templates import PageKind, TemplateSet, template_version
from page_templates.values import row_key
from sync.community.pages import (
    content_hash,
    host_refs,
    initial_rows,
    page_context,
    page_keys,
    part_keys,
    same_text,
)
from sync.community.seminar_pages import PageExtras
from sync.engine.charter_plan import CharterPlan, plan_charter
from sync.provision.actions import SUPPORT, Op, PageAction
from sync.provision.upgrade import plan_unmark, plan_upgrade, with_version_note
from sync.records.model import Community, PageState, Rows

__all__ = [
    "SUPPORT",
    "Op",
    "PageAction",
    "PlanInput",
    "charter_block_name",
    "charter_line",
    "community_kinds",
    "plan_community",
    "plan_support",
    "ref_kind",
    "still_ours",
    "with_extras",
]


class PlanInput(Struct, frozen=True):
    """Everything plan_community needs, read beforehand by the shell."""

    community: Community
    refs: Mapping[str, PageRef]  # page key and row key -> page
    remote: Mapping[PageRef, RemotePage]
    states: Mapping[str, PageState]  # by page key / row key
    rows: Mapping[str, Rows]  # row key -> recorded live rows
    extras: Mapping[str, PageExtras] = field(default_factory=dict)  # by page key


def community_kinds(templates: TemplateSet, home_kind: str) -> list[PageKind]:
    """The kinds that get pages: all but those placed on another kind's page, and but a
    separate home page where another kind is the space's home (Confluence: the charter)."""
    return [k for k in templates.page_kinds if k.kind != "home" or home_kind == "home"]


def plan_community(data: PlanInput, templates: TemplateSet, codec: PageCodec,
                   home_kind: str = "home", *, upgrade: bool = False,
                   restore: bool = False) -> list[PageAction]:
    """The pages of one community, in page order; the home page first (the others' parent).

    ``upgrade``: existing pages known to the records are brought to the current template
    (sync/provision/upgrade.py) instead of being left as they are; ``restore`` then adds
    back the template sections members deleted. Pages with lists from the records (a
    seminar's days and workshops) always are, so that they follow the records. Without
    ``upgrade``, the markers earlier versions wrote are taken off the pages that still
    carry them, nothing else changed."""
    kinds = {k.kind for k in community_kinds(templates, home_kind)}
    pages = [(key, kind) for key, kind in page_keys(templates, _instances(data.refs))
             if kind.kind in kinds and key in data.refs]
    links = host_refs({key: data.refs[key] for key, _ in pages}, templates)
    context = page_context(data.community, links)
    home = data.refs[home_kind]
    return [_plan_page(data, key, kind, with_extras(context, data.extras.get(key)), codec,
                       upgrade=upgrade, restore=restore,
                       home=home if kind.kind != home_kind else None)
            for key, kind in pages]


def _instances(refs: Mapping[str, PageRef]) -> dict[str, list[str]]:
    """The instances the refs name ({"seminar": ["2027"]}), from their page keys."""
    found: dict[str, list[str]] = {}
    for key in refs:
        kind, _, instance = key.partition("@")
        if instance:
            found.setdefault(kind, []).append(instance)
    return found


def with_extras(context: PageContext, extras: PageExtras | None) -> PageContext:
    """``context`` with a page's own placeholders and lists (a seminar page's)."""
    if extras is None:
        return context
    return replace(context, values={**context.values, **extras.values}, lists=extras.lists)


def _plan_page(data: PlanInput, key: str, kind: PageKind, context: PageContext,
               codec: PageCodec, *, upgrade: bool, restore: bool,
               home: PageRef | None) -> PageAction:
    ref = data.refs[key]
    rows = initial_rows(kind, data.community, data.rows.get(key, {}))
    parts = {part.kind: (row_key_, initial_rows(part, data.community,
                                               data.rows.get(row_key_, {})))
             for part in kind.parts for row_key_ in [part_keys(key, kind)[part.kind]]}
    remote, state = data.remote.get(ref), data.states.get(key)
    if (upgrade or kind.per) and remote is not None and state is not None:
        action = plan_upgrade(data.community.slug, kind, ref, remote, state, context, codec,
                              key=key, restore=restore)
    else:
        desired = codec.render_page(kind, context, rows,
                                    {name: held for name, (_, held) in parts.items()})
        action = _decide(data.community.slug, key, ref, desired, remote, state,
                         managed=kind.kind == "home")
        action = _versioned(action, state, kind)
        if action.op in ("create", "update"):  # written whole: every region as rendered
            action = _with(action, regions=codec.page_regions(kind, context))
        elif remote is not None and state is not None:
            action = _unmarked(action, kind, remote, state, context, codec, key)
    if action.op in ("skip", "upgrade", "drift") and kind.single and \
            action.base is not None:
        action = _charter_update(kind, action, data.community, codec)
    keyed = {_key(kind, r): r for r in rows} if kind.has_rows else None
    part_rows = {row_key_: {_key(part, r): r for r in held}
                 for part in kind.parts for row_key_, held in [parts[part.kind]]} or None
    return _with(action, parent=home, home=home is None, labels=("cop", f"cop-{kind.kind}"),
                 rows=keyed, part_rows=part_rows)


def _unmarked(action: PageAction, kind: PageKind, remote: RemotePage, state: PageState,
              context: PageContext, codec: PageCodec, key: str) -> PageAction:
    """``action`` (a page left as it is), or the write taking off the markers an earlier
    version left on the page: members must not meet them (see connector/regions.py)."""
    unmark = plan_unmark(action.community, kind, remote.ref, remote, state, context, codec,
                         key=key)
    if unmark is None:
        return action
    rest = action.reason.removeprefix("unchanged").removeprefix("; ")
    return _with(unmark, reason=f"{unmark.reason}; {rest}" if rest else unmark.reason,
                 notes=action.notes)


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
    ours = still_ours(remote, state.revision, state.written_hash)
    if not managed or same_text(remote.content, desired) or (
            ours and content_hash(desired) == state.written_hash):
        return PageAction("skip", community, name, ref, "unchanged", base=remote)
    if ours:
        return PageAction("update", community, name, ref, "template changed", content=desired,
                          base=remote)
    return PageAction("drift", community, name, ref,
                      "edited on the wiki since cop-connector wrote it; not overwritten",
                      base=remote)


def still_ours(remote: RemotePage, revision: str, written_hash: str) -> bool:
    """Nobody changed the page since cop-connector wrote it: it is still at the revision
    written, or it holds exactly the content written (``written_hash``), whatever its
    revision. Revisions that change nothing happen: MediaWiki adds one, by the bot, each
    time a page is protected or unprotected (``cop archive`` and ``--undo``). MediaWiki
    drops trailing white space on save, so the text is also compared as it stores it."""
    if revision and remote.revision == revision:
        return True
    if not written_hash:
        return False
    text = remote.content.rstrip()
    return written_hash in (content_hash(remote.content), content_hash(text),
                            content_hash(text + "\n"))


def charter_line(kind: PageKind, community: Community, state: PageState,
                 remote: RemotePage, codec: PageCodec) -> PageAction:
    """The charter alone: "update" writing the records-owned fields that differ on the
    wiki (a status changed by command), else "skip"."""
    line = PageAction("skip", community.slug, kind.kind, remote.ref, "unchanged", base=remote,
                      version=state.template_version)
    return _charter_update(kind, line, community, codec)


def _charter_update(kind: PageKind, action: PageAction, community: Community,
                    codec: PageCodec) -> PageAction:
    """Write the records-owned charter fields that differ on the wiki (changed by command),
    over the upgraded content when the line is an upgrade."""
    assert action.base is not None
    content = action.content if action.op == "upgrade" else action.base.content
    parsed = codec.parse_rows(content, kind, str(action.ref))
    plan = plan_charter(kind, str(action.ref), parsed, community.charter_values())
    if plan.values is None:
        return _unreadable_charter(kind, action, community, codec, content, parsed, plan)
    if not plan.drift:
        return action
    changes = {name: ours for name, (_, ours) in plan.drift.items()}
    content = codec.apply_changes(content, kind,
                                  [RowChange("update", community.slug, changes)],
                                  community.lang)
    fields = ", ".join(f"{name}: {wiki!r} -> {ours!r}"
                       for name, (wiki, ours) in sorted(plan.drift.items()))
    return _charter_written(action, f"records-owned fields ({fields})", content)


def _unreadable_charter(kind: PageKind, action: PageAction, community: Community,
                        codec: PageCodec, content: str, parsed: ParsedPage,
                        plan: CharterPlan) -> PageAction:
    """The charter's block cannot be read, so which records-owned field differs is unknown.

    * The block is there, one of its values unreadable (a status that is no status...):
      the records-owned fields are written where they differ (cop-sync reports the rest).
    * No block at all (a member removed the ``{{CoP charter}}`` call, or Confluence's Page
      Properties macro): it is added again with the records' values (the members' fields
      as last synced), but only if the page then reads cleanly. Otherwise (a block left
      open...) adding one would make two: the line says the governance values cannot be
      written until the block is repaired on the wiki.
    """
    owned = {d.name: community.charter_values().get(d.name, "")
             for d in kind.fields if d.owner == "records"}
    if parsed.rows:
        written = codec.apply_changes(content, kind,
                                      [RowChange("update", community.slug, owned)],
                                      community.lang)
        if same_text(written, content):
            return action
        return _charter_written(action, "records-owned fields written (the charter has a "
                                "value that cannot be read: see `cop status`)", written)
    block = charter_block_name(kind, codec)
    values = community.charter_values()
    readded = codec.apply_changes(content, kind, [RowChange("update", community.slug, values)],
                                  community.lang)
    check = plan_charter(kind, str(action.ref), codec.parse_rows(readded, kind, str(action.ref)),
                         values)
    if check.values is not None and not any(p.blocking for p in check.problems) \
            and not check.drift and not check.accepted:
        return _charter_written(action, f"the charter had no {block}: added again with the "
                                "records' values", readded)
    blocking = [p for p in (*plan.problems, *parsed.problems) if p.blocking]
    problem = (blocking or [None])[0]
    why = f" ({problem.message})" if problem is not None else ""
    reason = (f"the charter's {block} cannot be read{why}: the records-owned fields "
              f"({', '.join(owned)}) cannot be written; repair the block on the wiki, or "
              f"remove it so that provisioning adds it again")
    if action.op == "upgrade":
        return _with(action, notes=(*action.notes, reason))
    return _with(action, op="drift", reason=reason)


def charter_block_name(kind: PageKind, codec: PageCodec) -> str:
    """What members see of the charter's block: a template call, or a Page Properties
    table."""
    if codec.format == "wikitext":
        return f"{{{{{kind.row_template}}}}} block"
    return "Page Properties (details) table"


def _charter_written(action: PageAction, reason: str, content: str) -> PageAction:
    if action.op == "upgrade":  # a change members see: not a minor edit any more
        return _with(action, reason=f"{action.reason}; {reason}", content=content,
                     minor=False)
    return _with(action, op="update", reason=reason, content=content)


def _key(kind: PageKind, values: Mapping[str, str]) -> str:
    return row_key(kind, values) or ""


def _with(action: PageAction, **changes: object) -> PageAction:
    return replace(action, **changes)  # type: ignore[arg-type]
