"""Every command and option is documented: click's command tree of `cop` and `cop-sync`,
walked here on its own, against docs/cli.md (the command line reference); and the committed
page is what `scripts/docs cli` writes from the commands today."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path

import click

from sync.cli import _cop, _cop_sync

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "cli.md"


def commands(command: click.Command, path: str) -> Iterator[tuple[str, click.Command]]:
    """Every command and sub-command of the tree, with the words that call it."""
    yield path, command
    if isinstance(command, click.Group):  # (cop imports each command when asked for it)
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None
            yield from commands(sub, f"{path} {name}")


def every_command() -> list[tuple[str, click.Command]]:
    return [*commands(_cop, "cop"), *commands(_cop_sync, "cop-sync")]


def long_options(command: click.Command) -> set[str]:
    """The command's options in their long form (`--x`, and `--no-x` of a flag pair)."""
    names = set()
    for param in command.params:
        if isinstance(param, click.Option):
            names |= {opt for opt in (*param.opts, *param.secondary_opts)
                      if opt.startswith("--")}
    return names


def sections() -> dict[str, str]:
    """docs/cli.md cut at its `## ` headings: command path -> its section."""
    text = PAGE.read_text(encoding="utf-8")
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def test_every_command_has_its_section() -> None:
    documented = sections()
    missing = [path for path, _ in every_command() if path not in documented]
    assert not missing, f"not in docs/cli.md: {missing}; run `scripts/docs cli`"
    assert len(documented) == len(every_command())


def test_every_option_is_documented_with_its_command() -> None:
    documented = sections()
    common = long_options(_cop) | {"--help"}
    missing = []
    for path, command in every_command():
        program = path.split()[0]
        for option in sorted(long_options(command) | {"--help"}):
            # The options every `cop` command shares are told once, in `cop`'s section.
            where = program if option in common and path != program else path
            named = rf"`[^`]*{re.escape(option)}(?![\w-])[^`]*`"  # in a code span
            if not re.search(named, documented.get(where, "")):
                missing.append(f"{path} {option}")
    assert not missing, f"not in docs/cli.md: {missing}; run `scripts/docs cli`"


def test_the_committed_reference_is_current() -> None:
    spec = importlib.util.spec_from_file_location("cli_reference",
                                                  ROOT / "scripts" / "cli_reference.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    assert PAGE.read_text(encoding="utf-8") == generator.render(), (
        "docs/cli.md is not what the commands say today: run `scripts/docs cli`")
