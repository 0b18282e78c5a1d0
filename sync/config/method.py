"""The ``[method]`` section of cop.toml: how many communities run at once, the profiles a
community's members should mix, and the profile vocabulary.

```toml
[method]
max_communities = 4                              # cop community add refuses past it
required_profiles = ["marketing", "R&D", "sales"]  # a community should mix these

[method.profiles]          # added to the shipped vocabulary (page_templates/profiles.toml)
logistics = ["logistique", "supply chain"]       # name = its other spellings
"R&D" = ["rnd"]                                  # more spellings of a shipped profile
quality = { aliases = ["qc"], fr = "qualité" }   # with labels per language
```

``[health] required_profiles`` (issue 7) is still read: it is the same setting; giving both
with different profiles is refused. Every required profile must be in the vocabulary.
Problems are ConfigError naming the setting (exit code 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from msgspec import Struct, field
from msgspec.structs import replace

from connector.errors import ConfigError
from page_templates.profiles import Profile, ProfileVocabulary, shipped_profiles
from sync.config.health import DEFAULT_PROFILES, HealthConfig

DEFAULT_MAX_COMMUNITIES = 4
_KEYS = ("max_communities", "required_profiles", "profiles")


class MethodConfig(Struct, frozen=True):
    max_communities: int = DEFAULT_MAX_COMMUNITIES
    required_profiles: tuple[str, ...] = DEFAULT_PROFILES
    profiles: ProfileVocabulary = field(default_factory=shipped_profiles)


def parse_method(raw: Any, health_raw: Any, health: HealthConfig,
                 path: Path) -> tuple[MethodConfig, HealthConfig]:
    """``[method]`` (absent: the defaults), and ``health`` with the same required profiles
    and vocabulary. Raises ConfigError."""
    raw = {} if raw is None else raw
    if not isinstance(raw, Mapping):
        raise ConfigError("must be a table", setting="method", path=str(path))
    for key in raw:
        if key not in _KEYS:
            raise ConfigError(f"unknown setting (expected one of: {', '.join(_KEYS)})",
                              setting=f"method.{key}", path=str(path))
    vocabulary = shipped_profiles().extended(_profiles(raw.get("profiles", {}), path))
    required = _required(raw, health_raw, health, vocabulary, path)
    method = MethodConfig(max_communities=_max(raw, path), required_profiles=required,
                          profiles=vocabulary)
    return method, replace(health, required_profiles=required, vocabulary=vocabulary)


def _max(raw: Mapping[str, Any], path: Path) -> int:
    value = raw.get("max_communities", DEFAULT_MAX_COMMUNITIES)
    if type(value) is not int or value < 1:
        raise ConfigError(f"must be a whole number of at least 1, not {value!r}",
                          setting="method.max_communities", path=str(path))
    return value


def _required(raw: Mapping[str, Any], health_raw: Any, health: HealthConfig,
              vocabulary: ProfileVocabulary, path: Path) -> tuple[str, ...]:
    """The required profiles, canonical; [method] and [health] must agree when both say."""
    in_health = isinstance(health_raw, Mapping) and "required_profiles" in health_raw
    names = health.required_profiles
    if "required_profiles" in raw:
        value = raw["required_profiles"]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip()
                                                  for v in value):
            raise ConfigError('must be a list of profile names, e.g. ["marketing", "R&D"]',
                              setting="method.required_profiles", path=str(path))
        names = tuple(v.strip() for v in value)
    setting = "method.required_profiles" if "required_profiles" in raw else \
        "health.required_profiles"
    found = tuple(_known(name, vocabulary, setting, path) for name in names)
    if in_health and "required_profiles" in raw:
        other = tuple(_known(n, vocabulary, "health.required_profiles", path)
                      for n in health.required_profiles)
        if set(other) != set(found):
            raise ConfigError("[method] and [health] name different required profiles: keep "
                              "one (method.required_profiles)",
                              setting="health.required_profiles", path=str(path))
    return tuple(dict.fromkeys(found))


def _known(name: str, vocabulary: ProfileVocabulary, setting: str, path: Path) -> str:
    found = vocabulary.canonical(name)
    if found:
        return found
    close = vocabulary.suggest(name)
    hint = f" (did you mean {close!r}?)" if close else ""
    raise ConfigError(f"{name!r} is not a known profile{hint}; add it under "
                      "[method.profiles]", setting=setting, path=str(path))


def _profiles(value: Any, path: Path) -> list[Profile]:
    """[method.profiles]: name = [aliases], or name = {aliases = [...], en = "...", ...}."""
    if not isinstance(value, Mapping):
        raise ConfigError('must be a table of profile = ["other spelling", ...]',
                          setting="method.profiles", path=str(path))
    found = []
    for name, spec in value.items():
        setting = f"method.profiles.{name}"
        table = {"aliases": spec} if isinstance(spec, list) else spec
        if not isinstance(table, Mapping) or not name.strip():
            raise ConfigError('must be a list of other spellings, or a table {aliases = '
                              '[...], en = "label", fr = "libellé"}', setting=setting,
                              path=str(path))
        aliases = table.get("aliases", [])
        labels = {k: v for k, v in table.items() if k != "aliases"}
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases) or \
                not all(isinstance(v, str) for v in labels.values()):
            raise ConfigError("aliases is a list of strings, labels are strings",
                              setting=setting, path=str(path))
        found.append(Profile(name.strip(), labels, tuple(aliases)))
    return found
