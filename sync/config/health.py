"""The ``[health]`` section of cop.toml: what a healthy community looks like, and where the
results pages are published.

```toml
[health]
fading_weeks = 6                 # alert when nobody contributed for this many weeks
ideas_weeks = 26                 # alert when no subject was raised for this many weeks
required_profiles = ["marketing", "R&D", "sales"]
history_days = 90                # how far back the wiki's history is read the first time
portfolio_page = ""              # MediaWiki "Namespace:Title" of the sponsor's roll-up page
portfolio_space = ""             # Confluence space key of the roll-up page

[health.review_months]           # a kind not reviewed within its period is overdue
regulation = 6
competition = 12

[health.users]                   # wiki user (or Confluence account id) = member e-mail
"Julie Roux" = "julie.roux@corp.example"
```

Every problem is a ConfigError naming the setting (exit code 2).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from msgspec import Struct, field

from connector.errors import ConfigError
from page_templates.profiles import ProfileVocabulary, shipped_profiles

DEFAULT_REVIEW_MONTHS = {"regulation": 6, "competition": 12}
DEFAULT_PROFILES = ("marketing", "R&D", "sales")
_INTS = ("fading_weeks", "ideas_weeks", "history_days")
_STRINGS = ("portfolio_page", "portfolio_space")


class HealthConfig(Struct, frozen=True):
    """Thresholds of community health and where results are published."""

    fading_weeks: int = 6
    # A community raising no subject on its Ideas page for this long is alerted on: half a
    # year by default, the seminar being yearly (the clock starts when its Ideas page is).
    ideas_weeks: int = 26
    required_profiles: tuple[str, ...] = DEFAULT_PROFILES
    review_months: Mapping[str, int] = field(
        default_factory=lambda: dict(DEFAULT_REVIEW_MONTHS))
    history_days: int = 90
    portfolio_page: str = ""
    portfolio_space: str = ""
    users: Mapping[str, str] = field(default_factory=dict)
    # The profile vocabulary (cop.toml [method.profiles] on top of the shipped one): set by
    # sync/config/method.py, which also reconciles required_profiles with [method].
    vocabulary: ProfileVocabulary = field(default_factory=shipped_profiles)


def parse_health(raw: Any, path: Path) -> HealthConfig:
    """The ``[health]`` table (absent: the defaults). Raises ConfigError."""
    if raw is None:
        return HealthConfig()
    if not isinstance(raw, Mapping):
        raise ConfigError("must be a table", setting="health", path=str(path))
    parsers: dict[str, Callable[[Any, str, Path], Any]] = {
        **dict.fromkeys(_INTS, _positive), **dict.fromkeys(_STRINGS, _string),
        "required_profiles": _profiles, "review_months": _months, "users": _users}
    for key in raw:
        if key not in parsers:
            raise ConfigError(f"unknown setting (expected one of: {', '.join(sorted(parsers))})",
                              setting=f"health.{key}", path=str(path))
    return HealthConfig(**{key: parsers[key](value, key, path) for key, value in raw.items()})


def _positive(value: Any, key: str, path: Path) -> int:
    if type(value) is not int or value < 1:
        raise ConfigError(f"must be a whole number of at least 1, not {value!r}",
                          setting=f"health.{key}", path=str(path))
    return value


def _string(value: Any, key: str, path: Path) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"must be a string, not {value!r}", setting=f"health.{key}",
                          path=str(path))
    return value.strip()


def _profiles(value: Any, _key: str, path: Path) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError('must be a list of profile names, e.g. ["marketing", "R&D"]',
                          setting="health.required_profiles", path=str(path))
    return tuple(v.strip() for v in value)


def _months(value: Any, _key: str, path: Path) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise ConfigError("must be a table of kind = months", setting="health.review_months",
                          path=str(path))
    return {str(kind): _positive(months, f"review_months.{kind}", path)
            for kind, months in value.items()}


def _users(value: Any, _key: str, path: Path) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) and "@" in v for k, v in value.items()):
        raise ConfigError('must be a table of "wiki user" = "member e-mail" strings',
                          setting="health.users", path=str(path))
    return {key: email.strip().lower() for key, email in value.items()}
