"""People on the real wiki: members and admins acting through the API, as a browser would."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import mwclient


class Person:
    """A logged-in wiki user (``Member`` or ``Admin`` of the local wiki)."""

    def __init__(self, url: str, user: str, password: str) -> None:
        parts = urlsplit(url)
        self.site = mwclient.Site(parts.netloc, path=parts.path, scheme=parts.scheme,
                                  max_retries=0, retry_timeout=0)
        self.site.login(user, password)

    def save(self, title: str, text: str, summary: str = "member edit") -> None:
        result = self.site.post("edit", title=title, text=text, summary=summary,
                                token=self.site.get_token("csrf"))
        assert result["edit"]["result"] == "Success", result

    def append(self, title: str, *lines: str) -> None:
        self.save(title, self.read(title) + "\n" + "\n".join(lines))

    def read(self, title: str) -> str:
        result = self.site.get("query", prop="revisions", titles=title, rvprop="content",
                               rvslots="main", formatversion=2)
        page = result["query"]["pages"][0]
        return "" if page.get("missing") else page["revisions"][0]["slots"]["main"]["content"]

    def exists(self, title: str) -> bool:
        result = self.site.get("query", titles=title, formatversion=2)
        return not result["query"]["pages"][0].get("missing", False)

    def parse(self, title: str) -> Mapping[str, Any]:
        return self.site.get("parse", page=title, formatversion=2,
                             prop="text|categories|templates|links|externallinks")["parse"]

    def edit_count(self) -> int:
        """Revisions saved on the whole wiki so far (to prove a command wrote nothing)."""
        result = self.site.get("query", list="recentchanges", rclimit=500,
                               rctype="edit|new", rcprop="ids", formatversion=2)
        return len(result["query"]["recentchanges"])

    def move(self, title: str, target: str) -> None:
        self.site.post("move", **{"from": title}, to=target, reason="tidy",
                       token=self.site.get_token("csrf"))

    def delete(self, title: str) -> None:
        self.site.post("delete", title=title, reason="cleanup",
                       token=self.site.get_token("csrf"))


def member(wiki) -> Person:
    return Person(wiki.url, wiki.credentials.member_user, wiki.credentials.member_password)


def admin(wiki) -> Person:
    return Person(wiki.url, wiki.credentials.admin_user, wiki.credentials.admin_password)
