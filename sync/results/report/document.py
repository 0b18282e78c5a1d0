"""The figures of community health as tables of text, and the published pages as documents
(page_templates.report): one place decides what each table shows, in the reader's language,
and every output (Markdown, HTML, wikitext, Confluence storage) renders the same tables.

Only figures go into the published pages, never the time they were made: the same records
give the same page, so publishing again with nothing new writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from page_templates import localize
from page_templates.report import (
    Block,
    Bullets,
    Cell,
    Heading,
    Link,
    Paragraph,
    Table,
    fill,
    page_template,
    profile_display,
    report_text,
)
from sync.results.health.model import NO_PROFILE, UNKNOWN, CommunityHealth, counted_text
from sync.results.report.funnel_blocks import (
    funnel_table,
    ideas_blocks,
    portfolio_funnel,
    portfolio_handover,
    portfolio_matches,
    portfolio_seminars,
)

CONTRIBUTORS_SHOWN = 15  # on pages and in digests; the JSON report has them all


def results_title(lang: str) -> str:
    """The title of a community's results page ("Results" / "Résultats")."""
    return localize(page_template("results").title, lang)


def portfolio_title(lang: str) -> str:
    return localize(page_template("portfolio").title, lang)


def results_document(health: CommunityHealth) -> list[Block]:
    """A community's results page, from the "results" template, in its language."""
    lang = health.lang
    values = {"name": health.name, "since": health.since, "until": health.until}
    tables: Mapping[str, Callable[[], Block | list[Block]]] = {
        "summary": lambda: summary_table(health), "activity": lambda: activity_table(health),
        "profiles": lambda: profiles_table(health),
        "contributors": lambda: contributors_table(health),
        "freshness": lambda: freshness_table(health), "actions": lambda: actions_block(health),
        "funnel": lambda: funnel_table(health), "ideas": lambda: ideas_blocks(health)}
    return _from_template("results", lang, values, tables, lambda: alerts_block(health))


def portfolio_document(healths: Sequence[CommunityHealth], lang: str,
                       links: Mapping[str, Link]) -> list[Block]:
    """The sponsor's roll-up page: every community side by side, then their alerts."""
    since = min((h.since for h in healths), default="")
    until = max((h.until for h in healths), default="")
    values = {"since": since, "until": until}
    tables: Mapping[str, Callable[[], Block | list[Block]]] = {
        "portfolio": lambda: portfolio_table(healths, lang, links),
        "portfolio_funnel": lambda: portfolio_funnel(
            healths, lang, lambda h: _named(h, lang, links.get(h.slug))),
        "portfolio_handover": lambda: portfolio_handover(healths, lang),
        "portfolio_matches": lambda: portfolio_matches(healths, lang),
        "portfolio_seminars": lambda: portfolio_seminars(healths, lang)}
    return _from_template("portfolio", lang, values, tables,
                          lambda: portfolio_alerts(healths, lang))


def _from_template(name: str, lang: str, values: Mapping[str, str],
                   tables: Mapping[str, Callable[[], Block | list[Block]]],
                   alerts: Callable[[], Block]) -> list[Block]:
    blocks: list[Block] = []
    for block in page_template(name).blocks:
        if block.type == "heading":
            blocks.append(Heading(fill(localize(block.text, lang), **values)))
        elif block.type == "paragraph":
            blocks.append(Paragraph(fill(localize(block.text, lang), **values)))
        elif block.type == "alerts":
            blocks.append(alerts())
        elif block.table in tables:
            found = tables[block.table]()
            blocks += found if isinstance(found, list) else [found]
    return blocks


# --- tables -----------------------------------------------------------------------------------

def summary_table(h: CommunityHealth) -> Table:
    t = _texts(h.lang)
    rows = [(t("members"), str(h.members)), (t("active"), str(h.active)),
            (t("cross_functional"), t("yes") if h.cross_functional else t("no")),
            (t("edits"), str(h.edits)), (t("added"), str(h.added)),
            (t("updated"), str(h.updated)), (t("removed"), str(h.removed)),
            (t("last_contribution"), h.last_contribution or t("never"))]
    return Table(("", ""), tuple(rows))


def activity_table(h: CommunityHealth) -> Table:
    t = _texts(h.lang)
    rows = [(a.title, str(a.added), str(a.updated), str(a.removed), str(a.edits))
            for a in h.activity]
    return Table((t("page"), t("added"), t("updated"), t("removed"), t("edits")), tuple(rows))


def profiles_table(h: CommunityHealth) -> Table:
    t = _texts(h.lang)
    rows = [(profile_label(p.profile, h.lang), str(p.members), str(p.active))
            for p in h.profiles]
    return Table((t("profile"), t("members"), t("active")), tuple(rows))


def contributors_table(h: CommunityHealth) -> Table:
    t = _texts(h.lang)
    rows = [(c.name, profile_label(c.profile, h.lang), str(c.edits), c.last)
             for c in h.contributors[:CONTRIBUTORS_SHOWN]]
    if len(h.contributors) > CONTRIBUTORS_SHOWN:
        rows.append((t("more", count=len(h.contributors) - CONTRIBUTORS_SHOWN), "", "", ""))
    return Table((t("contributor"), t("profile"), t("edits"), t("last_edit")), tuple(rows))


def freshness_table(h: CommunityHealth) -> Table:
    t = _texts(h.lang)
    rows = [(f.title, f.last_reviewed or t("never"),
             counted_text("months", h.lang, f.months) if f.months else "", f.due or "",
             t(f"state_{f.state}")) for f in h.freshness]
    return Table((t("page"), t("last_review"), t("review_period"), t("due"), t("state")),
                 tuple(rows))


def actions_block(h: CommunityHealth) -> Block:
    t = _texts(h.lang)
    if not h.actions.tracked:
        return Paragraph(t("actions_missing"))
    rows = [(t("actions_open"), str(h.actions.open)),
            (t("actions_overdue"), str(len(h.actions.overdue)))]
    return Table(("", ""), tuple(rows))


def alerts_block(h: CommunityHealth) -> Block:
    if h.archived:
        return Paragraph(report_text("archived_note", h.lang))
    if not h.alerts:
        return Paragraph(report_text("no_alert", h.lang))
    return Bullets(tuple(alert.message(h.lang) for alert in h.alerts))


def portfolio_table(healths: Sequence[CommunityHealth], lang: str,
                    links: Mapping[str, Link]) -> Table:
    t = _texts(lang)
    rows: list[tuple[Cell, ...]] = []
    for h in healths:
        required = len(h.required_profiles)
        present = required - len(h.missing_profiles)
        rows.append((_named(h, lang, links.get(h.slug)), str(h.members), str(h.active),
                     f"{present}/{required}", str(h.edits), str(h.added), str(h.updated),
                     h.last_contribution or t("never"), str(len(h.alerts))))
    headers = (t("community"), t("members"), t("active"), t("required_profiles"), t("edits"),
               t("added"), t("updated"), t("last_contribution"), t("alerts"))
    return Table(headers, tuple(rows))


def _named(h: CommunityHealth, lang: str, link: Link | None) -> Cell:
    """The community's cell in the portfolio: its name (linked), marked when archived."""
    label = link.label if link else h.name
    if h.archived:
        label = report_text("archived_mark", lang, name=label)
    return Link(link.space, link.title, label) if link else label


def portfolio_alerts(healths: Sequence[CommunityHealth], lang: str) -> Block:
    items = tuple(f"{h.name}: {alert.message(lang)}" for h in healths for alert in h.alerts)
    return Bullets(items) if items else Paragraph(report_text("no_alert", lang))


def profile_label(profile: str, lang: str) -> str:
    if profile == NO_PROFILE:
        return report_text("no_profile", lang)
    if profile == UNKNOWN:
        return report_text("unknown_profile", lang)
    return profile_display(profile, lang)


def _texts(lang: str) -> Callable[..., str]:
    def text(key: str, **values: object) -> str:
        return report_text(key, lang, **values)
    return text
