"""A cop-connector directory (cop.toml + records) wired to the real local wiki, and
snapshots of both, so that tests needing a provisioned community start from one in ~20 ms
instead of provisioning again."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import records_engine
from click.testing import CliRunner, Result
from records_engine import records_where

from connector.mediawiki.backend import MediaWikiBackend, MediaWikiSettings
from connector.mediawiki.wikitext import WikitextCodec
from page_templates import shipped
from sync.cli import _cop
from sync.cli.sync_command import cop_sync
from sync.engine.page_rows import read_rows
from sync.records.engines import is_url
from sync.records.store import Records

NS = "CoP_Battery"
NS_ID = 3000
ROW_KINDS = ("members", "watch", "references", "regulation", "competition")
TITLES = {"members": "Members", "watch": "Watch", "references": "References",
          "regulation": "Regulation", "competition": "Competition"}


class CopDir:
    """cop.toml and cop.db in ``path``, the bot password in the environment of each call."""

    def __init__(self, path: Path, wiki: Any) -> None:
        self.path = path
        self.wiki = wiki
        self.config = path / "cop.toml"
        self.env = {"COP_CONFIG": str(self.config),
                    "COP_MEDIAWIKI_PASSWORD": wiki.credentials.bot_password}

    def __call__(self, *args: str, command: click.Command = _cop) -> Result:
        """A command in this process (fast; the CLI as CliRunner sees it)."""
        return CliRunner().invoke(command, list(args), env=self.env, catch_exceptions=False)

    def sync(self, *args: str) -> Result:
        return self(*args, command=cop_sync)

    @contextmanager
    def records(self) -> Iterator[Records]:
        records = Records.open(records_where(self.path))
        try:
            yield records
        finally:
            records.close()

    def integrity(self) -> str:
        """SQLite's own check of the file ("ok"); a PostgreSQL server keeps its own
        integrity (a transaction is whole or absent): there, "ok" once the records open."""
        where = records_where(self.path)
        if is_url(where) or records_engine.POSTGRESQL:
            with self.records():
                return "ok"
        with sqlite3.connect(where) as db:
            return db.execute("PRAGMA integrity_check").fetchone()[0]

    def backend(self) -> MediaWikiBackend:
        settings = MediaWikiSettings(url=self.wiki.url, user=self.wiki.credentials.bot_user,
                                     password=self.wiki.credentials.bot_password,
                                     max_retries=1, retry_wait=0)
        return MediaWikiBackend(settings, WikitextCodec(), namespaces={NS: NS_ID})


def create(path: Path, wiki: Any, *, provision: bool = True, records: str = "") -> CopDir:
    """cop init (records: cop.db, or the database ``records`` names), community battery
    (en), its namespace declared; provisioned and synced."""
    path.mkdir(parents=True, exist_ok=True)
    cop = CopDir(path, wiki)
    where = ("--records", records) if records else ()
    assert cop("init", "--mediawiki-url", wiki.url, "--mediawiki-user",
               wiki.credentials.bot_user, *where).exit_code == 0
    added = cop("community", "add", "battery", "--name", "Battery storage", "--theme",
                "Energy storage", "--pilot", "claire@corp.example", "--expert",
                "karim@corp.example", "--lang", "en")
    assert added.exit_code == 0, added.output
    declare_namespace(wiki, cop)
    if provision:
        result = cop("provision", "battery")
        assert result.exit_code == 0, result.output
        assert cop.sync().exit_code == 0
    return cop


def declare_namespace(wiki: Any, cop: CopDir) -> None:
    wiki.add_php("namespaces", cop("mediawiki", "namespaces").output)


def save(wiki: Any, cop: CopDir, snapshot: Path) -> None:
    """Keep the wiki's databases and the cop directory as they are now."""
    (snapshot / "data").mkdir(parents=True, exist_ok=True)
    for database in (wiki.directory / "data").glob("*.sqlite"):
        shutil.copyfile(database, snapshot / "data" / database.name)
    shutil.copytree(cop.path, snapshot / "cop", dirs_exist_ok=True)
    if records_engine.DATABASES is not None:  # the records on PostgreSQL: a clone, kept
        records_engine.DATABASES.copy(cop.path / "cop.db", snapshot / "cop" / "cop.db",
                                      keep=True)


def restore(wiki: Any, snapshot: Path, target: Path) -> CopDir:
    """The wiki and a copy of the cop directory (in ``target``) back as saved."""
    wiki.reset()  # also drops the extra PHP other tests added
    for database in (snapshot / "data").glob("*.sqlite"):
        shutil.copyfile(database, wiki.directory / "data" / database.name)
    shutil.copytree(snapshot / "cop", target, dirs_exist_ok=True)
    if records_engine.DATABASES is not None:
        records_engine.DATABASES.copy(snapshot / "cop" / "cop.db", target / "cop.db")
    cop = CopDir(target, wiki)
    declare_namespace(wiki, cop)
    return cop


def wiki_rows(cop: CopDir) -> dict[str, dict[str, dict[str, str]]]:
    """kind -> key -> values, as the wiki's pages hold them now (read, parsed, validated)."""
    templates = shipped()
    with cop.records() as records:
        refs = {kind: state.ref for state in records.page_states("battery")
                for kind in [state.kind] if kind in ROW_KINDS}
    pages = cop.backend().read_pages(list(refs.values()))
    found = {}
    for kind, ref in refs.items():
        parsed = WikitextCodec().parse_rows(pages[ref].content, templates[kind], str(ref))
        rows, problems = read_rows(templates[kind], str(ref), parsed)
        assert problems == [], problems  # e.g. no row twice on a page
        found[kind] = rows
    return found


def recorded_rows(cop: CopDir) -> dict[str, dict[str, dict[str, str]]]:
    with cop.records() as records:
        return {kind: records.live_rows("battery", kind) for kind in ROW_KINDS}


def records_digest(cop: CopDir) -> str:
    """The records' content without times: live rows, tombstones, problems, conflicts."""
    with cop.records() as records:
        entries = [(e.kind, e.key, dict(e.data), e.deleted_by)
                   for e in records.entries("battery", include_deleted=True)]
        conflicts = [(c.kind, c.key, c.field) for c in records.conflicts()]
        problems = [(p.kind, p.row, p.field) for p in records.problems()]
    return json.dumps([sorted(entries), conflicts, problems], sort_keys=True)
