"""The pure parts behind the second acceptance test's fixes: namespace names as MediaWiki
compares them, namespace numbers, configuration numbers, pilot and expert changes, records
that are never created by accident, and messages naming the URL that failed."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest
import requests

from connector.errors import (
    EXIT_USAGE,
    ConfigError,
    RecordsError,
    UsageError,
    ValidationError,
)
from connector.http import failed_url, failure_reason, safe_url
from connector.mediawiki.http import request_error
from connector.mediawiki.namespaces import (
    check_namespace_id,
    folded,
    namespace_name,
    snippet,
)
from sync.cli.app import QuietLibraries
from sync.community.registration import (
    SLUG,
    NewCommunity,
    add_community,
    check_removable,
    confluence_space_key,
    free_namespace_id,
    set_leaders,
)
from sync.config.loader import parse
from sync.records.store import Records

PATH = Path("/tmp/cop.toml")


def config(**mediawiki: object):
    return parse({"mediawiki": {"url": "http://127.0.0.1:1/", **mediawiki}}, PATH)


# --- namespaces ------------------------------------------------------------------------------

def test_folded_is_how_mediawiki_matches_namespace_names() -> None:
    assert folded("CoP_Abc__def") == folded("CoP_Abc_def") == folded("cop abc  def")
    assert folded("CoP_Energie__avenir") == folded("COP Energie avenir")
    assert folded("CoP_Abc_def") != folded("CoP_Abcdef")
    assert folded(namespace_name("battery-storage")) == "cop_battery_storage"


@pytest.mark.parametrize("slug, ok", [
    ("abc-def", True), ("a1-b2-c3", True), ("abc--def", False), ("a---b", False),
    ("abc-", False), ("-abc", False), ("Abc", False),
    # short portfolio codes, a digit first included (issue 11)
    ("h2", True), ("ai", True), ("5g", True), ("42", True), ("5g-nr", True),
    ("a", False), ("5", False), ("-5", False), ("5-", False), ("5_g", False),
    ("a" * 40, True), ("a" * 41, False),
])
def test_slug_rules(slug: str, ok: bool) -> None:
    assert bool(SLUG.match(slug)) is ok


@pytest.mark.parametrize("slug, namespace, key", [
    ("h2", "CoP_H2", "H2"), ("ai", "CoP_Ai", "AI"), ("5g", "CoP_5g", "5G"),
    ("5g-nr", "CoP_5g_nr", "5GNR"),
])
def test_short_slugs_name_a_namespace_and_a_space_key(slug: str, namespace: str,
                                                       key: str) -> None:
    assert namespace_name(slug) == namespace
    assert confluence_space_key(slug, set()) == key
    assert confluence_space_key(slug, {key}) == key + "2"


@pytest.mark.parametrize("used, base, expected", [
    (set(), 3000, 3000),
    ({3000}, 3000, 3002),
    ({3000, 3002}, 3000, 3004),
    ({3001}, 3000, 3004),  # an odd id recorded by an older version: 3001 and 3002 are taken
    ({3003}, 3000, 3000),  # 3003 takes 3004 too; 3000/3001 are free
    ({2999}, 3000, 3002),  # 2999 + 1 = 3000 is a talk id
])
def test_free_namespace_id_takes_a_pair_whose_both_numbers_are_free(used, base,
                                                                     expected) -> None:
    number = free_namespace_id(used, base)
    assert number == expected and number % 2 == 0
    taken = used | {n + 1 for n in used}
    assert number not in taken and number + 1 not in taken


def test_check_namespace_id() -> None:
    check_namespace_id(3000)
    for bad in (3001, 98, -2):
        with pytest.raises(ValidationError, match="even and at least 100"):
            check_namespace_id(bad)


def test_snippet_error_names_the_namespace() -> None:
    with pytest.raises(ValidationError, match="CoP_Oddns"):
        snippet([("CoP_Battery", 3000, "Battery"), ("CoP_Oddns", 3001, "Odd")])


# --- configuration ---------------------------------------------------------------------------

@pytest.mark.parametrize("settings, setting", [
    ({"namespace_base": 3001}, "mediawiki.namespace_base"),
    ({"namespace_base": 98}, "mediawiki.namespace_base"),
    ({"timeout": -5}, "mediawiki.timeout"),
    ({"timeout": 0}, "mediawiki.timeout"),
    ({"timeout": float("nan")}, "mediawiki.timeout"),
])
def test_numbers_that_cannot_work_are_refused(settings, setting: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config(**settings)
    assert raised.value.setting == setting


def test_sync_durations_are_checked() -> None:
    base = {"mediawiki": {"url": "http://127.0.0.1:1/"}}
    with pytest.raises(ConfigError, match=r"sync\.budget_seconds"):
        parse({**base, "sync": {"budget_seconds": 0}}, PATH)
    with pytest.raises(ConfigError, match=r"sync\.overlap_seconds"):
        parse({**base, "sync": {"overlap_seconds": -1}}, PATH)
    assert parse({**base, "sync": {"overlap_seconds": 0}}, PATH).sync.overlap_seconds == 0


def test_confluence_timeout_is_checked() -> None:
    with pytest.raises(ConfigError, match=r"confluence\.timeout"):
        parse({"defaults": {"backend": "confluence"},
               "confluence": {"url": "https://x.atlassian.net/wiki", "timeout": -1}}, PATH)


def test_good_numbers_pass() -> None:
    loaded = config(namespace_base=4000, timeout=5)
    assert loaded.mediawiki is not None and loaded.mediawiki.namespace_base == 4000


# --- records are created only when asked -------------------------------------------------------

@pytest.mark.sqlite_only
def test_records_open_without_create_never_makes_a_file(tmp_path: Path) -> None:
    target = tmp_path / "typo" / "cop.db"
    with pytest.raises(RecordsError, match="no records database"):
        Records.open(target, create=False)
    assert not target.parent.exists()
    Records.open(target).close()  # create=True (the default, `cop init`)
    Records.open(target, create=False).close()


@pytest.mark.sqlite_only
def test_records_that_cannot_be_created_are_a_records_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(RecordsError):
        Records.open(blocker / "sub" / "cop.db")


# --- pilot and expert -----------------------------------------------------------------------------

@pytest.fixture
def battery():
    records = Records.open(":memory:")
    community = add_community(records, config(), NewCommunity(
        slug="battery", name="Battery", theme="Energy", pilot="pia@corp.example",
        expert="eli@corp.example"), clock=lambda: "2026-11-01T00:00:00Z")
    return records, community


def roles(records: Records) -> dict[str, str]:
    return {k: v["role"] for k, v in records.live_rows("battery", "members").items()}


def test_add_refuses_the_same_person_as_pilot_and_expert() -> None:
    records = Records.open(":memory:")
    with pytest.raises(ValidationError, match="both pilot and expert"):
        add_community(records, config(), NewCommunity(
            slug="battery", name="B", theme="T", pilot="a@corp.example",
            expert="A@Corp.example"))
    assert records.communities() == []


def test_add_refuses_a_namespace_the_wiki_folds_into_anothers(battery) -> None:
    records, _ = battery
    records.db.execute("UPDATE communities SET space = 'CoP_Abc__def'")
    with pytest.raises(UsageError, match="'battery'"):
        add_community(records, config(), NewCommunity(
            slug="abc-def", name="B", theme="T", pilot="a@corp.example",
            expert="b@corp.example", force=True))


@pytest.mark.parametrize("first, second", [("ai", "ai-talk"), ("ai-talk", "ai")])
def test_add_refuses_a_namespace_that_is_anothers_talk_namespace(first: str,
                                                                 second: str) -> None:
    records = Records.open(":memory:")
    add_community(records, config(), NewCommunity(
        slug=first, name="B", theme="T", pilot="a@corp.example", expert="b@corp.example"))
    with pytest.raises(UsageError, match="talk namespace"):
        add_community(records, config(), NewCommunity(
            slug=second, name="C", theme="T", pilot="a@corp.example",
            expert="b@corp.example", force=True))


def test_a_two_character_slug_and_one_starting_with_a_digit_are_registered() -> None:
    records = Records.open(":memory:")
    for slug in ("h2", "5g"):
        added = add_community(records, config(), NewCommunity(
            slug=slug, name=slug.upper(), theme="T", pilot="a@corp.example",
            expert="b@corp.example", force=True))
        assert added.space == namespace_name(slug)
    assert [c.space for c in records.communities()] == ["CoP_5g", "CoP_H2"]


def test_set_leaders_new_person_and_previous_holder(battery) -> None:
    records, community = battery
    changed = set_leaders(records, community, pilot="Tom.Weber@corp.example",
                          clock=lambda: "2026-11-02T00:00:00Z")
    assert changed.pilot == "tom.weber@corp.example"
    assert records.community("battery").pilot == "tom.weber@corp.example"
    assert roles(records) == {"pia@corp.example": "member", "eli@corp.example": "expert",
                              "tom.weber@corp.example": "pilot"}
    tom = records.live_rows("battery", "members")["tom.weber@corp.example"]
    assert tom["name"] == "Tom Weber" and tom["since"] == "2026-11-02"


def test_set_leaders_swap_and_refusal(battery) -> None:
    records, community = battery
    with pytest.raises(ValidationError, match="--pilot"):
        set_leaders(records, community, pilot="eli@corp.example")
    assert roles(records) == {"pia@corp.example": "pilot", "eli@corp.example": "expert"}
    swapped = set_leaders(records, community, pilot="eli@corp.example",
                          expert="pia@corp.example")
    assert (swapped.pilot, swapped.expert) == ("eli@corp.example", "pia@corp.example")
    assert roles(records) == {"pia@corp.example": "expert", "eli@corp.example": "pilot"}


def test_a_former_holder_who_left_is_not_brought_back(battery) -> None:
    records, community = battery
    records.tombstone_entry("battery", "members", "pia@corp.example", by="command",
                            now="2026-11-02T00:00:00Z")
    set_leaders(records, community, pilot="tom@corp.example")
    assert "pia@corp.example" not in roles(records)


def test_check_removable(battery) -> None:
    _, community = battery
    for email in ("pia@corp.example", " Eli@Corp.example "):
        with pytest.raises(UsageError, match="name a new"):
            check_removable(community, email)
    check_removable(community, "someone@corp.example")


# --- messages that say where -------------------------------------------------------------------

def test_safe_url_drops_credentials_query_and_fragment() -> None:
    assert safe_url("https://bot:pw@wiki.example:8443/w/api.php?token=abc#x") == \
        "https://wiki.example:8443/w/api.php"
    assert safe_url("http://[::1]:8080/w/") == "http://[::1]:8080/w/"
    assert safe_url(None) == "" and safe_url("notaurl") == ""


def refused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_refused_connection_names_the_url_and_the_reason() -> None:
    url = f"http://127.0.0.1:{refused_port()}/w/api.php"
    with pytest.raises(requests.ConnectionError) as raised:
        requests.get(url + "?action=query&lgpassword=secret", timeout=5)
    assert failure_reason(raised.value) == "connection refused"
    assert failed_url(raised.value) == url
    message = str(request_error(raised.value))
    assert f"the wiki at {url} did not answer (connection refused)" in message
    assert "secret" not in message and "action=" not in message


def test_an_unknown_host_is_named() -> None:
    error = requests.ConnectionError(socket.gaierror(-2, "Name or service not known"))
    assert failure_reason(error) == "host name not found"
    assert "did not answer (host name not found)" in str(request_error(error))


def test_tls_and_http_errors_name_the_url() -> None:
    request = requests.Request("GET", "https://wiki.corp.example/w/api.php?x=1").prepare()
    tls = requests.exceptions.SSLError("bad certificate", request=request)
    assert "TLS verification failed for https://wiki.corp.example/w/api.php" in str(
        request_error(tls))
    response = requests.Response()
    response.status_code, response.url, response.request = 404, request.url, request
    missing = requests.HTTPError(response=response, request=request)
    assert "HTTP 404 at https://wiki.corp.example/w/api.php" in str(request_error(missing))
    # a wrong mediawiki.url: a configuration error, exit 2 from every command (as in doctor)
    assert request_error(missing).exit_code == EXIT_USAGE
    named = str(request_error(missing, settings_file="etc/cop-test.toml"))
    assert "set mediawiki.url in etc/cop-test.toml to the wiki's script path" in named
    assert "mediawiki.ca_bundle in etc/cop-test.toml" in str(
        request_error(tls, settings_file="etc/cop-test.toml"))


def test_urllib3_warnings_stay_off_the_console_without_verbose() -> None:
    quiet, root = QuietLibraries(), logging.getLogger()
    retry = logging.LogRecord("urllib3.connectionpool", logging.WARNING, __file__, 1,
                              "Retrying ...", (), None)
    ours = logging.LogRecord("cop", logging.WARNING, __file__, 1, "ours", (), None)
    failed = logging.LogRecord("urllib3.connectionpool", logging.ERROR, __file__, 1, "x", (),
                               None)
    level = root.level
    try:
        root.setLevel(logging.WARNING)
        assert not quiet.filter(retry) and quiet.filter(ours) and quiet.filter(failed)
        root.setLevel(logging.INFO)  # -v
        assert quiet.filter(retry)
    finally:
        root.setLevel(level)
