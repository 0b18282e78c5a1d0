"""The HTML report: one self-contained file (styles and SVG charts inline, no script, no
font, no image fetched: a Content-Security-Policy forbids the page any request), in each
community's language. The figures are the same tables as the other outputs
(sync/results/report/document.py); the charts come from sync/results/report/charts.py (matplotlib).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from page_templates.report import (
    Block,
    Bullets,
    Cell,
    Heading,
    Link,
    Paragraph,
    Table,
    report_text,
)
from sync.results.health.model import CommunityHealth
from sync.results.report.document import (
    actions_block,
    activity_table,
    alerts_block,
    contributors_table,
    freshness_table,
    portfolio_table,
    profiles_table,
)
from sync.results.report.funnel_blocks import (
    funnel_table,
    ideas_blocks,
    portfolio_funnel,
    portfolio_handover,
    portfolio_matches,
    portfolio_seminars,
)

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
STYLE = """
body { font-family: system-ui, "DejaVu Sans", Arial, sans-serif; margin: 2rem auto;
       max-width: 1100px; color: #1b1b1b; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2.5rem; border-bottom:
2px solid #1f4e79; padding-bottom: .2rem; } h3 { margin-top: 1.6rem; }
.period, .generated { color: #555; }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; margin: 1rem 0; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: .6rem .9rem; min-width: 8rem; }
.card .value { font-size: 1.5rem; font-weight: bold; } .card .label { color: #555; }
.alerts li { color: #a33a00; } .ok { color: #00704f; }
.ideas .alerts li, .portfolio-ideas .alerts li { color: inherit; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr));
          gap: 1rem; }
figure.chart { margin: 0; border: 1px solid #eee; border-radius: 6px; padding: .5rem; }
figure.chart svg { width: 100%; height: auto; display: block; }
figcaption { font-weight: bold; margin-bottom: .3rem; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #ddd; padding: .25rem .6rem; text-align: left; }
td.number { text-align: right; } th { background: #f3f6f9; }
"""
CHART_TITLES = {"activity": "chart_activity", "profiles": "chart_profiles",
                "contributors": "chart_contributors", "freshness": "chart_freshness",
                "funnel": "chart_funnel"}


def html_report(healths: Sequence[CommunityHealth], lang: str, generated: str) -> str:
    """The whole report: the portfolio table when there are several communities, then a
    section per community (numbers, alerts, four charts, tables)."""
    title = report_text("report_title", lang)
    parts = [f"<h1>{escape(title)}</h1>",
             f'<p class="generated">{escape(report_text("generated", lang, date=generated))}</p>']
    if len(healths) > 1:
        parts.append(_table(portfolio_table(healths, lang, {})))
        parts.append(_portfolio_ideas(healths, lang))
    parts += [_community(h) for h in healths]
    return (f'<!DOCTYPE html>\n<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            + "\n".join(parts) + "\n</body>\n</html>\n")


def _community(h: CommunityHealth) -> str:
    from sync.results.report.charts import charts  # noqa: PLC0415 - matplotlib takes 0.3 s to import:
    # only the HTML report pays for it, not every `cop` command

    def text(key: str, **values: object) -> str:
        return escape(report_text(key, h.lang, **values))

    drawn = charts(h)
    figures = "".join(
        f'<figure class="chart" id="chart-{escape(h.slug)}-{name}">'
        f"<figcaption>{text(_chart_title(name, h))}</figcaption>{drawn[name]}</figure>"
        for name in CHART_TITLES if name in drawn)
    sections = [(text("section_alerts"), alerts_block(h)),
                (text("section_activity"), activity_table(h)),
                (text("section_profiles"), profiles_table(h)),
                (text("section_contributors"), contributors_table(h)),
                (text("section_freshness"), freshness_table(h)),
                (text("section_actions"), actions_block(h))]
    body = "".join(f"<h3>{title}</h3>{_block(block)}" for title, block in sections[:1])
    body += f'<h3>{text("section_charts")}</h3><div class="charts">{figures}</div>'
    body += "".join(f"<h3>{title}</h3>{_block(block)}" for title, block in sections[1:])
    if h.funnel.tracked:
        body += (f'<h3>{text("section_ideas")}</h3><div class="ideas">{_block(funnel_table(h))}'
                 + "".join(_block(block) for block in ideas_blocks(h)) + "</div>")
    return (f'<section class="community" id="community-{escape(h.slug)}" '
            f'lang="{escape(h.lang)}"><h2>{escape(h.name)}</h2>'
            f'<p class="period">{text("period", since=h.since, until=h.until)}</p>'
            f"{_cards(h)}{body}</section>")


def _portfolio_ideas(healths: Sequence[CommunityHealth], lang: str) -> str:
    """The funnel of every community (a chart and a table), the hand-over, the matches
    across communities and what the seminars produced."""
    from sync.results.report.charts import portfolio_chart  # noqa: PLC0415 - as in _community

    if not any(h.funnel.tracked for h in healths):
        return ""

    def text(key: str) -> str:
        return escape(report_text(key, lang))

    figure = (f'<figure class="chart" id="chart-portfolio-funnel"><figcaption>'
              f'{text("chart_portfolio_funnel")}</figcaption>'
              f"{portfolio_chart(healths, lang)}</figure>")
    tables = [("", portfolio_funnel(healths, lang, lambda h: h.name)),
              (text("handover"), portfolio_handover(healths, lang)),
              (text("matches_title"), portfolio_matches(healths, lang)),
              (text("seminars_title"), portfolio_seminars(healths, lang))]
    body = "".join((f"<h3>{title}</h3>" if title else "") + _block(block)
                   for title, block in tables)
    return (f'<section class="portfolio-ideas" id="portfolio-ideas"><h2>'
            f'{text("section_ideas")}</h2><div class="charts">{figure}</div>{body}</section>')


def _chart_title(name: str, h: CommunityHealth) -> str:
    if name == "activity" and h.monthly:
        return "chart_activity_month"
    return CHART_TITLES[name]


def _cards(h: CommunityHealth) -> str:
    figures = [("members", h.members), ("active", h.active), ("edits", h.edits),
               ("added", h.added), ("updated", h.updated),
               ("last_contribution", h.last_contribution or report_text("never", h.lang))]
    cards = "".join(f'<div class="card"><div class="value">{escape(str(value))}</div>'
                    f'<div class="label">{escape(report_text(key, h.lang))}</div></div>'
                    for key, value in figures)
    return f'<div class="cards">{cards}</div>'


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        return f"<h3>{escape(block.text)}</h3>"
    if isinstance(block, Paragraph):
        return f"<p>{escape(block.text)}</p>"
    if isinstance(block, Bullets):
        items = "".join(f"<li>{escape(item)}</li>" for item in block.items)
        return f'<ul class="alerts">{items}</ul>'
    return _table(block)


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in table.headers)
    rows = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in table.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _cell(cell: Cell) -> str:
    text = cell.label if isinstance(cell, Link) else cell
    css = ' class="number"' if text.isdigit() else ""
    return f"<td{css}>{escape(text)}</td>"
