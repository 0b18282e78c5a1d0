"""The HTML report as a person sees it: opened in headless Chromium (Debian's chromium
package, installed by scripts/setup), its DOM read back and a screenshot taken; the charts
must be there and drawn. ``COP_UPDATE_SCREENSHOT=1`` also refreshes the picture of
docs/results.md, docs/report-screenshot.png.

The report's data is simulated (tests/report_demo.py: three months of rows and edits
written into the records with their times); what is tested is the report itself.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from PIL import Image
from report_demo import build, dump_dom, report, screenshot

ROOT = Path(__file__).resolve().parents[2]
# The charts' colours (sync/results/report/charts.py): kinds, members/active, contributors, states.
PALETTE = {"blue": (0x00, 0x72, 0xB2), "orange": (0xE6, 0x9F, 0x00),
           "green": (0x00, 0x9E, 0x73), "vermillion": (0xD5, 0x5E, 0x00),
           "pink": (0xCC, 0x79, 0xA7), "sky": (0x56, 0xB4, 0xE9)}  # sky: the funnel's ideas
WIDTH, HEIGHT = 1280, 6400


def colour_counts(png: Path) -> dict[str, int]:
    """Pixels of each palette colour (exact: bars are flat fills)."""
    with Image.open(png) as image:
        colours = image.convert("RGB").getcolors(maxcolors=WIDTH * HEIGHT) or []
    wanted = {rgb: name for name, rgb in PALETTE.items()}
    found = dict.fromkeys(PALETTE, 0)
    for count, rgb in colours:
        if rgb in wanted:
            found[wanted[rgb]] += count
    return found


@pytest.fixture
def page(tmp_path: Path) -> Path:
    records = build(tmp_path / "cop.db")
    target = tmp_path / "report.html"
    target.write_text(report(records, ["batterie", "hydrogen"], "fr"), encoding="utf-8")
    records.close()
    return target


def test_the_report_needs_no_network(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.find_all(["script", "link", "img", "iframe", "object"])
    assert not re.search(r"""(src|href)\s*=\s*["'](https?:)?//""", html)
    assert "@import" not in html and "url(http" not in html
    assert "default-src 'none'" in html  # and the browser is told to fetch nothing


def test_chromium_renders_the_charts(page: Path, tmp_path: Path) -> None:
    dom = BeautifulSoup(dump_dom(page), "html.parser")
    figures = dom.select("figure.chart")
    assert len(figures) == 11  # five per community (the fifth: the ideas funnel), the portfolio's
    funnel = dom.select_one("#chart-batterie-funnel")
    assert funnel is not None and "Entonnoir des idées" in funnel.get_text()
    assert {"Idée", "Étudiée", "Proposée", "Lancée", "Abandonnée"} <= {
        t.get_text() for t in funnel.find_all("text")}
    portfolio = dom.select_one("#portfolio-ideas")
    assert portfolio is not None and "Forklift refuelling" in portfolio.get_text()  # a match
    for figure in figures:
        svg = figure.find("svg")
        assert svg is not None, figure.get("id")
        assert len(svg.find_all("path")) >= 5 and svg.find_all("text")
    lively = dom.select_one("#community-batterie")
    assert lively is not None and lively.get("lang") == "fr"
    assert "Activité par semaine" in lively.get_text()
    fading = dom.select_one("#community-hydrogen")
    assert fading is not None and "Fading: no contribution since" in fading.get_text()
    assert "Regulation: not reviewed since" in fading.get_text()

    drawn = tmp_path / "report.png"
    screenshot(page, drawn, WIDTH, HEIGHT)
    counts = colour_counts(drawn)
    assert min(counts.values()) > 300, counts  # every chart colour is on screen

    blank = tmp_path / "blank.html"  # the same page without its charts
    blank.write_text(re.sub(r"<svg.*?</svg>", "", page.read_text(encoding="utf-8"),
                            flags=re.S), encoding="utf-8")
    screenshot(blank, tmp_path / "blank.png", WIDTH, HEIGHT)
    assert max(colour_counts(tmp_path / "blank.png").values()) < 50  # they came from charts


def test_readme_screenshot(tmp_path: Path) -> None:
    """The README's picture: the French community's report, top of the page."""
    records = build(tmp_path / "cop.db")
    page = tmp_path / "batterie.html"
    page.write_text(report(records, ["batterie"], "fr"), encoding="utf-8")
    records.close()
    png = tmp_path / "report-screenshot.png"
    screenshot(page, png, 1280, 1300)
    assert colour_counts(png)["orange"] > 300
    if os.environ.get("COP_UPDATE_SCREENSHOT") == "1":
        (ROOT / "docs").mkdir(exist_ok=True)
        shutil.copyfile(png, ROOT / "docs" / "report-screenshot.png")
