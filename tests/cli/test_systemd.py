"""`cop init --systemd`: a service and a timer for cop-sync, the secrets in an environment
file of mode 600, checked by systemd-analyze where it is installed."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from sync.config.loader import load, parse
from sync.config.systemd import ENVIRONMENT, SERVICE, TIMER, unit_files


def units(directory: Path) -> dict[str, str]:
    return {name: (directory / "systemd" / name).read_text() for name in (SERVICE, TIMER)}


def test_init_writes_the_units_and_a_private_environment_file(run, tmp_path: Path) -> None:
    result = run("init", "--mediawiki-url", "https://wiki.corp.example/w/",
                 "--mediawiki-user", "CopBot@cop", "--systemd", "--every", "7")
    assert result.exit_code == 0, result.output
    assert "systemctl enable --now cop-sync.timer" in result.output
    service, timer = units(tmp_path).values()
    assert f"Environment=COP_CONFIG={tmp_path / 'cop.toml'}" in service
    assert "ExecStart=" in service and service.count("cop-sync\n") >= 1
    assert "StandardError=journal" in service and "SuccessExitStatus=3" in service
    assert "EnvironmentFile=/etc/cop-connector/cop-sync.env" in service
    assert "OnUnitInactiveSec=7min" in timer and "WantedBy=timers.target" in timer
    environment = tmp_path / "systemd" / ENVIRONMENT
    assert stat.S_IMODE(environment.stat().st_mode) == 0o600
    assert "COP_MEDIAWIKI_PASSWORD=\n" in environment.read_text()
    assert "(mode 600; fill in the secret)" in result.output


def test_a_wiki_read_without_a_login_has_no_secret_to_fill_in(run, tmp_path: Path) -> None:
    result = run("init", "--mediawiki-url", "https://wiki.corp.example/w/", "--systemd")
    assert result.exit_code == 0, result.output
    assert "(mode 600; the configuration names no secret)" in result.output
    assert "names no secret" in (tmp_path / "systemd" / ENVIRONMENT).read_text()


def test_on_an_existing_config_only_the_units_and_the_secrets_are_kept(run,
                                                                      tmp_path: Path) -> None:
    assert run("init", "--mediawiki-url", "https://wiki.corp.example/w/",
               "--mediawiki-user", "CopBot@cop").exit_code == 0
    config = (tmp_path / "cop.toml").read_text()
    assert run("init", "--systemd").exit_code == 0
    environment = tmp_path / "systemd" / ENVIRONMENT
    environment.write_text("COP_MEDIAWIKI_PASSWORD=secret\n")
    again = run("init", "--systemd", "--every", "10")  # again: units only
    assert again.exit_code == 0
    assert f"kept {environment} as it is" in again.output
    assert environment.read_text() == "COP_MEDIAWIKI_PASSWORD=secret\n"  # never overwritten
    assert "OnUnitInactiveSec=10min" in units(tmp_path)[TIMER]
    assert (tmp_path / "cop.toml").read_text() == config


def test_confluence_secrets_are_named_too(run, tmp_path: Path) -> None:
    assert run("init", "--confluence-url", "https://corp.atlassian.net/wiki",
               "--confluence-user", "bot@corp.example", "--systemd").exit_code == 0
    text = (tmp_path / "systemd" / ENVIRONMENT).read_text()
    assert "COP_CONFLUENCE_TOKEN=\n" in text and "COP_MEDIAWIKI" not in text


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed")
def test_the_units_pass_systemd_analyze_verify(run, tmp_path: Path) -> None:
    assert run("init", "--mediawiki-url", "https://wiki.corp.example/w/",
               "--mediawiki-user", "CopBot@cop").exit_code == 0
    config = load(str(tmp_path / "cop.toml"))
    # the environment file where the units will find it; cop-sync where it is installed
    executable = tmp_path / "bin" / "cop-sync"
    executable.parent.mkdir()
    executable.write_text("#!/bin/sh\n")
    executable.chmod(0o755)
    environment = tmp_path / ENVIRONMENT
    environment.write_text("COP_MEDIAWIKI_PASSWORD=x\n")
    written = unit_files(config, bin_dir=executable.parent, user="root", every_minutes=5,
                         environment_file=environment)
    for name, text in written.items():
        (tmp_path / name).write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", "--man=no",
                             *(str(tmp_path / name) for name in written)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


@pytest.mark.parametrize(("directory", "private"), [("/srv/cop", True), ("/tmp/trial", False),
                                                    ("/var/tmp/trial", False)])
def test_a_private_tmp_unless_the_set_up_lives_in_tmp(directory: str, private: bool) -> None:
    """A trial set-up in /tmp would be hidden from the service by PrivateTmp=yes (the
    service fails at its first run): the unit then goes without, saying why."""
    config = parse({"mediawiki": {"url": "https://wiki.corp.example/w/"}},
                   Path(directory) / "cop.toml")
    service = unit_files(config, bin_dir=Path("/opt/cop/bin"), user="cop", every_minutes=5,
                         environment_file=Path("/etc/cop-connector") / ENVIRONMENT)[SERVICE]
    assert ("PrivateTmp=yes" in service) is private
    assert private or f"# No PrivateTmp: {directory}/cop.toml is under " in service
