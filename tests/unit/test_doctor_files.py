"""`cop doctor`'s checks of what the cron job writes beside the records (no wiki)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.config.loader import parse
from sync.doctor.run import config_file, file_checks


def topics(config_data: dict, where: Path) -> dict[str, str]:
    config = parse(config_data, where / "cop.toml")
    return {check.topic: check.message for check in file_checks(config)}


def test_the_log_file_and_the_feeds_directory_are_checked_when_configured(
        tmp_path: Path) -> None:
    wiki = {"mediawiki": {"url": "https://wiki.corp.example/w/"}}
    plain = topics(wiki, tmp_path)
    assert {"records file", "lock file", "report file"} <= set(plain)
    assert "log file" not in plain and "feeds directory" not in plain
    configured = topics({**wiki, "sync": {"log_file": "logs/cop-sync.log"},
                         "feeds": {"dir": "feeds", "url": "https://intranet.example/cop/"}},
                        tmp_path)
    assert str(tmp_path / "logs" / "cop-sync.log") in configured["log file"]
    assert str(tmp_path / "feeds") in configured["feeds directory"]


def test_a_fix_names_the_configuration_file_in_use(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """`cop --config cop-test.toml doctor` is told to change cop-test.toml, not cop.toml:
    by its path from the current directory, or its full path when it is elsewhere."""
    data = {"mediawiki": {"url": "https://wiki.corp.example/w/"},
            "sync": {"report_file": "no/such/dir/report.json"}}  # (cannot be written)
    config = parse(data, tmp_path / "etc" / "cop-test.toml")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path)
    assert config_file(config) == str(Path("etc", "cop-test.toml"))
    [report] = [c for c in file_checks(config) if c.topic == "report file"]
    assert report.fix.endswith(f"the path in {Path('etc', 'cop-test.toml')}")
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert config_file(config) == str(tmp_path / "etc" / "cop-test.toml")
