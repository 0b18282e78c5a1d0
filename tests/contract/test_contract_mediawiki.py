"""The backend contract, run against a real MediaWiki (the session's local wiki).

The connector logs in with the bot password; people's actions (edit, move, delete) are done
with mwclient as the Member and Admin accounts, as they would be in a browser.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import mwclient
import pytest
from backend_contract import BackendContract, PlainCodec

from connector.base import PageRef, SpaceSpec
from connector.errors import SpaceMissing
from connector.mediawiki.backend import MediaWikiBackend, MediaWikiSettings
from connector.mediawiki.namespaces import snippet


def member_site(url: str, user: str, password: str) -> mwclient.Site:
    parts = urlsplit(url)
    site = mwclient.Site(parts.netloc, path=parts.path, scheme=parts.scheme,
                         max_retries=0, retry_timeout=0)
    site.login(user, password)
    return site


class TestMediaWikiBackend(BackendContract):
    # Numbers no other test module declares: php -S caches compiled PHP (opcache checks a
    # file's time at most every 2 s), so an extra/ns-N.php rewritten with another name
    # within 2 s would still declare the old one.
    space_id = 3900
    other_space_id = 3902

    @pytest.fixture
    def backend(self, wiki) -> MediaWikiBackend:
        wiki.add_namespace(self.space, self.space_id)
        wiki.add_namespace(self.other_space, self.other_space_id)
        self.wiki = wiki
        self._sites: dict[str, mwclient.Site] = {}
        settings = MediaWikiSettings(url=wiki.url, user=wiki.credentials.bot_user,
                                     password=wiki.credentials.bot_password,
                                     max_retries=1, retry_wait=0)
        backend = MediaWikiBackend(settings, PlainCodec())
        yield backend
        backend.close()

    def site(self, who: str) -> mwclient.Site:
        if who not in self._sites:
            credentials = self.wiki.credentials
            user, password = {
                "member": (credentials.member_user, credentials.member_password),
                "admin": (credentials.admin_user, credentials.admin_password)}[who]
            self._sites[who] = member_site(self.wiki.url, user, password)
        return self._sites[who]

    def member_edit(self, ref: PageRef, text: str) -> None:
        site = self.site("member")
        site.post("edit", title=str(ref), text=text, summary="by hand",
                  token=site.get_token("csrf"))

    def member_move(self, ref: PageRef, target: PageRef) -> None:
        site = self.site("admin")
        site.post("move", **{"from": str(ref)}, to=str(target), reason="by hand",
                  token=site.get_token("csrf"))

    def member_delete(self, ref: PageRef) -> None:
        site = self.site("admin")
        site.post("delete", title=str(ref), reason="by hand", token=site.get_token("csrf"))

    def let_time_pass(self) -> None:
        # Change timestamps have one-second resolution; the wiki runs on this machine's clock.
        second = int(time.time())
        while int(time.time()) == second:
            time.sleep(0.02)

    def member_user(self) -> str:
        return self.wiki.credentials.member_user

    def test_a_namespace_taken_out_of_the_wiki_is_missing_from_the_feed(
            self, backend: MediaWikiBackend) -> None:
        """The records give the namespace's number, so the feed asks for it without a
        siteinfo request; the wiki, which no longer declares it, warns ("Unrecognized
        value for parameter rcnamespace") and answers nothing for it: the backend reads
        the namespace table again and names the space."""
        backend.register_namespaces({"CoP_Gone": 3998})  # as the records would
        mine = self.ref("Still here")
        self.member_edit(mine, "a")
        feed = backend.changes_since([self.space, "CoP_Gone"], None)
        assert feed.missing == ("CoP_Gone",)
        assert mine in {change.ref for change in feed.changes}
        requests = backend.stats.requests
        assert backend.changes_since([self.space], feed.signpost).missing == ()
        assert backend.stats.requests == requests + 1  # no warning: no namespace table

    def check_remedy(self, error: SpaceMissing, spec: SpaceSpec) -> None:
        assert snippet([("CoP_Absent", 3010, spec.name)], add_buttons=False) in error.remedy
        assert "$wgExtraNamespaces[3010] = 'CoP_Absent';" in str(error)
