"""cop status [SLUG] [--json]: provisioned? drift? last sync, errors."""

from __future__ import annotations

from typing import Any

import click

from page_templates.problems import GOVERNED
from sync.cli.app import App, GuardedCommand, common_options, pass_app
from sync.cli.output import echo_json
from sync.records.model import Community
from sync.records.relay_state import FEED_FIELD
from sync.results.status import (
    community_status,
    last_run,
    last_sync_errors,
    method_overview,
)

# A page's state in words, with what to do (the records keep the code)
PAGE_STATES = {
    "refused-empty": ("reads as empty; its recorded rows are kept (if its entries were really "
                      "deleted, run `cop-sync --force-delete` to accept it)"),
    "deleted": "deleted on the wiki; its rows are kept as deleted (`cop provision` recreates it)",
}

@click.command("status", cls=GuardedCommand)
@common_options
@click.argument("slug", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--check-wiki", is_flag=True,
              help="Also ask the wiki what provisioning would change (pages missing, "
                   "templates outdated, pages edited by hand): a dry run of cop provision.")
@pass_app
def status(app: App, slug: str | None, as_json: bool, check_wiki: bool) -> None:
    """What the records know: pages provisioned, last sync, open row problems, conflicts,
    charter drift, member changes not yet on the wiki, and health alerts (a fading
    community, a page overdue for review, missing profiles). Reads no wiki unless
    --check-wiki."""
    communities = [app.community(slug)] if slug else app.records.communities()
    last_errors = last_sync_errors(app.records)  # the last run's report, read once
    data = {"last_run": last_run(app.records),
            "method": method_overview(app.records, app.config),
            "communities": [community_status(app.records, app.templates, c, app.config,
                                             last_errors)
                            for c in communities]}
    if check_wiki:
        pending = _provisioning_drift(app, communities)
        for entry in data["communities"]:
            entry["provisioning"] = pending.get(entry["slug"], [])
    if as_json:
        echo_json(data)
        return
    click.echo("last cop-sync: " + _last_run_line(data["last_run"]))
    _print_method(data["method"])
    for entry in data["communities"]:
        _print_community(entry)


def _last_run_line(run: dict[str, Any] | None) -> str:
    if not run:
        return "never"
    if run["finished_at"]:
        return f"{run['finished_at']} (exit {run['exit_code']})"
    # a run that is still going, or one killed before its end (nothing it had not
    # committed was kept; the next run redoes it)
    return f"started {run['started_at']}, not finished (still running, or stopped before its end)"


def _print_make_up(s: dict[str, Any], pilot: str) -> None:
    """Lifecycle, members by profile, and what the community's make-up lacks."""
    click.echo(f"  lifecycle: {s['status']}{pilot}")
    if "profiles" in s:
        click.echo("  members by profile: " + (", ".join(
            f"{name} {count}" for name, count in s["profiles"].items()) or "none"))
    for warning in s.get("warnings", []):
        click.echo(f"  ! {warning}")


def _print_method(method: dict[str, Any]) -> None:
    themes = method["themes"]
    click.echo(f"rollout stage: {method['stage']} (pilot community: "
               f"{method['pilot'] or '-'}; {method['communities']} of at most "
               f"{method['max_communities']} communities; themes: {themes['approved']} "
               f"approved, {themes['proposed']} proposed, {themes['rejected']} rejected)")
    for slug in themes["approved_without_community"]:
        click.echo(f"  ! theme {slug} is approved and has no community yet "
                   f"(`cop community add SLUG --from-theme {slug} ...`)")
    for warning in method["warnings"]:
        click.echo(f"  ! method: {warning}")


def _provisioning_drift(app: App,
                        communities: list[Community]) -> dict[str, list[dict[str, str]]]:
    """slug -> what `cop provision` would do besides 'unchanged' (a dry run). Shared pages
    (the row templates) are listed under every community, since all of them use them."""
    from sync.provision.run import Provisioner  # noqa: PLC0415 - only with --check-wiki

    found: dict[str, list[dict[str, str]]] = {c.slug: [] for c in communities}
    for name in sorted({c.backend for c in communities}):
        group = [c for c in communities if c.backend == name]
        report = Provisioner(app.records, app.backend(name), app.templates).run(
            group, dry_run=True)
        for action in report.actions:
            if action.op == "skip":
                continue
            entry = {"op": action.op, "page": str(action.ref), "reason": action.reason}
            for slug in [action.community] if action.community else [c.slug for c in group]:
                found[slug].append(entry)
        for slug, error in report.community_errors.items():
            found[slug].append({"op": "error", "page": "", "reason": str(error)})
    return found


def _print_sources(sources: dict[str, Any]) -> None:
    """The watch's sources: how many, what they brought, and each one that fails."""
    listed = sources["listed"]
    if not listed:
        return
    # imported here: connector.http loads requests, which `cop status` never needs else
    from connector.http import safe_url  # noqa: PLC0415
    click.echo(f"  watch sources: {len(listed)} listed, {sources['failing']} failing; "
               f"{sources['proposed']} entries proposed, {sources['deleted_by_members']} "
               "of them deleted by members")
    for source in listed:
        if source["failing"]:
            retry = f"; next try {source['next_check']}" if source.get("next_check") else ""
            click.echo(f"  ! source {source['name']!r} <{safe_url(source['url'])}>: "
                       f"{source['error']} (failing since {source['failing_since']}, "
                       f"{source['failures']} time(s){retry})")


def _print_problems(problems: list[dict[str, Any]]) -> None:
    for problem in problems:
        if problem["field"] == FEED_FIELD:
            continue  # a failing source: said with its source (_print_sources)
        if problem["code"] == GOVERNED and problem["kind"] == "charter":
            continue  # a charter field changed on the wiki: the drift lines below say it
        where = f"{problem['page']}, row {problem['row']}" + (
            f" (line {problem['line']})" if problem["line"] else "")
        mark = "!" if problem["severity"] == "error" else "- note:"
        click.echo(f"  {mark} {where}, field {problem['field']!r}: {problem['message']}")


def _print_community(s: dict[str, Any]) -> None:
    pages = sum(p["state"] not in ("missing", "deleted") for p in s["pages"])
    pilot = ", the pilot community" if s["pilot_community"] else ""
    click.echo(f"\n{s['slug']} — {s['name']} ({s['backend']} {s['space']}, {s['lang']})")
    _print_make_up(s, pilot)
    click.echo(f"  pages: {pages}/{len(s['pages'])} provisioned"
               + ("" if s["provisioned"] else f" (run `cop provision {s['slug']}`)"))
    for page in s["pages"]:
        if page["state"] not in ("ok", "missing"):
            click.echo(f"  ! {page['page']}: {PAGE_STATES.get(page['state'], page['state'])}")
    click.echo("  rows: " + ", ".join(f"{k} {v}" for k, v in s["rows"].items()))
    click.echo(f"  last synced: {s['watermark'] or 'never'}")
    if s["last_sync_error"]:
        click.echo(f"  ! the last cop-sync failed here: {s['last_sync_error']}")
    if s["pending_member_changes"]:
        click.echo("  ! member changes not yet on the wiki (next cop-sync writes them)")
    _print_sources(s["sources"])
    _print_problems(s["problems"])
    for conflict in s["conflicts"]:
        click.echo(f"  ! conflict {conflict['id']}: {conflict['kind']} {conflict['key']} "
                   f"{conflict['field']}: wiki {conflict['wiki']!r}, records "
                   f"{conflict['local']!r}, base {conflict['base']!r} (settle it: "
                   f"`cop conflicts resolve {conflict['id']} --keep wiki|local`)")
    for action in s.get("provisioning", []):
        click.echo(f"  ! provisioning would {action['op']} {action['page']}: "
                   f"{action['reason']}")
    for alert in s.get("alerts", []):
        click.echo(f"  ! health: {alert['message']} (`cop health {s['slug']}`)")
    for drift in s["drift"]:
        click.echo(f"  ! drift {drift['page']} {drift['field']}: wiki {drift['wiki']!r}, "
                   f"records {drift['records']!r} (`cop provision` restores the records' value)")
