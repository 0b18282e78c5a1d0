"""Space permissions from community roles: pilot and expert administer, members edit.

People are e-mails in the records. Neither Cloud nor Data Center lets an API client find an
account by e-mail (Cloud hides e-mails for privacy; Data Center's REST API looks people up by
user name or key only), so the operator maps them in cop.toml::

    [confluence.accounts]
    "claire@corp.example" = "712020:3c9d7e2a-..."   # Cloud: the accountId (profile URL)
    "karim@corp.example" = "8a7f8082..."           # Data Center: the user key

Unmapped people get nothing and are reported (returned, and logged by the backend), never
silently skipped. Granting is idempotent: the space's permissions are read first and only
what is missing is added (nothing is ever removed: people leaving a community keep their
rights until an administrator removes them, the safe way round).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .model import Dialect, SpaceRecord

Operation = tuple[str, str]  # (operation key, target type), as both deployments name them
# "read space" first: Cloud refuses any other space permission to someone without it.
EDIT: tuple[Operation, ...] = (("read", "space"), ("create", "page"), ("create", "comment"),
                               ("create", "attachment"))
ADMIN: Operation = ("administer", "space")
ADMINISTER: tuple[Operation, ...] = (*EDIT, ("delete", "page"), ("export", "space"), ADMIN)


def account_map(accounts: Mapping[str, str]) -> dict[str, str]:
    """E-mail (case-folded) -> account identifier."""
    return {email.strip().casefold(): account.strip() for email, account in accounts.items()
            if email.strip() and account.strip()}


def wanted_permissions(accounts: Mapping[str, str], admins: Sequence[str],
                       editors: Sequence[str]) -> tuple[dict[str, list[Operation]], list[str]]:
    """(account -> operations it must hold, e-mails without an account)."""
    wanted: dict[str, list[Operation]] = {}
    unmapped: list[str] = []
    for emails, operations in ((admins, ADMINISTER), (editors, EDIT)):
        for email in emails:
            account = accounts.get(email.strip().casefold())
            if account is None:
                if email not in unmapped:
                    unmapped.append(email)
                continue
            held = wanted.setdefault(account, [])
            held.extend(op for op in operations if op not in held)
    return wanted, unmapped


def grant(dialect: Dialect, space: SpaceRecord, wanted: Mapping[str, list[Operation]]) -> int:
    """Add what is missing; returns the number of grant requests made (0 when all held).
    Makes no request at all when nobody is wanted."""
    if not wanted:
        return 0
    held = dialect.permissions(space)
    requests = 0
    for account, operations in wanted.items():
        missing = [op for op in operations if (account, *op) not in held]
        if missing:
            dialect.grant(space, account, missing)
            requests += 1
    return requests
