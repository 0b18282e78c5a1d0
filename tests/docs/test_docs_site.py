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

ROOT = Path(__file__).resolve().parents[2]
MKDOCS = Path(sys.executable).with_name("mkdocs")

pytestmark = [
    pytest.mark.skipif(not MKDOCS.exists(), reason="MkDocs is not installed (the docs extra)"),
    pytest.mark.slow,
]


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    for name in ("mkdocs.yml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def _build(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run([str(MKDOCS), "build", "--strict", "--site-dir", str(tree / "site")],
                          cwd=tree, env=env, capture_output=True, text=True, check=False)


def test_the_site_builds_strictly_and_fetches_nothing(tmp_path: Path) -> None:
    tree = _copy(tmp_path)
    result = _build(tree)
    assert result.returncode == 0, result.stderr
    pages = sorted((tree / "site").glob("*.html"))
    assert {page.stem for page in pages} >= {
        "index", "members", "innovation-manager", "method", "templates", "results",
        "operator", "confluence", "configuration", "cli", "design", "benchmark"}
    for page in pages:
        html = page.read_text(encoding="utf-8")
        # no stylesheet, script or font from elsewhere: the site reads offline
        for tag in re.findall(r"<(?:script|link)\b[^>]*>", html):
            assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", tag), (page, tag)
    home = (tree / "site" / "index.html").read_text(encoding="utf-8")
    assert "community of practice" in home  # README.md's summary, included
    assert "--8&lt;--" not in home


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
