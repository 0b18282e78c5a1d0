"""Who is who: wiki accounts mapped to the community's members, and profiles compared.

A contribution names a wiki account (MediaWiki user name; Confluence account id or user
key, with a display name). It is someone's, in this order:

1. ``[health.users]`` in cop.toml: ``"wiki user" = "member e-mail"`` (account ids too);
2. on Confluence, ``[confluence.accounts]`` read backwards (account id -> e-mail);
3. a unique member whose name, or e-mail local part, reads the same as the account's name
   or display name once case, accents and separators are set aside: MediaWiki user
   "Julie Roux", "Julie_roux" or "Julie.roux" is member "Julie Roux" <julie.roux@corp...>.

Anything else (two members match, nobody does) stays unmapped: it counts as a contributor
of unknown profile, never as a guess.

Profiles are compared through the profile vocabulary (page_templates/profiles.toml,
extended by cop.toml ``[method.profiles]``): "ventes" counts as the profile "sales", and
a profile recorded before the vocabulary existed is still counted under its canonical name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from msgspec import Struct

from page_templates.profiles import ProfileVocabulary, shipped_profiles

_SEPARATORS = re.compile(r"[\s._\-]+")


class Member(Struct, frozen=True):
    email: str
    name: str
    profile: str


def plain(text: str) -> str:
    """Lower case, no accents, separators as single spaces ("Zoé_Dupré" -> "zoe dupre")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SEPARATORS.sub(" ", bare).strip()


class MemberFinder:
    """Maps wiki accounts to members' e-mails (see the module's rules)."""

    def __init__(self, members: Sequence[Member], users: Mapping[str, str],
                 accounts: Mapping[str, str] | None = None) -> None:
        self.members = {m.email: m for m in members}
        self.users = {plain(user): email.lower() for user, email in users.items()}
        self.accounts = {ident: email.lower() for email, ident in (accounts or {}).items()}
        self._names: dict[str, set[str]] = {}
        for member in members:
            for alias in (plain(member.name), plain(member.email.partition("@")[0])):
                if alias:
                    self._names.setdefault(alias, set()).add(member.email)

    def email(self, user: str, name: str = "") -> str | None:
        """The member behind a wiki account, or None."""
        for email in (self.users.get(plain(user)), self.accounts.get(user)):
            if email:
                return email
        for alias in (plain(user), plain(name)):
            found = self._names.get(alias, set())
            if len(found) == 1:
                return next(iter(found))
        return None

    def member(self, user: str, name: str = "") -> Member | None:
        email = self.email(user, name)
        return self.members.get(email) if email else None


def canonical_profile(profile: str, required: Sequence[str],
                      vocabulary: ProfileVocabulary | None = None) -> str:
    """The profile ``profile`` stands for: a required profile as the configuration spells
    it, else the vocabulary's name, else ``profile`` itself (stripped); "" for none."""
    if not plain(profile):
        return ""
    known = (vocabulary or shipped_profiles()).canonical(profile)
    wanted = plain(known or profile)
    return next((name for name in required if plain(name) == wanted),
                known or profile.strip())
