"""The doctor's checks that rest on the records and the local files, and the gathering of
what each wiki is expected to hold (its adapter checks the rest: connector/diagnosis.py)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from connector.base import RemotePage, WikiBackend
from connector.diagnosis import (
    FAILURE,
    OK,
    WARNING,
    Check,
    Diagnosable,
    Expectations,
    ExpectedSpace,
)
from connector.errors import CopError
from page_templates import TemplateSet
from sync.config.loader import Config
from sync.provision.actions import SUPPORT
from sync.provision.plan import plan_support
from sync.records.model import Community
from sync.records.store import Records

ROW_TEMPLATES = "row templates"
# What a check that failed this way means for the rest: no answer, no login, no point.
BLOCKING = ("reachable", "TLS", "login", "site information")


def config_file(config: Config) -> str:
    """The configuration file in use, as a fix names it (Config.shown_path)."""
    return config.shown_path


def expectations(records: Records, config: Config, backend: str, now: str) -> Expectations:
    """What the records know of the communities on ``backend``."""
    communities = [c for c in records.communities() if c.backend == backend]
    provisioned = {c.slug for c in communities if records.page_states(c.slug)}
    marks = [m for c in communities if c.slug in provisioned and not c.archived
             for m in [records.watermark(c.slug)] if m]
    return Expectations(spaces=[_space(c, c.slug in provisioned, records) for c in communities],
                        now=now, last_sync=min(marks) if marks else None,
                        history_days=config.health.history_days,
                        overlap_seconds=config.sync.overlap_seconds,
                        config_file=config_file(config))


def _space(community: Community, provisioned: bool, records: Records) -> ExpectedSpace:
    admins = (community.pilot, community.expert)
    editors = tuple(key for key in records.live_rows(community.slug, "members")
                    if key not in admins)
    return ExpectedSpace(slug=community.slug, name=community.name, space=community.space,
                         lang=community.lang, provisioned=provisioned,
                         space_id=community.space_id or "",
                         planned_id=community.namespace_id, archived=community.archived,
                         admins=admins, editors=editors)


def wiki_checks(backend: WikiBackend, records: Records | None, templates: TemplateSet | None,
                expect: Expectations) -> list[Check]:
    """The adapter's own checks, then (when it could log in, and the records and templates
    could be read) the shared pages it needs."""
    if not isinstance(backend, Diagnosable):
        return [Check(backend.name, "checks", WARNING, "this wiki's adapter cannot check it")]
    checks = backend.diagnose(expect)
    if records is None or templates is None or any(
            c.status == FAILURE and c.topic in BLOCKING for c in checks):
        return checks
    return checks + support_checks(backend, records, templates, expect)


def support_checks(backend: WikiBackend, records: Records, templates: TemplateSet,
                   expect: Expectations) -> list[Check]:
    """The pages every community uses (MediaWiki: the row templates) are there and at the
    version these templates make, as provisioning would find them (one batched read)."""
    languages = {s.space: s.lang for s in expect.spaces if s.space}
    support = backend.codec.support_pages(templates, languages)
    if not support:
        return []
    try:
        remote = backend.read_pages([ref for ref, _ in support])
    except CopError as error:
        return [Check(backend.name, ROW_TEMPLATES, FAILURE, f"cannot be read: {error}")]
    states = {s.kind: s for s in records.page_states(SUPPORT)}
    needed = any(s.provisioned for s in expect.spaces)
    found = [_support_check(backend.name, a.op, str(a.ref), remote.get(a.ref), needed)
             for a in plan_support(support, remote, states)]
    problems = [check for check in found if check.status != OK]
    if problems:
        return problems
    return [Check(backend.name, ROW_TEMPLATES, OK, f"{len(support)} installed, at the "
                  "version these templates make" if needed else
                  f"{len(support)} to install: the first provisioning does it")]


def _support_check(wiki: str, op: str, page: str, remote: RemotePage | None,
                   needed: bool) -> Check:
    topic = f"{ROW_TEMPLATES}: {page}"
    if op in ("skip", "adopt"):
        return Check(wiki, topic, OK, "installed, at the expected version")
    if op == "create":
        if not needed:
            return Check(wiki, topic, OK, "not installed yet: the first provisioning does it")
        return Check(wiki, topic, FAILURE, "missing: the rows of every community show as "
                     "red links to it", "`cop provision --all` installs it again")
    if op == "update":
        # Either the templates changed since it was written, or a community in a new
        # language was added (its labels go in the same page): the fix is the same.
        return Check(wiki, topic, WARNING, "not what provisioning writes now (the templates "
                     "changed since, or a community in another language was added): forms "
                     "and display may lag behind", "`cop provision --all` updates it")
    revision = f" (revision {remote.revision})" if remote else ""
    return Check(wiki, topic, WARNING, f"edited on the wiki{revision}: rows may show or "
                 "edit differently; provisioning leaves it as it is",
                 f"undo the edit in the page's history, or delete {page} and run "
                 "`cop provision --all` to install it again")


def file_checks(config: Config) -> list[Check]:
    """What the cron job writes beside the records: it must be able to, and the kept
    sessions must stay private."""
    where = config_file(config)
    checks = [_writable("records file", config.records_path, where),
              _writable("lock file", config.resolve(config.sync.lock_file), where),
              _writable("report file", config.resolve(config.sync.report_file), where)]
    if config.sync.log_file:
        checks.append(_writable("log file", config.resolve(config.sync.log_file), where))
    if config.feeds is not None:
        checks.append(_writable("feeds directory", config.resolve(config.feeds.dir), where))
    if config.session_path is not None:
        checks.append(_private(config.session_path))
    return checks


def _writable(what: str, path: Path, where: str) -> Check:
    """``path`` can be written; the fix names ``where`` it is set (the configuration
    file)."""
    target = path if path.exists() else path.parent
    if os.access(target, os.W_OK):
        return Check("", what, OK, f"{path} can be written")
    return Check("", what, FAILURE, f"{path} cannot be written by this user",
                 f"run cop-sync as the owner of {target}, or change its owner "
                 f"(chown) or the path in {where}")


def _private(path: Path) -> Check:
    if not path.exists():
        return Check("", "kept sessions", OK, f"{path} (made by the next run, mode 600)")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return Check("", "kept sessions", WARNING, f"{path} is readable by others "
                     f"(mode {mode:o}): it holds the wiki's session cookies",
                     f"chmod 600 {path} (the next run rewrites it with mode 600 anyway)")
    return Check("", "kept sessions", OK, f"{path} (mode 600)")

