"""From configuration to adapters: the one place that knows which class serves which wiki.

Each adapter is imported when it is built, not before: a command loads a wiki's libraries
(requests, mwclient, mwparserfromhell; atlassian-python-api, BeautifulSoup) only when it
talks to that wiki, so `cop --help` and `cop status` start fast (tests/cli/test_startup.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from connector.base import PageCodec, PageRef, WikiBackend
from connector.budget import Budget
from connector.errors import ConfigError
from connector.session import SessionStore
from sync.config.loader import Config, secret, secret_origin
from sync.records.store import Records

if TYPE_CHECKING:
    from connector.confluence.backend import ConfluenceBackend
    from connector.mediawiki.backend import MediaWikiBackend


def build_backend(config: Config, name: str, *, records: Records | None = None,
                  budget: Budget | None = None, keep_session: bool = True) -> WikiBackend:
    """The adapter for ``name`` ("mediawiki" | "confluence"). Raises ConfigError when its
    section or its secret is missing. Makes no request. ``keep_session=False``: the
    session is neither taken up from nor saved to [sync] session_file (`cop doctor`)."""
    budget = budget or Budget(config.sync.budget_seconds)
    sessions = _sessions(config) if keep_session else None
    if name == "mediawiki":
        return _mediawiki(config, records, budget, sessions)
    if name == "confluence":
        return _confluence(config, records, budget, sessions)
    raise ConfigError(f"backend {name!r} is not available in this version",
                      setting="defaults.backend", path=str(config.path))


def _mediawiki(config: Config, records: Records | None, budget: Budget,
               sessions: SessionStore | None) -> MediaWikiBackend:
    from connector.mediawiki.backend import MediaWikiBackend, MediaWikiSettings  # noqa: PLC0415

    section = config.mediawiki
    if section is None:
        raise ConfigError("no [mediawiki] section", setting="mediawiki", path=str(config.path))
    password = origin = ""
    if section.user:
        password = secret(section.password_env, user=section.user,
                          setting="mediawiki.password_env", service="mediawiki")
        origin = secret_origin(section.password_env, user=section.user, service="mediawiki")
    settings = MediaWikiSettings(
        url=section.url, user=section.user, password=password, password_origin=origin,
        settings_file=config.shown_path, timeout=section.timeout,
        allow_http=section.allow_http, ca_bundle=str(config.resolve(section.ca_bundle))
        if section.ca_bundle else "")
    # Namespace numbers as the wiki reported them at provisioning: the change feed then
    # needs no siteinfo request.
    known = {} if records is None else {
        c.space: int(c.space_id) for c in records.communities()
        if c.backend == "mediawiki" and (c.space_id or "").isdigit()}
    return MediaWikiBackend(settings, DeferredCodec("wikitext", _wikitext_codec),
                            namespaces=known, budget=budget, sessions=sessions)


def _wikitext_codec() -> PageCodec:
    from connector.mediawiki.wikitext import WikitextCodec  # noqa: PLC0415 - see DeferredCodec

    return WikitextCodec()


class DeferredCodec:
    """A PageCodec made on first use: a cron run with nothing to read parses no page, so it
    need not load the parser (mwparserfromhell and the wikitext codec's modules, a tenth of
    a no-change cop-sync's start-up)."""

    def __init__(self, page_format: str, make: Callable[[], PageCodec]) -> None:
        self.format = page_format
        self._make = make
        self._codec: PageCodec | None = None

    def __getattr__(self, name: str) -> Any:
        if self._codec is None:
            self._codec = self._make()
        return getattr(self._codec, name)


def _sessions(config: Config) -> SessionStore | None:
    """The file that keeps the wikis' sessions between runs (None: not kept)."""
    path = config.session_path
    return None if path is None else SessionStore(path)


def _confluence(config: Config, records: Records | None, budget: Budget,
                sessions: SessionStore | None) -> ConfluenceBackend:
    from connector.confluence.backend import ConfluenceBackend  # noqa: PLC0415
    from connector.confluence.settings import ConfluenceSettings  # noqa: PLC0415
    from connector.confluence.storage import StorageCodec  # noqa: PLC0415

    section = config.confluence
    if section is None:
        raise ConfigError("no [confluence] section", setting="confluence",
                          path=str(config.path))
    cloud = section.deployment == "cloud"
    if cloud and not section.user:
        raise ConfigError("Confluence Cloud signs in with the account's e-mail and an API "
                          "token: set confluence.user", setting="confluence.user",
                          path=str(config.path))
    token = secret(section.token_env, user=section.user or "token",
                   setting="confluence.token_env", service="confluence")
    settings = ConfluenceSettings(
        url=section.url, user=section.user, token=token,
        token_origin=secret_origin(section.token_env, user=section.user or "token",
                                   service="confluence"),
        deployment="cloud" if cloud else "datacenter", timeout=section.timeout,
        allow_http=section.allow_http,
        ca_bundle=str(config.resolve(section.ca_bundle)) if section.ca_bundle else "",
        accounts=dict(section.accounts), labels=section.labels,
        feed_overlap=section.feed_overlap_seconds, max_retry_wait=section.max_retry_wait,
        admin_role=section.admin_role, editor_role=section.editor_role)
    spaces, pages, trashed = _confluence_known(records)
    return ConfluenceBackend(settings, StorageCodec(), spaces=spaces, pages=pages,
                             trashed=trashed, budget=budget, sessions=sessions)


def _confluence_known(records: Records | None
                      ) -> tuple[dict[str, str], dict[str, PageRef], dict[str, PageRef]]:
    """The spaces cop-connector made or adopted (key -> id), the pages it knows (id -> ref)
    and those the records hold as deleted: the adapter tells its spaces from others' by
    them, and its change feed reports the known pages moved or deleted, the deleted ones
    restored (a restore from the trash makes no new version: CQL alone cannot tell)."""
    if records is None:
        return {}, {}, {}
    communities = [c for c in records.communities() if c.backend == "confluence"]
    spaces = {c.space: c.space_id for c in communities if c.space_id}
    states = [state for c in communities for state in records.page_states(c.slug)
              if state.page_id]
    pages = {s.page_id: s.ref for s in states if s.state != "deleted"}
    trashed = {s.page_id: s.ref for s in states if s.state == "deleted"}
    return spaces, pages, trashed
