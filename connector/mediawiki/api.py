"""MediaWiki's action API through mwclient: login, queries, writes and what their errors
mean. A mixin of MediaWikiBackend (which builds ``_site``, ``_http`` and the state below);
the backend adds what the pages and namespaces are.

Writes are never replayed blindly (``retry_on_error=False``; HTTP retries are urllib3's,
see connector/http.py, and never replay a POST that may have been received).

A session kept by an earlier run (connector/session.py) is tried before logging in: every
request then asserts the login (``assert=user``), so a session the wiki has let expire is
refused outright (``assertuserfailed``, before anything is read or saved), and the request
is made again after a fresh login. A cron run with nothing to do is then one request.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import mwclient
import mwclient.errors as mwerrors
import requests

from connector.base import PageRef
from connector.errors import (
    AuthenticationFailed,
    BackendError,
    CopError,
    EditConflict,
    PageExists,
    PageMissing,
    PermissionDenied,
    Unreachable,
)
from connector.http import HttpClient
from connector.session import SessionStore, cookies_state, restore_cookies

from .http import request_error
from .settings import BackendStats, MediaWikiSettings
from .titles import api_title

MAXLAG = 5  # seconds of replica lag after which a busy wiki asks bots to wait

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


def answer_checked(method: _Method) -> _Method:
    """An answer missing what MediaWiki always sends (a proxy's JSON?) is a BackendError."""
    @functools.wraps(method)
    def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except (KeyError, IndexError) as error:
            raise BackendError(f"unexpected answer from the wiki (no {error})",
                               backend=self.name) from error
    return checked  # type: ignore[return-value]


class _SessionLost(BackendError):
    """badtoken / assert*failed: MediaWiki refused before saving, so one retry is safe."""


class ApiCalls:
    """Requests to api.php; needs ``_site``, ``_http``, ``settings``, ``stats``, ``url``
    and the namespace memory that the backend keeps (``_wiki_names``, ``_ids``)."""

    name: str
    url: str
    settings: MediaWikiSettings
    stats: BackendStats
    _site: mwclient.Site
    _http: HttpClient
    _ids: dict[str, int]
    _wiki_names: dict[int, str] | None
    _logged_in: bool
    _csrf: str | None
    _sessions: SessionStore | None
    _resumed: bool  # tried the kept session (once per backend)
    _kept: list[dict[str, Any]]  # the cookies last saved

    def _remember_namespaces(self, response: Mapping[str, Any]) -> None:
        raise NotImplementedError

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
                    raise BackendError(f"the wiki keeps refusing the session ({lost.detail})",
                                       backend=self.name, page=page) from None
                self._csrf = None
                if not lost.detail.startswith("badtoken"):  # the session itself is gone
                    self._drop_session()
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
        """action=query, logged in; the csrf token rides along until we have one. A
        session the wiki no longer knows is replaced by a fresh login, once."""
        for attempt in (1, 2):
            self._login()
            asked = dict(params)
            if self._csrf is None:
                asked["meta"] = "|".join(filter(None, [asked.get("meta"), "tokens"]))
            if self.settings.user:
                asked["assert"] = "user"
            setattr(self.stats, kind, getattr(self.stats, kind) + 1)
            try:
                response = self._call("query", "GET", **asked)
            except _SessionLost as lost:
                if attempt == 2:
                    raise BackendError(f"the wiki keeps refusing the session ({lost.detail})",
                                       backend=self.name) from None
                self._drop_session()
                continue
            token = response.get("query", {}).get("tokens", {}).get("csrftoken")
            if token:
                self._csrf = token
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _fetch_token(self) -> str:
        self._query({"meta": "tokens"}, "tokens")
        if self._csrf is None:
            raise BackendError("the wiki gave no csrf token", backend=self.name)
        return self._csrf

    def _login(self) -> None:
        """Bot-password login in exactly two requests (the first also brings namespaces),
        unless a session kept by an earlier run is there to try first (no request)."""
        if self._logged_in or not self.settings.user or self._resume():
            return
        token = self._login_token()
        self.stats.logins += 1
        result = self._call("login", "POST", lgname=self.settings.user,
                            lgpassword=self.settings.password, lgtoken=token)["login"]
        if result.get("result") != "Success":
            self._login_refused(result)
        self._logged_in = True
        self._csrf = None
        self.keep_session()

    # --- the session kept between runs ----------------------------------------------------

    def _session_key(self) -> str:
        return SessionStore.key(self.name, self.url, self.settings.user)

    def _resume(self) -> bool:
        """Take up the session an earlier run kept (once): True when there was one."""
        if self._sessions is None or self._resumed:
            return False
        self._resumed = True
        saved = self._sessions.load(self._session_key()).get("cookies")
        if not restore_cookies(self._http.session.cookies, saved):
            return False
        self._logged_in = True
        self._csrf = None
        return True

    def _drop_session(self) -> None:
        """The wiki no longer knows this session: forget it; the next call logs in."""
        self._logged_in = False
        self._csrf = None
        self._http.session.cookies.clear()

    def keep_session(self) -> None:
        """Save the session's cookies for the next run (when logged in and they changed:
        MediaWiki may renew them while the run goes on). Never the password."""
        if self._sessions is None or not self._logged_in:
            return
        cookies = cookies_state(self._http.session.cookies)
        if cookies and cookies != self._kept:
            self._sessions.save(self._session_key(), {"cookies": cookies})
            self._kept = cookies

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
            f"the wiki refused the login of {self.settings.user!r} ({code}: {reason})",
            advice="check mediawiki.user (a bot password user looks like Name@appid) and the "
            f"password in {self.settings.password_origin}",
            backend=self.name)

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
            raise request_error(error, write=write, page=page,
                                settings_file=self.settings.settings_file) from None

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

