"""The ideas funnel as document blocks (tables, lists), in the reader's language: one
place decides what the funnel shows, and every output (Markdown, HTML, the published
results and portfolio pages) renders the same blocks (see document.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from page_templates.report import Block, Bullets, Paragraph, Table, report_text
from sync.results.funnel.compute import ORDER
from sync.results.funnel.model import Funnel, Match, SubjectLine
from sync.results.health.model import CommunityHealth, counted_text

LISTED = 12  # subjects shown per list on pages and in digests (JSON has them all)


def stage_label(stage: str, lang: str) -> str:
    return report_text(f"stage_{stage}", lang)


def funnel_table(h: CommunityHealth) -> Block:
    """Stage, subjects now, reached in the period, days there (median)."""
    t = _texts(h.lang)
    if not h.funnel.tracked:
        return Paragraph(t("ideas_untracked"))
    rows = [(stage_label(s.stage, h.lang), str(s.count), str(s.entered),
             days_text(s.median_days)) for s in h.funnel.stages]
    return Table((t("stage"), t("subjects"), t("entered"), t("median_days")), tuple(rows))


def ideas_blocks(h: CommunityHealth) -> list[Block]:
    """The summary, then what was launched, dropped, proposed, unanswered, unasked, the
    matches and what the seminars produced (lists only where there is something)."""
    f, lang = h.funnel, h.lang
    t = _texts(lang)
    if not f.tracked:
        return []
    if not f.total:
        return [Paragraph(t("ideas_none")), *_seminars(f, lang)]
    blocks: list[Block] = [Paragraph(counted_text("ideas_summary", lang, f.total,
                                                  raised=f.raised,
                                                  last=f.last_raised or t("never")))]
    if f.median_days_to_launch is not None:
        blocks.append(Paragraph(t("to_launch", days=days_text(f.median_days_to_launch))))
    lists: Sequence[tuple[str, Sequence[SubjectLine], Callable[[SubjectLine], str]]] = (
        ("launched_list", f.launched, lambda s: _launched(s, lang)),
        ("handover_list", f.handover, lambda s: _proposed(s, lang)),
        ("dropped_list", f.dropped, lambda s: t("dropped_item", title=s.title,
                                                 reason=s.reason or t("no_reason"))),
        ("unanswered_list", f.unanswered, lambda s: s.title),
        ("unasked_list", f.unasked, lambda s: s.title))
    for key, lines, say in lists:
        blocks += _listed(t(key), [say(s) for s in lines], lang)
    blocks += _listed(t("matches_list"), [match_text(m, lang) for m in f.matches], lang)
    return blocks + _seminars(f, lang)


def match_text(match: Match, lang: str) -> str:
    """One match and why it was made."""
    t = _texts(lang)
    why = []
    if match.keywords:
        why.append(t("match_keywords", keywords=", ".join(match.keywords)))
    if match.entries:
        why.append(t("match_entries", entries=", ".join(match.entries)))
    if match.across:
        why.append(t("match_across"))
    return t("match_item", need=match.need.title, need_community=match.need.community_name,
             capability=match.capability.title,
             capability_community=match.capability.community_name,
             why=t("match_sep").join(why))


def _launched(s: SubjectLine, lang: str) -> str:
    return report_text("launched_item", lang, title=s.title,
                       project=s.project or report_text("no_project", lang), date=s.since)


def _proposed(s: SubjectLine, lang: str) -> str:
    return report_text("handover_item", lang, title=s.title, date=s.since,
                       owner=s.owner or report_text("nobody", lang))


def _listed(title: str, items: Sequence[str], lang: str) -> list[Block]:
    if not items:
        return []
    shown = list(items[:LISTED])
    if len(items) > LISTED:
        shown.append(report_text("more", lang, count=len(items) - LISTED))
    return [Paragraph(title), Bullets(tuple(shown))]


def _seminars(f: Funnel, lang: str) -> list[Block]:
    """Each seminar workshop of the community and the subjects it raised."""
    if not f.workshops:
        return []
    t = _texts(lang)
    rows = [(str(w.year), w.workshop, str(len(w.subjects)),
             str(sum(s.status == "launched" for s in w.subjects)),
             "; ".join(f"{s.title} ({stage_label(s.status, lang).lower()})"
                       for s in w.subjects[:LISTED]))
            for w in f.workshops]
    return [Paragraph(t("seminars_list")),
            Table((t("seminar"), t("workshop"), t("subjects"), t("launched_count"),
                   t("workshop_subjects")), tuple(rows))]


# --- the portfolio ------------------------------------------------------------------------------

def portfolio_funnel(healths: Sequence[CommunityHealth], lang: str,
                     name: Callable[[CommunityHealth], object]) -> Table:
    """A line per community: its subjects at each stage and those raised in the period;
    ``name`` gives the community's cell (a link on published pages)."""
    t = _texts(lang)
    tracked = [h for h in healths if h.funnel.tracked]
    rows = [(name(h), *(str(s.count) for s in h.funnel.stages), str(h.funnel.raised))
            for h in tracked]
    totals = [str(sum(h.funnel.stages[i].count for h in tracked)) for i in range(len(ORDER))]
    if len(tracked) > 1:
        rows.append((t("total"), *totals, str(sum(h.funnel.raised for h in tracked))))
    headers = (t("community"), *(stage_label(s, lang) for s in ORDER), t("raised"))
    return Table(headers, tuple(rows))  # type: ignore[arg-type]


def portfolio_handover(healths: Sequence[CommunityHealth], lang: str) -> Block:
    t = _texts(lang)
    lines = sorted((s for h in healths for s in h.funnel.handover),
                   key=lambda s: (s.since, s.community_name))
    if not lines:
        return Paragraph(t("none_waiting"))
    rows = [(s.community_name, s.title, s.owner, s.since) for s in lines]
    return Table((t("community"), t("subject"), t("owner"), t("proposed_on")), tuple(rows))


def portfolio_matches(healths: Sequence[CommunityHealth], lang: str) -> Block:
    """The matches across communities, each once."""
    found = unique_matches(m for h in healths for m in h.funnel.matches if m.across)
    if not found:
        return Paragraph(report_text("no_match", lang))
    return Bullets(tuple(match_text(m, lang) for m in found))


def unique_matches(matches: Iterable[Match]) -> list[Match]:
    seen: dict[tuple[str, str, str, str], Match] = {}
    for m in matches:
        seen.setdefault((m.need.community, m.need.key, m.capability.community,
                         m.capability.key), m)
    return list(seen.values())


def portfolio_seminars(healths: Sequence[CommunityHealth], lang: str) -> Block:
    """Per seminar and community's workshop: the subjects raised, those launched."""
    t = _texts(lang)
    rows = sorted(((str(w.year), h.name, w.workshop, str(len(w.subjects)),
                    str(sum(s.status == "launched" for s in w.subjects)))
                   for h in healths for w in h.funnel.workshops),
                  key=lambda r: (r[0], r[1].casefold(), r[2].casefold()))
    if not rows:
        return Paragraph(t("no_workshop"))
    return Table((t("seminar"), t("community"), t("workshop"), t("subjects"),
                  t("launched_count")), tuple(rows))


def days_text(value: float | None) -> str:
    """Days as shown: one decimal under ten days, whole days beyond."""
    if value is None:
        return "\u2013"  # an en dash: no stay measured
    return f"{value:g}" if value < 10 else str(round(value))


def _texts(lang: str) -> Callable[..., str]:
    def text(key: str, **values: object) -> str:
        return report_text(key, lang, **values)
    return text
