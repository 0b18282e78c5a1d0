"""From configuration to adapters: the one place that knows which class serves which wiki."""

from __future__ import annotations

from connector.base import WikiBackend
from connector.errors import ConfigError
from connector.http import Budget
from connector.mediawiki.backend import MediaWikiBackend, MediaWikiSettings
from connector.mediawiki.wikitext import WikitextCodec

from .config import Config, secret
from .records import Records


def build_backend(config: Config, name: str, *, records: Records | None = None,
                  budget: Budget | None = None) -> WikiBackend:
    """The adapter for ``name`` ("mediawiki" | "confluence"). Raises ConfigError when its
    section or its secret is missing. Makes no request."""
    budget = budget or Budget(config.sync.budget_seconds)
    if name == "mediawiki":
        return _mediawiki(config, records, budget)
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
