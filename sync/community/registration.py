"""Registering communities (``cop community add``): validation, the method's rules (an
approved theme, at most ``[method] max_communities`` at once, the first one is the pilot),
space naming, first members."""

from __future__ import annotations

import re
from collections.abc import Callable

from msgspec import Struct
from msgspec.structs import replace

from connector.errors import UsageError, ValidationError
from connector.mediawiki.namespaces import folded, namespace_name, talk_namespace
from page_templates import LANGUAGES, shipped
from page_templates.values import FieldInvalid, normalize
from sync.clock import utc_now
from sync.community.lifecycle import pilot_warning
from sync.config.loader import Config
from sync.records.model import Community, Theme
from sync.records.store import Records

# Lower-case letters, digits and single hyphens, 2 to 40 characters, a letter or a digit at
# each end: short portfolio codes (h2, ai, 5g) included. Both platforms hold what derives
# from every such slug: the MediaWiki namespace CoP_<Slug> (prefixed, so a leading digit is
# fine; measured on MediaWiki 1.39 and 1.43) and the Confluence space key (ASCII letters and
# digits, up to 255, a digit first included: Cloud and Data Center). No "--": the namespace
# CoP_Abc__def would be folded by MediaWiki into CoP_Abc_def, the namespace of community
# abc-def (two communities sharing their pages).
SLUG = re.compile(r"^(?!.*--)[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$")
SLUG_RULE = ("use 2 to 40 lower-case letters, digits and single hyphens, without a hyphen at "
             "either end (e.g. battery-storage, h2, 5g)")


class NewCommunity(Struct, frozen=True):
    """What ``cop community add`` is told."""

    slug: str
    name: str
    theme: str
    pilot: str
    expert: str
    sponsor: str = ""
    account: str = ""
    backend: str | None = None  # None: the configured default
    lang: str | None = None
    from_theme: str | None = None  # an approved theme: its title and axis fill theme, axes
    force: bool = False  # past [method] max_communities all the same


def add_community(records: Records, config: Config, new: NewCommunity,
                  clock: Callable[[], str] = utc_now,
                  languages: tuple[str, ...] = LANGUAGES) -> Community:
    """Record a new community, ``proposed`` (its space is not provisioned yet), with its
    pilot and expert as its first members; the first community registered is the pilot.

    ``languages``: those the effective page templates offer (a company's templates
    directory may add some). Raises ValidationError (a field named) or UsageError (slug
    taken, backend not configured, theme not approved or taken, too many communities
    without ``force``).

    Checked and recorded in one transaction: two managers adding communities at once
    never take the same slug or namespace.
    """
    _check_slug(new.slug)
    with records.transaction():
        return _add_community(records, config, new, clock, languages)


def _add_community(records: Records, config: Config, new: NewCommunity,
                   clock: Callable[[], str], languages: tuple[str, ...]) -> Community:
    theme = _theme(records, new)
    _check_count(records, config, new)
    backend = new.backend or config.default_backend
    if getattr(config, backend, None) is None:
        raise UsageError(f"backend {backend!r} is not configured: add a [{backend}] section "
                         f"to {config.path} (see `cop init --help`)")
    if records.community(new.slug) is not None:
        raise UsageError(f"community {new.slug!r} already exists")
    lang = new.lang or config.default_lang
    if lang not in languages:
        where = "--lang" if new.lang else "defaults.lang in cop.toml"
        raise ValidationError(
            f"must be one of {', '.join(languages)}: the languages the page templates offer "
            "(a company adds one with a templates directory, [templates] dir in cop.toml)",
            field=where, value=lang)
    now = clock()
    pilot, expert = _email("--pilot", new.pilot), _email("--expert", new.expert)
    _check_pair(pilot, expert)
    community = Community(
        slug=new.slug, name=_text("--name", new.name, required=True),
        theme=_text("--theme", new.theme or (theme.title if theme else ""), required=True),
        axes=theme.axis if theme else "", pilot=pilot,
        expert=expert, sponsor=_text("--sponsor", new.sponsor),
        account=_text("--account", new.account), backend=backend, lang=lang,
        status="proposed", created_at=now, updated_at=now,
        is_pilot=not records.communities(), theme_slug=theme.slug if theme else None,
        **_space(records, config, backend, new.slug),
    )
    with records.transaction():
        records.add_community(community)
        for email, role in ((community.pilot, "pilot"), (community.expert, "expert")):
            records.upsert_entry(community.slug, "members", email, _first_member(
                email, role, now), origin="command", now=now)
    return community


LEADERS = ("pilot", "expert")


def set_leaders(records: Records, community: Community, *, pilot: str | None = None,
                expert: str | None = None, clock: Callable[[], str] = utc_now,
                expected: Community | None = None) -> Community:
    """Name a new pilot and/or expert (``cop community set --pilot/--expert``): the
    charter fields change in the records (the charter on the wiki follows, like sponsor and
    account), the person named is, or becomes, a member with that role, and a previous
    holder stays a member with the role ``member``. Returns the community as saved.

    ``community`` may carry other changes (sponsor, account): they are saved with it.
    ``expected``: the community as the command read it (RecordsChanged if the records
    hold something else by now). Raises ValidationError (an e-mail, or the same person as
    pilot and expert).
    """
    new_pilot = community.pilot if pilot is None else _email("--pilot", pilot)
    new_expert = community.expert if expert is None else _email("--expert", expert)
    _check_pair(new_pilot, new_expert, option="--expert" if expert is not None else "--pilot")
    now = clock()
    changed = replace(community, pilot=new_pilot, expert=new_expert, updated_at=now)
    members = records.live_rows(community.slug, "members")
    with records.transaction():
        records.save_community(changed, expected=expected)
        for email in dict.fromkeys((community.pilot, community.expert, new_pilot, new_expert)):
            role = {new_pilot: "pilot", new_expert: "expert"}.get(email, "member")
            row = members.get(email)
            if row is None and role == "member":
                continue  # a former holder who left the member list stays out of it
            if row is not None and row.get("role") == role:
                continue
            data = {**row, "role": role} if row else _first_member(email, role, now)
            records.upsert_entry(community.slug, "members", email, data, origin="command",
                                 now=now)
    return changed


def check_removable(community: Community, email: str) -> None:
    """The pilot and the expert named on the charter stay members while they hold the role
    (``cop member remove``): a new one is named first. Raises UsageError."""
    key = email.strip().lower()
    for role in LEADERS:
        if key and key == getattr(community, role):
            raise UsageError(
                f"{key} is the {role} of {community.slug} (on its charter): name a new "
                f"{role} first (`cop community set {community.slug} --{role} EMAIL`; "
                f"{key} then stays a member), then remove them")


def add_warnings(records: Records, slug: str) -> list[str]:
    """What registering community ``slug`` now goes against in the method (it is allowed):
    the pilot community not yet provisioned and active."""
    warning = pilot_warning(records.communities(), slug)
    return [warning] if warning else []


def _theme(records: Records, new: NewCommunity) -> Theme | None:
    """The approved theme ``--from-theme`` names, not used by another live community."""
    if new.from_theme is None:
        if not (new.theme or "").strip():
            raise ValidationError("is required (or --from-theme SLUG, an approved theme)",
                                  field="--theme")
        return None
    theme = records.theme(new.from_theme)
    if theme is None:
        raise UsageError(f"no theme {new.from_theme!r} (see `cop theme list`)")
    if theme.status != "approved":
        raise UsageError(f"theme {theme.slug!r} is {theme.status}, not approved: a community "
                         f"is made from a theme the decision makers retained (`cop theme "
                         f"decide {theme.slug} approve --by NAME`)")
    taken = [c.slug for c in records.communities()
             if c.theme_slug == theme.slug and not c.archived]
    if taken:
        raise UsageError(f"theme {theme.slug!r} already has its community ({taken[0]})")
    return theme


def _check_count(records: Records, config: Config, new: NewCommunity) -> None:
    """At most ``[method] max_communities`` communities proposed or running at once."""
    live = [c.slug for c in records.communities() if not c.archived]
    limit = config.method.max_communities
    if len(live) < limit or new.force:
        return
    raise UsageError(
        f"{len(live)} communities are already proposed or running ({', '.join(live)}): the "
        f"method keeps {limit} at most ([method] max_communities = {limit} in "
        f"{config.path.name}); the decision makers retain three or four themes. Archive "
        "one (`cop archive SLUG`), raise the setting, or pass --force")


def _space(records: Records, config: Config, backend: str, slug: str) -> dict[str, object]:
    if backend == "mediawiki":
        assert config.mediawiki is not None
        name = namespace_name(slug)
        _check_namespace_free(records, name)
        return {"space": name, "namespace_id": free_namespace_id(
            records.used_namespace_ids(), config.mediawiki.namespace_base)}
    return {"space": confluence_space_key(slug, {c.space for c in records.communities()})}


def free_namespace_id(used: set[int], base: int) -> int:
    """The first even id from ``base`` whose pair (id: pages, id + 1: talk) is free: an id
    in ``used`` takes its talk id too (an odd id recorded by an older version included)."""
    taken = used | {number + 1 for number in used}
    number = base + base % 2
    while number in taken or number + 1 in taken:
        number += 2
    return number


def _check_namespace_free(records: Records, name: str) -> None:
    """No other MediaWiki community's namespace, or its talk namespace, is the same name to
    the wiki as this one or its talk namespace (MediaWiki folds underscores, spaces and
    case; ``ai-talk`` would be ``CoP_Ai_talk``, the talk namespace of ``ai``): the two would
    share their pages."""
    mine = {folded(name), folded(talk_namespace(name))}
    for other in records.communities():
        if other.backend != "mediawiki" or not other.space:
            continue
        theirs = {folded(other.space), folded(talk_namespace(other.space))}
        if folded(other.space) in mine or folded(name) in theirs:
            raise UsageError(
                f"namespace {name} is the same, on MediaWiki, as {other.space} or its talk "
                f"namespace, those of community {other.slug!r} (the wiki ignores case and "
                "folds runs of underscores): choose another slug")


def confluence_space_key(slug: str, taken: set[str]) -> str:
    """Letters and digits of the slug, upper-case, made unique among known communities."""
    stem = re.sub(r"[^A-Z0-9]", "", slug.upper())[:10] or "COP"
    key, suffix = stem, 2
    while key in taken:
        key, suffix = f"{stem[: 10 - len(str(suffix))]}{suffix}", suffix + 1
    return key


def _first_member(email: str, role: str, now: str) -> dict[str, str]:
    local_part = email.split("@", maxsplit=1)[0]
    name = " ".join(part.capitalize() for part in re.split(r"[._-]+", local_part))
    return {"email": email, "name": name or email, "profile": "", "role": role, "site": "",
            "since": now[:10]}


def _check_slug(slug: str) -> None:
    if not SLUG.match(slug):
        raise ValidationError(SLUG_RULE, field="SLUG", value=slug)


def _check_pair(pilot: str, expert: str, *, option: str = "--expert") -> None:
    if pilot == expert:
        raise ValidationError(f"{pilot} cannot be both pilot and expert: the method pairs "
                              "the pilot with an expert of the theme", field=option,
                              value=expert)


def _text(option: str, value: str, *, required: bool = False) -> str:
    members = shipped()["members"]
    cleaned = normalize(members.field("name"), value or "")  # type: ignore[arg-type]
    if required and not cleaned:
        raise ValidationError("is required", field=option)
    return cleaned


def _email(option: str, value: str) -> str:
    try:
        return normalize(shipped()["members"].field("email"), value)  # type: ignore[arg-type]
    except FieldInvalid as problem:
        raise ValidationError(problem.message, field=option, value=value) from problem
