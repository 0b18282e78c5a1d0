"""The documentation site builds strictly (`mkdocs build --strict`, as `scripts/docs build` and
CI do), offline, and a broken link, a missing anchor or a page left out of the navigation fails
the build: shown on a copy of the docs with one such mistake each."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[2]
MKDOCS = Path(sys.executable).with_name("mkdocs")
markdown = pytest.importorskip("markdown", reason="MkDocs is not installed (the docs extra)")

pytestmark = [
    pytest.mark.skipif(not MKDOCS.exists(), reason="MkDocs is not installed (the docs extra)"),
    pytest.mark.slow,
]


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    for name in ("mkdocs.yml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def _build(tree: Path, *, offline: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [str(MKDOCS), "build", "--strict", "--site-dir", str(tree / "site")]
    if offline:
        command = ["unshare", "--net", *command]
    return subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True,
                          check=False)


def _can_cut_the_network() -> bool:
    """Whether this machine lets us run a command with no network (root, or user
    namespaces): then the build is shown to fetch nothing by having nothing to fetch from."""
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The docs built once, strictly, from a copy of the tree; without a network where
    the machine allows it."""
    tree = _copy(tmp_path_factory.mktemp("docs"))
    result = _build(tree, offline=_can_cut_the_network())
    assert result.returncode == 0, result.stderr
    return tree / "site"


def test_the_site_builds_strictly_and_fetches_nothing(site: Path) -> None:
    pages = sorted(site.glob("*.html"))
    assert {page.stem for page in pages} >= {
        "index", "members", "innovation-manager", "method", "templates", "results",
        "operator", "confluence", "configuration", "cli", "design", "benchmark"}
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        # no stylesheet, script or font from elsewhere: the site reads offline
        for tag in soup.find_all(["script", "link", "img"]):
            address = tag.get("src") or tag.get("href") or ""
            assert not re.match(r"^(?:[a-z]+:)?//", address), (page.name, str(tag))
    home = BeautifulSoup((site / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert "community of practice" in home.get_text()  # README.md's summary, included
    assert "--8<--" not in home.get_text()


@pytest.mark.parametrize(("mistake", "warning"), [
    (lambda docs: _append(docs / "members.md", "See [the rules](no-such-page.md)."),
     "no-such-page.md"),
    (lambda docs: _append(docs / "members.md", "See [the lock](operator.md#no-such-anchor)."),
     "no-such-anchor"),
    (lambda docs: (docs / "orphan.md").write_text("# Not in the nav\n", encoding="utf-8"),
     "orphan.md"),
])
def test_a_broken_link_fails_the_build(tmp_path: Path, mistake, warning: str) -> None:
    tree = _copy(tmp_path)
    mistake(tree / "docs")
    result = _build(tree)
    assert result.returncode != 0
    assert warning in result.stderr


def _append(page: Path, text: str) -> None:
    page.write_text(page.read_text(encoding="utf-8") + f"\n{text}\n", encoding="utf-8")


def test_the_readme_links_lead_somewhere(site: Path) -> None:
    """README.md is not part of the site, so MkDocs does not check its links: each one
    that stays in the repository names a file that exists, and an anchor into a page of
    docs/ is an id of that page on the built site."""
    html = markdown.markdown((ROOT / "README.md").read_text(encoding="utf-8"))
    links = [a["href"] for a in BeautifulSoup(html, "html.parser").find_all("a", href=True)]
    links += [img["src"] for img in BeautifulSoup(html, "html.parser").find_all("img")]
    local = [link for link in links if not re.match(r"^[a-z]+:", link)]
    assert len(local) > 10
    for link in local:
        path, _, anchor = link.partition("#")
        assert (ROOT / path).exists(), link
        if anchor:
            page = site / Path(path).relative_to("docs").with_suffix(".html")
            ids = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
            assert ids.find(id=anchor) is not None, link
