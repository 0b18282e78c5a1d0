"""Integration fixtures: a community provisioned and synced on the real wiki, saved once per
session and restored for each test that asks (about 20 ms instead of a provisioning)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cop_wiki import NS, CopDir, create, restore, save
from wiki_people import member


@pytest.fixture(scope="session")
def battery_snapshot(_wiki_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Battery (en) provisioned, one reference added by a member, synced."""
    base = tmp_path_factory.mktemp("battery")
    _wiki_server.reset()
    cop = create(base / "setup", _wiki_server)
    member(_wiki_server).append(f"{NS}:References",
                                "{{CoP reference|ref=IEC 62660|title=Li-ion cells}}")
    assert cop.sync().exit_code == 0
    save(_wiki_server, cop, base / "snapshot")
    return base / "snapshot"


@pytest.fixture
def battery(battery_snapshot: Path, _wiki_server: Any, tmp_path: Path) -> CopDir:
    """The wiki and a cop directory as in ``battery_snapshot`` (the wiki's other pages and
    extra settings reset, as the ``wiki`` fixture does)."""
    cop = restore(_wiki_server, battery_snapshot, tmp_path / "cop")
    return cop
