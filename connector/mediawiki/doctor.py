"""`cop doctor` on MediaWiki: asks the wiki what it needs to know, read-only, then checks it
(doctor_checks.py). ``MediaWikiBackend.diagnose`` imports this module when it is called:
every command builds the backend, only `cop doctor` needs what is here.

Requests: one anonymous probe (is there an api.php, does TLS verify), the login (two), one
query for the site and the account (siteinfo, userinfo, the grants' labels), one paraminfo
for ``$wgRCMaxAge`` (it shows in the help of ``list=usercontribs``, the only place the API
tells it), and one anonymous page view per provisioned community namespace (the script
modules its head lists: is the "Add" buttons' script loaded there?). Never an edit; the
login is a fresh one (a kept session would not show whether the password works), and is not
kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from msgspec.structs import replace

from connector.diagnosis import FAILURE, OK, WARNING, Check, Expectations
from connector.errors import AuthenticationFailed, CopError
from connector.http import failure_reason, is_loopback, safe_url

from .doctor_checks import GRANTS, WIKI, SiteFacts, add_buttons_to_check, site_checks

if TYPE_CHECKING:
    from .backend import MediaWikiBackend

PROBE = "Cop doctor"  # the page whose view is asked for in each community namespace
SITE = {"meta": "siteinfo|userinfo|allmessages",
        "siprop": "general|namespaces|extensions|statistics|usergroups",
        "uiprop": "rights|groups", "ammessages": "|".join(f"grant-{g}" for g in GRANTS)}


def diagnose(wiki: MediaWikiBackend, expect: Expectations) -> list[Check]:
    """Read-only checks of ``wiki`` against ``expect`` (connector/diagnosis.py)."""
    probe = _probe(wiki, expect.config_file)
    if probe[-1].status == FAILURE:
        return probe
    try:
        wiki._login()
    except CopError as refused:  # the other checks need the account: fix this first
        # the fix says what to check: the detail is what the wiki said, once
        detail = refused.refusal if isinstance(refused, AuthenticationFailed) else str(refused)
        return [*probe, Check(WIKI, "login", FAILURE, detail,
                              _login_fix(wiki.settings.user, wiki.settings.password_origin))]
    try:
        facts = _facts(wiki)
    except CopError as error:
        return [*probe, Check(WIKI, "site information", FAILURE, str(error),
                              "see the message; `cop doctor -v` logs the requests")]
    login = [Check(WIKI, "login", OK, f"logged in as {wiki.settings.user}")] \
        if wiki.settings.user else []
    facts = replace(facts, page_modules={
        number: _page_modules(wiki, name, number)
        for number, name in add_buttons_to_check(facts, expect.spaces).items()})
    return [*probe, *login, *site_checks(facts, expect)]


def _probe(wiki: MediaWikiBackend, config_file: str) -> list[Check]:
    """api.php answers, over verified TLS (or plain http to this machine); the fixes name
    ``config_file``, the configuration file in use."""
    api = wiki.url + "api.php"
    http = wiki._http
    try:
        response = http.session.get(
            api, params={"action": "query", "meta": "siteinfo", "format": "json"},
            timeout=http.timeout)
    except requests.exceptions.SSLError:
        return [Check(WIKI, "TLS", FAILURE, f"the certificate of {safe_url(api)} does not "
                      "verify", "if it comes from the company's own certificate authority, "
                      f'set mediawiki.ca_bundle = "/path/to/ca.pem" in {config_file}')]
    except requests.RequestException as error:
        return [Check(WIKI, "reachable", FAILURE, f"{safe_url(api)} did not answer "
                      f"({failure_reason(error)})", f"check mediawiki.url in {config_file} "
                      "and that the wiki is up and reachable from this machine")]
    if response.status_code == 404 or "json" not in response.headers.get("Content-Type", ""):
        return [Check(WIKI, "reachable", FAILURE, f"no MediaWiki API at {safe_url(api)} "
                      f"(HTTP {response.status_code})", f"set mediawiki.url in {config_file} "
                      "to the wiki's script path, where api.php lives (e.g. "
                      "https://wiki.example.com/w/)")]
    return [Check(WIKI, "reachable", OK, f"{safe_url(api)} answers"), _transport(wiki.url)]


def _page_modules(wiki: MediaWikiBackend, namespace: str, number: int) -> frozenset[str] | None:
    """The script modules a reader's view of a page of ``namespace`` loads (the list the
    page's head gives ResourceLoader), None when the view is not of that namespace (a login
    page) or cannot be had. Anonymous: a bot password's session is the API's only."""
    http = wiki._http
    reader = requests.Session()
    reader.verify, reader.headers = http.session.verify, http.session.headers
    try:
        # a page that need not exist: the view of a missing one loads the same modules
        html = reader.get(wiki.url + "index.php", params={"title": f"{namespace}:{PROBE}"},
                          timeout=http.timeout).text
    except requests.RequestException:
        return None
    finally:
        reader.close()
    shown = re.search(r'"wgNamespaceNumber":\s*(-?\d+)', html)
    modules = re.search(r"RLPAGEMODULES=(\[[^\]]*\])", html)
    if shown is None or int(shown.group(1)) != number or modules is None:
        return None
    try:
        return frozenset(json.loads(modules.group(1)))
    except ValueError:
        return None


def _transport(url: str) -> Check:
    host = urlsplit(url).hostname or ""
    if url.startswith("https://"):
        return Check(WIKI, "TLS", OK, "certificate verified")
    if is_loopback(host):
        return Check(WIKI, "TLS", OK, "plain http to this machine (loopback)")
    return Check(WIKI, "TLS", WARNING, f"plain http to {host}: the password crosses the "
                 "network in clear (mediawiki.allow_http)", "serve the wiki over https and "
                 "set mediawiki.url to its https:// address")


def _facts(wiki: MediaWikiBackend) -> SiteFacts:
    query = wiki._query(dict(SITE), "reads").get("query", {})
    general = query.get("general", {})
    user = query.get("userinfo", {})
    return SiteFacts(
        url=wiki.url, generator=str(general.get("generator", "")), user=wiki.settings.user,
        rights=frozenset(user.get("rights", [])), groups=tuple(user.get("groups", [])),
        group_rights={g["name"]: frozenset(g.get("rights", []))
                      for g in query.get("usergroups", [])},
        namespaces={int(ns["id"]): ns["name"] for ns in query.get("namespaces", {}).values()},
        extensions=frozenset(e.get("name", "") for e in query.get("extensions", [])),
        jobs=_number(query.get("statistics", {}).get("jobs")), rc_max_age=_rc_max_age(wiki),
        grant_labels={m["name"].removeprefix("grant-"): m.get("content", "")
                      for m in query.get("allmessages", []) if m.get("content")})


def _rc_max_age(wiki: MediaWikiBackend) -> int | None:
    """$wgRCMaxAge: the first parameter of the help message of usercontribs' ``show``."""
    try:
        answer = wiki._call("paraminfo", "GET", modules="query+usercontribs",
                            helpformat="raw")
    except CopError:
        return None
    for module in answer.get("paraminfo", {}).get("modules", []):
        for param in module.get("parameters", []):
            if param.get("name") == "show":
                return _max_age(param.get("description"))
    return None


def _max_age(description: Any) -> int | None:
    for message in description if isinstance(description, list) else []:
        params = message.get("params") if isinstance(message, Mapping) else None
        if params and isinstance(params[0], int):
            return params[0]
    return None


def _number(value: Any) -> int | None:
    return value if isinstance(value, int) else None


def _login_fix(user: str, origin: str) -> str:
    """What to check: the user, and that where the password comes from (``origin``: the
    environment variable by its name, or the keyring entry) holds the right one."""
    account, _, app = user.partition("@")
    where = (f"the bot password {app!r} of {account} (Special:BotPasswords/{app}: reset it "
             "there if it is lost)") if app else "a bot password (Special:BotPasswords)"
    return f"check mediawiki.user ({user!r}) and that {origin} holds {where}"
