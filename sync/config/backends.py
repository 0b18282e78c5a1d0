"""From configuration to adapters: the one place that knows which class serves which wiki."""

from __future__ import annotations

from connector.base import PageRef, WikiBackend
from connector.confluence.backend import ConfluenceBackend
from connector.confluence.settings import ConfluenceSettings
from connector.confluence.storage import StorageCodec
from connector.errors import ConfigError
from connector.http import Budget
from connector.mediawiki.backend import MediaWikiBackend, MediaWikiSettings
from connector.mediawiki.wikitext import WikitextCodec
from sync.config.loader import Config, secret
from sync.records.store import Records


def build_backend(config: Config, name: str, *, records: Records | None = None,
                  budget: Budget | None = None) -> WikiBackend:
    """The adapter for ``name`` ("mediawiki" | "confluence"). Raises ConfigError when its
    section or its secret is missing. Makes no request."""
    budget = budget or Budget(config.sync.budget_seconds)
    if name == "mediawiki":
        return _mediawiki(config, records, budget)
    if name == "confluence":
        return _confluence(config, records, budget)
    raise ConfigError(f"backend {name!r} is not available in this version",
                      setting="defaults.backend", path=str(config.path))


def _mediawiki(config: Config, records: Records | None, budget: Budget) -> MediaWikiBackend:
    section = config.mediawiki
    if section is None:
        raise ConfigError("no [mediawiki] section", setting="mediawiki", path=str(config.path))
    password = ""
    if section.user:
        password = secret(section.password_env, user=section.user,
                          setting="mediawiki.password_env", service="mediawiki")
    settings = MediaWikiSettings(
        url=section.url, user=section.user, password=password, timeout=section.timeout,
        allow_http=section.allow_http, ca_bundle=str(config.resolve(section.ca_bundle))
        if section.ca_bundle else "")
    # Namespace numbers as the wiki reported them at provisioning: the change feed then
    # needs no siteinfo request.
    known = {} if records is None else {
        c.space: int(c.space_id) for c in records.communities()
        if c.backend == "mediawiki" and (c.space_id or "").isdigit()}
    return MediaWikiBackend(settings, WikitextCodec(), namespaces=known, budget=budget)


def _confluence(config: Config, records: Records | None, budget: Budget) -> ConfluenceBackend:
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
        deployment="cloud" if cloud else "datacenter", timeout=section.timeout,
        allow_http=section.allow_http,
        ca_bundle=str(config.resolve(section.ca_bundle)) if section.ca_bundle else "",
        accounts=dict(section.accounts), labels=section.labels,
        feed_overlap=section.feed_overlap_seconds, max_retry_wait=section.max_retry_wait,
        admin_role=section.admin_role, editor_role=section.editor_role)
    spaces, pages, trashed = _confluence_known(records)
    return ConfluenceBackend(settings, StorageCodec(), spaces=spaces, pages=pages,
                             trashed=trashed, budget=budget)


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
