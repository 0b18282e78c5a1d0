"""`cop doctor` on MediaWiki, the pure part: what the wiki said (``SiteFacts``) and what the
records expect (connector/diagnosis.py) give the checks, each with its fix.

Fixes name the exact thing to do: the LocalSettings.php line, the grant to tick on
Special:BotPasswords (by the label this wiki shows), the group to give on
Special:UserRights.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

from msgspec import Struct, field

from connector.diagnosis import FAILURE, OK, WARNING, Check, Expectations, ExpectedSpace, Status

from .namespaces import ADD_ROW_MODULE, declaration
from .titles import find_namespace

WIKI = "mediawiki"
OLDEST_VERSION = (1, 35)  # the adapter's floor (formatversion=2, baserevid, bot passwords)
JOB_BACKLOG = 100  # jobs waiting: beyond this, a queue that does not run is likely


class Right(Struct, frozen=True):
    """A right the connector's account needs: the grant that carries it on a bot password
    and why it is needed; ``status`` when it is missing."""

    right: str
    grant: str
    why: str
    status: Status
    gone_in: tuple[int, int] | None = None  # the MediaWiki version that no longer has it


RIGHTS = (
    # MediaWiki 1.41 removed the right (writing through the API needs only the edit rights)
    Right("writeapi", "basic", "write through the API", FAILURE, gone_in=(1, 41)),
    Right("edit", "editpage", "edit pages (provisioning, member changes)", FAILURE),
    Right("createpage", "createeditmovepage", "create the communities' pages", FAILURE),
    Right("protect", "protect", "protect pages (`cop archive` freezes a space that way)",
          WARNING),
    Right("apihighlimits", "highvolume", "read 500 titles and 5,000 changes per request "
          "(else 50 and 500: more requests)", WARNING),
    Right("noratelimit", "highvolume", "edit past the 90 edits a minute of ordinary "
          "accounts (provisioning many communities)", WARNING),
    Right("bot", "highvolume", "flag its edits as a bot's (else every provisioning edit "
          "shows in watchlists and recent changes)", WARNING),
)
GRANTS = tuple(dict.fromkeys(right.grant for right in RIGHTS))
EXTENSIONS = (
    ("ParserFunctions", FAILURE, "the row templates use {{#if:}} and {{#switch:}}: without "
                                 "it every row shows as raw code"),
    ("TemplateData", WARNING, "the visual editor shows no form with labelled fields for the "
                              "rows (members must type the parameters)"),
    ("VisualEditor", WARNING, "members can only edit the pages' source (wikitext)"),
)


class SiteFacts(Struct, frozen=True):
    """What the wiki said about itself and about the connector's account."""

    url: str  # the script path, where api.php lives
    generator: str = ""  # "MediaWiki 1.39.17"
    user: str = ""  # the configured account ("Name@appid" for a bot password)
    rights: frozenset[str] = frozenset()
    groups: tuple[str, ...] = ()
    group_rights: Mapping[str, frozenset[str]] = field(default_factory=dict)
    namespaces: Mapping[int, str] = field(default_factory=dict)
    extensions: frozenset[str] = frozenset()
    jobs: int | None = None
    rc_max_age: int | None = None  # seconds ($wgRCMaxAge)
    grant_labels: Mapping[str, str] = field(default_factory=dict)  # grant -> its label
    # namespace number -> the script modules a page view there loads (None: the view was
    # not of that namespace, e.g. a wiki that shows pages to logged-in readers only)
    page_modules: Mapping[int, frozenset[str] | None] = field(default_factory=dict)


def site_checks(facts: SiteFacts, expect: Expectations) -> list[Check]:
    """Every check that rests on what the wiki said."""
    return [_version(facts), *_rights(facts), *_namespaces(facts, expect.spaces),
            *_extensions(facts), *add_button_checks(facts, expect.spaces), _jobs(facts),
            _recent_changes(facts, expect)]


def add_buttons_to_check(facts: SiteFacts, spaces: Sequence[ExpectedSpace]) -> dict[int, str]:
    """Namespace number -> name, of the provisioned communities declared on the wiki: their
    pages have "Add" buttons, which the wiki's script should point at the visual editor."""
    found = {space.space: find_namespace(facts.namespaces, space.space) for space in spaces
             if space.provisioned and not space.archived}
    return {number: name for name, number in found.items() if number is not None}


def add_button_checks(facts: SiteFacts, spaces: Sequence[ExpectedSpace]) -> list[Check]:
    """Each community namespace loads the script of the "Add" buttons (the block that `cop
    mediawiki namespaces` prints): without it they open the source editor, and a namespace
    added after the block was pasted is the usual cause."""
    if "VisualEditor" not in facts.extensions:
        return []  # said by the extension check; the buttons open the source editor anyway
    wanted = add_buttons_to_check(facts, spaces)
    if wanted and all(facts.page_modules.get(n) is None for n in wanted):
        return [Check(WIKI, "Add buttons", OK, "not checked: the wiki shows its pages to "
                      "logged-in readers only (open a community page and click an Add "
                      "button: the visual editor should open with a new entry)")]
    return [_add_button(name, facts.page_modules.get(number))
            for number, name in sorted(wanted.items())]


def _add_button(name: str, modules: frozenset[str] | None) -> Check:
    topic = f"Add buttons of {name}"
    if modules is None:
        return Check(WIKI, topic, OK, "not checked: no page view of the namespace")
    if ADD_ROW_MODULE in modules:
        return Check(WIKI, topic, OK, "they open the visual editor with a new entry")
    return Check(WIKI, topic, WARNING, "they open the source editor: the wiki does not load "
                 "their script on this namespace (the block of `cop mediawiki namespaces` "
                 "was pasted before this community was added, or without the script)",
                 "print `cop mediawiki namespaces` again and replace the whole block in "
                 "LocalSettings.php with it")


def _wiki_version(facts: SiteFacts) -> tuple[int, int] | None:
    found = re.search(r"(\d+)\.(\d+)", facts.generator)
    return (int(found.group(1)), int(found.group(2))) if found else None


def _version(facts: SiteFacts) -> Check:
    version = _wiki_version(facts)
    if version is not None and version < OLDEST_VERSION:
        return Check(WIKI, "version", FAILURE, f"{facts.generator}: cop-connector needs "
                     "MediaWiki 1.35 or later", "upgrade the wiki (1.43 is the current LTS)")
    return Check(WIKI, "version", OK, facts.generator or "MediaWiki (version not told)")


# --- rights and grants --------------------------------------------------------------------

def _rights(facts: SiteFacts) -> list[Check]:
    if not facts.user:
        return [Check(WIKI, "login", WARNING, "no mediawiki.user: cop-connector reads "
                      "anonymously and cannot write",
                      "create a bot password (Special:BotPasswords) and set mediawiki.user "
                      "to Name@appid and its password in the variable mediawiki.password_env "
                      "names")]
    version = _wiki_version(facts)
    rights = [r for r in RIGHTS if not (r.gone_in and version and version >= r.gone_in)]
    checks = []
    for grant in GRANTS:
        needed = [r for r in rights if r.grant == grant]
        if not needed:
            continue
        missing = [r for r in needed if r.right not in facts.rights]
        topic = f"rights: {', '.join(r.right for r in needed)}"
        if not missing:
            checks.append(Check(WIKI, topic, OK, f"{facts.user} may "
                                + "; ".join(r.why.split(" (")[0] for r in needed)))
            continue
        status = FAILURE if any(r.status == FAILURE for r in missing) else WARNING
        checks.append(Check(WIKI, topic, status,
                            f"{facts.user} lacks {', '.join(r.right for r in missing)}: it "
                            f"cannot {'; '.join(r.why for r in missing)}",
                            _rights_fix(facts, grant, missing)))
    return checks


def _rights_fix(facts: SiteFacts, grant: str, missing: Sequence[Right]) -> str:
    """A bot password lacking the grant: tick it; the account lacking the right: a group."""
    account, _, app = facts.user.partition("@")
    by_group = any(r.right in facts.group_rights.get(g, frozenset())
                   for r in missing for g in facts.groups)
    if app and by_group:
        label = facts.grant_labels.get(grant, grant)
        return (f"on {facts.url}index.php/Special:BotPasswords/{app} (logged in as "
                f"{account}), tick “{label}” and save (the password stays the same)")
    rights = "".join(f"$wgGroupPermissions['bot']['{r.right}'] = true; " for r in missing)
    return (f"give {account} the bot group on {facts.url}index.php/Special:UserRights/"
            f"{account}, or grant the right in LocalSettings.php: {rights.strip()}"
            + (f"; then tick “{facts.grant_labels.get(grant, grant)}” on "
               f"Special:BotPasswords/{app}" if app else ""))


# --- namespaces ---------------------------------------------------------------------------

def _namespaces(facts: SiteFacts, spaces: Sequence[ExpectedSpace]) -> list[Check]:
    return [_namespace(facts.namespaces, space) for space in spaces]


def _namespace(names: Mapping[int, str], space: ExpectedSpace) -> Check:
    topic = f"namespace {space.space} ({space.slug})"
    number = find_namespace(names, space.space)
    recorded = int(space.space_id) if space.space_id.isdigit() else None
    if number is None:
        wanted = recorded if recorded is not None else _free(names, space.planned_id)
        gone = " (its pages were provisioned there: they are out of reach)" \
            if space.provisioned else " (provisioning stops until it is)"
        return Check(WIKI, topic, FAILURE, f"not declared on the wiki{gone}",
                     "add to LocalSettings.php:\n"
                     + declaration(space.space, wanted, space.name).rstrip("\n")
                     + "\n(or paste again all that `cop mediawiki namespaces` prints: it also "
                     "lists the namespace for the script of the pages' \"Add\" buttons, "
                     "which otherwise open the source editor there)")
    if space.provisioned and recorded is not None and number != recorded:
        return Check(WIKI, topic, FAILURE,
                     f"declared as namespace {number}, but the records know it as {recorded} "
                     f"(where its pages are)",
                     f"in LocalSettings.php, give it its number back: "
                     f"$wgExtraNamespaces[{recorded}] = '{space.space}'; "
                     f"$wgExtraNamespaces[{recorded + 1}] = '{space.space}_talk'; "
                     f"(and remove the lines numbering it {number})")
    return Check(WIKI, topic, OK, f"declared, number {number}")


def _free(names: Mapping[int, str], planned: int | None) -> int:
    """The planned number, else the first free pair from 3000 (as provisioning says)."""
    number = planned if planned is not None else 3000
    while number in names or number + 1 in names:
        number += 2
    return number


# --- extensions, jobs, recent changes -----------------------------------------------------

def _extensions(facts: SiteFacts) -> list[Check]:
    checks = []
    for name, status, without in EXTENSIONS:
        if name in facts.extensions:
            checks.append(Check(WIKI, f"extension {name}", OK, "loaded"))
        else:
            checks.append(Check(WIKI, f"extension {name}", status, f"not loaded: {without}",
                                f"add to LocalSettings.php: wfLoadExtension( '{name}' );"))
    return checks


def _jobs(facts: SiteFacts) -> Check:
    if facts.jobs is None:
        return Check(WIKI, "job queue", OK, "the wiki does not tell its job count")
    if facts.jobs < JOB_BACKLOG:
        return Check(WIKI, "job queue", OK, f"{facts.jobs} job(s) waiting")
    return Check(WIKI, "job queue", WARNING,
                 f"{facts.jobs} jobs waiting: if that number does not go down, the job queue "
                 "does not run, and pages keep stale links (red links to pages created "
                 "since) and categories",
                 "run `php maintenance/runJobs.php --maxtime 60` from cron every few minutes "
                 "(or, on a small wiki, leave $wgJobRunRate at 1 in LocalSettings.php)")


def _recent_changes(facts: SiteFacts, expect: Expectations) -> Check:
    topic = "recent changes ($wgRCMaxAge)"
    if facts.rc_max_age is None:
        return Check(WIKI, topic, OK, "the wiki does not tell how long it keeps them")
    keeps = facts.rc_max_age / 86400
    kept = f"the wiki keeps {keeps:g} days of recent changes"
    if expect.last_sync:
        age = _seconds_between(expect.last_sync, expect.now) + expect.overlap_seconds
        if age >= facts.rc_max_age:
            return Check(WIKI, topic, FAILURE,
                         f"{kept}, and the last sync ({expect.last_sync}) is older: what "
                         "changed in between is no longer in the change feed",
                         "run `cop-sync --full` once (it reads every page)")
        if age >= facts.rc_max_age / 2:
            return Check(WIKI, topic, WARNING,
                         f"{kept}; the last sync ({expect.last_sync}) is half as old",
                         "make sure the cron job runs (`cop-sync` every few minutes)")
    if expect.history_days > keeps:
        return Check(WIKI, topic, WARNING,
                     f"{kept}, [health] history_days asks for {expect.history_days}",
                     f"set [health] history_days = {int(keeps)} in {expect.config_file}, or "
                     "keep more in LocalSettings.php: "
                     f"$wgRCMaxAge = {expect.history_days * 86400};")
    return Check(WIKI, topic, OK, kept + (f"; last sync {expect.last_sync}"
                                          if expect.last_sync else ""))


def _seconds_between(earlier: str, later: str) -> float:
    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (parse(later) - parse(earlier)).total_seconds()
