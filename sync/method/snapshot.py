"""A community's snapshot, written when it is archived: its pages as the wiki holds them and
everything the records know of it, as JSON and as one self-contained HTML file
(sync/method/snapshot_html.py) that opens in a browser without the wiki.

Each page is kept once, under its page key ("members", "seminar@2027"), with the row sets it
holds (``row_kinds``: a seminar page holds "attendance@2027" and "actions@2027"); the rows
are under ``rows``, by row set. ``decisions`` is the community's lifecycle, the change being
recorded by the archiving included (``pending``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from msgspec import Struct, to_builtins
from msgspec.structs import asdict

from connector.base import RemotePage, WikiBackend
from page_templates import TemplateSet
from sync.community.pages import page_title
from sync.method.snapshot_html import snapshot_html
from sync.records.model import Community, Decision, Entry
from sync.records.schema import SCHEMA_VERSION
from sync.records.store import Records

JSON_FILE, HTML_FILE = "snapshot.json", "snapshot.html"


class SnapshotFiles(Struct, frozen=True):
    directory: Path
    json: Path
    html: Path
    pages: int
    rows: int


def read_pages(records: Records, backend: WikiBackend,
               community: Community) -> dict[str, RemotePage]:
    """page key -> the page as the wiki holds it now (row sets' keys sharing a page are
    read once); pages gone from the wiki are absent."""
    states = [s for s in records.page_states(community.slug) if s.state != "deleted"]
    remote = backend.read_pages(list(dict.fromkeys(s.ref for s in states))) if states else {}
    return {s.kind: remote[s.ref] for s in states if s.ref in remote}


def snapshot_data(records: Records, templates: TemplateSet, community: Community,
                  pages: Mapping[str, RemotePage], now: str,
                  pending: Sequence[Decision] = ()) -> dict[str, Any]:
    """Everything about the community, as plain JSON data; ``pending``: lifecycle changes
    about to be recorded (the archiving's own), listed after the recorded ones."""
    slug = community.slug
    entries = records.entries(slug, include_deleted=True)
    theme = records.theme(community.theme_slug) if community.theme_slug else None
    decisions = [*records.decisions("community", slug), *pending]
    return {
        "snapshot_at": now, "schema_version": SCHEMA_VERSION,
        "community": to_builtins(community),
        "theme": to_builtins(theme) if theme else None,
        "decisions": [to_builtins(d) for d in decisions],
        "seminars": [to_builtins(s) for s in records.seminars()],
        "workshops": [to_builtins(w) for w in records.workshops(community=slug)],
        "pages": _pages(pages, templates, community.lang),
        "rows": _rows(entries),
        "problems": [asdict(p) for p in records.problems(slug)],
        "drift": records.drift(slug),
    }


def write_snapshot(records: Records, backend: WikiBackend, templates: TemplateSet,
                   community: Community, directory: Path, now: str,
                   pending: Sequence[Decision] = ()) -> SnapshotFiles:
    """Read the pages, write ``snapshot.json`` and ``snapshot.html`` in ``directory``
    (created). Raises BackendError subclasses (nothing written then), OSError."""
    pages = read_pages(records, backend, community)
    data = snapshot_data(records, templates, community, pages, now, pending)
    directory.mkdir(parents=True, exist_ok=True)
    json_path, html_path = directory / JSON_FILE, directory / HTML_FILE
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n",
                         encoding="utf-8")
    html_path.write_text(snapshot_html(data, templates), encoding="utf-8")
    rows = sum(len(v) for v in data["rows"].values())
    return SnapshotFiles(directory, json_path, html_path, len(data["pages"]), rows)


def _pages(pages: Mapping[str, RemotePage], templates: TemplateSet,
           lang: str) -> list[dict[str, Any]]:
    """Each page once (the row sets sharing a page are listed under it), in page order."""
    order = {kind.kind: number for number, kind in enumerate(templates.kinds)}

    def place(key: str) -> tuple[int, str]:
        base, _, instance = key.partition("@")
        return order.get(base, len(order)), instance

    shared: dict[tuple[str, str], list[str]] = {}
    for key in sorted(pages, key=place):
        page = pages[key]
        shared.setdefault((page.ref.space, page.ref.title), []).append(key)
    found = []
    for keys in shared.values():
        kinds = {key: templates.get(key.partition("@")[0]) for key in keys}
        host = next((key for key, kind in kinds.items() if kind is None or not kind.host),
                    keys[0])
        parts = [part.kind for part in kinds[host].parts] if kinds[host] else []
        row_kinds = sorted((key for key, kind in kinds.items()
                            if kind is not None and kind.has_rows and not kind.single),
                           key=lambda key: _rank(key, host, parts))
        found.append(_page(host, row_kinds, pages[host], templates, lang))
    return found


def _rank(key: str, host: str, parts: Sequence[str]) -> int:
    """The page's own rows first, then its parts' in the page's order."""
    base = key.partition("@")[0]
    return 0 if key == host else 1 + (parts.index(base) if base in parts else len(parts))


def _page(key: str, row_kinds: Sequence[str], page: RemotePage, templates: TemplateSet,
          lang: str) -> dict[str, Any]:
    base, _, instance = key.partition("@")
    kind = templates.get(base)
    return {"key": key, "kind": kind.kind if kind else key, "row_kinds": list(row_kinds),
            "space": page.ref.space, "title": page.ref.title, "revision": page.revision,
            "timestamp": page.timestamp,
            "kind_title": page_title(kind, lang, instance) if kind else key,
            "content": page.content}


def _rows(entries: list[Entry]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        found.setdefault(entry.kind, []).append({
            "key": entry.key, **entry.data, "_origin": entry.origin,
            "_first_seen": entry.first_seen, "_updated_at": entry.updated_at,
            "_deleted_at": entry.deleted_at, "_deleted_by": entry.deleted_by})
    return found
