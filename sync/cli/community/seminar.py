"""cop seminar add | list | workshop add: the yearly seminar and its workshops."""

from __future__ import annotations

import click
from msgspec.structs import asdict

from sync.cli.app import App, GuardedGroup, common_options, pass_app
from sync.cli.output import echo_json, echo_table
from sync.method.seminars import DAYS, add_seminar, add_workshop


@click.group("seminar", cls=GuardedGroup)
def seminar() -> None:
    """The yearly seminar of the communities (2 or 3 days) and its workshops."""


@seminar.command("add")
@common_options
@click.argument("year", type=int)
@click.option("--title", required=True, help="The seminar's title.")
@click.option("--start", required=True, metavar="YYYY-MM-DD", help="Its first day.")
@click.option("--days", type=click.Choice([str(d) for d in DAYS]), required=True,
              help="How many days it lasts.")
@click.option("--place", required=True, help="Where it is held.")
@pass_app
def add(app: App, year: int, title: str, start: str, days: str, place: str) -> None:
    """Record the seminar of YEAR; `cop provision` then adds its page to each community."""
    added = add_seminar(app.records, year, title=title, start=start, days=int(days),
                        place=place)
    click.echo(f"seminar {added.year}: {added.title}, {added.place}, {added.start} to "
               f"{added.end}; add workshops (`cop seminar workshop add {year} SLUG "
               "--title TEXT`), then `cop provision --all`")


@seminar.command("list")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def list_(app: App, as_json: bool) -> None:
    """Every seminar and its workshops."""
    seminars = app.records.seminars()
    workshops = app.records.workshops()
    if as_json:
        echo_json([{**asdict(s), "end": s.end,
                    "workshops": [asdict(w) for w in workshops if w.year == s.year]}
                   for s in seminars])
        return
    echo_table(["year", "title", "start", "days", "place", "workshops"],
               [[s.year, s.title, s.start, s.days, s.place,
                 "; ".join(f"{w.community}: {w.title}" for w in workshops
                           if w.year == s.year) or None] for s in seminars])


@seminar.group("workshop", cls=GuardedGroup)
def workshop() -> None:
    """The seminar's thematic workshops, per community."""


@workshop.command("add")
@common_options
@click.argument("year", type=int)
@click.argument("slug")
@click.option("--title", required=True, help="The workshop's title.")
@pass_app
def workshop_add(app: App, year: int, slug: str, title: str) -> None:
    """A workshop of community SLUG at the YEAR seminar (shown on its seminar page)."""
    added = add_workshop(app.records, year, slug, title=title)
    click.echo(f"workshop {added.title!r} of {slug} at the {year} seminar; `cop provision "
               f"{slug}` shows it on the seminar page")
