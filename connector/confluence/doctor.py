"""`cop doctor` on Confluence (``ConfluenceBackend.diagnose`` imports this when called):
read-only checks of what provisioning and the cron job need. The site answers over verified
TLS, the token is accepted, the REST API versions this adapter uses answer, each community's
space is there and cop-connector's own, its pilot, expert and members hold their permissions
there (when [confluence.accounts] maps them to accounts), and the pages carry the labels
Page Properties Reports and CQL find them by.

Requests: the account (1), the v2 API on Cloud (1), per provisioned community its space (1),
its permissions (1, only with [confluence.accounts]) and its pages' labels (1 per 50 pages).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connector.base import SpaceSpec
from connector.diagnosis import FAILURE, OK, WARNING, Check, Expectations, ExpectedSpace
from connector.errors import AuthenticationFailed, CopError, SpaceMissing

from . import history, permissions, v1
from .model import SpaceTaken
from .settings import BACKEND, ConfluenceSettings
from .transport import ConfluenceHttp

if TYPE_CHECKING:
    from .backend import ConfluenceBackend


def diagnose(site: ConfluenceBackend, expect: Expectations) -> list[Check]:
    """Read-only checks of ``site`` against ``expect`` (connector/diagnosis.py)."""
    settings, config_file = site.settings, expect.config_file
    try:
        me = history.current_user(site.http)
    except AuthenticationFailed as refused:
        return [Check(BACKEND, "reachable", OK, f"{settings.url} answers"),
                Check(BACKEND, "login", FAILURE, refused.detail, _login_fix(settings))]
    except CopError as error:
        tls = "TLS" in str(error)
        return [Check(BACKEND, "TLS" if tls else "reachable", FAILURE, str(error),
                      'set confluence.ca_bundle = "/path/to/ca.pem" (the company\'s '
                      f"certificate authority) in {config_file}" if tls else
                      f"check confluence.url in {config_file} (Cloud: "
                      "https://SITE.atlassian.net/wiki) and that the site is reachable from "
                      "this machine")]
    who = settings.user or "the account"
    checks = [Check(BACKEND, "reachable", OK, f"{settings.url} answers"),
              Check(BACKEND, "login", OK, f"the token of {who} is accepted (account {me})"),
              _api(site.http, settings, config_file)]
    for space in expect.spaces:
        checks += _space_checks(site, space, config_file)
    return checks


def _login_fix(settings: ConfluenceSettings) -> str:
    if settings.cloud:
        return ("check confluence.user (the account's e-mail) and that the variable named by "
                "confluence.token_env holds one of its API tokens "
                "(https://id.atlassian.com/manage-profile/security/api-tokens)")
    return ("check that the variable named by confluence.token_env holds a personal access "
            "token of the account (Profile > Personal Access Tokens)")


def _api(http: ConfluenceHttp, settings: ConfluenceSettings, config_file: str) -> Check:
    if not settings.cloud:
        return Check(BACKEND, "REST API", OK, "REST API v1 answers (Data Center)")
    try:
        answer = http.call("GET", "api/v2/spaces", params={"limit": 1}, purpose="lookups",
                           allow=(404,))
    except CopError as error:
        return Check(BACKEND, "REST API", FAILURE, f"REST API v2: {error}")
    if answer.status == 404:
        return Check(BACKEND, "REST API", FAILURE, "no REST API v2 on this site: it is not "
                     "Confluence Cloud", 'set confluence.deployment = "datacenter" in '
                     f"{config_file} for a Data Center site")
    return Check(BACKEND, "REST API", OK, "REST API v1 and v2 answer (Cloud)")


def _space_checks(site: ConfluenceBackend, space: ExpectedSpace,
                  config_file: str) -> list[Check]:
    topic = f"space {space.space} ({space.slug})"
    try:
        site.check_space(SpaceSpec(space.slug, space.name, space.space, space.lang))
    except SpaceMissing:
        if space.provisioned:
            return [Check(BACKEND, topic, FAILURE, "gone from the site (deleted?): its pages "
                          "cannot be synced", "restore it from the site's trash (Confluence "
                          f"administration > Trash), or `cop provision {space.slug}` makes a "
                          "new, empty one")]
        return [Check(BACKEND, topic, OK, "not created yet: provisioning creates it (the "
                      "account needs the global permission to create spaces)")]
    except SpaceTaken as taken:
        return [Check(BACKEND, topic, FAILURE, str(taken), "give the community another space "
                      "key, or delete that space if it is a leftover")]
    except CopError as error:
        return [Check(BACKEND, topic, FAILURE, str(error))]
    if not space.provisioned:
        return [Check(BACKEND, topic, OK, "exists, made for this community: provisioning "
                      "adopts it")]
    return [Check(BACKEND, topic, OK, "there, cop-connector's own"),
            *_permission_checks(site, space, config_file), _label_check(site, space)]


def _permission_checks(site: ConfluenceBackend, space: ExpectedSpace,
                       config_file: str) -> list[Check]:
    """Pilot and expert administer the space, members edit it (permissions.py), for the
    people [confluence.accounts] maps (in ``config_file``); only when it maps someone."""
    settings = site.settings
    if not settings.accounts:
        return []
    topic = f"space permissions {space.space}"
    accounts = permissions.account_map(settings.accounts)
    wanted, unmapped = permissions.wanted_permissions(accounts, space.admins, space.editors)
    try:
        held = site.dialect.permissions(site.space_record(space.space)) if wanted else set()
    except CopError as error:
        return [Check(BACKEND, topic, WARNING, f"cannot be read: {error}",
                      f"give {settings.user or 'the account'} the Admin permission on space "
                      f"{space.space} (Space settings > Permissions)")]
    lacking = sorted({account for account, operations in wanted.items()
                      for operation in operations if (account, *operation) not in held})
    checks = []
    if lacking:
        checks.append(Check(BACKEND, topic, WARNING, f"{len(lacking)} account(s) lack their "
                            f"permissions on the space: {', '.join(lacking)}",
                            f"`cop provision {space.slug}` grants them (the account must "
                            "administer the space)"))
    if unmapped:
        checks.append(Check(BACKEND, f"accounts {space.space}", WARNING,
                            f"no Confluence account known for {', '.join(unmapped)}: they get "
                            "no space permission", "map each e-mail to its account under "
                            f"[confluence.accounts] in {config_file}"))
    return checks or [Check(BACKEND, topic, OK, "pilot, expert and members hold their "
                            "permissions")]


def _label_check(site: ConfluenceBackend, space: ExpectedSpace) -> Check:
    topic = f"labels {space.space}"
    known = site.known_pages(space.space)
    try:
        unlabelled = _unlabelled(site.http, space.space, known)
    except CopError as error:
        return Check(BACKEND, topic, WARNING, f"cannot be read: {error}")
    if unlabelled:
        return Check(BACKEND, topic, WARNING,
                     f"{len(unlabelled)} page(s) lack the label cop: Page Properties Reports "
                     f"and CQL miss them ({', '.join(sorted(unlabelled)[:5])})",
                     f"`cop provision {space.slug}` adds them")
    return Check(BACKEND, topic, OK, "every page cop-connector made carries its labels")


def _unlabelled(http: ConfluenceHttp, key: str, known: set[str]) -> list[str]:
    """Titles of the ``known`` pages of space ``key`` without the label cop."""
    found: list[str] = []
    cql = f'space = "{key}" and type = page'
    for _, records in v1.search(http, cql, expand="metadata.labels", limit=50,
                                purpose="reads"):
        found += [r.title for r in records if r.id in known and "cop" not in (r.labels or ())]
    return found
