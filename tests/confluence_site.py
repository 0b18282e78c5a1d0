"""The Confluence adapter signed in to a fake site (tests of the contract and integration)."""

from __future__ import annotations

from typing import Any

from fakes.confluence_fake import ConfluenceFake

from connector.confluence.backend import ConfluenceBackend
from connector.confluence.settings import ConfluenceSettings
from connector.confluence.storage import StorageCodec


def backend_for(fake: ConfluenceFake, **options: Any) -> ConfluenceBackend:
    """The adapter as the fake's bot account (no waiting between retries, 2 retries).
    ``codec`` defaults to the storage codec; other options go to the backend."""
    cloud = fake.deployment == "cloud"
    settings = ConfluenceSettings(
        url=fake.base_url, user="copbot@example.com" if cloud else "",
        token="cloud-api-token" if cloud else "dc-personal-access-token",
        deployment="cloud" if cloud else "datacenter", max_retries=2, retry_wait=0)
    codec = options.pop("codec", None) or StorageCodec()
    return ConfluenceBackend(settings, codec, **options)
