"""Registering communities (``cop community add``): validation, the method's rules (an
approved theme, at most ``[method] max_communities`` at once, the first one is the pilot),
space naming, first members."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from connector.errors import UsageError, ValidationError
from connector.mediawiki.namespaces import namespace_name
from page_templates import LANGUAGES, shipped
from page_templates.values import FieldInvalid, normalize

from .clock import utc_now
from .config import Config
from .lifecycle import pilot_warning
from .method_model import Theme
from .model import Community
from .records import Records

SLUG = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")


@dataclass(frozen=True)
class NewCommunity:
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
    """
    _check_slug(new.slug)
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
    community = Community(
        slug=new.slug, name=_text("--name", new.name, required=True),
        theme=_text("--theme", new.theme or (theme.title if theme else ""), required=True),
        axes=theme.axis if theme else "", pilot=_email("--pilot", new.pilot),
        expert=_email("--expert", new.expert), sponsor=_text("--sponsor", new.sponsor),
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
        used = records.used_namespace_ids()
        number = config.mediawiki.namespace_base
        while number in used:
            number += 2  # each community takes a pair: pages and talk
        return {"space": namespace_name(slug), "namespace_id": number}
    return {"space": confluence_space_key(slug, {c.space for c in records.communities()})}


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
        raise ValidationError("use 3 to 40 lower-case letters, digits and hyphens, starting "
                              "with a letter (e.g. battery-storage)", field="SLUG", value=slug)


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
