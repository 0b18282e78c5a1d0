"""Pure translation between MediaWiki's API shapes and the connector's records:
titles, namespaces, revisions and recent-changes entries (no I/O, no mwclient)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector.base import Change, ChangeAction, PageRef, RemotePage

# Characters MediaWiki never allows in a title: such a ref cannot name a page.
ILLEGAL_TITLE = set("#<>[]{}|")
# Log entries that change what a page holds or where it is. An import (Special:Import)
# changes content without an edit entry, so it reads as an edit.
LOG_ACTIONS: dict[tuple[Any, Any], ChangeAction] = {
    ("move", "move"): "move", ("move", "move_redir"): "move",
    ("delete", "delete"): "delete", ("delete", "delete_redir"): "delete",
    ("delete", "restore"): "restore",
    ("import", "upload"): "edit", ("import", "interwiki"): "edit",
}

def space_key(name: str) -> str:
    """Namespace names compare without case, spaces and underscores alike."""
    return " ".join(name.replace("_", " ").split()).casefold()


def find_namespace(names: Mapping[int, str], space: str) -> int | None:
    wanted = space_key(space)
    return next((number for number, name in names.items() if space_key(name) == wanted), None)


def api_title(ref: PageRef) -> str:
    """"Space:Title" as the API takes it, or "" when no page can have this title."""
    title = " ".join(str(ref).replace("_", " ").split())
    if not ref.title.strip() or ILLEGAL_TITLE & set(title):
        return ""
    return title


def remote_page(ref: PageRef, page: Mapping[str, Any]) -> RemotePage:
    revision = page["revisions"][0]
    content = revision.get("slots", {}).get("main", {}).get("content", "")
    return RemotePage(ref=ref, page_id=str(page["pageid"]), revision=str(revision["revid"]),
                      content=content, timestamp=revision.get("timestamp", ""))


def change_from_rc(entry: Mapping[str, Any], by_id: Mapping[int, str]) -> Change | None:
    """A recentchanges entry as a Change; None for log types the sync does not need."""
    ref = page_ref(entry.get("ns", 0), entry.get("title", ""), by_id)
    stamp, page_id = entry.get("timestamp", ""), str(entry.get("pageid") or "")
    revision = str(entry.get("revid") or "")
    kind = entry.get("type")
    if kind in ("edit", "new"):
        return Change(ref, "create" if kind == "new" else "edit", stamp, page_id, revision)
    action = LOG_ACTIONS.get((entry.get("logtype"), entry.get("logaction")))
    if kind != "log" or action is None:
        return None
    if action in ("delete", "restore"):
        return Change(ref, action, stamp, page_id)
    params = entry.get("logparams") or {}
    target = (page_ref(params.get("target_ns", 0), params["target_title"], by_id)
              if action == "move" and params.get("target_title") else None)
    return Change(ref, action, stamp, page_id, revision, target=target)


def page_ref(number: int, full_title: str, by_id: Mapping[int, str]) -> PageRef:
    """A page ref with the space spelled as the caller asked for it."""
    if not number:
        return PageRef("", full_title)
    prefix, _, title = full_title.partition(":")
    return PageRef(by_id.get(number, prefix), title)
