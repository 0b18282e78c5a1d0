"""One profile vocabulary (issue 6): the shipped one, cop.toml's additions, member rows and
commands validated with it, required profiles reconciled between [method] and [health]."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.base import ParsedPage, RawRow
from connector.errors import ConfigError
from page_templates import shipped
from page_templates.profiles import shipped_profiles, with_profiles
from page_templates.values import normalize_row
from sync.config.loader import parse
from sync.engine.page_rows import read_rows
from sync.method.status import community_warnings, members_by_profile
from sync.records.model import Community

PATH = Path("/tmp/cop.toml")
BASE = {"mediawiki": {"url": "http://127.0.0.1:1/"}}


def config(**sections: object):
    return parse({**BASE, **sections}, PATH)


@pytest.mark.parametrize("text, canonical", [
    ("ventes", "sales"), ("Commercial", "sales"), ("R & D", "R&D"), ("rd", "R&D"),
    ("Recherche et Développement", "R&D"), ("Recherche & Développement", "R&D"),
    ("Research & Development", "R&D"), ("Achats", "purchasing"), ("qualité", "quality"),
    ("", ""), ("rnd", None), ("logistics", None)])
def test_the_shipped_vocabulary_reads_every_spelling(text: str, canonical: str | None) -> None:
    assert shipped_profiles().canonical(text) == canonical


def test_a_typo_gets_the_closest_profile_suggested() -> None:
    vocabulary = shipped_profiles()
    assert vocabulary.suggest("rnd") == "R&D"
    assert vocabulary.suggest("markting") == "marketing"
    assert vocabulary.suggest("xyzzy") is None


def test_members_rows_are_validated_by_the_vocabulary() -> None:
    members = with_profiles(shipped(), shipped_profiles())["members"]
    values, problems = normalize_row(members, {"email": "a@b.io", "name": "A",
                                               "profile": "ventes"})
    assert values["profile"] == "sales" and problems == []
    parsed = ParsedPage(rows=(RawRow(1, 3, {"email": "a@b.io", "name": "A", "profile": "rnd"}),))
    rows, problems = read_rows(members, "S:Members", parsed)
    assert rows == {}
    [problem] = problems
    assert (problem.field, problem.row, problem.line) == ("profile", 1, 3)
    assert "did you mean 'R&D'?" in problem.message


def test_cop_toml_adds_profiles_and_spellings() -> None:
    found = config(method={"profiles": {"logistics": ["logistique", "supply chain"],
                                        "R&D": ["rnd"],
                                        "design": {"aliases": ["UX"], "fr": "conception"}}})
    vocabulary = found.method.profiles
    assert vocabulary.canonical("supply chain") == "logistics"
    assert vocabulary.canonical("rnd") == "R&D"
    assert vocabulary.label("design", "fr") == "conception"
    assert found.health.vocabulary is vocabulary  # one vocabulary for health too


def test_required_profiles_are_one_setting() -> None:
    assert config().method.required_profiles == ("marketing", "R&D", "sales")
    old = config(health={"required_profiles": ["Marketing", "ventes"]})  # issue 7's key
    assert old.method.required_profiles == old.health.required_profiles == ("marketing",
                                                                            "sales")
    new = config(method={"required_profiles": ["R&D"], "max_communities": 3})
    assert new.health.required_profiles == ("R&D",) and new.method.max_communities == 3
    with pytest.raises(ConfigError) as caught:
        config(method={"required_profiles": ["R&D"]}, health={"required_profiles": ["sales"]})
    assert caught.value.setting == "health.required_profiles"
    with pytest.raises(ConfigError, match="did you mean 'R&D'"):
        config(method={"required_profiles": ["rnd"]})
    with pytest.raises(ConfigError) as caught:
        config(method={"max_communities": 0})
    assert caught.value.setting == "method.max_communities"


def test_status_counts_members_by_profile_and_names_what_is_missing() -> None:
    method = config().method
    members = {"a": {"profile": "ventes", "role": "pilot"}, "b": {"profile": "sales"},
               "c": {"profile": "Chemistry", "role": "member"}, "d": {"profile": ""}}
    assert members_by_profile(members, method.profiles) == {"sales": 2, "Chemistry": 1,
                                                            "(none)": 1}
    community = Community(slug="cells", name="Cells", theme="T", pilot="p@x.io",
                          expert="e@x.io", backend="mediawiki", lang="en", space="CoP_Cells")
    warnings = community_warnings(community, members, method)
    assert warnings[0].startswith("profiles missing among the members: marketing, R&D")
    assert any("no member is expert" in w for w in warnings)
    assert any("no sponsor" in w for w in warnings)
    assert any("outside the vocabulary: Chemistry" in w for w in warnings)
    assert not any("no member is pilot" in w for w in warnings)
