"""``cop status``: what the records know of each community (no wiki access here)."""

from __future__ import annotations

from typing import Any

from page_templates import TemplateSet

from .model import Community
from .records import Records


def community_status(records: Records, templates: TemplateSet,
                     community: Community) -> dict[str, Any]:
    """Provisioned pages, rows per kind, last sync, open problems, conflicts, drift, and
    member changes still to be written to the wiki."""
    states = {s.kind: s for s in records.page_states(community.slug)}
    pages = [{"kind": k.kind, "page": str(states[k.kind].ref) if k.kind in states else None,
              "state": states[k.kind].state if k.kind in states else "missing",
              "revision": states[k.kind].revision if k.kind in states else None}
             for k in templates.kinds]
    rows = {k.kind: len(records.live_rows(community.slug, k.kind))
            for k in templates.row_kinds if not k.single}
    members = states.get("members")
    pending = members is not None and records.live_rows(community.slug, "members") != (
        members.base or {})
    return {
        "slug": community.slug, "name": community.name, "backend": community.backend,
        "space": community.space, "lang": community.lang, "status": community.status,
        "provisioned": len(states) == len(templates.kinds),
        "pages": pages,
        "rows": rows,
        "watermark": records.watermark(community.slug),
        "problems": [vars(p) for p in records.problems(community.slug)],
        "conflicts": [vars(c) for c in records.conflicts(community.slug)],
        "drift": records.drift(community.slug),
        "pending_member_changes": pending,
    }


def last_run(records: Records) -> dict[str, Any] | None:
    runs = records.last_runs(1)
    if not runs:
        return None
    run = runs[0]
    return {"id": run.id, "started_at": run.started_at, "finished_at": run.finished_at,
            "exit_code": run.exit_code, "counts": dict(run.summary).get("counts", {})}
