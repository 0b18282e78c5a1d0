"""One error hierarchy for the whole product, with named fields.

The library raises these; only the CLI (sync/cli) turns them into messages and exit codes.
Every error carries the fields a person needs to act (page, field, setting, ...), and its
``str()`` is a complete sentence that never contains a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from msgspec import Struct
from msgspec import field as _field

# The root of the hierarchy lives in the bottom layer (page_templates raises it too);
# re-exported here so the rest of the product imports every error from this module.
from page_templates.errors import (  # noqa: F401  (re-exported)
    EXIT_INTERRUPTED,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    CopError,
    TemplateDefinitionError,
    UsageError,
)


class ConfigError(CopError):
    """A missing or wrong setting (in cop.toml, the environment or a flag)."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, setting: str | None = None, path: str | None = None):
        where = " ".join(part for part in (path and f"{path}:", setting and f"[{setting}]") if part)
        super().__init__(f"{where} {message}".strip())
        self.setting = setting
        self.path = path


class ValidationError(UsageError):
    """A value given on the command line (or in a template file) is not acceptable."""

    def __init__(self, message: str, *, field: str, value: str | None = None):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.value = value


class NotFoundError(UsageError):
    """A community, member or record named on the command line does not exist."""


class RecordsError(CopError):
    """The local records database cannot be opened, migrated or written."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, path: str):
        super().__init__(f"records {path}: {message}")
        self.path = path


class RecordsMissing(RecordsError):
    """No records where the configuration says (only `cop init` creates them)."""


class RecordsChanged(CopError):
    """What a command read changed in the records before it could save (another manager
    at the same time): nothing was saved; running the command again sees the change."""

    exit_code = EXIT_PARTIAL

    def __init__(self, what: str):
        super().__init__(f"{what} changed in the records while this command ran (another "
                         "manager at the same time?): nothing was saved; run the command "
                         "again")
        self.what = what


class LockHeld(CopError):
    """Another cop-sync run holds the lock (``host`` where it runs, when known: the lock in
    a PostgreSQL database is shared by several machines)."""

    exit_code = EXIT_LOCKED

    def __init__(self, *, lock_path: str, pid: int | None, started_at: str | None,
                 host: str | None = None):
        where = f" on {host}" if host else ""
        holder = f"pid {pid}{where}, started {started_at}" if pid else "unknown holder"
        super().__init__(f"another cop-sync is running ({holder}; lock {lock_path})")
        self.lock_path = lock_path
        self.pid = pid
        self.started_at = started_at
        self.host = host


class BackendError(CopError):
    """Talking to a wiki failed. ``backend`` is e.g. 'mediawiki', ``page`` where relevant."""

    def __init__(self, message: str, *, backend: str, page: str | None = None):
        prefix = f"{backend}" + (f" page {page!r}" if page else "")
        super().__init__(f"{prefix}: {message}")
        self.backend = backend
        self.page = page
        self.detail = message  # without the prefix: for an error that wraps this one


class Unreachable(BackendError):
    """The wiki did not answer (connection refused, DNS, timeout, repeated 5xx)."""


class RateLimited(Unreachable):
    """The wiki kept refusing requests as too many (HTTP 429) after every retry: the run
    stops there (what is done is kept; the next run goes on from there)."""


class AuthenticationFailed(BackendError):
    """The wiki refused the configured credentials. ``refusal`` is what the wiki said without
    the ``advice`` (what to check), for a caller that gives its own (cop doctor's fix)."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, backend: str, page: str | None = None,
                 advice: str = ""):
        super().__init__(f"{message}; {advice}" if advice else message, backend=backend,
                         page=page)
        self.refusal = message


class WrongAddress(BackendError):
    """Nothing at the configured address is the wiki's API (HTTP 404 where api.php should
    be): the configuration is wrong and every run would fail alike (exit 2)."""

    exit_code = EXIT_USAGE


class PermissionDenied(BackendError):
    """The account may not do this (protected page, missing right or space permission)."""


class PageExists(BackendError):
    """A create-only write found the page already there (someone created it meanwhile)."""


class PageMissing(BackendError):
    """An update found no page (deleted meanwhile)."""


class EditConflict(BackendError):
    """The page changed since ``base_revision`` was read: re-read, re-apply, retry once."""

    def __init__(self, *, backend: str, page: str, base_revision: str):
        super().__init__(f"changed on the wiki since revision {base_revision}",
                         backend=backend, page=page)
        self.base_revision = base_revision


class SpaceMissing(BackendError):
    """The community's namespace or space does not exist; ``remedy`` says what to do."""

    exit_code = EXIT_USAGE

    def __init__(self, *, backend: str, space: str, remedy: str):
        super().__init__(f"{space!r} does not exist. {remedy}", backend=backend)
        self.space = space
        self.remedy = remedy


class BudgetExceeded(BackendError):
    """Retries would go past the run-time budget; the run stops waiting."""


Severity = Literal["error", "warning"]


class RowProblem(Struct, frozen=True):
    """Something on a page a member should fix, reported with page, row and field.

    Not an exception: a page with a bad row is still processed, so problems are data.
    ``row`` is 1-based among the page's rows; ``line`` is the line in the page source.

    ``code`` and ``params`` say it without a language, for the texts of
    page_templates/problems.toml (the notice on the page, in the community's language);
    ``message`` is the English sentence (logs, ``cop status``). ``severity``:
    ``"error"``, what the member typed is not (all) recorded -- the row is skipped or held,
    or the value not taken -- and cop-sync exits 1 while it stays open; ``"warning"``,
    everything is recorded but something deserves a fix (an unknown parameter, a row pasted
    twice, a governance field typed on the wiki): reported, exit 0.
    """

    page: str
    row: int
    field: str
    message: str
    line: int | None = None
    key: str | None = None
    code: str = "unreadable"
    params: Mapping[str, str] = _field(default_factory=dict)
    severity: Severity = "error"

    def __hash__(self) -> int:  # params, a dict, is left out: equal problems agree on the rest
        return hash((self.page, self.row, self.field, self.message, self.line, self.key,
                     self.code, self.severity))

    @property
    def blocking(self) -> bool:
        """Whether it makes cop-sync exit 1 while open (see ``severity``)."""
        return self.severity == "error"

    def __str__(self) -> str:
        where = f"{self.page}, row {self.row}" + (f" (line {self.line})" if self.line else "")
        return f"{where}, field {self.field!r}: {self.message}"
