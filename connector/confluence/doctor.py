"""`cop doctor` on Confluence: a mixin of ConfluenceBackend that checks, read-only, what
provisioning and the cron job need: the site answers over verified TLS, the token is
accepted, the REST API versions this adapter uses answer, each community's space is there
and cop-connector's own, its pilot, expert and members hold their permissions there (when
[confluence.accounts] maps them to accounts), and the pages carry the labels Page
Properties Reports and CQL find them by.

Requests: the account (1), the v2 API on Cloud (1), per provisioned community its space (1),
its permissions (1, only with [confluence.accounts]) and its pages' labels (1 per 50 pages).
"""

from __future__ import annotations

from connector.base import PageRef, SpaceSpec
from connector.diagnosis import FAILURE, OK, WARNING, Check, Expectations, ExpectedSpace
from connector.errors import AuthenticationFailed, CopError, SpaceMissing

from . import history, permissions, v1
from .model import Dialect, SpaceRecord, SpaceTaken
from .settings import BACKEND, ConfluenceSettings
from .transport import ConfluenceHttp


class Doctor:
    """Needs the backend's ``settings``, ``http``, ``dialect``, ``check_space``, ``_space``
    and the pages it knows (``_known``: page id -> ref)."""

    settings: ConfluenceSettings
    http: ConfluenceHttp
    dialect: Dialect
    _known: dict[str, PageRef]

    def check_space(self, spec: SpaceSpec) -> object:
        raise NotImplementedError

    def _space(self, key: str) -> SpaceRecord:
        raise NotImplementedError

    def diagnose(self, expect: Expectations) -> list[Check]:
        """Read-only checks of this site against ``expect`` (connector/diagnosis.py)."""
        try:
            me = history.current_user(self.http)
        except AuthenticationFailed as refused:
            return [Check(BACKEND, "reachable", OK, f"{self.settings.url} answers"),
                    Check(BACKEND, "login", FAILURE, refused.detail, self._login_fix())]
        except CopError as error:
            tls = "TLS" in str(error)
            return [Check(BACKEND, "TLS" if tls else "reachable", FAILURE, str(error),
                          'set confluence.ca_bundle = "/path/to/ca.pem" (the company\'s '
                          "certificate authority) in cop.toml" if tls else
                          "check confluence.url (Cloud: https://SITE.atlassian.net/wiki) and "
                          "that the site is reachable from this machine")]
        who = self.settings.user or "the account"
        checks = [Check(BACKEND, "reachable", OK, f"{self.settings.url} answers"),
                  Check(BACKEND, "login", OK, f"the token of {who} is accepted (account "
                        f"{me})"), self._api()]
        for space in expect.spaces:
            checks += self._space_checks(space, me)
        return checks

    def _login_fix(self) -> str:
        if self.settings.cloud:
            return ("check confluence.user (the account's e-mail) and that the variable "
                    "named by confluence.token_env holds one of its API tokens "
                    "(https://id.atlassian.com/manage-profile/security/api-tokens)")
        return ("check that the variable named by confluence.token_env holds a personal "
                "access token of the account (Profile > Personal Access Tokens)")

    def _api(self) -> Check:
        if not self.settings.cloud:
            return Check(BACKEND, "REST API", OK, "REST API v1 answers (Data Center)")
        try:
            answer = self.http.call("GET", "api/v2/spaces", params={"limit": 1},
                                    purpose="lookups", allow=(404,))
        except CopError as error:
            return Check(BACKEND, "REST API", FAILURE, f"REST API v2: {error}")
        if answer.status == 404:
            return Check(BACKEND, "REST API", FAILURE, "no REST API v2 on this site: it is not "
                         "Confluence Cloud", 'set confluence.deployment = "datacenter" in '
                         "cop.toml for a Data Center site")
        return Check(BACKEND, "REST API", OK, "REST API v1 and v2 answer (Cloud)")

    def _space_checks(self, space: ExpectedSpace, me: str) -> list[Check]:
        topic = f"space {space.space} ({space.slug})"
        spec = SpaceSpec(space.slug, space.name, space.space, space.lang)
        try:
            self.check_space(spec)
        except SpaceMissing:
            if space.provisioned:
                return [Check(BACKEND, topic, FAILURE, "gone from the site (deleted?): its "
                              "pages cannot be synced", "restore it from the site's trash "
                              "(Confluence administration > Trash), or `cop provision "
                              f"{space.slug}` makes a new, empty one")]
            return [Check(BACKEND, topic, OK, "not created yet: provisioning creates it (the "
                          "account needs the global permission to create spaces)")]
        except SpaceTaken as taken:
            return [Check(BACKEND, topic, FAILURE, str(taken), "give the community another "
                          "space key, or delete that space if it is a leftover")]
        except CopError as error:
            return [Check(BACKEND, topic, FAILURE, str(error))]
        if not space.provisioned:
            return [Check(BACKEND, topic, OK, "exists, made for this community: provisioning "
                          "adopts it")]
        return [Check(BACKEND, topic, OK, "there, cop-connector's own"),
                *self._permission_check(space), self._label_check(space)]

    def _permission_check(self, space: ExpectedSpace) -> list[Check]:
        """Pilot and expert administer the space, members edit it (permissions.py), for the
        people [confluence.accounts] maps; only when it maps someone."""
        if not self.settings.accounts:
            return []
        topic = f"space permissions {space.space}"
        accounts = permissions.account_map(self.settings.accounts)
        wanted, unmapped = permissions.wanted_permissions(accounts, space.admins,
                                                          space.editors)
        try:
            held = self.dialect.permissions(self._space(space.space)) if wanted else set()
        except CopError as error:
            return [Check(BACKEND, topic, WARNING, f"cannot be read: {error}",
                          f"give {self.settings.user or 'the account'} the Admin permission "
                          f"on space {space.space} (Space settings > Permissions)")]
        lacking = sorted({account for account, operations in wanted.items()
                          for operation in operations if (account, *operation) not in held})
        checks = []
        if lacking:
            checks.append(Check(BACKEND, topic, WARNING, f"{len(lacking)} account(s) lack "
                                f"their permissions on the space: {', '.join(lacking)}",
                                f"`cop provision {space.slug}` grants them (the account "
                                "must administer the space)"))
        if unmapped:
            checks.append(Check(BACKEND, f"accounts {space.space}", WARNING,
                                f"no Confluence account known for {', '.join(unmapped)}: "
                                "they get no space permission",
                                "map each e-mail to its account under [confluence.accounts] "
                                "in cop.toml"))
        return checks or [Check(BACKEND, topic, OK, "pilot, expert and members hold their "
                                "permissions")]

    def _label_check(self, space: ExpectedSpace) -> Check:
        topic = f"labels {space.space}"
        known = {page_id for page_id, ref in self._known.items() if ref.space == space.space}
        try:
            unlabelled = _unlabelled(self.http, space.space, known)
        except CopError as error:
            return Check(BACKEND, topic, WARNING, f"cannot be read: {error}")
        if unlabelled:
            return Check(BACKEND, topic, WARNING,
                         f"{len(unlabelled)} page(s) lack the label cop: Page Properties "
                         f"Reports and CQL miss them ({', '.join(sorted(unlabelled)[:5])})",
                         f"`cop provision {space.slug}` adds them")
        return Check(BACKEND, topic, OK, "every page cop-connector made carries its labels")


def _unlabelled(http: ConfluenceHttp, key: str, known: set[str]) -> list[str]:
    """Titles of the ``known`` pages of space ``key`` without the label cop."""
    found: list[str] = []
    cql = f'space = "{key}" and type = page'
    for _, records in v1.search(http, cql, expand="metadata.labels", limit=50,
                                purpose="reads"):
        found += [r.title for r in records
                  if r.id in known and "cop" not in (r.labels or ())]
    return found
