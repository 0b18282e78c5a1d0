"""The backend contract, run against the fake Confluence: Cloud and Data Center.

Every request the adapter sends and every 2xx answer the fake gives is checked against
Atlassian's OpenAPI specs; the ``openapi_violations`` fixture fails a test that saw any.
People's actions (edit, move, delete) are the fake's member-side helpers, as a browser would
do them. Two contract tests are restated for what Confluence is (see their docstrings).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from backend_contract import BackendContract, PlainCodec
from confluence_site import backend_for
from fakes.confluence_fake import ConfluenceFake
from fakes.confluence_state import MEMBER

from connector.base import PageRef, SpaceSpec
from connector.confluence.backend import ConfluenceBackend
from connector.errors import PageExists, SpaceMissing

pytest_plugins = ["fakes.fixtures"]


class ConfluenceContract(BackendContract):
    """Space keys are letters and digits on Confluence: no underscore to spell two ways."""

    space = "COPCONTRACT"
    other_space = "COPOTHER"
    fixture = "confluence_cloud"

    @pytest.fixture
    def backend(self, request: pytest.FixtureRequest) -> Iterator[ConfluenceBackend]:
        fake: ConfluenceFake = request.getfixturevalue(self.fixture)
        fake.clock.set(datetime.now(UTC))  # the adapter sizes its first window by its clock
        fake.create_space(self.space, "Contract community")
        fake.create_space(self.other_space, "Other community")
        fake.clock.advance(2)
        self.fake = fake
        backend = backend_for(fake, codec=PlainCodec())
        yield backend
        backend.close()

    def member_edit(self, ref: PageRef, text: str) -> None:
        if self.fake.state.find_page(ref.space, ref.title) is None:
            self.fake.create_page(ref.space, ref.title, text)
        else:
            self.fake.edit_page(ref.space, ref.title, text)

    def member_move(self, ref: PageRef, target: PageRef) -> None:
        self.fake.move_page(ref.space, ref.title, new_title=target.title)

    def member_delete(self, ref: PageRef) -> None:
        self.fake.delete_page(ref.space, ref.title)

    def let_time_pass(self) -> None:
        self.fake.clock.advance(2)

    def check_remedy(self, error: SpaceMissing, spec: SpaceSpec) -> None:
        assert "cop provision" in error.remedy

    def member_user(self) -> str:
        return MEMBER.account_id if self.fake.deployment == "cloud" else MEMBER.user_key

    # --- restated for Confluence -------------------------------------------------------------

    def test_spaces_and_underscores_name_the_same_page(self, backend: ConfluenceBackend
                                                       ) -> None:
        """Restated: on MediaWiki "Two_words" and "Two words" are one title; on Confluence
        they are two (an underscore is a character of the title), and a space key has no
        other spelling."""
        written = backend.create_page(self.ref("Two words"), "x", summary="contract")
        assert backend.read_pages([self.ref("Two words")])[self.ref("Two words")].page_id \
            == written.page_id
        assert backend.read_pages([self.ref("Two_words")]) == {}
        assert backend.check_space(self.spec()).space == self.space
        with pytest.raises(PageExists):
            backend.create_page(self.ref("Two words"), "y", summary="contract")

    def test_batched_read_uses_one_request_per_batch(self, backend: ConfluenceBackend) -> None:
        """Restated: pages are read by id from the database (never the search index,
        which lags), ``max_batch`` per request; the pages nobody knows the id of are found
        by title: on Cloud by one list of the space's pages (v2 filters one title at a
        time), on Data Center by CQL, ``max_batch`` titles per search. Here the four pages
        the adapter wrote are known; 116 titles are not."""
        refs = [self.ref(f"Page {number:03d}") for number in range(120)]
        existing = [refs[0], refs[49], refs[50], refs[119]]
        for ref in existing:
            backend.create_page(ref, f"content of {ref.title}", summary="contract")
        before = self.read_requests(backend)
        found = backend.read_pages(refs)
        cloud = self.fake.deployment == "cloud"
        assert self.read_requests(backend) - before == (1 + 1 if cloud else
                                                        1 + math.ceil(116 / 50))
        assert backend.max_batch == 50
        assert sorted(found) == sorted(existing)
        assert all(found[ref].content == f"content of {ref.title}" for ref in existing)

    def test_changes_since_lists_what_happened_in_the_spaces(self, backend: ConfluenceBackend
                                                             ) -> None:
        """Restated: CQL only finds pages that are there now, so a move or a deletion can
        only be told for a page whose id is known (from the records, or read or written by
        the adapter). Here the moved and deleted pages exist, and were read, before
        ``since``; everything else is as in the contract."""
        before, moved, deleted = (self.ref(t) for t in ("Before", "Moved", "Deleted"))
        backend.create_page(before, "old news", summary="contract")
        self.member_edit(moved, "moving")
        self.member_edit(deleted, "deleting")
        assert set(backend.read_pages([moved, deleted])) == {moved, deleted}
        self.let_time_pass()
        since = backend.changes_since([self.space], None).signpost

        created, edited, target = self.ref("Created"), self.ref("Edited"), self.ref("Moved here")
        backend.create_page(created, "new", summary="contract")
        self.member_edit(edited, "v1")
        base = backend.read_pages([edited])[edited]
        backend.update_page(base, "v2", summary="contract")
        self.member_move(moved, target)
        self.member_delete(deleted)
        self.member_edit(self.ref("Elsewhere", space=self.other_space), "not asked for")

        feed = backend.changes_since([self.space], since)
        seen = {(change.ref, change.action) for change in feed.changes}
        assert {(created, "create"), (edited, "create"), (edited, "edit"), (moved, "move"),
                (deleted, "delete")} <= seen
        assert all(change.ref.space == self.space for change in feed.changes)
        assert before not in {change.ref for change in feed.changes}
        move = next(change for change in feed.changes if change.action == "move")
        assert move.target == target
        edit = next(c for c in feed.changes if (c.ref, c.action) == (edited, "edit"))
        assert edit.revision == backend.read_pages([edited])[edited].revision
        assert all(since <= change.timestamp <= feed.signpost for change in feed.changes)
        stamps = [change.timestamp for change in feed.changes]
        assert stamps == sorted(stamps)


class TestConfluenceCloud(ConfluenceContract):
    fixture = "confluence_cloud"


class TestConfluenceDataCenter(ConfluenceContract):
    fixture = "confluence_dc"

    def test_a_space_the_wiki_does_not_have_is_missing_from_the_feed(
            self, backend: ConfluenceBackend) -> None:
        """Restated: Data Center's feed asks CQL by space key, which answers a space that
        is not there with no result, like a quiet one: the feed cannot tell, and finding
        out would cost a request at every run. A space gone shows when its pages look
        gone: the engine asks check_space then (tests/unit/test_space_gone.py)."""
        feed = backend.changes_since([self.space, "NOWHERE"], None)
        assert feed.missing == ()
        with pytest.raises(SpaceMissing):
            backend.check_space(self.spec(space="NOWHERE"))
