"""Write docs/cli.md, the command-line reference, from the commands themselves.

The page is generated from click's own command tree (`cop` and `cop-sync`: usage, help text,
every option with its help), so it cannot drift from the code: tests/docs/test_cli_reference.py
fails when the committed page differs from what this script writes, and says to run
`scripts/docs cli`.

    .venv/bin/python scripts/cli_reference.py            # rewrite docs/cli.md
    .venv/bin/python scripts/cli_reference.py --check    # exit 1 if docs/cli.md is not current
"""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from sync.cli import _cop, _cop_sync

PAGE = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
WIDTH = 200  # wide enough that click never wraps a usage line: the page stays stable

INTRO = """\
# Command line reference

Every command of `cop` (the innovation manager's) and `cop-sync` (the cron job's), with its
options, as `--help` prints them. This page is generated from the commands themselves by
`scripts/docs cli`; a test fails when it is not current, so it never lags behind the code.
How the commands fit together is told by reader: [the innovation manager's
commands](innovation-manager.md), [the method](method.md), [company
templates](templates.md), [results](results.md) and [the cron job](operator.md).

Every command takes the common options of [`cop`](#cop): `-v`/`--verbose`, `-q`/`--quiet`,
`--config PATH` and `-h`/`--help`. They are not repeated below.
"""


def walk(command: click.Command, parent: click.Context | None = None,
         name: str | None = None) -> Iterator[tuple[click.Context, click.Command]]:
    """Each command of the tree with its context, depth first, sub-commands by name."""
    settings = {"max_content_width": WIDTH, "terminal_width": WIDTH,
                **command.context_settings}
    ctx = click.Context(command, info_name=name or command.name, parent=parent, **settings)
    yield ctx, command
    if isinstance(command, click.Group):  # (cop imports each command when asked for it)
        for sub_name in sorted(command.list_commands(ctx)):
            sub = command.get_command(ctx, sub_name)
            if sub is not None and not sub.hidden:
                yield from walk(sub, ctx, sub_name)


def trees() -> Iterator[tuple[click.Context, click.Command]]:
    """Both programs: `cop` and `cop-sync`."""
    yield from walk(_cop, name="cop")
    yield from walk(_cop_sync, name="cop-sync")


def is_common(ctx: click.Context, command: click.Command, option: click.Option) -> bool:
    """Whether `option` is one every command shares: -v, --config, --version, --help."""
    shared = {opt for p in _cop.params for opt in p.opts}
    return option is command.get_help_option(ctx) or bool(shared & set(option.opts))


def options(ctx: click.Context, command: click.Command,
            common: bool) -> Iterator[tuple[click.Option, str, str]]:
    """The command's visible options, with or without the common ones: (option, names,
    help)."""
    for param in command.get_params(ctx):
        if (isinstance(param, click.Option) and not param.hidden
                and (common or not is_common(ctx, command, param))):
            record = param.get_help_record(ctx)
            if record is not None:
                yield param, record[0], record[1]


def path(ctx: click.Context) -> str:
    """The words that call the command (`cop report accounts`): click's own command_path
    would also hold the parent's arguments (`cop report [SLUG] accounts`)."""
    names = []
    while ctx is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))


def usage(ctx: click.Context, command: click.Command) -> str:
    formatter = ctx.make_formatter()
    command.format_usage(ctx, formatter)
    return " ".join(formatter.getvalue().split()).removeprefix("Usage: ")


def help_text(command: click.Command) -> str:
    text = inspect.cleandoc(command.help or "").split("\f")[0]
    return "\n".join(line for line in text.splitlines() if line.strip() != "\b")


def section(ctx: click.Context, command: click.Command, common: bool) -> str:
    lines = [f"## {path(ctx)}", "", f"```\n{usage(ctx, command)}\n```", "",
             escape(help_text(command)), ""]
    for _option, names, text in options(ctx, command, common):
        lines.append(f"- `{names}`: {escape(text)}" if text else f"- `{names}`")
    if isinstance(command, click.Group):
        found = {name: command.get_command(ctx, name) for name in command.list_commands(ctx)}
        subs = [f"[`{name}`](#{anchor(f'{path(ctx)} {name}')})"
                for name, sub in sorted(found.items()) if sub is not None and not sub.hidden]
        lines += ["", "Commands: " + ", ".join(subs) + "."]
    return "\n".join(lines).rstrip() + "\n"


def escape(text: str) -> str:
    """Help texts are plain text: keep Markdown from reading them as HTML or emphasis
    (outside their `code` spans, which Markdown leaves as they are)."""
    parts = text.split("`")
    for i in range(0, len(parts), 2):
        plain = parts[i].replace("<", "&lt;").replace(">", "&gt;")
        parts[i] = plain.replace("*", r"\*").replace("_", r"\_")
    return "`".join(parts)


def anchor(heading: str) -> str:
    """The id MkDocs' toc extension gives a heading made of words, spaces and hyphens."""
    return "-".join(heading.lower().split())


def render() -> str:
    parts = [INTRO]
    for ctx, command in trees():
        # Each program's own section lists the common options; its commands leave them out.
        parts.append(section(ctx, command, common=ctx.parent is None))
    return "\n".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write: exit 1 when docs/cli.md is not current")
    args = parser.parse_args()
    page = render()
    if args.check:
        if PAGE.read_text(encoding="utf-8") != page:
            print(f"{PAGE} is not current: run `scripts/docs cli`", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(page, encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
