"""MediaWiki through its action API: the only module that imports mwclient.

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

import functools
import hashlib
import logging
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

import mwclient
import mwclient.errors as mwerrors
import mwclient.sleep
import requests

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
from connector.errors import (
    AuthenticationFailed,
    BackendError,
    CopError,
    EditConflict,
    PageExists,
    PageMissing,
    PermissionDenied,
    SpaceMissing,
    Unreachable,
)
from connector.http import Budget, make_client, redact_secrets

from . import history, namespaces
from .http import BACKEND, LOGGERS, check_url, request_error
from .protection import Protection
from .settings import BackendStats, BudgetSleepers, MediaWikiSettings
from .titles import api_title, change_from_rc, find_namespace, remote_page, space_key

log = logging.getLogger(__name__)

MAXLAG = 5  # seconds of replica lag after which a busy wiki asks bots to wait
FIRST_NAMESPACE = 3000

_PERMISSION_CODES = frozenset({
    "protectedpage", "cascadeprotected", "permissiondenied", "protectednamespace",
    "protectednamespace-interface", "protectedtitle", "cantcreate", "cantcreate-anon",
    "noedit", "noedit-anon", "writeapidenied", "readapidenied", "blocked", "autoblocked",
    "customcssprotected", "customjsprotected", "mustbeloggedin", "notloggedin",
})
_Method = TypeVar("_Method", bound=Callable[..., Any])
_SESSION_CODES = frozenset({"badtoken", "assertuserfailed", "assertbotfailed"})
_SIMPLE_ERRORS: dict[str, type[BackendError]] = {
    "articleexists": PageExists, "missingtitle": PageMissing, "maxlag": Unreachable}


def _answer_checked(method: _Method) -> _Method:
    """An answer missing what MediaWiki always sends (a proxy's JSON?) is a BackendError."""
    @functools.wraps(method)
    def checked(self: MediaWikiBackend, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except (KeyError, IndexError) as error:
            raise BackendError(f"unexpected answer from the wiki (no {error})",
                               backend=self.name) from error
    return checked  # type: ignore[return-value]


class _SessionLost(BackendError):
    """badtoken / assert*failed: MediaWiki refused before saving, so one retry is safe."""


class MediaWikiBackend(Protection):
    """connector.base.WikiBackend for MediaWiki (1.35+). Construction makes no request.

    ``namespaces`` maps community namespace names to ids when known (records keep them), so
    the change feed needs no siteinfo request. Every method raises BackendError subclasses
    only: Unreachable, AuthenticationFailed, PermissionDenied, BudgetExceeded, ...
    """

    name = "mediawiki"
    max_batch = 50
    home_kind = "home"
    can_create_spaces = False

    def __init__(self, settings: MediaWikiSettings, codec: PageCodec, *,
                 namespaces: Mapping[str, int] | None = None,
                 budget: Budget | None = None) -> None:
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
        self.register_namespaces(namespaces or {})

    def register_namespaces(self, mapping: Mapping[str, int]) -> None:
        """Namespace ids already known (spaces with spaces or underscores alike)."""
        for space, number in mapping.items():
            self._ids[space_key(space)] = int(number)

    def close(self) -> None:
        self._http.session.close()

    # --- WikiBackend ----------------------------------------------------------------------

    @_answer_checked
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

    @_answer_checked
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

    @_answer_checked
    def changes_since(self, spaces: Sequence[str], since: str | None) -> ChangeFeed:
        """One recentchanges query (plus continuations) over every asked namespace."""
        by_id = self._namespace_ids(spaces)
        if not by_id:
            first = self._query({"curtimestamp": 1}, "feeds")
            return ChangeFeed(changes=(), signpost=first["curtimestamp"])
        params: dict[str, Any] = {
            "list": "recentchanges", "rcnamespace": "|".join(map(str, sorted(by_id))),
            "rctype": "edit|new|log", "rcprop": "title|ids|timestamp|loginfo",
            "rcdir": "newer", "rclimit": "max", "curtimestamp": 1}
        if since:
            params["rcstart"] = since
        signpost = ""
        changes: list[Change] = []
        for response in self._query_all(params, "feeds"):
            signpost = signpost or response["curtimestamp"]
            for entry in response.get("query", {}).get("recentchanges", []):
                change = change_from_rc(entry, by_id)
                # Later continuation pages may list changes newer than the signpost: the
                # next run (starting at the signpost) sees them, so leave them out here.
                if change and change.timestamp <= signpost:
                    changes.append(change)
        return ChangeFeed(changes=tuple(changes), signpost=signpost)

    @_answer_checked
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

    @_answer_checked
    def create_page(self, ref: PageRef, content: str, *, summary: str,
                    parent: PageRef | None = None, home: bool = False,
                    labels: Sequence[str] = ()) -> WrittenPage:
        """Create only (``createonly``): PageExists if the title is taken. MediaWiki pages
        have no parent, home flag or labels: those are ignored."""
        edit = self._edit(ref, content, summary, {"createonly": 1})
        return WrittenPage(ref, str(edit["pageid"]), str(edit["newrevid"]), changed=True)

    @_answer_checked
    def update_page(self, base: RemotePage, content: str, *, summary: str) -> WrittenPage:
        """Write over ``base.revision`` (``baserevid``): EditConflict if the page moved on.

        MediaWiki silently merges a stale edit whose lines do not overlap the other edit;
        that is detected (the parent is not ``base``) and reported as EditConflict too, so
        the caller re-reads the page (which then holds both edits) instead of trusting a
        content it did not write. PageMissing if the page was deleted. An unchanged
        content gives ``changed=False`` with ``base.revision`` (MediaWiki names no revision
        then). Note that MediaWiki stores text in NFC with trailing white space trimmed.
        """
        extra = {"nocreate": 1, "baserevid": base.revision}
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

    # --- requests -------------------------------------------------------------------------

    def _edit(self, ref: PageRef, content: str, summary: str, extra: dict[str, Any],
              base_revision: str | None = None) -> dict[str, Any]:
        # MediaWiki normalises every input to NFC before checking the md5.
        normal = unicodedata.normalize("NFC", content).encode("utf-8")
        digest = hashlib.md5(normal, usedforsecurity=False).hexdigest()
        params = {"title": api_title(ref) or str(ref), "text": content, "summary": summary,
                  "bot": 1, "watchlist": "nochange", "md5": digest, **extra}
        edit = self._write("edit", str(ref), params, base_revision)["edit"]
        if edit.get("result") != "Success":
            detail = ", ".join(key for key in edit if key not in ("result", "title"))
            raise BackendError(f"the wiki refused the edit ({detail or 'no reason given'})",
                               backend=self.name, page=str(ref))
        return edit

    def _write(self, action: str, page: str, params: dict[str, Any],
               base_revision: str | None = None) -> dict[str, Any]:
        """A POST with the csrf token; a stale token or session is renewed once."""
        for attempt in (1, 2):
            self._login()
            token = self._csrf or self._fetch_token()
            if self.settings.user:
                params["assert"] = "user"
            self.stats.writes += 1
            try:
                return self._call(action, "POST", page=page, write=True,
                                  base_revision=base_revision, token=token, **params)
            except _SessionLost as lost:
                if attempt == 2:
                    raise BackendError(f"the wiki keeps refusing the session ({lost.message})",
                                       backend=self.name, page=page) from None
                self._csrf = None
                if not lost.message.startswith("badtoken"):  # the session itself is gone
                    self._logged_in = False
                    self._http.session.cookies.clear()
        raise AssertionError("unreachable")  # pragma: no cover

    def _read_batch(self, titles: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        params = {"prop": "revisions", "titles": "|".join(titles),
                  "rvprop": "content|ids|timestamp", "rvslots": "main"}
        normalized: dict[str, str] = {}
        pages: dict[str, dict[str, Any]] = {}
        for response in self._query_all(params, "reads"):
            query = response.get("query", {})
            normalized.update({n["from"]: n["to"] for n in query.get("normalized", [])})
            for page in query.get("pages", []):
                if page.get("revisions"):  # continuations repeat pages without content
                    pages[page["title"]] = page
        for title in titles:
            page = pages.get(normalized.get(title, title))
            if page:
                yield title, page

    def _query_all(self, params: dict[str, Any], kind: str) -> Iterator[dict[str, Any]]:
        onward: dict[str, Any] = {}
        while True:
            response = self._query({**params, **onward}, kind)
            yield response
            if "continue" not in response:
                return
            onward = dict(response["continue"])

    def _query(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        """action=query, logged in; the csrf token rides along until we have one."""
        self._login()
        params = dict(params)
        if self._csrf is None:
            params["meta"] = "|".join(filter(None, [params.get("meta"), "tokens"]))
        setattr(self.stats, kind, getattr(self.stats, kind) + 1)
        response = self._call("query", "GET", **params)
        token = response.get("query", {}).get("tokens", {}).get("csrftoken")
        if token:
            self._csrf = token
        return response

    def _fetch_token(self) -> str:
        self._query({"meta": "tokens"}, "tokens")
        if self._csrf is None:
            raise BackendError("the wiki gave no csrf token", backend=self.name)
        return self._csrf

    def _login(self) -> None:
        """Bot-password login in exactly two requests; the first also brings namespaces."""
        if self._logged_in or not self.settings.user:
            return
        token = self._login_token()
        self.stats.logins += 1
        result = self._call("login", "POST", lgname=self.settings.user,
                            lgpassword=self.settings.password, lgtoken=token)["login"]
        if result.get("result") != "Success":
            self._login_refused(result)
        self._logged_in = True
        self._csrf = None

    def _login_token(self) -> str:
        params: dict[str, Any] = {"meta": "tokens", "type": "login"}
        if self._wiki_names is None and not self._ids:
            # Free on a public wiki; on a private one the token request may read nothing
            # else, so it is not tried when the namespace ids were given.
            params.update(meta="tokens|siteinfo", siprop="namespaces")
        try:
            response = self._call("query", "GET", **params)
        except PermissionDenied:  # a private wiki: only the token is readable before login
            response = self._call("query", "GET", meta="tokens", type="login")
        self._remember_namespaces(response)
        return response["query"]["tokens"]["logintoken"]

    def _login_refused(self, result: Mapping[str, Any]) -> None:
        code = str(result.get("result", "?"))
        reason = self._scrub(str(result.get("reason", "")))
        if code == "Throttled":
            raise BackendError(f"too many login attempts; the wiki asks to wait "
                               f"{result.get('wait', '?')} s", backend=self.name)
        raise AuthenticationFailed(
            f"the wiki refused the login of {self.settings.user!r} ({code}: {reason}); check "
            "mediawiki.user (a bot password user looks like Name@appid) and the password "
            "in the environment variable named by mediawiki.password_env", backend=self.name)

    def _call(self, action: str, method: str, *, page: str | None = None, write: bool = False,
              base_revision: str | None = None, **params: Any) -> dict[str, Any]:
        """One API call through mwclient; every library error becomes a CopError."""
        params.update(formatversion=2, maxlag=MAXLAG)
        with self._translated(page, write, base_revision):
            sleeper = self._site.sleepers.make()
            while True:  # mwclient's own loop shape: it sleeps on database errors
                info = self._site.raw_api(action, method, retry_on_error=False, **params)
                if self._site.handle_api_result(info or {}, sleeper=sleeper):
                    return dict(info)

    @contextmanager
    def _translated(self, page: str | None, write: bool,
                    base_revision: str | None) -> Iterator[None]:
        try:
            yield
        except CopError:
            raise
        except mwerrors.APIError as error:
            raise self._api_error(str(error.code), str(error.info), page,
                                  base_revision) from None
        except mwerrors.MaximumRetriesExceeded:
            raise Unreachable("the wiki stayed too busy (database lag or errors) through "
                              "every retry", backend=self.name, page=page) from None
        except (mwerrors.InvalidResponse, mwerrors.APIDisabledError):
            raise BackendError(f"no MediaWiki API answered at {self.url}api.php; set "
                               "mediawiki.url to the wiki's script path",
                               backend=self.name, page=page) from None
        except mwerrors.MwClientError as error:
            raise BackendError(f"unexpected client error ({type(error).__name__})",
                               backend=self.name, page=page) from None
        except requests.RequestException as error:
            raise request_error(error, write=write, page=page) from None

    def _api_error(self, code: str, info: str, page: str | None,
                   base_revision: str | None) -> BackendError:
        info = self._scrub(info)
        if code == "editconflict" and page:
            return EditConflict(backend=self.name, page=page,
                                base_revision=base_revision or "?")
        kind, message = BackendError, f"API error {code}: {info}"
        if code in _SIMPLE_ERRORS:
            kind, message = _SIMPLE_ERRORS[code], info
        elif code in _SESSION_CODES:
            kind, message = _SessionLost, f"{code}: {info}"
        elif code in _PERMISSION_CODES:
            kind, message = PermissionDenied, f"{info} ({code})"
        elif code == "readonly":
            message = f"the wiki is read-only for now ({info})"
        elif code == "ratelimited":
            message = (f"the wiki rate-limits this account ({info}); grant it the bot or "
                       "noratelimit right")
        return kind(message, backend=self.name, page=page)

    def _scrub(self, text: str) -> str:
        password = self.settings.password
        return text.replace(password, "***") if password else text

    # --- namespaces -----------------------------------------------------------------------

    def _namespace_ids(self, spaces: Sequence[str]) -> dict[int, str]:
        """namespace id -> the space as asked. SpaceMissing for an unknown namespace."""
        by_id: dict[int, str] = {}
        for space in spaces:
            number = 0 if not space else self._ids.get(space_key(space))
            if number is None:
                self._namespace_table()
                number = self._ids.get(space_key(space))
            if number is None:
                raise SpaceMissing(backend=self.name, space=space, remedy=(
                    "Declare it in LocalSettings.php with the snippet that "
                    "`cop mediawiki namespaces` prints."))
            by_id.setdefault(number, space)
        return by_id

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
        return (f"Ask a wiki administrator to add this to LocalSettings.php, then provision "
                f"again{note}:\n" + namespaces.snippet([(name, number, spec.name)]))
