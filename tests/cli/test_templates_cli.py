"""The CLI and the company templates, without a wiki: --lang follows the languages the
effective templates offer, [templates] dir is read relative to cop.toml and validated."""

from __future__ import annotations

from pathlib import Path

import pytest
from languages import german


@pytest.fixture
def run(run):  # tests/cli/conftest.py's, in a directory with a starter cop.toml
    assert run("init", "--mediawiki-url", "http://127.0.0.1:9/").exit_code == 0
    return run


def add(run, slug: str, *options: str):
    return run("community", "add", slug, "--name", slug.title(), "--theme", "Energy",
               "--pilot", "pia@corp.example", "--expert", "eli@corp.example", *options)


def use_templates(tmp_path: Path, directory: str) -> None:
    with (tmp_path / "cop.toml").open("a", encoding="utf-8") as toml:
        toml.write(f'\n[templates]\ndir = "{directory}"\n')


def test_lang_is_one_of_the_templates_languages(run) -> None:
    result = add(run, "battery", "--lang", "de")
    assert result.exit_code == 2
    assert "--lang" in result.output and "must be one of en, fr" in result.output
    assert "[templates] dir" in result.output
    assert add(run, "battery", "--lang", "fr").exit_code == 0


def test_a_language_the_company_adds_can_be_chosen(run, tmp_path: Path) -> None:
    german(tmp_path / "corp", complete=True)
    use_templates(tmp_path, "corp")
    result = add(run, "energie", "--lang", "de")
    assert result.exit_code == 0, result.output
    assert "space CoP_Energie, de)" in result.output


def test_templates_that_drop_a_community_language_are_refused(run, tmp_path: Path) -> None:
    german(tmp_path / "corp", complete=True)
    use_templates(tmp_path, "corp")
    assert add(run, "energie", "--lang", "de").exit_code == 0
    text = (tmp_path / "cop.toml").read_text().replace('dir = "corp"', 'dir = "plain"')
    (tmp_path / "cop.toml").write_text(text)
    (tmp_path / "plain").mkdir()
    for command in (("provision", "--upgrade", "--all", "--dry-run"),
                    ("member", "add", "energie", "ann@corp.example", "--name", "Ann",
                     "--profile", "sales")):
        result = run(*command)
        assert result.exit_code == 2, result.output
        assert "energie (de)" in result.output and "no longer offer" in result.output
    (tmp_path / "cop.toml").write_text(text.replace('dir = "plain"', 'dir = "corp"'))
    assert "pia@corp.example" in run("community", "show", "energie").output  # kept


def test_a_broken_templates_directory_is_refused_with_file_and_field(run,
                                                                    tmp_path: Path) -> None:
    (tmp_path / "corp").mkdir()
    (tmp_path / "corp" / "watch.toml").write_text('[[fields]]\nname = "tags"\nremove = "yes"\n')
    use_templates(tmp_path, "corp")
    result = add(run, "battery", "--lang", "en")
    assert result.exit_code == 2
    assert f"template {tmp_path / 'corp' / 'watch.toml'}, field 'tags'" in result.output
    assert "remove is true or false" in result.output
    assert "battery" not in run("community", "list").output  # nothing recorded


def test_the_templates_setting_is_checked(run, tmp_path: Path) -> None:
    use_templates(tmp_path, "missing")
    result = add(run, "battery")
    assert result.exit_code == 2 and "no such directory" in result.output
    text = (tmp_path / "cop.toml").read_text().replace('dir = "missing"', "dir = 3")
    (tmp_path / "cop.toml").write_text(text)
    result = run("community", "list")
    assert result.exit_code == 2 and "templates.dir" in result.output


def test_upgrade_and_extract_are_documented(run) -> None:
    assert "--upgrade" in run("provision", "--help").output
    help_text = run("template", "extract", "--help").output
    assert "--to" in help_text and "[templates] dir" in help_text
