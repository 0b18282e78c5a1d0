"""`cop doctor` on MediaWiki, the pure part: what the wiki said and what the records expect
give each check and its fix (the requests are tested on the real wiki)."""

from __future__ import annotations

from connector.diagnosis import FAILURE, OK, WARNING, Expectations, ExpectedSpace
from connector.mediawiki.doctor_checks import SiteFacts, site_checks

URL = "https://wiki.corp.example/w/"
ALL = frozenset({"writeapi", "edit", "createpage", "protect", "apihighlimits", "noratelimit",
                 "bot"})
NOW = "2026-12-07T12:00:00Z"


def facts(**changes) -> SiteFacts:
    base = {"url": URL, "generator": "MediaWiki 1.43.1", "user": "CopBot@cop", "rights": ALL,
            "groups": ("*", "user", "bot", "sysop"), "group_rights": {"bot": ALL},
            "namespaces": {0: "", 3000: "CoP Battery", 3001: "CoP Battery talk"},
            "extensions": frozenset({"ParserFunctions", "TemplateData", "VisualEditor"}),
            "jobs": 3, "rc_max_age": 90 * 86400,
            "grant_labels": {"protect": "Protect and unprotect pages"}}
    return SiteFacts(**{**base, **changes})


def expect(**changes) -> Expectations:
    space = ExpectedSpace("battery", "Battery", "CoP_Battery", "en", provisioned=True,
                          space_id="3000", planned_id=3000)
    return Expectations(**{"spaces": [space], "now": NOW, **changes})


def checks(found: SiteFacts, expected: Expectations | None = None) -> dict[str, object]:
    return {c.topic: c for c in site_checks(found, expected or expect())}


def test_a_healthy_wiki_is_all_ok() -> None:
    assert {c.status for c in checks(facts()).values()} == {OK}


def test_a_right_the_groups_give_but_the_bot_password_lacks_is_a_grant_to_tick() -> None:
    found = checks(facts(rights=ALL - {"protect"}))["rights: protect"]
    assert found.status == WARNING
    assert "Special:BotPasswords/cop" in found.fix
    assert "“Protect and unprotect pages”" in found.fix


def test_a_right_no_group_gives_is_a_group_or_a_settings_line() -> None:
    found = checks(facts(rights=ALL - {"createpage"}, group_rights={"bot": ALL - {
        "createpage"}}))["rights: createpage"]
    assert found.status == FAILURE
    assert "Special:UserRights/CopBot" in found.fix
    assert "$wgGroupPermissions['bot']['createpage'] = true;" in found.fix


def test_an_anonymous_configuration_is_a_warning() -> None:
    found = checks(facts(user="", rights=frozenset()))
    assert found["login"].status == WARNING and "rights: edit" not in found


def test_a_namespace_not_yet_declared_for_a_new_community() -> None:
    space = ExpectedSpace("solar", "Solar", "CoP_Solar", "fr", provisioned=False,
                          planned_id=3002)
    found = checks(facts(), expect(spaces=[space]))["namespace CoP_Solar (solar)"]
    assert found.status == FAILURE and "provisioning stops" in found.message
    assert "$wgExtraNamespaces[3002] = 'CoP_Solar';" in found.fix


def test_a_planned_number_taken_by_another_namespace_gets_a_free_one() -> None:
    space = ExpectedSpace("solar", "Solar", "CoP_Solar", "fr", provisioned=False,
                          planned_id=3000)
    found = checks(facts(), expect(spaces=[space]))["namespace CoP_Solar (solar)"]
    assert "$wgExtraNamespaces[3002] = 'CoP_Solar';" in found.fix


def test_a_last_sync_older_than_the_recent_changes_asks_for_a_full_sync() -> None:
    old = checks(facts(rc_max_age=7 * 86400), expect(last_sync="2026-11-01T00:00:00Z"))
    found = old["recent changes ($wgRCMaxAge)"]
    assert found.status == FAILURE and "`cop-sync --full`" in found.fix
    half = checks(facts(rc_max_age=10 * 86400), expect(last_sync="2026-12-01T00:00:00Z"))
    assert half["recent changes ($wgRCMaxAge)"].status == WARNING


def test_history_days_longer_than_the_wiki_keeps_is_a_warning() -> None:
    found = checks(facts(rc_max_age=30 * 86400), expect(history_days=90))
    check = found["recent changes ($wgRCMaxAge)"]
    assert check.status == WARNING and "history_days = 30 in cop.toml" in check.fix
    other = checks(facts(rc_max_age=30 * 86400), expect(config_file="cop-test.toml"))
    assert "in cop-test.toml" in other["recent changes ($wgRCMaxAge)"].fix  # the one in use


def test_a_long_job_queue_and_an_old_wiki_are_named() -> None:
    found = checks(facts(jobs=2500, generator="MediaWiki 1.31.0"))
    assert found["job queue"].status == WARNING and "runJobs.php" in found["job queue"].fix
    assert found["version"].status == FAILURE


ADD_ROW = frozenset({"site", "ext.copConnector.addRow"})


def test_the_add_buttons_script_loaded_on_each_namespace() -> None:
    found = checks(facts(page_modules={3000: ADD_ROW}))["Add buttons of CoP_Battery"]
    assert found.status == OK and "visual editor" in found.message
    missing = checks(facts(page_modules={3000: frozenset({"site"})}))
    assert missing["Add buttons of CoP_Battery"].status == WARNING
    assert "`cop mediawiki namespaces`" in missing["Add buttons of CoP_Battery"].fix


def test_add_buttons_not_checked_on_a_wiki_read_by_logged_in_readers_only() -> None:
    found = checks(facts(page_modules={3000: None}))
    assert found["Add buttons"].status == OK and "not checked" in found["Add buttons"].message
    assert "Add buttons of CoP_Battery" not in found


def test_add_buttons_not_checked_without_visual_editor_or_before_provisioning() -> None:
    without_ve = facts(extensions=frozenset({"ParserFunctions", "TemplateData"}),
                       page_modules={3000: frozenset()})
    assert not [t for t in checks(without_ve) if t.startswith("Add buttons")]
    space = ExpectedSpace("battery", "Battery", "CoP_Battery", "en", provisioned=False)
    early = checks(facts(), expect(spaces=[space]))
    assert not [t for t in early if t.startswith("Add buttons")]
