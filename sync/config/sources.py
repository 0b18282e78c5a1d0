"""The ``[sources]`` section of cop.toml: how cop-sync reads the watch's sources (the feeds
members list on each Watch page; see sync/relay).

```toml
[sources]
interval_minutes = 60       # a source is asked at most this often (a failing one less often)
timeout_seconds = 20        # a source that takes longer (connecting, or sending its feed) fails
max_bytes = 5_000_000       # a longer feed is cut off and reported (read as it streams)
max_sources = 50            # sources asked per run at most (the others wait for the next run)
budget_seconds = 120        # the time a run may spend on sources (within [sync] budget_seconds)
first_entries = 10          # a new source's first read proposes only its newest entries
max_entries = 30            # new entries proposed per source and run at most
contact = ""                # an e-mail or page for feed owners, added to the User-Agent
ca_bundle = ""              # extra CA for feeds served with an internal certificate
enabled = true              # false: cop-sync reads no source at all
```

Every problem is a ConfigError naming the setting (exit code 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from msgspec import Struct
from msgspec.structs import fields

from connector.errors import ConfigError
from sync.clock import parse_time

MAX_BACKOFF = timedelta(days=1)


class SourcesConfig(Struct, frozen=True):
    """Politeness and budgets of reading the watch's sources."""

    interval_minutes: int = 60
    timeout_seconds: float = 20.0
    max_bytes: int = 5_000_000
    max_sources: int = 50
    budget_seconds: float = 120.0
    first_entries: int = 10
    max_entries: int = 30
    contact: str = ""
    ca_bundle: str = ""
    enabled: bool = True

    @property
    def interval(self) -> timedelta:
        return timedelta(minutes=self.interval_minutes)

    def wait_after(self, failures: int) -> timedelta:
        """How long a source waits after its last check: the interval, doubled for each
        failure in a row after the first (a day at most, never less than the interval),
        so that a dead server is not hammered."""
        if failures <= 1:
            return self.interval
        return max(self.interval, min(self.interval * 2 ** min(failures - 1, 16),
                                      MAX_BACKOFF))

    def next_check(self, checked_at: str, failures: int = 0) -> datetime | None:
        """When a source last asked at ``checked_at`` is due again (None: never asked,
        so now)."""
        return parse_time(checked_at) + self.wait_after(failures) if checked_at else None


_POSITIVE = ("interval_minutes", "timeout_seconds", "max_bytes", "max_sources",
             "budget_seconds", "max_entries")


def parse_sources(raw: Any, path: Path) -> SourcesConfig:
    """The ``[sources]`` table (absent: the defaults). Raises ConfigError."""
    if raw is None:
        return SourcesConfig()
    if not isinstance(raw, Mapping):
        raise ConfigError("must be a table", setting="sources", path=str(path))
    known = {f.name: f for f in fields(SourcesConfig)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise ConfigError(f"unknown setting (expected one of: {', '.join(sorted(known))})",
                              setting=f"sources.{key}", path=str(path))
        values[key] = _typed(key, value, type(known[key].default), path)
    config = SourcesConfig(**values)
    for name in _POSITIVE:
        if not getattr(config, name) > 0:
            raise ConfigError(f"must be more than 0, not {getattr(config, name)}",
                              setting=f"sources.{name}", path=str(path))
    if config.first_entries < 0:
        raise ConfigError(f"must be 0 or more, not {config.first_entries}",
                          setting="sources.first_entries", path=str(path))
    return config


def _typed(key: str, value: Any, expected: type, path: Path) -> Any:
    if expected is float and type(value) is int:
        return float(value)
    if type(value) is not expected:  # bool is an int: be exact
        raise ConfigError(f"must be a {expected.__name__}, not {value!r}",
                          setting=f"sources.{key}", path=str(path))
    return value
