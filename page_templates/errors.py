"""The root of the product's error hierarchy, at the bottom layer so that every layer can
raise it: the exit codes, ``CopError``, ``UsageError``, and the one error of this package,
``TemplateDefinitionError``. ``connector.errors`` builds the rest of the hierarchy on these
and re-exports them, so the rest of the product imports every error from there.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_PARTIAL = 1  # some community, page or row failed; the others were processed
EXIT_USAGE = 2  # usage or configuration error
EXIT_LOCKED = 3  # another cop-sync holds the lock
EXIT_INTERRUPTED = 130  # stopped by Ctrl-C (128 + SIGINT); what was done is kept


class CopError(Exception):
    """Base of every error the product raises on purpose."""

    exit_code = EXIT_PARTIAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(CopError):
    """A command was asked something that cannot be done as asked."""

    exit_code = EXIT_USAGE


class TemplateDefinitionError(UsageError):
    """A page template definition (shipped or company override) is invalid."""

    def __init__(self, message: str, *, path: str, field: str | None = None):
        where = f"{path}" + (f", field {field!r}" if field else "")
        super().__init__(f"template {where}: {message}")
        self.path = path
        self.field = field
