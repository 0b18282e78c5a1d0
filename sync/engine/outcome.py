"""The outcome of a cop-sync run: per community, per page; exit code; summary line; JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field, to_builtins
from msgspec.structs import replace

from connector.errors import EXIT_OK, EXIT_PARTIAL, CopError, RowProblem

if TYPE_CHECKING:
    from connector.base import RemotePage
    from sync.engine.merge import FieldConflict


class PageOutcome(Struct):
    """What happened to one page (also what --dry-run shows)."""

    community: str
    kind: str
    page: str
    upserted: int = 0
    tombstoned: int = 0
    pushed: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    conflicts: list[FieldConflict] = field(default_factory=list)
    drift: dict[str, tuple[str, str]] = field(default_factory=dict)
    refused_empty: bool = False
    notice: str = ""
    error: str = ""
    deleted: bool = False  # the page is gone from the wiki (not read: its rows tombstoned)
    held_back: list[str] = field(default_factory=list)  # what waits, and why (plan notes)
    page_notice: str = ""  # what became of the notice on the page ("written", "removed"...)
    # The page as it now stands on the wiki, as far as this run knows (read, or written):
    # the base of the notice's write. Not reported.
    latest: RemotePage | None = None

    @property
    def errors(self) -> list[RowProblem]:
        """The problems that make cop-sync exit 1 (not the warnings)."""
        return [problem for problem in self.problems if problem.blocking]


class CommunityOutcome(Struct):
    slug: str
    pages: list[PageOutcome] = field(default_factory=list)
    error: str = ""
    notices: list[str] = field(default_factory=list)
    watermark: str | None = None
    refused_empty: bool = False  # the whole community read as empty: nothing recorded
    open_problems: int = 0  # row problems the records still hold after the run
    interrupted: bool = False  # asked to stop before all its pages were synced
    # the error behind ``error``: the CLI maps it to the exit code (a refused login is 2)
    failure: CopError | None = None

    def fail(self, error: CopError, message: str | None = None) -> None:
        """Record what stopped this community (``message`` instead of the error's own)."""
        self.error = message or str(error)
        self.failure = error

    @property
    def failed(self) -> bool:
        return bool(self.error) or any(p.error for p in self.pages)


class SyncReport(Struct):
    started_at: str
    dry_run: bool = False
    finished_at: str = ""
    communities: list[CommunityOutcome] = field(default_factory=list)

    @property
    def pages(self) -> list[PageOutcome]:
        return [page for community in self.communities for page in community.pages]

    @property
    def interrupted(self) -> bool:
        """Asked to stop (Ctrl-C): some community was left for the next run."""
        return any(c.interrupted for c in self.communities)

    @property
    def failures(self) -> list[CopError]:
        """The errors that stopped a community (wiki refused, secret missing...)."""
        return [c.failure for c in self.communities if c.failure is not None]

    @property
    def exit_code(self) -> int:
        """1 when a community or a page failed, a row cannot be read (found this run or
        still open from an earlier one: exit 1 lasts as long as the problem), a page or a
        whole community was refused as empty or a conflict needs a person; else 0.
        Warnings (an unknown parameter, a row pasted twice, a governance value typed on
        the wiki: everything else recorded) are reported and do not make it 1."""
        trouble = any(c.failed or c.refused_empty or c.open_problems
                      for c in self.communities) or any(
            p.errors or p.refused_empty or p.conflicts for p in self.pages)
        return EXIT_PARTIAL if trouble else EXIT_OK

    def counts(self) -> dict[str, int]:
        pages = self.pages
        return {
            "communities": len(self.communities),
            # pages, not row sets: the Watch page (its items and its sources) counts once
            "pages_read": len({(c.slug, p.page) for c in self.communities for p in c.pages
                               if not p.deleted}),
            "rows_upserted": sum(p.upserted for p in pages),
            "rows_tombstoned": sum(p.tombstoned for p in pages),
            "rows_pushed": sum(p.pushed for p in pages),
            "row_problems": sum(len(p.errors) for p in pages),
            "row_warnings": sum(len(p.problems) - len(p.errors) for p in pages),
            "conflicts": sum(len(p.conflicts) for p in pages),
            "refused_empty": sum(p.refused_empty for p in pages),
            "communities_refused_empty": sum(c.refused_empty for c in self.communities),
            "open_row_problems": sum(c.open_problems for c in self.communities),
            "drift": sum(len(p.drift) for p in pages),
            "notices_changed": len({p.page for p in pages
                                    if p.page_notice in ("written", "removed")}),
            "errors": sum(bool(c.error) for c in self.communities)
            + sum(bool(p.error) for p in pages),
        }

    def summary_line(self, exit_code: int | None = None, extra: Sequence[str] = ()) -> str:
        """One line for the operator: the counts, then ``extra`` words (what came after the
        sync: the watch's sources); ``exit_code``: the command's, when it differs from
        ``self.exit_code`` (the CLI maps a refused login to 2; the sources count too)."""
        c = self.counts()
        words = [f"{c['communities']} communit{'y' if c['communities'] == 1 else 'ies'}",
                 f"{c['pages_read']} pages read", f"{c['rows_upserted']} rows upserted",
                 f"{c['rows_tombstoned']} tombstoned", f"{c['rows_pushed']} pushed",
                 f"{c['row_problems']} row problems", f"{c['conflicts']} conflicts",
                 f"{c['errors']} errors"]
        if c["open_row_problems"] > c["row_problems"]:
            words.append(f"{c['open_row_problems']} row problems still open (`cop status`)")
        if c["row_warnings"]:
            words.append(f"{c['row_warnings']} row warnings")
        if c["refused_empty"]:
            words.append(f"{c['refused_empty']} empty pages refused")
        if c["communities_refused_empty"]:
            words.append(f"{c['communities_refused_empty']} empty communities refused")
        if c["drift"]:
            words.append(f"{c['drift']} drifted charter fields")
        if self.interrupted:
            left = sum(c.interrupted for c in self.communities)
            words.append(f"stopped (Ctrl-C): {left} communit{'y' if left == 1 else 'ies'} "
                         "left for the next run")
        if c["notices_changed"]:
            words.append(f"{c['notices_changed']} page notices updated")
        words += extra
        prefix = "cop-sync (dry run)" if self.dry_run else "cop-sync"
        code = self.exit_code if exit_code is None else exit_code
        return f"{prefix}: " + ", ".join(words) + f"; exit {code}"

    def to_dict(self, exit_code: int | None = None) -> dict[str, Any]:
        return {"started_at": self.started_at, "finished_at": self.finished_at,
                "dry_run": self.dry_run,
                "exit_code": self.exit_code if exit_code is None else exit_code,
                "interrupted": self.interrupted,
                "counts": self.counts(),
                "communities": [_community(c) for c in self.communities]}


def _community(outcome: CommunityOutcome) -> dict[str, Any]:
    return {"slug": outcome.slug, "error": outcome.error, "notices": outcome.notices,
            "watermark": outcome.watermark, "refused_empty": outcome.refused_empty,
            "open_row_problems": outcome.open_problems, "interrupted": outcome.interrupted,
            "pages": [_page(p) for p in outcome.pages]}


def _page(page: PageOutcome) -> dict[str, Any]:
    data = to_builtins(replace(page, latest=None))
    data.pop("latest")  # the page's content: not a report's business
    data["problems"] = [{**to_builtins(p), "text": str(p)} for p in page.problems]
    data["drift"] = {name: {"wiki": wiki, "records": ours}
                     for name, (wiki, ours) in page.drift.items()}
    return data
