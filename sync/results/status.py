"""``cop status``: what the records know of each community (no wiki access here)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from msgspec.structs import asdict

from page_templates import TemplateSet
from page_templates.problems import problem_text
from sync.clock import format_time, utc_now
from sync.community.pages import page_keys
from sync.community.seminar_pages import seminar_instances
from sync.config.loader import Config
from sync.config.sources import SourcesConfig
from sync.engine.pending import members_pending
from sync.method.status import community_warnings, members_by_profile, rollout
from sync.records.model import Community
from sync.records.store import Records
from sync.results.health.run import community_health, default_since


def community_status(records: Records, templates: TemplateSet,
                     community: Community, config: Config | None = None,
                     last_errors: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Provisioned pages, rows per kind, last sync (and what stopped it: ``last_errors``,
    from ``last_sync_errors``, given when several communities are asked), open problems,
    conflicts, drift, member changes still to be written to the wiki, and (given the
    configuration) health alerts judged from the records (see
    sync/results/health/compute.py)."""
    states = {s.kind: s for s in records.page_states(community.slug)}
    keys = [key for key, kind in page_keys(templates, seminar_instances(records, community))
            if kind.kind != "home" or "home" in states or not states]
    pages = [{"kind": key, "page": str(states[key].ref) if key in states else None,
              "state": states[key].state if key in states else "missing",
              "revision": states[key].revision if key in states else None}
             for key in keys]
    rows = {k.kind: len(records.live_rows(community.slug, k.kind))
            for k in templates.row_kinds if not k.single and not k.host}
    rows.update({key: len(records.live_rows(community.slug, key)) for key in states
                 if "@" in key and templates.kind_for(key).has_rows})
    live_members = records.live_rows(community.slug, "members")
    pending = members_pending(records, community)
    status = {
        "slug": community.slug, "name": community.name, "backend": community.backend,
        "space": community.space, "lang": community.lang, "status": community.status,
        "pilot_community": community.is_pilot, "theme_slug": community.theme_slug,
        "provisioned": bool(states) and all(key in states for key in keys),
        "pages": pages,
        "rows": rows,
        "watermark": records.watermark(community.slug),
        "last_sync_error": (last_errors if last_errors is not None
                            else last_sync_errors(records)).get(community.slug, ""),
        "problems": [{**asdict(p), "params": dict(p.params),
                      "text": problem_text(p.code, community.lang, p.params, p.message)}
                     for p in records.problems(community.slug)],
        "conflicts": [asdict(c) for c in records.conflicts(community.slug)],
        "drift": records.drift(community.slug),
        "pending_member_changes": pending,
        "sources": sources_status(records, community, config.sources if config else None),
    }
    if config is not None:
        status["alerts"] = health_alerts(records, templates, config, community)
        status["profiles"] = members_by_profile(live_members, config.method.profiles)
        status["warnings"] = community_warnings(community, live_members, config.method)
    return status


def sources_status(records: Records, community: Community,
                   config: SourcesConfig | None = None) -> dict[str, Any]:
    """The watch's sources listed on the community's Watch page: each one's last check,
    and its failure while it fails (with when it is asked next, given the interval); the
    entries they brought, and how many of those members deleted from the page."""
    rows = records.live_rows(community.slug, "source")
    states = records.source_states(community.slug)
    listed = []
    for url, values in sorted(rows.items()):
        state = states.get(url)
        entry: dict[str, Any] = {
            "url": url, "name": values.get("name", ""), "tags": values.get("tags", ""),
            "checked_at": state.checked_at if state else None,
            "ok_at": (state.ok_at or None) if state else None,
            "failing": bool(state and state.failing),
            "failures": state.failures if state else 0,
            "failing_since": (state.failing_since or None) if state else None,
            "error_code": (state.error_code or None) if state else None,
            "error": (state.error or None) if state else None,
            "text": problem_text(state.error_code, community.lang, state.error_params,
                                 state.error) if state and state.failing else None}
        if config is not None:
            due = config.next_check(state.checked_at, state.failures) if state else None
            entry["next_check"] = format_time(due) if due else None
        listed.append(entry)
    brought = records.source_entries(community.slug)
    proposed = {e.row_key for e in brought if e.status == "proposed" and e.row_key}
    deleted = {e.key for e in records.entries(community.slug, "watch", include_deleted=True)
               if not e.live and e.deleted_by == "wiki"}
    return {"listed": listed, "failing": sum(s["failing"] for s in listed),
            "entries": len(brought), "proposed": len(proposed),
            "deleted_by_members": len(proposed & deleted)}


def method_overview(records: Records, config: Config) -> dict[str, Any]:
    """The rollout stage and what goes against the method (see sync/method/status.py)."""
    return rollout(records.communities(), records.themes(), config.method)


def health_alerts(records: Records, templates: TemplateSet, config: Config,
                  community: Community) -> list[dict[str, str]]:
    """The community's health alerts now, from the records alone (no wiki access)."""
    now = utc_now()
    figures = community_health(records, templates, config, community,
                               since=default_since(config, now), now=now)
    return [{"code": a.code, **a.values, "message": a.message("en")} for a in figures.alerts]


def last_sync_errors(records: Records) -> dict[str, str]:
    """Slug -> what stopped that community in the last cop-sync (a namespace taken out of
    the wiki, say), from the run's report kept in the records: read once for all."""
    runs = records.last_runs(1)
    found = runs[0].summary.get("communities", []) if runs else []
    return {str(c["slug"]): str(c["error"]) for c in found
            if isinstance(c, dict) and c.get("slug") and c.get("error")}


def last_run(records: Records) -> dict[str, Any] | None:
    runs = records.last_runs(1)
    if not runs:
        return None
    run = runs[0]
    return {"id": run.id, "started_at": run.started_at, "finished_at": run.finished_at,
            "exit_code": run.exit_code, "counts": dict(run.summary).get("counts", {})}
