"""The layers are enforced, not just drawn: `lint-imports` keeps the contracts of
pyproject.toml on the real tree, and fails on a deliberate upward import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("sync", "connector", "page_templates")

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed")


def _tree(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINT), "--no-cache"], cwd=tree, env=env,
                          capture_output=True, text=True, check=False)


def _add_import(module: Path, line: str) -> None:
    module.write_text(module.read_text() + f"\n{line}  # a deliberate upward import\n")


def test_the_tree_keeps_every_contract(tmp_path: Path) -> None:
    result = _lint(_tree(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("page_templates/values.py", "import connector.errors", "sync over connector over"),
    ("connector/base.py", "import sync.clock", "sync over connector over"),
    ("sync/records/store.py", "import sync.engine.merge", "sync's packages"),
    ("sync/engine/merge.py", "import sync.community.pages", "sync's packages"),
    ("sync/engine/run.py", "import click", "never imports click"),
    ("connector/mediawiki/api.py", "import connector.confluence.v1", "know nothing of each other"),
])
def test_an_upward_import_breaks_a_contract(tmp_path: Path, module: str, line: str,
                                             contract: str) -> None:
    tree = _tree(tmp_path)
    _add_import(tree / module, line)
    result = _lint(tree)
    assert result.returncode != 0
    assert contract in result.stdout
