"""The profile vocabulary: the functions members give (marketing, R&D, sales...), their
labels per language and the other spellings read as them.

Shipped in ``profiles.toml``; a company extends it in cop.toml (``[method.profiles]``, read
by sync/config/method.py). One vocabulary serves everything: ``with_profiles`` turns the
members kind's ``profile`` field into a choice among it (so ``cop member add --profile`` and
the members' rows on the wiki are validated the same way, a typo refused with the closest
profile suggested), and health and reports count members by its canonical names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

import tomli  # the compiled tomllib: see pyproject.toml
from msgspec import Struct
from msgspec.structs import replace

from .model import Choice, PageKind, TemplateSet, localize
from .values import derived, loose, suggest

PROFILES_FILE = Path(__file__).parent / "profiles.toml"
MEMBERS, PROFILE = "members", "profile"


class Profile(Struct, frozen=True):
    """One profile: its canonical ``name`` (what the records hold), labels per language
    (what pages show) and other spellings read as it."""

    name: str
    labels: Mapping[str, str]
    aliases: tuple[str, ...] = ()


class ProfileVocabulary(Struct, frozen=True):
    """The profiles, in order."""

    profiles: tuple[Profile, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.profiles)

    def _lookup(self) -> dict[str, str]:
        return derived(self, _lookup)

    def canonical(self, text: str) -> str | None:
        """The profile ``text`` names (name, label or alias, loosely compared), else None;
        "" for an empty text."""
        if not text.strip():
            return ""
        names = self._lookup()
        return names.get(text.strip().casefold()) or names.get(loose(text))

    def suggest(self, text: str) -> str | None:
        """The profile closest to an unknown ``text`` (a typo), if any."""
        return suggest(text, self._lookup())

    def label(self, name: str, lang: str) -> str:
        """A profile's label in ``lang``; an unknown name as it is."""
        found = next((p for p in self.profiles if p.name == name), None)
        return localize(found.labels, lang) or name if found else name

    def extended(self, extra: Iterable[Profile]) -> ProfileVocabulary:
        """This vocabulary with ``extra`` profiles added (a known name gets the extra
        labels and aliases)."""
        merged = {p.name: p for p in self.profiles}
        for profile in extra:
            old = merged.get(profile.name)
            if old is None:
                merged[profile.name] = profile
            else:
                merged[profile.name] = Profile(old.name, {**old.labels, **profile.labels},
                                               tuple(dict.fromkeys([*old.aliases,
                                                                    *profile.aliases])))
        return ProfileVocabulary(tuple(merged.values()))

    def choices(self) -> tuple[Choice, ...]:
        return tuple(Choice(value=p.name, labels=dict(p.labels) or {"en": p.name},
                            aliases=p.aliases) for p in self.profiles)


def _lookup(vocabulary: ProfileVocabulary) -> dict[str, str]:
    names: dict[str, str] = {}
    for profile in vocabulary.profiles:
        for name in (profile.name, *profile.labels.values(), *profile.aliases):
            names.setdefault(name.casefold(), profile.name)
    for name, value in list(names.items()):
        names.setdefault(loose(name), value)
    return names


@cache
def shipped_profiles() -> ProfileVocabulary:
    """The vocabulary shipped in profiles.toml (read once)."""
    with PROFILES_FILE.open("rb") as handle:
        data = tomli.load(handle)
    return ProfileVocabulary(tuple(
        Profile(name=p["name"], labels=dict(p.get("labels", {})),
                aliases=tuple(p.get("aliases", ()))) for p in data["profiles"]))


def with_profiles(templates: TemplateSet, vocabulary: ProfileVocabulary) -> TemplateSet:
    """``templates`` with the members' ``profile`` field a choice among ``vocabulary``
    (unchanged when the set has no such field)."""
    members = templates.get(MEMBERS)
    field = members.field(PROFILE) if members else None
    if members is None or field is None:
        return templates
    bound = replace(field, type="choice", choices=vocabulary.choices())
    kind: PageKind = replace(members, fields=tuple(bound if f.name == PROFILE else f
                                                   for f in members.fields))
    return replace(templates, kinds=tuple(kind if k.kind == MEMBERS else k
                                          for k in templates.kinds))
