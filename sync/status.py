"""``cop status``: what the records know of each community (no wiki access here)."""

from __future__ import annotations

from typing import Any

from page_templates import TemplateSet

from .clock import utc_now
from .config import Config
from .health_run import community_health, default_since
from .model import Community
from .records import Records


def community_status(records: Records, templates: TemplateSet,
                     community: Community, config: Config | None = None) -> dict[str, Any]:
    """Provisioned pages, rows per kind, last sync, open problems, conflicts, drift,
    member changes still to be written to the wiki, and (given the configuration) health
    alerts judged from the records (see sync/health.py)."""
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
    status = {
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
    if config is not None:
        status["alerts"] = health_alerts(records, templates, config, community)
    return status


def health_alerts(records: Records, templates: TemplateSet, config: Config,
                  community: Community) -> list[dict[str, str]]:
    """The community's health alerts now, from the records alone (no wiki access)."""
    now = utc_now()
    figures = community_health(records, templates, config, community,
                               since=default_since(config, now), now=now)
    return [{"code": a.code, **a.values, "message": a.message("en")} for a in figures.alerts]


def last_run(records: Records) -> dict[str, Any] | None:
    runs = records.last_runs(1)
    if not runs:
        return None
    run = runs[0]
    return {"id": run.id, "started_at": run.started_at, "finished_at": run.finished_at,
            "exit_code": run.exit_code, "counts": dict(run.summary).get("counts", {})}
