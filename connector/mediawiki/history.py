"""Who edited which community page when, from MediaWiki's recent changes (pure: the
request's parameters and the translation of its entries; the backend sends it).

Why ``list=recentchanges``: one request (plus continuations, 500 entries each for a bot)
covers every community namespace and every user at once. ``list=usercontribs`` needs the
users' names beforehand (one query per 50 names), and ``prop=revisions`` lists the history
of one title per request only (with several titles it gives the latest revision of each).
The price: recent changes only reach back ``$wgRCMaxAge`` (90 days by default), so the
records keep what was read (sync/results/history.py) and the history grows from there.

Bots' edits are left out (``rcshow=!bot``: cop-connector's account is a bot and writes with
``bot=1``), and so are the connector's own edits by name, in case its account lost the bot
flag.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector.base import Contribution

from .titles import page_ref


def params(namespace_ids: list[int], since: str) -> dict[str, Any]:
    """The recentchanges query for people's edits and creations since ``since``."""
    return {"list": "recentchanges", "rcnamespace": "|".join(map(str, sorted(namespace_ids))),
            "rctype": "edit|new", "rcprop": "user|timestamp|title|ids", "rcshow": "!bot",
            "rcdir": "newer", "rclimit": "max", "rcstart": since}


def user_key(name: str) -> str:
    """A user name as MediaWiki compares them: "_" is " ", the first letter upper case."""
    name = " ".join(name.replace("_", " ").split())
    return name[:1].upper() + name[1:]


def connector_user(login: str) -> str:
    """The account behind a bot password login ("CopBot@cop" -> "CopBot")."""
    return user_key(login.partition("@")[0])


def contribution(entry: Mapping[str, Any], by_id: Mapping[int, str],
                 own: str) -> Contribution | None:
    """A recentchanges entry as a Contribution; None for hidden users and own edits."""
    user = entry.get("user")
    if not user or entry.get("userhidden") or user_key(str(user)) == own:
        return None
    ref = page_ref(entry.get("ns", 0), entry.get("title", ""), by_id)
    return Contribution(ref=ref, user=str(user), timestamp=str(entry.get("timestamp", "")),
                        revision=str(entry.get("revid") or ""))
