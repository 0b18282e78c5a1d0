"""The runnable examples of the documentation: fenced blocks marked by an HTML comment on the
line before them, which neither the site nor a forge shows (docs/writing-docs.md):

    <!-- test: toml -->                  a cop.toml, or part of one
    <!-- test: toml templates/NAME.toml -->  a company template file
    <!-- test: wikitext -->              row template calls, one per line
    <!-- test: storage KIND -->          a rows table in Confluence's storage format
    <!-- test: cop                       a shell session of `cop` commands; lines up to
    cop ... (run first, unseen)          the closing --> are run before the block
    -->
    <!-- test: sqlite -->                `sqlite3 cop.db "QUERY"` lines, against the records

A marker is a whole line, and the block is the fenced block right after it (its closing
fence is the same run of backticks, as in CommonMark); nothing else of the Markdown is read.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
KINDS = ("toml", "wikitext", "storage", "cop", "sqlite")

MARKER = re.compile(r"^<!-- test: (?P<kind>\w+)(?P<arg>[^\n]*?)(?P<closed>\s*-->)?[ \t]*$")
FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})[^\n]*$")


@dataclass(frozen=True)
class Block:
    """One marked block: where it is, what it is, and its text."""

    page: Path
    line: int  # of the marker, 1-based
    kind: str
    arg: str
    setup: tuple[str, ...]  # lines inside the marker comment (cop: run first, unseen)
    code: str

    @property
    def where(self) -> str:
        return f"{_name(self.page)}:{self.line}"


def _name(page: Path) -> str:
    """The page as messages name it: from the repository's root when it is in it."""
    return str(page.relative_to(ROOT)) if page.is_relative_to(ROOT) else page.name


class MarkerError(ValueError):
    """A marker that marks nothing, or an unknown kind: a mistake in the docs."""


def blocks(page: Path) -> list[Block]:
    """The marked blocks of ``page``, in page order. Raises MarkerError."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        fence = FENCE.match(lines[index])
        if fence is not None:  # a marker shown inside a code block marks nothing
            index = _closing(lines, index, fence["fence"]) + 1
            continue
        match = MARKER.match(lines[index])
        if match is not None:
            found.append(_block(page, lines, index, match))
        index += 1
    return found


def _closing(lines: list[str], start: int, fence: str) -> int:
    """The index of the line closing the fence opened at ``start`` (the end if none)."""
    end = start + 1
    while end < len(lines) and lines[end].strip() != fence:
        end += 1
    return end


def _block(page: Path, lines: list[str], start: int, match: re.Match[str]) -> Block:
    where = f"{_name(page)}:{start + 1}"
    kind = match["kind"]
    if kind not in KINDS:
        raise MarkerError(f"{where}: unknown example kind {kind!r} (one of {', '.join(KINDS)})")
    index, setup = start + 1, []
    if not match["closed"]:
        while index < len(lines) and lines[index].strip() != "-->":
            setup.append(lines[index])
            index += 1
        index += 1
    while index < len(lines) and not lines[index].strip():
        index += 1
    fence = FENCE.match(lines[index]) if index < len(lines) else None
    if fence is None:
        raise MarkerError(f"{where}: the marker is not followed by a fenced code block")
    end = _closing(lines, index, fence["fence"])
    return Block(page=page, line=start + 1, kind=kind, arg=match["arg"].strip(),
                 setup=tuple(setup), code="\n".join(lines[index + 1:end]) + "\n")


def all_blocks() -> list[Block]:
    return [block for page in PAGES for block in blocks(page)]


@dataclass(frozen=True)
class Command:
    """A `cop` (or `cop-sync`) command of a shell example, and the error it must end with
    when the example says so (a `# cop: error: …` comment on the next line)."""

    argv: tuple[str, ...]
    error: str | None = None


def commands(text: str) -> list[Command]:
    """The commands of a shell example: continuation lines joined, comments dropped,
    anything that is not `cop`/`cop-sync` (an `export`, a `sqlite3`) left out."""
    found: list[Command] = []
    for line in _logical_lines(text):
        stripped = line.strip()
        if stripped.startswith("# cop: error:") and found:
            last = found.pop()
            found.append(Command(last.argv, stripped.removeprefix("# ")))
            continue
        words = shlex.split(stripped, comments=True)
        if words and words[0] in ("cop", "cop-sync"):
            found.append(Command(tuple(words)))
    return found


def _logical_lines(text: str) -> list[str]:
    lines: list[str] = []
    pending = ""
    for line in text.splitlines():
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    return lines


def uncommented(toml: str) -> str:
    """A TOML example with its commented-out settings (`# key = value`) set."""
    return re.sub(r"^#\s*(?=[\w\"]+\s*=)", "", toml, flags=re.MULTILINE)


def matches(expected: str, output: str) -> bool:
    """Whether ``output`` holds ``expected``, where "…" in it stands for any text."""
    position = 0
    for part in (piece.strip() for piece in expected.split("…")):
        found = output.find(part, position)
        if found < 0:
            return False
        position = found + len(part)
    return True
