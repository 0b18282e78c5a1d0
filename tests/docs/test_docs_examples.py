"""Every example of the documentation that can run is run (docs/writing-docs.md): cop.toml
snippets by the real configuration loader, company template files by the real template
loader, row template calls by the wikitext codec and the sync's row validation, storage-format
tables by the storage codec, queries on the records by SQLite, and `cop` sessions by click's
CliRunner on throwaway records, with an in-memory wiki where a command writes to one."""

from __future__ import annotations

import shlex
import tomllib
from collections import defaultdict
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import click
import mwparserfromhell
import pytest
import tomli_w
from click.testing import CliRunner
from doc_blocks import (
    KINDS,
    Block,
    MarkerError,
    all_blocks,
    blocks,
    commands,
    matches,
    uncommented,
)

import sync.config.backends
from connector.base import SpaceInfo, SpaceSpec
from connector.confluence.storage import StorageCodec
from connector.mediawiki.wikitext import WikitextCodec
from connector.memory import MemoryBackend
from page_templates import TemplateSet, load_templates
from page_templates.profiles import with_profiles
from sync.cli import _cop, _cop_sync
from sync.config.loader import load
from sync.config.method import MethodConfig
from sync.engine.page_rows import read_rows
from sync.records.store import Records

BLOCKS = all_blocks()
A_WIKI = {"mediawiki": {"url": "https://wiki.corp.example/w/"}}


def of_kind(kind: str, *, templates: bool = False) -> list[Any]:
    return [pytest.param(block, id=block.where) for block in BLOCKS
            if block.kind == kind and block.arg.startswith("templates/") == templates]


def shipped() -> TemplateSet:
    """The templates as cop-sync reads with them: the profile a choice of the vocabulary."""
    return with_profiles(load_templates(None), MethodConfig().profiles)


def test_the_docs_have_runnable_examples_of_every_kind() -> None:
    assert {block.kind for block in BLOCKS} == set(KINDS)
    assert len(BLOCKS) >= 15, [block.where for block in BLOCKS]


def test_a_marker_must_mark_a_block(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    for text, message in (("<!-- test: toml -->\nplain text\n", "not followed by a fenced"),
                          ("<!-- test: yaml -->\n```\nx\n```\n", "unknown example kind")):
        page.write_text(text, encoding="utf-8")
        with pytest.raises(MarkerError, match=message):
            blocks(page)


def test_a_marker_shown_in_a_code_block_marks_nothing(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("````markdown\n<!-- test: toml -->\n```toml\nx = 1\n```\n````\n"
                    "<!-- test: toml -->\n```toml\n[records]\n```\n", encoding="utf-8")
    assert [(block.line, block.code) for block in blocks(page)] == [(7, "[records]\n")]


# --- cop.toml and company templates ----------------------------------------------------------

@pytest.mark.parametrize("block", of_kind("toml"))
def test_a_configuration_example_loads(block: Block, tmp_path: Path) -> None:
    """As shown, and with its commented-out settings set (`# timeout = 30` shows a value
    the loader must accept too)."""
    for text in (block.code, uncommented(block.code)):
        # a part of cop.toml: added to a file whose default wiki is set
        data = {**A_WIKI, **tomllib.loads(text)}
        path = tmp_path / "cop.toml"
        path.write_text(tomli_w.dumps(data), encoding="utf-8")
        config = load(str(path))
        assert config.path == path.resolve()


def template_pages() -> list[Any]:
    pages: dict[Path, list[Block]] = defaultdict(list)
    for block in BLOCKS:
        if block.kind == "toml" and block.arg.startswith("templates/"):
            pages[block.page].append(block)
    return [pytest.param(found, id=found[0].where) for found in pages.values()]


@pytest.mark.parametrize("found", template_pages())
def test_company_template_examples_load(found: list[Block], tmp_path: Path) -> None:
    """A page's template files, together in one templates directory, as a company has
    them: loaded and validated by the real loader, and what they add is there."""
    directory = tmp_path / "templates"
    directory.mkdir()
    for block in found:
        (tmp_path / block.arg).write_text(block.code, encoding="utf-8")
    templates = load_templates(directory)
    for block in found:
        kind = templates.get(Path(block.arg).stem)
        for added in tomllib.loads(block.code).get("fields", []):
            assert kind is not None and kind.field(added["name"]) is not None, block.where


# --- rows in wikitext and in the storage format ----------------------------------------------

@pytest.mark.parametrize("block", of_kind("wikitext"))
def test_row_template_examples_are_read_without_a_problem(block: Block) -> None:
    templates = shipped()
    lines = [line for line in block.code.splitlines() if line.strip()]
    assert lines, block.where
    for line in lines:
        calls = mwparserfromhell.parse(line).filter_templates(recursive=False)
        assert len(calls) == 1, f"{block.where}: one row template per line: {line}"
        kind = templates.by_template(str(calls[0].name))
        assert kind is not None, f"{block.where}: no row kind for {calls[0].name}"
        parsed = WikitextCodec().parse_rows(line, kind, "Docs")
        rows, problems = read_rows(kind, "Docs", parsed)
        assert not problems, f"{block.where}: {problems}"
        assert len(rows) == 1, f"{block.where}: {line}"


@pytest.mark.parametrize("block", of_kind("storage"))
def test_storage_format_examples_are_read_without_a_problem(block: Block) -> None:
    kind = shipped()[block.arg]
    parsed = StorageCodec().parse_rows(block.code, kind, "Docs")
    rows, problems = read_rows(kind, "Docs", parsed)
    assert not problems, f"{block.where}: {problems}"
    assert rows and len(rows) == len(parsed.rows), block.where


# --- cop sessions ------------------------------------------------------------------------------

class NamespacesDeclared(MemoryBackend):
    """An in-memory MediaWiki whose admin has pasted every line `cop mediawiki namespaces`
    printed: each community's namespace exists when it is first checked."""

    def check_space(self, spec: SpaceSpec) -> SpaceInfo:
        self.spaces.add(spec.space)
        return super().check_space(spec)


def sessions() -> list[Any]:
    pages: dict[Path, list[Block]] = defaultdict(list)
    for block in BLOCKS:
        if block.kind == "cop":
            pages[block.page].append(block)
    return [pytest.param(found, id=str(found[0].page.name)) for found in pages.values()]


@pytest.fixture
def in_memory_wiki(monkeypatch: pytest.MonkeyPatch) -> MemoryBackend:
    wiki = NamespacesDeclared(WikitextCodec(), spaces={"Template", "Project"})
    # (the CLI imports build_backend from there when a command first needs a wiki)
    monkeypatch.setattr(sync.config.backends, "build_backend",
                        lambda config, name, records=None, budget=None, **_: wiki)
    return wiki


@pytest.mark.parametrize("found", sessions())
def test_command_examples_run(found: list[Block], tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch,
                              in_memory_wiki: MemoryBackend) -> None:
    """A page's `cop` examples, in page order, in one directory: each command succeeds, or
    fails with the error the example shows."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COP_CONFIG", raising=False)
    runner = CliRunner()
    first = commands("\n".join(found[0].setup) + "\n" + found[0].code)
    if not first or first[0].argv[:2] != ("cop", "init"):
        done = runner.invoke(_cop, ["init", "--mediawiki-url", "https://wiki.corp.example/w/"])
        assert done.exit_code == 0, done.output
    for block, command in steps(found):
        program: click.Command = _cop_sync if command.argv[0] == "cop-sync" else _cop
        result = runner.invoke(program, list(command.argv[1:]), catch_exceptions=False)
        shown = f"{block.where}: {' '.join(command.argv)}\n{result.output}"
        if command.error is None:
            assert result.exit_code == 0, shown
        else:
            assert result.exit_code == 2, shown
            assert matches(command.error, result.output), shown


def steps(found: list[Block]) -> Iterator[tuple[Block, Any]]:
    for block in found:
        for command in commands("\n".join(block.setup) + "\n" + block.code):
            yield block, command


# --- queries on the records ---------------------------------------------------------------------

@pytest.mark.parametrize("block", of_kind("sqlite"))
def test_record_queries_run(block: Block, tmp_path: Path) -> None:
    """The queries a reader may type on the records, on a database as `cop init` makes it
    (every migration applied): each table, view and column they name exists. Run through
    the records' connection, so the run with the records on PostgreSQL checks that they
    answer there too (as docs/innovation-manager.md says)."""
    records = Records.open(tmp_path / "cop.db")
    queries = [shlex.split(line)[2] for line in block.code.splitlines()
               if line.startswith("sqlite3 ")]
    assert queries, block.where
    with closing(records):
        for query in queries:
            records.db.execute(query).fetchall()
