"""cop-connector's own pages (home page, row templates, results pages) stay its own while they
hold what it wrote, whatever their revision: MediaWiki adds a revision, same content, when
``cop archive`` protects a page and when ``--undo`` unprotects it. Only a real change of the
content is someone's edit (drift)."""

from __future__ import annotations

from connector.base import PageRef, RemotePage
from sync.community.pages import content_hash
from sync.provision.plan import plan_support, still_ours
from sync.records.model import PageState
from sync.results.publish import Published, Target, decide

REF = PageRef("CoP_Battery", "Results")
WRITTEN = "== Results ==\nFigures of the month.\n"


def page(revision: str, content: str = WRITTEN) -> RemotePage:
    return RemotePage(REF, "p1", revision, content)


def test_a_page_is_ours_at_our_revision_or_with_our_content() -> None:
    written = content_hash(WRITTEN)
    assert still_ours(page("10"), "10", written)
    assert still_ours(page("12"), "10", written)  # a protection's revision: same content
    assert still_ours(page("12", WRITTEN.rstrip()), "10", written)  # as MediaWiki stores it
    assert not still_ours(page("12", WRITTEN + "A member's line.\n"), "10", written)
    assert not still_ours(page("12"), "10", "")  # nothing known of what was written


def test_publishing_updates_a_results_page_protected_then_unprotected() -> None:
    state = Published("mediawiki", "results:battery", REF, "p1", "10", content_hash(WRITTEN))
    target = Target("results:battery", REF, "== Results ==\nNew figures.\n")
    assert decide(target, page("12", WRITTEN.rstrip()), state).op == "update"
    edited = decide(target, page("13", WRITTEN + "Hand edit\n"), state)
    assert edited.op == "drift" and "--force" in edited.reason


def test_provisioning_updates_a_managed_page_protected_then_unprotected() -> None:
    ref = PageRef("Template", "CoP watch")
    state = PageState("", f"support:{ref}", ref, "p1", "10", content_hash(WRITTEN))
    remote = {ref: RemotePage(ref, "p1", "12", WRITTEN.rstrip())}
    [action] = plan_support([(ref, "new template\n")], remote, {state.kind: state})
    assert action.op == "update"
    remote = {ref: RemotePage(ref, "p1", "13", "someone's template")}
    [action] = plan_support([(ref, "new template\n")], remote, {state.kind: state})
    assert action.op == "drift"
