"""MediaWiki through its action API: with api.py (its requests), the only modules that
import mwclient.

mwclient is used for what it does well (request encoding, API error types, the maxlag wait)
and kept away from what it does not: ``Site()`` is built without touching the network,
``login()`` (an extra siteinfo request) and ``site.pages[...]`` (a request per page) are not
used, and writes are never replayed blindly (``retry_on_error=False``; HTTP retries are
urllib3's, see http.py, and never replay a POST that may have been received).

Round trips: a bot-password login is 2 requests (the login token request also brings the
namespace table); a change feed with nothing new is 1; reads take one request per
``max_batch`` titles; the csrf token rides on the first query after login.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import mwclient
import mwclient.sleep

from connector.base import (
    Change,
    ChangeFeed,
    Contribution,
    PageCodec,
    PageRef,
    RemotePage,
    SpaceInfo,
    SpaceSpec,
    WrittenPage,
)
from connector.errors import EditConflict, SpaceMissing
from connector.http import Budget, make_client, redact_secrets
from connector.session import SessionStore

from . import history, namespaces
from .api import ApiCalls, answer_checked
from .http import BACKEND, LOGGERS, check_url
from .protection import Protection
from .settings import BackendStats, BudgetSleepers, MediaWikiSettings
from .titles import api_title, change_from_rc, find_namespace, remote_page, space_key

if TYPE_CHECKING:
    from connector.diagnosis import Check, Expectations

log = logging.getLogger(__name__)

FIRST_NAMESPACE = 3000


class MediaWikiBackend(ApiCalls, Protection):
    """connector.base.WikiBackend for MediaWiki (1.35+). Construction makes no request.

    ``namespaces`` maps community namespace names to ids when known (records keep them), so
    the change feed needs no siteinfo request. ``sessions`` keeps the login between runs
    (connector/session.py; ``close()`` saves it). Every method raises BackendError
    subclasses only: Unreachable, AuthenticationFailed, PermissionDenied, BudgetExceeded...
    """

    name = "mediawiki"
    max_batch = 50
    home_kind = "home"
    can_create_spaces = False

    def __init__(self, settings: MediaWikiSettings, codec: PageCodec, *,
                 namespaces: Mapping[str, int] | None = None,
                 budget: Budget | None = None,
                 sessions: SessionStore | None = None) -> None:
        self.settings = settings
        self.codec = codec
        self.budget = budget or Budget()
        self.url = check_url(settings.url, allow_http=settings.allow_http)
        self._http = make_client(timeout=settings.timeout, ca_bundle=settings.ca_bundle,
                                 max_retries=settings.max_retries,
                                 retry_wait=settings.retry_wait,
                                 user_agent=settings.user_agent, budget=self.budget,
                                 backend=BACKEND)
        self.stats = BackendStats(self._http.stats)
        if settings.password:
            redact_secrets([settings.password], LOGGERS)
        parts = urlsplit(self.url)
        self._site = mwclient.Site(
            parts.netloc, path=parts.path, scheme=parts.scheme, pool=self._http.session,
            do_init=False, max_retries=settings.max_retries,
            retry_timeout=settings.retry_wait, force_login=False,
            # verify on each request: requests lets $REQUESTS_CA_BUNDLE override a session's
            # own bundle, which would silently drop mediawiki.ca_bundle
            connection_options={"timeout": self._http.timeout,
                                "verify": self._http.session.verify})
        self._site.sleepers = BudgetSleepers(settings.max_retries, settings.retry_wait,
                                              self.budget)
        self._ids: dict[str, int] = {}  # space_key(name) -> namespace id
        self._wiki_names: dict[int, str] | None = None  # from siteinfo: id -> wiki's name
        self._logged_in = False
        self._csrf: str | None = None
        self._sessions = sessions
        self._resumed = False
        self._kept: list[dict[str, Any]] = []  # the cookies last saved
        self.register_namespaces(namespaces or {})

    def register_namespaces(self, mapping: Mapping[str, int]) -> None:
        """Namespace ids already known (spaces with spaces or underscores alike)."""
        for space, number in mapping.items():
            self._ids[space_key(space)] = int(number)

    def diagnose(self, expect: Expectations) -> list[Check]:
        """`cop doctor`: read-only checks of this wiki against ``expect``, each with its
        fix (connector/mediawiki/doctor.py, imported now: only `cop doctor` needs it)."""
        from .doctor import diagnose  # noqa: PLC0415

        return diagnose(self, expect)

    def close(self) -> None:
        """Keep the session for the next run (see keep_session), then close the HTTP pool."""
        self.keep_session()
        self._http.session.close()

    # --- WikiBackend ----------------------------------------------------------------------

    @answer_checked
    def check_space(self, spec: SpaceSpec) -> SpaceInfo:
        """The namespace as the wiki spells it; SpaceMissing with the snippet to paste."""
        cached = self._wiki_names is not None
        names = self._namespace_table()
        number = find_namespace(names, spec.space)
        if number is None and cached:  # declared since the table was read?
            self._wiki_names = None
            names = self._namespace_table()
            number = find_namespace(names, spec.space)
        if number is None:
            raise SpaceMissing(backend=self.name, space=spec.space,
                               remedy=self._remedy(spec, names))
        self._ids[space_key(spec.space)] = number
        return SpaceInfo(space=names[number], space_id=str(number))

    @answer_checked
    def read_pages(self, refs: Sequence[PageRef]) -> dict[PageRef, RemotePage]:
        """Current content, ``max_batch`` titles per request; missing/invalid are absent."""
        wanted: dict[str, list[PageRef]] = {}
        for ref in dict.fromkeys(refs):
            title = api_title(ref)
            if title:
                wanted.setdefault(title, []).append(ref)
        titles = list(wanted)
        found: dict[PageRef, RemotePage] = {}
        for start in range(0, len(titles), self.max_batch):
            for asked, page in self._read_batch(titles[start:start + self.max_batch]):
                for ref in wanted[asked]:
                    found[ref] = remote_page(ref, page)
        return found

    @answer_checked
    def changes_since(self, spaces: Sequence[str], since: str | None) -> ChangeFeed:
        """One recentchanges query (plus continuations) over every asked namespace. A
        namespace the wiki does not declare (any more) is ``missing``: the records' id of a
        namespace taken out of LocalSettings.php is found out by the wiki's warning on that
        query, then checked against its namespace table (one more request, only then)."""
        by_id, missing = self._feed_namespaces(spaces)
        if not by_id:
            first = self._query({"curtimestamp": 1}, "feeds")
            return ChangeFeed(changes=(), signpost=first["curtimestamp"], missing=missing)
        params: dict[str, Any] = {
            "list": "recentchanges", "rcnamespace": "|".join(map(str, sorted(by_id))),
            "rctype": "edit|new|log", "rcprop": "title|ids|timestamp|loginfo",
            "rcdir": "newer", "rclimit": "max", "curtimestamp": 1}
        if since:
            params["rcstart"] = since
        signpost, checked = "", False
        changes: list[Change] = []
        for response in self._query_all(params, "feeds"):
            signpost = signpost or response["curtimestamp"]
            if not checked and "rcnamespace" in str(response.get("warnings", "")):
                checked, missing = True, missing + self._undeclared(by_id)
            for entry in response.get("query", {}).get("recentchanges", []):
                change = change_from_rc(entry, by_id)
                # Later continuation pages may list changes newer than the signpost: the
                # next run (starting at the signpost) sees them, so leave them out here.
                if change and change.timestamp <= signpost:
                    changes.append(change)
        return ChangeFeed(changes=tuple(changes), signpost=signpost, missing=missing)

    @answer_checked
    def contributions(self, spaces: Sequence[str], since: str) -> tuple[Contribution, ...]:
        """People's edits in every asked namespace: one recentchanges query (plus
        continuations), bots and the connector's own account left out (see history.py)."""
        by_id = self._namespace_ids(spaces)
        if not by_id:
            return ()
        own = history.connector_user(self.settings.user)
        found: list[Contribution] = []
        for response in self._query_all(history.params(list(by_id), since), "feeds"):
            for entry in response.get("query", {}).get("recentchanges", []):
                contribution = history.contribution(entry, by_id, own)
                if contribution is not None:
                    found.append(contribution)
        return tuple(found)

    def create_space(self, spec: SpaceSpec) -> SpaceInfo:
        """The API cannot create a namespace: SpaceMissing with the snippet, unless the
        namespace has been declared meanwhile."""
        return self.check_space(spec)

    def grant_roles(self, space: SpaceInfo, *, admins: Sequence[str],
                    editors: Sequence[str]) -> tuple[str, ...]:
        """Nothing to do: MediaWiki rights are per group, not per namespace."""
        return ()

    def ensure_labels(self, wanted: Mapping[PageRef, Sequence[str]]) -> list[str]:
        """Nothing to do: MediaWiki pages have no labels."""
        return []

    def refresh_links(self, refs: Sequence[PageRef]) -> None:
        """Re-render ``refs`` and update their link tables now: ``action=purge`` with
        ``forcelinkupdate``, ``max_batch`` titles per request (one for a community). A page
        written before the pages it links to (Home) otherwise shows them as red links until
        the wiki's job queue catches up, and many wikis run it late or rarely."""
        titles = [api_title(ref) or str(ref) for ref in refs]
        for start in range(0, len(titles), self.max_batch):
            batch = titles[start:start + self.max_batch]
            self._write("purge", batch[0], {"titles": "|".join(batch),
                                            "forcelinkupdate": 1})

    @answer_checked
    def create_page(self, ref: PageRef, content: str, *, summary: str,
                    parent: PageRef | None = None, home: bool = False,
                    labels: Sequence[str] = ()) -> WrittenPage:
        """Create only (``createonly``): PageExists if the title is taken. MediaWiki pages
        have no parent, home flag or labels: those are ignored."""
        edit = self._edit(ref, content, summary, {"createonly": 1})
        return WrittenPage(ref, str(edit["pageid"]), str(edit["newrevid"]), changed=True)

    @answer_checked
    def update_page(self, base: RemotePage, content: str, *, summary: str,
                    minor: bool = False) -> WrittenPage:
        """Write over ``base.revision`` (``baserevid``): EditConflict if the page moved on.
        ``minor``: a minor edit (watchers get no e-mail unless they asked for minor ones).

        MediaWiki silently merges a stale edit whose lines do not overlap the other edit;
        that is detected (the parent is not ``base``) and reported as EditConflict too, so
        the caller re-reads the page (which then holds both edits) instead of trusting a
        content it did not write. PageMissing if the page was deleted. An unchanged
        content gives ``changed=False`` with ``base.revision`` (MediaWiki names no revision
        then). Note that MediaWiki stores text in NFC with trailing white space trimmed.
        """
        extra = {"nocreate": 1, "baserevid": base.revision, **({"minor": 1} if minor else {})}
        edit = self._edit(base.ref, content, summary, extra, base_revision=base.revision)
        if edit.get("nochange"):
            return WrittenPage(base.ref, str(edit.get("pageid", base.page_id)),
                               base.revision, changed=False)
        if str(edit.get("oldrevid")) != base.revision:
            log.warning("%s: MediaWiki merged this write with another edit into revision %s "
                        "(base %s was stale); reporting a conflict", base.ref,
                        edit.get("newrevid"), base.revision)
            raise EditConflict(backend=self.name, page=str(base.ref),
                               base_revision=base.revision)
        return WrittenPage(base.ref, str(edit["pageid"]), str(edit["newrevid"]), changed=True)

    # --- namespaces -----------------------------------------------------------------------

    def _namespace_ids(self, spaces: Sequence[str]) -> dict[int, str]:
        """namespace id -> the space as asked. SpaceMissing for an unknown namespace."""
        by_id, missing = self._feed_namespaces(spaces)
        if missing:
            raise SpaceMissing(backend=self.name, space=missing[0], remedy=(
                "Declare it in LocalSettings.php with the snippet that "
                "`cop mediawiki namespaces` prints."))
        return by_id

    def _feed_namespaces(self, spaces: Sequence[str]) -> tuple[dict[int, str], tuple[str, ...]]:
        """namespace id -> the space as asked, and the spaces the wiki does not have (the
        namespace table is read once, for the first space not known yet)."""
        by_id: dict[int, str] = {}
        missing: list[str] = []
        for space in spaces:
            number = 0 if not space else self._ids.get(space_key(space))
            if number is None:
                self._namespace_table()
                number = self._ids.get(space_key(space))
            if number is None:
                missing.append(space)
            else:
                by_id.setdefault(number, space)
        return by_id, tuple(missing)

    def _undeclared(self, by_id: Mapping[int, str]) -> tuple[str, ...]:
        """The asked spaces whose id the wiki's namespace table (read again) lacks."""
        self._wiki_names = None
        names = self._namespace_table()
        return tuple(space for number, space in by_id.items() if number not in names)

    def _namespace_table(self) -> dict[int, str]:
        """id -> name as the wiki spells it (siteinfo, once per backend)."""
        self._login()  # the login token request brings the table
        if self._wiki_names is None:
            self._remember_namespaces(self._query({"meta": "siteinfo",
                                                   "siprop": "namespaces"}, "reads"))
        return self._wiki_names or {}

    def _remember_namespaces(self, response: Mapping[str, Any]) -> None:
        table = response.get("query", {}).get("namespaces")
        if not table:
            return
        self._wiki_names = {int(ns["id"]): ns["name"] for ns in table.values()}
        for ns in table.values():
            for name in (ns["name"], ns.get("canonical")):
                if name:
                    self._ids[space_key(name)] = int(ns["id"])

    def _remedy(self, spec: SpaceSpec, names: Mapping[int, str]) -> str:
        number, note = spec.namespace_id, ""
        if number is None or number in names or number + 1 in names:
            if number is not None:
                note = (f" (namespace {number} is already {names.get(number)!r} on this "
                        "wiki, so the snippet uses a free number)")
            number = FIRST_NAMESPACE
            while number in names or number + 1 in names:
                number += 2
        name = spec.space.strip().replace(" ", "_")
        # without the script of the "Add" buttons: `cop mediawiki namespaces` prints it
        return (f"Ask a wiki administrator to add this to LocalSettings.php (back, if its "
                f"pages were provisioned there), then run the command again{note} "
                f"(`cop mediawiki namespaces` prints it with the script of the pages' \"Add\" "
                f"buttons):\n"
                + namespaces.snippet([(name, number, spec.name)], add_buttons=False))
