"""cop idea list [SLUG] [--handover] [--json] | link SLUG KEY --project CODE: the subjects
the communities raise (their Ideas pages), and the hand-over to the innovation portfolio.

The library is imported when a command runs, not when `cop` starts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from sync.cli.app import App, GuardedGroup, common_options, pass_app

if TYPE_CHECKING:
    from sync.engine.pull import PageOutcome
    from sync.method.ideas import Subject
    from sync.records.model import Community


@click.group("idea", cls=GuardedGroup)
def idea() -> None:
    """The subjects the communities raise, and their hand-over to the portfolio."""


@idea.command("list")
@common_options
@click.argument("slug", required=False)
@click.option("--handover", is_flag=True,
              help="Only the subjects proposed to the portfolio that wait for a project "
                   "code (record it with `cop idea link`).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def list_(app: App, slug: str | None, handover: bool, as_json: bool) -> None:
    """The subjects of one community's Ideas page (or of all), as last synced: status and
    since when, project code, who carries them."""
    from sync.cli.output import echo_json, echo_table  # noqa: PLC0415 - see the docstring
    from sync.method.ideas import handover as waiting  # noqa: PLC0415
    from sync.method.ideas import read_subjects  # noqa: PLC0415

    communities = [app.community(slug)] if slug else app.records.communities()
    subjects = [s for c in communities for s in read_subjects(app.records, app.templates, c)]
    if handover:
        subjects = waiting(subjects)
    if as_json:
        echo_json({"handover": handover, "subjects": [_json(s) for s in subjects]})
        return
    if not subjects:
        click.echo("no subject waits for a project code" if handover else "no subject")
        return
    # the title as members wrote it (the key is its case-folded form; `cop idea link`
    # takes either)
    echo_table(("community", "subject", "status", "since", "project", "carried by", "origin"),
               [(s.community, s.title, s.status, s.status_since[:10], s.get("project"),
                 s.get("owner"), s.get("origin")) for s in subjects])


def _json(subject: Subject) -> dict[str, object]:
    return {"community": subject.community, "key": subject.key, **subject.values,
            "first_seen": subject.first_seen, "status_since": subject.status_since,
            "history": [{"status": status, "since": since}
                        for status, since in subject.history],
            "linked": [{"kind": e.kind, "key": e.key, "label": e.label} for e in subject.linked],
            "unknown_links": list(subject.unknown),
            "workshop": ({"year": subject.workshop[0], "title": subject.workshop[1]}
                         if subject.workshop else None)}


@idea.command("link")
@common_options
@click.argument("slug")
@click.argument("key")
@click.option("--project", required=True, metavar="CODE",
              help="The project's code in the innovation portfolio.")
@pass_app
def link(app: App, slug: str, key: str, project: str) -> None:
    """Record CODE as the portfolio project of subject KEY (its title, as on the Ideas page)
    of community SLUG, mark it launched, and write both back to its row on the wiki. Run
    again, it changes nothing."""
    from connector.errors import UsageError  # noqa: PLC0415 - see the module's docstring
    from sync.engine.members import rows_pending  # noqa: PLC0415
    from sync.method.ideas import IDEAS, link_project  # noqa: PLC0415

    community = app.community(slug)
    if community.archived:
        raise UsageError(f"{slug} is archived: its Ideas page is frozen (`cop archive {slug} "
                         "--undo` reopens it)")
    with app.lock():
        done = link_project(app.records, app.templates, community, key, project)
        if done.action == "unchanged":
            click.echo(f"{done.title!r} of {slug} is already linked to project {done.project}")
        else:
            was = f" (was {done.previous_project})" if done.previous_project else ""
            click.echo(f"{done.title!r} of {slug}: project {done.project}{was}, launched "
                       f"(was {done.previous_status})")
        if done.action == "unchanged" and not rows_pending(app.records, community, IDEAS):
            return  # nothing to write: the page has it already
        _write_page(app, community)


def _write_page(app: App, community: Community) -> None:
    """The records hold the change; now the Ideas page. A wiki failure is exit 1, never a
    loss: the change stays recorded and the next cop-sync writes it."""
    from connector.errors import CopError  # noqa: PLC0415 - see the module's docstring
    from sync.engine.members import rows_pending, write_rows_page  # noqa: PLC0415
    from sync.method.ideas import IDEAS  # noqa: PLC0415

    slug = community.slug
    try:
        outcome = write_rows_page(app.records, app.backend(community.backend), app.templates,
                                  community, IDEAS)
    except CopError as error:
        click.echo(f"cop: error: the Ideas page was not written ({error}); the project code "
                   "is recorded and the next cop-sync writes it", err=True)
        raise SystemExit(1) from error
    if outcome is None:
        click.echo(f"the Ideas page is not on the wiki (not provisioned yet, or deleted "
                   f"there): `cop provision {slug}` writes it")
        return
    if outcome.error:
        click.echo(f"cop: error: {outcome.error}; the project code is recorded: cop-sync "
                   "writes it as soon as the page allows", err=True)
        raise SystemExit(1)
    click.echo(f"Ideas page {outcome.page}: {outcome.pushed} change(s) written, "
               f"{outcome.upserted} wiki change(s) read back")
    if outcome.conflicts or rows_pending(app.records, community, IDEAS):
        _held(outcome)


def _held(outcome: PageOutcome) -> None:
    """The page does not have the change yet: say why, exit 1 (it stays recorded)."""
    for conflict in outcome.conflicts:
        click.echo(f"cop: conflict on {conflict.key} {conflict.field}: wiki {conflict.wiki!r}, "
                   f"records {conflict.local!r} (left as is; `cop conflicts resolve` settles "
                   "it)", err=True)
    reasons = [*(str(p) for p in outcome.errors[:3]),
               *([outcome.notice] if outcome.notice else [])]
    why = "; ".join(reasons) or ("a conflict, above" if outcome.conflicts
                                 else "see `cop status`")
    click.echo(f"cop: the project code is recorded but not on the wiki yet ({why}); the next "
               "cop-sync writes it once the page allows", err=True)
    raise SystemExit(1)
