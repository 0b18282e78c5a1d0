"""A community's snapshot, written when it is archived: its pages as the wiki holds them and
everything the records know of it, as JSON and as one self-contained HTML file
(sync/snapshot_html.py) that opens in a browser without the wiki.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from connector.base import RemotePage, WikiBackend
from page_templates import TemplateSet, localize

from .model import Community, Entry
from .records import Records
from .schema import SCHEMA_VERSION
from .snapshot_html import snapshot_html

JSON_FILE, HTML_FILE = "snapshot.json", "snapshot.html"


@dataclass(frozen=True)
class SnapshotFiles:
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
                  pages: Mapping[str, RemotePage], now: str) -> dict[str, Any]:
    """Everything about the community, as plain JSON data."""
    slug = community.slug
    entries = records.entries(slug, include_deleted=True)
    theme = records.theme(community.theme_slug) if community.theme_slug else None
    return {
        "snapshot_at": now, "schema_version": SCHEMA_VERSION,
        "community": asdict(community),
        "theme": asdict(theme) if theme else None,
        "decisions": [asdict(d) for d in records.decisions("community", slug)],
        "seminars": [asdict(s) for s in records.seminars()],
        "workshops": [asdict(w) for w in records.workshops(community=slug)],
        "pages": [_page(key, page, templates, community.lang) for key, page in pages.items()],
        "rows": _rows(entries),
        "problems": [vars(p) for p in records.problems(slug)],
        "drift": records.drift(slug),
    }


def write_snapshot(records: Records, backend: WikiBackend, templates: TemplateSet,
                   community: Community, directory: Path, now: str) -> SnapshotFiles:
    """Read the pages, write ``snapshot.json`` and ``snapshot.html`` in ``directory``
    (created). Raises BackendError subclasses (nothing written then), OSError."""
    pages = read_pages(records, backend, community)
    data = snapshot_data(records, templates, community, pages, now)
    directory.mkdir(parents=True, exist_ok=True)
    json_path, html_path = directory / JSON_FILE, directory / HTML_FILE
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n",
                         encoding="utf-8")
    html_path.write_text(snapshot_html(data, templates), encoding="utf-8")
    rows = sum(len(v) for v in data["rows"].values())
    return SnapshotFiles(directory, json_path, html_path, len(data["pages"]), rows)


def _page(key: str, page: RemotePage, templates: TemplateSet, lang: str) -> dict[str, Any]:
    kind = templates.get(key.partition("@")[0])
    return {"key": key, "kind": kind.kind if kind else key, "space": page.ref.space,
            "title": page.ref.title, "revision": page.revision, "timestamp": page.timestamp,
            "kind_title": localize(kind.title, lang) if kind else key,
            "content": page.content}


def _rows(entries: list[Entry]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        found.setdefault(entry.kind, []).append({
            "key": entry.key, **entry.data, "_origin": entry.origin,
            "_first_seen": entry.first_seen, "_updated_at": entry.updated_at,
            "_deleted_at": entry.deleted_at, "_deleted_by": entry.deleted_by})
    return found
