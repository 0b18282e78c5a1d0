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

Profiles are free text on the members page ("R&D", "Recherche", "ventes"...): they are
compared through the aliases in page_templates/report.toml (``[profiles]``), so "ventes"
counts as the required profile "sales".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from page_templates.report import profile_aliases

_SEPARATORS = re.compile(r"[\s._\-]+")


@dataclass(frozen=True)
class Member:
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


def canonical_profile(profile: str, required: Sequence[str]) -> str:
    """The required profile ``profile`` stands for (by alias), else ``profile`` itself
    (stripped); "" for no profile."""
    wanted = plain(profile)
    if not wanted:
        return ""
    aliases = {plain(name): others for name, others in profile_aliases().items()}
    for name in required:
        names = {plain(name), *(plain(a) for a in aliases.get(plain(name), ()))}
        if wanted in names:
            return name
    return profile.strip()
