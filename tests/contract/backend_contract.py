"""The backend contract: what every WikiBackend must do, whatever the wiki behind it.

A backend's test module subclasses ``BackendContract`` (its name starts with ``Test``), provides
the ``backend`` fixture and the member-side helpers (what people do on the wiki without going
through the backend: edit, move, delete), and may override ``check_remedy``.

The pages use a tiny codec: the contract is about moving pages, not about their format.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pytest

from connector.base import (
    PageContext,
    PageRef,
    ParsedPage,
    RowChange,
    SpaceSpec,
    WikiBackend,
)
from connector.errors import EditConflict, PageExists, PageMissing, SpaceMissing
from page_templates import PageKind, TemplateSet


class PlainCodec:
    """Pages as plain text: enough to move pages around, nothing more."""

    format = "plain"

    def render_page(self, kind: PageKind, context: PageContext,
                    rows: Sequence[Mapping[str, str]], parts: object = None) -> str:
        return "\n".join(" ".join(row.values()) for row in rows)

    def parse_rows(self, content: str, kind: PageKind, page: str) -> ParsedPage:
        return ParsedPage(rows=())

    def apply_changes(self, content: str, kind: PageKind, changes: Sequence[RowChange],
                      lang: str) -> str:
        return content

    def support_pages(self, templates: TemplateSet) -> list[tuple[PageRef, str]]:
        return []


def same_space(left: str, right: str) -> bool:
    return left.replace("_", " ") == right.replace("_", " ")


class BackendContract:
    """Tests every backend passes. Spaces are spelled with underscores, as records keep them."""

    space = "CoP_Contract"
    other_space = "CoP_Other"
    space_id = 3000
    other_space_id = 3002

    # --- what a backend's test module provides ---------------------------------------------

    @pytest.fixture
    def backend(self) -> WikiBackend:
        raise NotImplementedError

    def member_edit(self, ref: PageRef, text: str) -> None:
        """Someone saves the page on the wiki (creating it if needed)."""
        raise NotImplementedError

    def member_move(self, ref: PageRef, target: PageRef) -> None:
        raise NotImplementedError

    def member_delete(self, ref: PageRef) -> None:
        raise NotImplementedError

    def let_time_pass(self) -> None:
        """Make sure the wiki's clock has moved on (change timestamps are in seconds)."""
        raise NotImplementedError

    def member_user(self) -> str:
        """How the wiki's history names the person ``member_edit`` edits as."""
        raise NotImplementedError

    def read_requests(self, backend: WikiBackend) -> int:
        return backend.stats.reads  # type: ignore[attr-defined]

    def check_remedy(self, error: SpaceMissing, spec: SpaceSpec) -> None:
        """What a missing space's remedy must say (backend-specific)."""
        assert error.remedy

    # --- helpers -------------------------------------------------------------------------------

    def ref(self, title: str, space: str | None = None) -> PageRef:
        return PageRef(self.space if space is None else space, title)

    def spec(self, space: str | None = None, number: int | None = None) -> SpaceSpec:
        return SpaceSpec(slug="contract", name="Contract community",
                         space=space or self.space, lang="en",
                         namespace_id=number or self.space_id)

    # --- spaces --------------------------------------------------------------------------------

    def test_check_space_finds_the_space(self, backend: WikiBackend) -> None:
        info = backend.check_space(self.spec())
        assert same_space(info.space, self.space)
        assert info.space_id

    def test_check_space_missing_says_what_to_do(self, backend: WikiBackend) -> None:
        spec = SpaceSpec(slug="absent", name="Absent community", space="CoP_Absent",
                         lang="en", namespace_id=3010)
        with pytest.raises(SpaceMissing) as caught:
            backend.check_space(spec)
        assert caught.value.space == "CoP_Absent"
        assert caught.value.remedy in str(caught.value)
        self.check_remedy(caught.value, spec)

    def test_freeze_and_reopen_keep_every_page(self, backend: WikiBackend) -> None:
        """cop archive (issue 6): frozen then reopened, idempotently; nothing is lost, the
        pages still read, and members edit again once reopened."""
        ref = self.ref("Frozen")
        backend.create_page(ref, "before", summary="contract")
        said = backend.freeze_space(self.spec(), frozen=True)
        assert isinstance(said, str) and said
        backend.freeze_space(self.spec(), frozen=True)
        assert backend.read_pages([ref])[ref].content == "before"
        backend.freeze_space(self.spec(), frozen=False)
        backend.freeze_space(self.spec(), frozen=False)
        self.member_edit(ref, "after")
        assert backend.read_pages([ref])[ref].content == "after"

    # --- reads and writes ----------------------------------------------------------------------

    def test_create_then_read(self, backend: WikiBackend) -> None:
        ref = self.ref("Members")
        written = backend.create_page(ref, "first version", summary="contract")
        assert written.changed and written.revision and written.page_id
        page = backend.read_pages([ref])[ref]
        assert (page.ref, page.content, page.revision, page.page_id) == (
            ref, "first version", written.revision, written.page_id)

    def test_read_of_a_missing_page_is_absent(self, backend: WikiBackend) -> None:
        present = self.ref("Present")
        backend.create_page(present, "here", summary="contract")
        found = backend.read_pages([self.ref("Nowhere"), present])
        assert list(found) == [present]

    def test_batched_read_uses_one_request_per_batch(self, backend: WikiBackend) -> None:
        refs = [self.ref(f"Page {number:03d}") for number in range(120)]
        existing = [refs[0], refs[49], refs[50], refs[119]]
        for ref in existing:
            backend.create_page(ref, f"content of {ref.title}", summary="contract")
        before = self.read_requests(backend)
        found = backend.read_pages(refs)
        assert self.read_requests(backend) - before == math.ceil(120 / backend.max_batch)
        assert backend.max_batch == 50
        assert sorted(found) == sorted(existing)
        assert all(found[ref].content == f"content of {ref.title}" for ref in existing)

    def test_update_over_the_current_revision(self, backend: WikiBackend) -> None:
        ref = self.ref("Watch")
        backend.create_page(ref, "v1", summary="contract")
        base = backend.read_pages([ref])[ref]
        written = backend.update_page(base, "v2", summary="contract")
        assert written.changed and written.revision != base.revision
        page = backend.read_pages([ref])[ref]
        assert (page.content, page.revision) == ("v2", written.revision)

    def test_update_over_a_stale_revision_conflicts(self, backend: WikiBackend) -> None:
        ref = self.ref("Charter")
        backend.create_page(ref, "one line", summary="contract")
        base = backend.read_pages([ref])[ref]
        self.member_edit(ref, "one line, edited by a member")
        with pytest.raises(EditConflict) as caught:
            backend.update_page(base, "one line, edited by the connector", summary="contract")
        assert caught.value.base_revision == base.revision
        assert backend.read_pages([ref])[ref].content == "one line, edited by a member"

    def test_stale_update_touching_other_lines_conflicts_too(self, backend: WikiBackend) -> None:
        # MediaWiki merges such an edit silently; the adapter must still report it.
        ref = self.ref("References")
        backend.create_page(ref, "a\nb\nc\nd\ne\n", summary="contract")
        base = backend.read_pages([ref])[ref]
        self.member_edit(ref, "a\nb\nc\nd\ne by a member\n")
        with pytest.raises(EditConflict):
            backend.update_page(base, "a by the connector\nb\nc\nd\ne\n", summary="contract")

    def test_create_of_an_existing_page_raises_page_exists(self, backend: WikiBackend) -> None:
        ref = self.ref("Regulation")
        self.member_edit(ref, "created by a member")
        with pytest.raises(PageExists):
            backend.create_page(ref, "created by the connector", summary="contract")
        assert backend.read_pages([ref])[ref].content == "created by a member"

    def test_unchanged_update_makes_no_revision(self, backend: WikiBackend) -> None:
        ref = self.ref("Competition")
        backend.create_page(ref, "same", summary="contract")
        base = backend.read_pages([ref])[ref]
        written = backend.update_page(base, "same", summary="contract")
        assert (written.changed, written.revision) == (False, base.revision)
        assert backend.read_pages([ref])[ref].revision == base.revision

    def test_update_of_a_deleted_page_raises_page_missing(self, backend: WikiBackend) -> None:
        ref = self.ref("Gone")
        backend.create_page(ref, "soon gone", summary="contract")
        base = backend.read_pages([ref])[ref]
        self.member_delete(ref)
        with pytest.raises(PageMissing):
            backend.update_page(base, "too late", summary="contract")
        assert backend.read_pages([ref]) == {}

    def test_spaces_and_underscores_name_the_same_page(self, backend: WikiBackend) -> None:
        written = backend.create_page(self.ref("Two words"), "x", summary="contract")
        other_spelling = PageRef(self.space.replace("_", " "), "Two_words")
        found = backend.read_pages([other_spelling])
        assert found[other_spelling].page_id == written.page_id
        assert found[other_spelling].ref == other_spelling
        info = backend.check_space(self.spec(space=self.space.replace("_", " ")))
        assert same_space(info.space, self.space)
        with pytest.raises(PageExists):
            backend.create_page(other_spelling, "y", summary="contract")

    # --- the change feed -----------------------------------------------------------------------

    def test_changes_since_lists_what_happened_in_the_spaces(self, backend: WikiBackend) -> None:
        before = self.ref("Before")
        backend.create_page(before, "old news", summary="contract")
        self.let_time_pass()
        since = backend.changes_since([self.space], None).signpost

        created, edited, moved, deleted = (self.ref(title) for title in (
            "Created", "Edited", "Moved", "Deleted"))
        target = self.ref("Moved here")
        backend.create_page(created, "new", summary="contract")
        self.member_edit(edited, "v1")
        base = backend.read_pages([edited])[edited]
        backend.update_page(base, "v2", summary="contract")
        self.member_edit(moved, "moving")
        self.member_move(moved, target)
        self.member_edit(deleted, "deleting")
        self.member_delete(deleted)
        elsewhere = self.ref("Elsewhere", space=self.other_space)
        self.member_edit(elsewhere, "not asked for")

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

    def test_changes_since_covers_several_spaces_at_once(self, backend: WikiBackend) -> None:
        mine, theirs = self.ref("Mine"), self.ref("Theirs", space=self.other_space)
        self.member_edit(mine, "a")
        self.member_edit(theirs, "b")
        feed = backend.changes_since([self.space, self.other_space], None)
        assert {mine, theirs} <= {change.ref for change in feed.changes}
        assert all(change.timestamp <= feed.signpost for change in feed.changes)

    def test_signpost_moves_forward(self, backend: WikiBackend) -> None:
        first = backend.changes_since([self.space], None)
        self.let_time_pass()
        self.member_edit(self.ref("Later"), "later")
        second = backend.changes_since([self.space], first.signpost)
        assert second.signpost > first.signpost
        assert [change.ref for change in second.changes] == [self.ref("Later")]

    def test_a_space_the_wiki_does_not_have_is_missing_from_the_feed(
            self, backend: WikiBackend) -> None:
        """Not an empty space (its pages would read as deleted) nor an error for every
        space asked: the feed names it, and still lists the others' changes."""
        mine = self.ref("Still here")
        self.member_edit(mine, "a")
        feed = backend.changes_since([self.space, "CoP_Nowhere"], None)
        assert feed.missing == ("CoP_Nowhere",)
        assert mine in {change.ref for change in feed.changes}
        assert backend.changes_since([self.space], None).missing == ()


    # --- history (issue 7) -----------------------------------------------------------------------

    def test_contributions_name_who_edited_which_page_when(self, backend: WikiBackend) -> None:
        """People's edits in the asked spaces since ``since``; the connector's own writes
        and other spaces are not listed."""
        ours, theirs = self.ref("Ours"), self.ref("Theirs")
        backend.create_page(ours, "written by the connector", summary="contract")
        self.member_edit(self.ref("Earlier"), "before the window")
        self.let_time_pass()
        since = backend.changes_since([self.space], None).signpost
        self.member_edit(theirs, "a member's page")
        self.member_edit(self.ref("Elsewhere", space=self.other_space), "not asked for")
        backend.create_page(self.ref("Ours too"), "the connector again", summary="contract")

        found = backend.contributions([self.space], since)
        assert [(c.ref, c.user) for c in found] == [(theirs, self.member_user())]
        assert since <= found[0].timestamp
        assert backend.contributions([self.space, self.other_space], since)[-1].ref == \
            self.ref("Elsewhere", space=self.other_space)
