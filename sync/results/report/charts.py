"""The HTML report's charts, drawn by matplotlib as SVG markup to inline in the page.

Why matplotlib: it draws offline into a string (``Figure`` + the SVG backend: no display, no
pyplot global state, no JavaScript, nothing fetched when the report is opened), text stays
text (``svg.fonttype = none``: small, selectable, read by the tests from the DOM), and its
output is stable (fixed hash salt, no date), so the same figures give the same file; no
metadata block is written.
Colours are the Okabe-Ito palette, told apart by colour-blind readers.

Every label that comes from members (names, profiles) has ``$`` escaped: matplotlib would
read text between two dollars as mathematics.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from datetime import date

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from page_templates.report import report_text
from sync.results.health.compute import add_months
from sync.results.health.model import CommunityHealth
from sync.results.report.document import profile_label
from sync.results.report.funnel_blocks import days_text

KIND_COLOURS = {"members": "#0072B2", "watch": "#E69F00", "references": "#009E73",
                "regulation": "#D55E00", "competition": "#CC79A7"}
OTHER_COLOURS = ("#56B4E9", "#F0E442", "#999999")
EDITS_COLOUR = "#000000"
MEMBERS_COLOUR, ACTIVE_COLOUR = "#0072B2", "#E69F00"
STATE_COLOURS = {"ok": "#009E73", "overdue": "#D55E00", "free": "#999999"}
STAGE_COLOURS = {"idea": "#56B4E9", "studied": "#0072B2", "proposed": "#E69F00",
                 "launched": "#009E73", "dropped": "#999999"}
_STYLE = {"svg.fonttype": "none", "svg.hashsalt": "cop-connector", "font.size": 10,
          "font.family": "sans-serif", "axes.spines.top": False, "axes.spines.right": False}
_SEQUENTIAL_ID = re.compile(r'id="([A-Za-z0-9_.]+_\d+)"')
# No <metadata> block: matplotlib's RDF names its site and Dublin Core URLs (nothing is
# fetched, but the report is meant to hold no http(s) address besides XML namespaces).
NO_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


def charts(health: CommunityHealth) -> dict[str, str]:
    """Chart name -> SVG markup: activity, profiles, contributors, freshness, and the
    ideas funnel when the community's subjects are tracked."""
    drawers: dict[str, Callable[[Axes, CommunityHealth], None]] = {
        "activity": _activity, "profiles": _profiles, "contributors": _contributors,
        "freshness": _freshness}
    if health.funnel.tracked:
        drawers["funnel"] = _funnel
    return {name: _svg(draw, health, f"{health.slug}-{name}")
            for name, draw in drawers.items()}


def portfolio_chart(healths: Sequence[CommunityHealth], lang: str) -> str:
    """The funnel of every community side by side (SVG markup)."""
    return _svg(lambda axes, _: _portfolio_funnel(axes, healths, lang), healths[0],
                "portfolio-funnel", size=(6.4, 0.6 + 0.45 * max(len(healths), 3)))


def _svg(draw: Callable[[Axes, CommunityHealth], None], health: CommunityHealth,
         prefix: str, size: tuple[float, float] = (6.4, 3.4)) -> str:
    with mpl.rc_context(_STYLE):
        figure = Figure(figsize=size)
        axes = figure.add_subplot()
        draw(axes, health)
        figure.tight_layout()
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata=NO_METADATA)
    markup = buffer.getvalue()
    markup = markup[markup.index("<svg"):]
    # matplotlib numbers its elements per figure ("patch_1"): made unique in the page.
    # Referenced ids (clip paths, markers) are content hashes: equal id, equal content.
    return _SEQUENTIAL_ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', markup)


def safe(label: str) -> str:
    """A label drawn as text, never as mathematics."""
    return label.replace("$", r"\$")


def _empty(axes: Axes, lang: str) -> None:
    axes.text(0.5, 0.5, report_text("chart_empty", lang), ha="center", va="center",
              transform=axes.transAxes, color="#666666")
    axes.set_xticks([])
    axes.set_yticks([])


def _activity(axes: Axes, h: CommunityHealth) -> None:
    """Stacked bars of row changes per kind, per week or month; wiki edits as a line."""
    buckets = h.timeline
    if not any(b.rows or b.edits for b in buckets):
        _empty(axes, h.lang)
        return
    positions = list(range(len(buckets)))
    bottom = [0] * len(buckets)
    for number, item in enumerate(h.activity):
        heights = [b.rows.get(item.kind, 0) for b in buckets]
        if any(heights):
            axes.bar(positions, heights, bottom=bottom, label=safe(item.title),
                     color=_kind_colour(item.kind, number))
            bottom = [x + y for x, y in zip(bottom, heights, strict=True)]
    axes.plot(positions, [b.edits for b in buckets], color=EDITS_COLOUR, marker="o",
              markersize=3, linewidth=1.2, label=report_text("edits", h.lang))
    labels = [b.start[:7] if h.monthly else b.start[5:] for b in buckets]
    step = max(1, len(labels) // 12)
    axes.set_xticks(positions[::step], labels[::step], rotation=45, ha="right")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)


def _kind_colour(kind: str, number: int) -> str:
    return KIND_COLOURS.get(kind, OTHER_COLOURS[number % len(OTHER_COLOURS)])


def _profiles(axes: Axes, h: CommunityHealth) -> None:
    """Members and active contributors per profile, side by side."""
    figures = h.profiles
    if not figures:
        _empty(axes, h.lang)
        return
    positions = list(range(len(figures)))
    axes.bar([p - 0.2 for p in positions], [f.members for f in figures], width=0.4,
             color=MEMBERS_COLOUR, label=report_text("members", h.lang))
    axes.bar([p + 0.2 for p in positions], [f.active for f in figures], width=0.4,
             color=ACTIVE_COLOUR, label=report_text("active", h.lang))
    axes.set_xticks(positions, [safe(profile_label(f.profile, h.lang)) for f in figures],
                    rotation=20, ha="right")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)


def _contributors(axes: Axes, h: CommunityHealth) -> None:
    """Edits per contributor, most active on top."""
    people = list(h.contributors[:12])[::-1]
    if not people:
        _empty(axes, h.lang)
        return
    axes.barh(range(len(people)), [c.edits for c in people], color=KIND_COLOURS["references"])
    axes.set_yticks(range(len(people)), [safe(_who(c.name, c.profile, h.lang))
                                         for c in people])
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.set_xlabel(report_text("edits", h.lang))


def _who(name: str, profile: str, lang: str) -> str:
    return f"{name} · {profile_label(profile, lang)}"


def _freshness(axes: Axes, h: CommunityHealth) -> None:
    """Months since each page was last reviewed, coloured by state, with its period."""
    items = [f for f in h.freshness if f.last_reviewed or f.due]
    if not items:
        _empty(axes, h.lang)
        return
    today = date.fromisoformat(h.as_of)
    ages = [_months_between(_reviewed(f.last_reviewed, f.due, f.months), today) for f in items]
    rows = range(len(items))
    axes.barh(rows, ages, color=[STATE_COLOURS[f.state] for f in items])
    periods = [(row, f.months) for row, f in zip(rows, items, strict=True) if f.months]
    if periods:
        axes.scatter([m for _, m in periods], [r for r, _ in periods], marker="|", s=300,
                     color=EDITS_COLOUR, label=report_text("chart_period", h.lang), zorder=3)
        axes.legend(fontsize=8, frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0))
    axes.set_yticks(list(rows), [safe(f.title) for f in items])
    axes.set_xlabel(report_text("chart_months", h.lang))


def _reviewed(last: str | None, due: str | None, months: int | None) -> date:
    """When the review clock started: the last review, else the community's creation."""
    if last:
        return date.fromisoformat(last)
    assert due is not None and months is not None
    return add_months(date.fromisoformat(due), -months)


def _months_between(start: date, end: date) -> float:
    return max(0.0, (end - start).days / 30.44)


def _funnel(axes: Axes, h: CommunityHealth) -> None:
    """Subjects at each stage, the funnel from the top; the median days there beside."""
    stages = h.funnel.stages
    if not any(s.count for s in stages):
        _empty(axes, h.lang)
        return
    rows = list(range(len(stages)))[::-1]  # the first stage on top
    counts = [s.count for s in stages]
    axes.barh(rows, counts, color=[STAGE_COLOURS[s.stage] for s in stages])
    for row, stage in zip(rows, stages, strict=True):
        days = "" if stage.median_days is None else "   (" + report_text(
            "chart_days", h.lang, days=days_text(stage.median_days)) + ")"
        axes.text(stage.count, row, f" {stage.count}{days}", va="center", fontsize=9)
    axes.set_yticks(rows, [safe(report_text(f"stage_{s.stage}", h.lang)) for s in stages])
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.set_xlim(0, max(counts) * 1.35 + 1)
    axes.set_xlabel(report_text("subjects", h.lang))


def _portfolio_funnel(axes: Axes, healths: Sequence[CommunityHealth], lang: str) -> None:
    """A stacked bar per community: its subjects at each stage."""
    tracked = [h for h in healths if h.funnel.tracked][::-1]
    if not any(h.funnel.total for h in tracked):
        _empty(axes, lang)
        return
    rows = list(range(len(tracked)))
    left = [0] * len(tracked)
    for i, stage in enumerate(tracked[0].funnel.stages):
        widths = [h.funnel.stages[i].count for h in tracked]
        axes.barh(rows, widths, left=left, color=STAGE_COLOURS[stage.stage],
                  label=report_text(f"stage_{stage.stage}", lang))
        left = [x + y for x, y in zip(left, widths, strict=True)]
    axes.set_yticks(rows, [safe(h.name) for h in tracked])
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.set_xlabel(report_text("subjects", lang))
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)


def palette(names: Sequence[str]) -> list[str]:
    """The colours the activity chart gives these kinds (for tests and the legend)."""
    return [_kind_colour(name, n) for n, name in enumerate(names)]
