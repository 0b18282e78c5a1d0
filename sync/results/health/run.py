"""Health, the imperative shell: read the wikis' history into the records (when asked),
gather each community's data from the records, compute (sync/results/health/compute.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from msgspec import Struct, field

from connector.errors import CopError
from page_templates import TemplateSet, localize
from page_templates.model import instance_of
from sync.clock import format_time, parse_time, utc_now
from sync.community.pages import page_keys, page_title, part_keys
from sync.community.seminar_pages import seminar_instances
from sync.config.loader import Config
from sync.method.ideas import IDEAS, Subject, ideas_kind, read_subjects
from sync.records.model import Community
from sync.records.store import Records
from sync.results.funnel.compute import FunnelInput
from sync.results.health.compute import ACTIONS_KIND, HealthInput, compute
from sync.results.health.model import CommunityHealth
from sync.results.history import refresh_history, stored_contributions
from sync.results.people import Member

if TYPE_CHECKING:  # `cop status` reads the records only: no backend module to load
    from connector.base import WikiBackend


class HistoryRead(Struct):
    """What reading the wikis' history gave: new contributions, and per backend the error
    that stopped it (its communities' health then rests on what the records had)."""

    added: int = 0
    errors: dict[str, str] = field(default_factory=dict)
    failures: list[CopError] = field(default_factory=list)  # the errors themselves


def read_history(records: Records, backends: Callable[[str], WikiBackend],
                 templates: TemplateSet, config: Config, communities: Sequence[Community],
                 clock: Callable[[], str] = utc_now) -> HistoryRead:
    """Ask each backend once for people's edits in its communities' spaces; store them.
    Communities not provisioned yet are left out (their space may not exist)."""
    outcome = HistoryRead()
    provisioned = [c for c in communities if records.page_states(c.slug)]
    for name in sorted({c.backend for c in provisioned}):
        group = [c for c in provisioned if c.backend == name]
        try:
            outcome.added += refresh_history(
                records, backends(name), group, templates,
                history_days=config.health.history_days,
                overlap_seconds=config.sync.overlap_seconds, clock=clock)
        except CopError as error:
            outcome.errors[name] = str(error)
            outcome.failures.append(error)
    return outcome


def default_since(config: Config, now: str) -> str:
    """The period health covers when none is given: the last ``history_days``."""
    return format_time(parse_time(now) - timedelta(days=config.health.history_days))[:10]


def community_health(records: Records, templates: TemplateSet, config: Config,
                     community: Community, *, since: str, now: str,
                     everyone: Sequence[Subject] | None = None) -> CommunityHealth:
    """One community's figures over ``since`` .. ``now`` (from the records only);
    ``everyone``: every community's subjects, when the caller read them already."""
    return compute(health_input(records, templates, config, community, everyone),
                   config.health, since, now)


def all_subjects(records: Records, templates: TemplateSet) -> list[Subject]:
    """The subjects of every community (a need here may be answered there)."""
    return [s for c in records.communities() for s in read_subjects(records, templates, c)]


def funnel_input(records: Records, templates: TemplateSet, community: Community,
                 everyone: Sequence[Subject] | None = None) -> FunnelInput | None:
    """What the funnel of ``community`` needs (None when the templates have no Ideas
    page)."""
    if ideas_kind(templates) is None:
        return None
    if everyone is None:
        everyone = all_subjects(records, templates)
    state = records.page_state(community.slug, IDEAS)
    return FunnelInput(
        subjects=tuple(s for s in everyone if s.community == community.slug),
        everyone=tuple(everyone), workshops=tuple(records.workshops(community=community.slug)),
        names={c.slug: c.name for c in records.communities()},
        opened=None if state is None else records.page_created(community.slug, IDEAS))


def health_input(records: Records, templates: TemplateSet, config: Config,
                 community: Community,
                 everyone: Sequence[Subject] | None = None) -> HealthInput:
    slug = community.slug
    states = {s.kind: s for s in records.page_states(slug)}
    kinds = [k for k in templates.row_kinds if not k.single and not k.host]
    titles = {k.kind: states[k.kind].ref.title if k.kind in states
              else localize(k.title, community.lang) for k in kinds}
    pages: dict[str, str] = {}  # every page, in page order
    row_pages: dict[str, str] = {}  # row kind -> the page its rows are on
    for key, kind in page_keys(templates, seminar_instances(records, community)):
        pages[key] = states[key].ref.title if key in states else \
            page_title(kind, community.lang, instance_of(key))
        if kind.has_rows and not kind.single:
            row_pages[key] = key
        row_pages.update(dict.fromkeys(part_keys(key, kind).values(), key))
    members = tuple(Member(email=key, name=row.get("name", ""), profile=row.get("profile", ""))
                    for key, row in records.live_rows(slug, "members").items())
    actions = None  # not tracked when the templates have no actions kind
    if templates.get(ACTIONS_KIND) is not None:  # the actions of every seminar
        actions = tuple(row for key in records.entry_kinds(slug, f"{ACTIONS_KIND}@")
                        for row in records.live_rows(slug, key).values())
    accounts: Mapping[str, str] | None = None
    if community.backend == "confluence" and config.confluence is not None:
        accounts = config.confluence.accounts
    return HealthInput(
        community=community, members=members,
        entries=tuple(e for e in records.entries(slug, include_deleted=True)
                      if e.kind in titles or e.kind in row_pages),
        contributions=tuple(stored_contributions(records, slug)), titles=titles,
        fields={k.kind: k.field_names for k in templates.row_kinds if not k.single},
        actions=actions, accounts=accounts, pages=pages, row_pages=row_pages,
        funnel=funnel_input(records, templates, community, everyone))


def all_health(records: Records, templates: TemplateSet, config: Config,
               communities: Sequence[Community], *, since: str,
               now: str) -> list[CommunityHealth]:
    """Every community's figures, in the given order (records only)."""
    everyone = all_subjects(records, templates)
    return [community_health(records, templates, config, c, since=since, now=now,
                             everyone=everyone) for c in communities]
