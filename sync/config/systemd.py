"""The cron job done the systemd way: a service that runs cop-sync once, a timer that starts
it every few minutes, and an environment file for the secrets (`cop init --systemd`).

* the secrets live in the EnvironmentFile (mode 600, read by systemd), never in the units,
  which anyone may read (`systemctl cat`);
* standard output and error go to the journal (`journalctl -u cop-sync`), tagged cop-sync;
* one run at a time: systemd never starts a service that is still running, and cop-sync's
  own lock keeps a manual or cron run apart (exit 3, "another cop-sync holds the lock", is
  then no failure of the unit);
* the timer counts from the end of the last run (``OnUnitInactiveSec``), so a slow run
  pushes the next one back instead of piling up.
"""

from __future__ import annotations

from pathlib import Path

from sync.config.loader import Config

SERVICE = "cop-sync.service"
TIMER = "cop-sync.timer"
ENVIRONMENT = "cop-sync.env"


def unit_files(config: Config, *, bin_dir: Path, user: str, every_minutes: int,
               environment_file: Path) -> dict[str, str]:
    """The service and the timer (file name -> text) for ``config``."""
    return {SERVICE: _service(config, bin_dir, user, environment_file),
            TIMER: _timer(every_minutes)}


def _service(config: Config, bin_dir: Path, user: str, environment_file: Path) -> str:
    # the run's own budget, plus time to commit and report: systemd stops it after that
    timeout = config.sync.budget_seconds + 120
    return f"""\
# Written by `cop init --systemd`: cop-sync, the communities' sync, run by {TIMER}.
[Unit]
Description=cop-connector: read the communities' wiki pages back into the records (cop-sync)
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
User={user}
WorkingDirectory={config.path.parent}
Environment=COP_CONFIG={config.path}
# The password or token (mode 600; not in this file, which anyone may read)
EnvironmentFile={environment_file}
ExecStart={bin_dir / "cop-sync"}
# 3: another cop-sync (a manual run) holds the lock; this run did nothing, and that is fine
SuccessExitStatus=3
TimeoutStartSec={timeout}
StandardOutput=journal
StandardError=journal
SyslogIdentifier=cop-sync
NoNewPrivileges=yes
{_private_tmp(config, bin_dir)}
"""


# what PrivateTmp=yes replaces with the service's own empty directories
TEMPORARY = (Path("/tmp"), Path("/var/tmp"))  # noqa: S108 - compared with, never written


def _private_tmp(config: Config, bin_dir: Path) -> str:
    """A private /tmp, unless something the run reads or writes lives in /tmp (a trial
    set-up): the service would not see it there and would fail at its first run."""
    used = [config.path, config.records_path, bin_dir, config.resolve(config.sync.lock_file),
            config.resolve(config.sync.report_file or "."),
            config.resolve(config.sync.log_file or ".")]
    if config.feeds is not None:
        used.append(config.resolve(config.feeds.dir))
    for path in used:
        for tmp in TEMPORARY:
            if path.is_relative_to(tmp):
                return (f"# No PrivateTmp: {path} is under {tmp}, which a private {tmp} "
                        "would hide from this service")
    return "PrivateTmp=yes"


def _timer(every_minutes: int) -> str:
    return f"""\
# Written by `cop init --systemd`: starts {SERVICE} every {every_minutes} minutes.
[Unit]
Description=Run cop-sync every {every_minutes} minutes

[Timer]
OnBootSec=2min
OnUnitInactiveSec={every_minutes}min
AccuracySec=30s
Unit={SERVICE}

[Install]
WantedBy=timers.target
"""


def secret_names(config: Config) -> list[str]:
    """The environment variables holding the secrets the configuration names."""
    names = [section.password_env for section in [config.mediawiki] if section and
             section.user] + [section.token_env for section in [config.confluence] if section]
    return [name for name in names if name]


def environment_text(config: Config) -> str:
    """The EnvironmentFile: one empty line per secret the configuration names."""
    lines = "".join(f"{name}=\n" for name in secret_names(config))
    return ("# Secrets for cop-sync, read by systemd (keep this file mode 600, owned by "
            "root or\n# by the service's user). One NAME=value per line, no quotes, no "
            "export.\n" + (lines or "# (the configuration names no secret)\n"))
