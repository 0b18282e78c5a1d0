"""The Confluence adapter signed in to a fake site (tests of the contract and integration)."""

from __future__ import annotations

from typing import Any

from fakes.confluence_fake import ConfluenceFake
from msgspec.structs import fields

from connector.confluence.backend import ConfluenceBackend
from connector.confluence.settings import ConfluenceSettings
from connector.confluence.storage import StorageCodec

SETTINGS = {f.name for f in fields(ConfluenceSettings)}


def settings_for(fake: ConfluenceFake, **options: Any) -> ConfluenceSettings:
    """The fake's bot account (no waiting between retries, 2 retries), ``options`` over."""
    cloud = fake.deployment == "cloud"
    return ConfluenceSettings(**{
        "url": fake.base_url, "user": "copbot@example.com" if cloud else "",
        "token": fake.token, "deployment": "cloud" if cloud else "datacenter",
        "max_retries": 2, "retry_wait": 0, **options})


def backend_for(fake: ConfluenceFake, **options: Any) -> ConfluenceBackend:
    """The adapter as the fake's bot account. ``codec`` defaults to the storage codec;
    ConfluenceSettings fields (``feed_overlap``, ``labels``...) go to the settings, the
    other options to the backend."""
    codec = options.pop("codec", None) or StorageCodec()
    settings = settings_for(fake, **{k: options.pop(k) for k in list(options)
                                     if k in SETTINGS})
    return ConfluenceBackend(settings, codec, **options)
