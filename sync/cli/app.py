"""What every command shares: the configuration, the records, the backends — opened lazily,
so ``cop init`` and ``--help`` need none of them — and the translation of errors into
messages and exit codes (the only place that does it).

The library is imported where it is first used (inside App), not at the top: this module is
imported by every command, `cop --help` included, which should load nothing but click.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from connector.errors import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    ConfigError,
    CopError,
    NotFoundError,
    RecordsMissing,
    TemplateDefinitionError,
    UsageError,
)

if TYPE_CHECKING:
    from connector.base import WikiBackend
    from connector.budget import Budget
    from page_templates import TemplateSet
    from sync.config.loader import Config
    from sync.engine.lock import DatabaseLock, RunLock
    from sync.records.model import Community
    from sync.records.store import Records

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("cop")


class App:
    """Per-invocation state (``ctx.obj``)."""

    def __init__(self) -> None:
        self.config_path: str | None = None
        self.debug = False
        self.quiet = False  # --quiet: no progress bar
        self._config: Config | None = None
        self._records: Records | None = None
        self._backends: dict[str, WikiBackend] = {}
        self._budget: Budget | None = None
        self._templates: TemplateSet | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            from sync.config.loader import load  # noqa: PLC0415 - see the module's docstring

            self._config = load(self.config_path)
        return self._config

    @property
    def records(self) -> Records:
        """The records database, which must exist: only `cop init` creates it, so a
        mistyped or moved [records] path stops the command instead of starting an empty
        database (and a cron job reporting success over nothing)."""
        if self._records is None:
            from sync.records.store import Records  # noqa: PLC0415

            config = self.config
            try:
                self._records = Records.open(config.records_where, create=False,
                                             password=config.records_password())
            except RecordsMissing as missing:
                if config.records_url:
                    raise
                raise ConfigError(
                    f"the records database {config.records_path} {_missing(config.records_path)}"
                    ": fix [records] path if the file moved, or create the records with `cop "
                    "init` (on an existing cop.toml it only creates the records)",
                    setting="records.path", path=str(config.path)) from missing
        return self._records

    @property
    def templates(self) -> TemplateSet:
        """The effective templates (shipped, with the [templates] dir of cop.toml applied,
        the members' profile a choice among the configured vocabulary), loaded and
        validated once per invocation. Raises TemplateDefinitionError."""
        if self._templates is None:
            from page_templates import load_templates  # noqa: PLC0415
            from page_templates.profiles import with_profiles  # noqa: PLC0415

            templates = with_profiles(load_templates(self.config.templates_dir),
                                      self.config.method.profiles)
            self._check_languages(templates)
            self._templates = templates
        return self._templates

    def _check_languages(self, templates: TemplateSet) -> None:
        """A community whose language the templates stopped offering would have its
        pages rewritten in English by the next upgrade: refused before anything runs."""
        stranded = [f"{c.slug} ({c.lang})" for c in self.records.communities()
                    if c.lang not in templates.languages]
        if stranded:
            raise TemplateDefinitionError(
                f"these communities use a language the templates no longer offer: "
                f"{', '.join(stranded)}; the templates offer {', '.join(templates.languages)}."
                " Restore that language's texts in the templates directory",
                path=str(self.config.templates_dir or "the shipped templates"),
                field="languages")

    @property
    def budget(self) -> Budget:
        """One time budget per invocation, shared by every backend: it starts on first use."""
        if self._budget is None:
            from connector.budget import Budget  # noqa: PLC0415

            self._budget = Budget(self.config.sync.budget_seconds)
        return self._budget

    def backend(self, name: str) -> WikiBackend:
        if name not in self._backends:
            from sync.config.backends import build_backend  # noqa: PLC0415 - a wiki's libraries

            self._backends[name] = build_backend(self.config, name, records=self.records,
                                                 budget=self.budget)
        return self._backends[name]

    def configured_backends(self) -> dict[str, WikiBackend]:
        return {name: self.backend(name) for name in ("mediawiki", "confluence")
                if getattr(self.config, name) is not None}

    def community(self, slug: str) -> Community:
        community = self.records.community(slug)
        if community is None:
            raise NotFoundError(f"no community {slug!r} (see `cop community list`)")
        return community

    def lock(self, *, wait: float = 30.0) -> RunLock | DatabaseLock:
        """One run at a time: the lock file beside SQLite records, or the lock in the
        PostgreSQL database (shared by every machine that uses it)."""
        from sync.engine.lock import DatabaseLock, RunLock  # noqa: PLC0415

        if self.config.records_url:
            program = click.get_current_context().command_path
            return DatabaseLock(self.records, wait=wait, program=program)
        return RunLock(self.config.resolve(self.config.sync.lock_file), wait=wait)

    def close(self) -> None:
        """Close what was opened: the backends first (each keeps its session for the next
        run, see connector/session.py), then the records."""
        for backend in self._backends.values():
            close = getattr(backend, "close", None)
            if close is not None:
                close()
        if self._records is not None:
            self._records.close()


def _missing(path: Path) -> str:
    """Why no records are at ``path``, in words."""
    if path.is_dir():
        return "is a directory, not a records database"
    if path.exists():
        return ("holds no cop-connector records (an empty file, or another application's "
                "database: nothing was written into it)")
    return "does not exist"


def write_file(path: Path, text: str) -> None:
    """Write a command's output file (UTF-8, whatever the locale), creating its missing
    directories as `cop report -o` does. Raises UsageError ("cannot write PATH: reason",
    exit 2) for a path that cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from error


def pass_app(function: F) -> F:
    """Give the command the App (created on first use)."""
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return function(_app(click.get_current_context()), *args, **kwargs)
    return wrapper  # type: ignore[return-value]


def _app(ctx: click.Context) -> App:
    root = ctx.find_root()
    if root.obj is None:
        root.obj = App()
        root.call_on_close(root.obj.close)
    return root.obj


def _set_config(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        _app(ctx).config_path = value


def _set_verbosity(ctx: click.Context, _param: click.Parameter, value: int) -> None:
    if value:
        _app(ctx).debug = value > 1
        logging.getLogger().setLevel(logging.DEBUG if value > 1 else logging.INFO)


def _set_quiet(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        _app(ctx).quiet = True


def common_options(function: F) -> F:
    """--config, -v and -q on every command (also accepted before the command name)."""
    function = click.option("-q", "--quiet", is_flag=True, expose_value=False,
                            callback=_set_quiet, is_eager=True,
                            help="No progress bar (long work shows one on a terminal).")(
        function)
    function = click.option("--config", "config_path", metavar="PATH", expose_value=False,
                            callback=_set_config, is_eager=True,
                            help="Configuration file (default: $COP_CONFIG, else ./cop.toml).")(
        function)
    return click.option("-v", "--verbose", count=True, expose_value=False,
                        callback=_set_verbosity, is_eager=True,
                        help="More log output (-vv: debug, with tracebacks).")(function)


_HANDLERS: list[logging.Handler] = []  # the handler configure_logging added, if any
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: see report_errors


class QuietLibraries(logging.Filter):
    """On the console, without -v, the HTTP library's own warnings (urllib3's "Retrying
    ... after connection broken by NewConnectionError(...)") are left out: the command's
    message says what failed and where. -v shows them; a log file (sync.log_file) keeps
    them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR or record.name.split(".")[0] != "urllib3":
            return True
        return logging.getLogger().getEffectiveLevel() <= logging.INFO


def configure_logging(log_file: str | Path | None = None) -> None:
    """Plain log lines on stderr, or in ``log_file`` (which then replaces the stderr handler
    this function added). Secrets are redacted by the adapters, which filter the root
    handlers when they are built — so this is called before any backend exists."""
    root = logging.getLogger()
    if log_file:
        for old in _HANDLERS:
            root.removeHandler(old)
        _HANDLERS.clear()
    elif root.handlers:
        return
    handler: logging.Handler = (logging.FileHandler(log_file, encoding="utf-8") if log_file
                                else logging.StreamHandler(sys.stderr))
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    if not log_file:
        handler.addFilter(QuietLibraries())
    root.addHandler(handler)
    _HANDLERS.append(handler)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)


def logging_to_file() -> bool:
    """Whether log lines go to a file (``[sync] log_file``) rather than the console."""
    return any(isinstance(handler, logging.FileHandler) for handler in _HANDLERS)


def stops_every_run(error: BaseException) -> bool:
    """A refused login, a missing secret, a namespace the wiki no longer declares: the
    configuration is wrong, and every run will fail the same way until someone fixes it.
    Such an error's own exit code is 2, whether it stops the command or one community."""
    return getattr(error, "exit_code", None) == EXIT_USAGE


def exit_code(failures: Iterable[BaseException] = (), *, partial: bool = False,
              interrupted: bool = False) -> int:
    """One meaning per exit code (PRODUCT.md §3) for a command that goes on past failures
    (cop-sync, cop member's page write, cop provision --all, cop report --publish...):

    2 when one of ``failures`` says the configuration is wrong for a whole wiki (a refused
    login, a missing secret): every run would fail the same way until someone fixes it,
    as when such an error stops a command outright; else 1 when anything failed or
    ``partial`` (a row problem, a conflict, a page left as it was); else 0. Stopped by
    Ctrl-C (``interrupted``): 130, whatever else happened — the work is not finished."""
    if interrupted:
        return EXIT_INTERRUPTED
    found = list(failures)
    if any(stops_every_run(failure) for failure in found):
        return EXIT_USAGE
    return EXIT_PARTIAL if found or partial else EXIT_OK


def report_errors(invoke: Callable[[click.Context], Any]) -> Callable[[Any, click.Context], Any]:
    """Wrap Command.invoke: a CopError becomes 'cop: error: ...' and its exit code; an
    unexpected exception a one-line message (traceback with -vv), never a bare traceback."""
    def guarded(self: Any, ctx: click.Context) -> Any:
        try:
            return invoke(self, ctx)  # type: ignore[call-arg]
        except CopError as error:
            message = f"{ctx.find_root().info_name}: error: {error}"
            click.echo(message, err=True)
            if logging_to_file():  # the operator's log tells why a run stopped too
                log.error("%s", message)
            ctx.exit(error.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo(f"{ctx.find_root().info_name}: stopped (Ctrl-C)", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            # Whoever read standard output stopped (`cop status | head -1`): stop quietly,
            # as a Unix tool ended by SIGPIPE does, and with the status a shell reports for
            # one (141 = 128 + SIGPIPE, e.g. `yes | head` under pipefail). Not click's 1:
            # here 1 means "a community failed", which is not what happened.
            _silence_stdout()
            ctx.exit(EXIT_BROKEN_PIPE)
        except Exception as error:  # the last line of defence: no traceback for users
            app = ctx.find_root().obj
            if app is not None and app.debug:
                raise
            click.echo(f"{ctx.find_root().info_name}: internal error: "
                       f"{type(error).__name__}: {error} (run with -vv for details)", err=True)
            ctx.exit(EXIT_PARTIAL)
    return guarded


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that flushing it at exit does not raise the
    broken pipe a second time (the way Python's documentation recommends)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (tests): nothing to flush
        pass


class GuardedGroup(click.Group):
    invoke = report_errors(click.Group.invoke)  # type: ignore[assignment]


class GuardedCommand(click.Command):
    invoke = report_errors(click.Command.invoke)  # type: ignore[assignment]
