"""Pytest fixtures for the fake Confluence; import them in a conftest (or ``pytest_plugins``).

* ``openapi_violations``: a Violations collector; the test fails at teardown if any is left.
* ``confluence_mock``: one running ``responses.RequestsMock`` both fakes register on.
* ``confluence_cloud`` / ``confluence_dc``: a fresh fake site, validated against the specs
  (when they are available; otherwise served without schema checks).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from .confluence_fake import ConfluenceFake, FirstMatch
from .openapi_check import Violations


@pytest.fixture
def openapi_violations() -> Iterator[Violations]:
    """Schema violations seen during the test; any left at the end fails the test."""
    collected = Violations()
    yield collected
    collected.assert_none()


@pytest.fixture
def confluence_mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False,
                                registry=FirstMatch) as mock:
        yield mock


@pytest.fixture
def confluence_cloud(confluence_mock: responses.RequestsMock,
                     openapi_violations: Violations) -> ConfluenceFake:
    """A fake Confluence Cloud at https://cop.atlassian.net/wiki (basic auth)."""
    fake = ConfluenceFake.cloud(violations=openapi_violations)
    fake.register(confluence_mock)
    return fake


@pytest.fixture
def confluence_dc(confluence_mock: responses.RequestsMock,
                  openapi_violations: Violations) -> ConfluenceFake:
    """A fake Confluence Data Center at https://dc.example.com/confluence (bearer PAT)."""
    fake = ConfluenceFake.data_center(violations=openapi_violations)
    fake.register(confluence_mock)
    return fake
