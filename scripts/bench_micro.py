"""The benchmark's micro part (no network): parse, validate, plan and upsert the rows of a
big page, the way sync/engine/pull.py does it, and where the time goes when it is slow.

Also home of ``sample_row``, the rows every part of the benchmark writes.
"""

from __future__ import annotations

import cProfile
import pstats
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import mwparserfromhell
from mwparserfromhell.parser import CTokenizer

from connector.base import PageContext, PageRef, ParsedPage, RemotePage
from connector.mediawiki.wikitext import WikitextCodec
from connector.mediawiki.wikitext_parse import parse_rows_tree
from connector.memory import MemoryBackend
from page_templates import PageKind, TemplateSet, localize
from sync.engine.merge import PagePlan, plan_page
from sync.engine.page_rows import read_rows
from sync.engine.pull import PageSync
from sync.records.model import Community, PageState
from sync.records.store import Records

TARGET_ROWS_PER_S = 20_000
NOW = "2026-01-01T00:00:00Z"
KINDS = ("members", "watch")  # the two-way kind and the biggest one-way rows

# Where profiled time goes: (area, test on "file:function"); the first match wins.
AREAS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("mwparserfromhell C tokenizer", lambda f: "CTokenizer" in f),
    ("mwparserfromhell tree builder, nodes (Python)", lambda f: "mwparserfromhell" in f),
    ("imports run inside mwparserfromhell's hot functions", lambda f: "importlib" in f),
    ("codec: rows from tokens and trees (connector/mediawiki)",
     lambda f: "connector/mediawiki" in f),
    ("validation (page_templates/values.py)", lambda f: "page_templates" in f),
    ("merge plan (sync/engine/merge.py)", lambda f: "sync/merge" in f),
    ("records: SQLite, JSON (sync/records*.py)",
     lambda f: "sync/records" in f or "sqlite3" in f or "json" in f),
    ("built-ins called from the above (str methods, isinstance, unicodedata)",
     lambda f: f.startswith("~")),
)


def sample_row(kind: PageKind, index: int, salt: str = "") -> dict[str, str]:
    """A plausible, valid row of ``kind`` (canonical values), unique per (index, salt)."""
    n = f"{salt}{index}"
    summary = f"Why item {n} matters: cells, costs and suppliers, in two short sentences."
    rows = {
        "members": {"email": f"member{n}@corp.example", "name": f"Member {n}",
                    "profile": "R&D engineer", "role": "member", "site": "Lyon",
                    "since": "2026-01-02"},
        "watch": {"date": "2026-01-02", "title": f"Sodium-ion news {n}",
                  "url": f"https://news.example.com/item/{n}", "source": "Lab newsletter",
                  "summary": summary, "tags": "sodium, cells"},
        "references": {"ref": f"IEC-{n}", "title": f"Standard {n}", "version": "2.1",
                       "url": f"https://std.example.com/{n}", "owner": "Quality",
                       "summary": summary},
        "regulation": {"ref": f"EU-{n}", "title": f"Regulation {n}", "jurisdiction": "EU",
                       "status": "in-force", "effective": "2027-01-01",
                       "url": f"https://eur-lex.example.com/{n}", "impact": summary},
        "competition": {"competitor": f"Acme {n}", "offer": "Cell X", "positioning": "low cost",
                        "strengths": "price", "weaknesses": "cycle life",
                        "updated": "2026-01-02", "url": f"https://acme.example.com/{n}"},
    }
    return rows[kind.kind]


def big_page(kind: PageKind, templates: TemplateSet, count: int) -> str:
    """A page of ``kind`` as provisioning renders it, holding ``count`` rows."""
    refs = {k.kind: PageRef("CoP Bench", localize(k.title, "en")) for k in templates.kinds}
    context = PageContext(lang="en", space="CoP Bench", pages=refs,
                          values={"name": "Bench", "theme": "Benchmarks"})
    rows = [sample_row(kind, i) for i in range(count)]
    return WikitextCodec().render_page(kind, context, rows)


COMMUNITY = Community(slug="bench", name="Bench", theme="", backend="mediawiki",
                      pilot="pilot@corp.example", expert="expert@corp.example", lang="en",
                      space="CoP_Bench")


def _fresh_records(directory: Path, name: str) -> Records:
    records = Records.open(directory / f"{name}.db")
    records.add_community(COMMUNITY)
    return records


def _commit(records: Records, kind: PageKind, plan: PagePlan) -> None:
    """What PageSync._commit does (sync/engine/pull.py): one transaction for the page."""
    with records.transaction():
        records.upsert_entries("bench", kind.kind, plan.upserts, origin="wiki", now=NOW)
        records.save_page_state(PageState(community="bench", kind=kind.kind,
                                          ref=PageRef("CoP Bench", kind.kind), revision="2",
                                          base=plan.new_base, synced_at=NOW))
        records.replace_problems("bench", kind.kind, [])


def _plan(kind: PageKind, parsed: ParsedPage) -> PagePlan:
    return plan_page(kind, "CoP Bench:Page", parsed, base=None, local={})


def _end_to_end(kind: PageKind, content: str, records: Records,
                templates: TemplateSet) -> int:
    """The real code path: PageSync.sync (parse, plan, commit) on a page read from a wiki;
    the backend is only asked for its codec (a first sync pushes nothing)."""
    ref = PageRef("CoP Bench", kind.kind)
    state = PageState(community="bench", kind=kind.kind, ref=ref, revision="1")
    page = RemotePage(ref=ref, page_id="1", revision="2", content=content)
    pages = PageSync(records, MemoryBackend(codec=WikitextCodec()), templates, lambda: NOW)
    outcome = pages.sync(COMMUNITY, state, page)
    if outcome.error or outcome.problems:
        raise RuntimeError(f"{kind.kind}: {outcome.error or outcome.problems[:2]}")
    return outcome.upserted


def _timed(work: Callable[..., Any], repeat: int,
           setup: Callable[[], Any] | None = None) -> tuple[float, Any]:
    """The median of ``repeat`` runs (a shared machine: one run is noise) and the result;
    ``setup`` (untimed) makes the argument of each run."""
    times, result = [], None
    for _ in range(repeat):
        argument = setup() if setup else None
        start = time.perf_counter()
        result = work(argument) if setup else work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def measure_kind(kind: PageKind, templates: TemplateSet, count: int, repeat: int,
                 directory: Path) -> dict[str, Any]:
    """Rows/s of every stage for one big page of ``kind``."""
    content = big_page(kind, templates, count)
    codec = WikitextCodec()
    seconds: dict[str, float] = {}
    seconds["tokenize"], _ = _timed(lambda: CTokenizer().tokenize(content, 0, False), repeat)
    seconds["tree"], _ = _timed(lambda: mwparserfromhell.parse(content), repeat)
    seconds["parse_tree"], by_tree = _timed(lambda: parse_rows_tree(content, kind, "p"), repeat)
    seconds["parse"], parsed = _timed(lambda: codec.parse_rows(content, kind, "p"), repeat)
    if parsed != by_tree:
        raise RuntimeError(f"{kind.kind}: parse_rows and parse_rows_tree disagree")
    seconds["validate"], (rows, problems) = _timed(lambda: read_rows(kind, "p", parsed), repeat)
    seconds["plan"], plan = _timed(lambda: _plan(kind, parsed), repeat)
    if len(rows) != count or problems or len(plan.upserts) != count:
        raise RuntimeError(f"{kind.kind}: {len(rows)} of {count} rows read, problems "
                           f"{problems[:2]}")
    dbs = iter(range(10_000))

    def fresh() -> Records:
        return _fresh_records(directory, f"{kind.kind}-{next(dbs)}")

    seconds["upsert"], _ = _timed(lambda records: _commit(records, kind, plan), repeat, fresh)
    seconds["end_to_end"], done = _timed(
        lambda records: _end_to_end(kind, content, records, templates), repeat, fresh)
    assert done == count
    return {"kind": kind.kind, "rows": count, "page_bytes": len(content.encode()),
            "seconds": seconds,
            "rows_per_s": {stage: count / s for stage, s in seconds.items()}}


def profile_end_to_end(kind: PageKind, templates: TemplateSet, count: int,
                       directory: Path) -> dict[str, Any]:
    """cProfile of one end-to-end run: time by area and the hottest functions.

    cProfile slows Python calls more than C code, so shares are approximate."""
    content = big_page(kind, templates, count)
    records = _fresh_records(directory, "profiled")
    profiler = cProfile.Profile()
    profiler.runcall(_end_to_end, kind, content, records, templates)
    stats = pstats.Stats(profiler)
    table: Mapping[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in table.values())
    areas: dict[str, float] = {}
    functions = []
    for (filename, line, name), entry in table.items():
        where = f"{filename}:{name}"
        area = next((label for label, test in AREAS if test(where)), "other")
        areas[area] = areas.get(area, 0.0) + entry[2]
        functions.append((entry[2], entry[1], f"{_short(filename)}:{line}({name})"))
    functions.sort(reverse=True)
    return {
        "kind": kind.kind, "rows": count, "total_s": total,
        "areas": sorted(((a, s, s / total) for a, s in areas.items()),
                        key=lambda item: -item[1]),
        "top": [{"function": f, "tottime_s": t, "calls": c} for t, c, f in functions[:10]],
    }


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/work/main/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def run_micro(templates: TemplateSet, count: int, repeat: int,
              force_profile: bool = False) -> dict[str, Any]:
    """Every kind of KINDS; a profile when end to end is below TARGET_ROWS_PER_S."""
    with tempfile.TemporaryDirectory(prefix="cop-bench-micro-") as temp:
        directory = Path(temp)
        results = [measure_kind(templates[name], templates, count, repeat, directory)
                   for name in KINDS]
        slowest = min(results, key=lambda r: r["rows_per_s"]["end_to_end"])
        profile = None
        if force_profile or slowest["rows_per_s"]["end_to_end"] < TARGET_ROWS_PER_S:
            profile = profile_end_to_end(templates[slowest["kind"]], templates,
                                         min(count, 5000), directory)
    return {"kinds": results, "target_rows_per_s": TARGET_ROWS_PER_S,
            "end_to_end_min": slowest["rows_per_s"]["end_to_end"], "profile": profile}


def format_micro(micro: dict[str, Any]) -> list[str]:
    """The micro-benchmark as lines of text (a Markdown table and the profile)."""
    stages = (("tokenize", "mwparserfromhell C tokenizer alone"),
              ("tree", "mwparserfromhell.parse (tokenizer + tree)"),
              ("parse_tree", "rows from the tree of the whole page (parse_rows_tree)"),
              ("parse", "WikitextCodec.parse_rows (flat rows from tokens)"),
              ("validate", "sync.engine.page_rows.read_rows (validate)"),
              ("plan", "sync.engine.merge.plan_page (validate + plan)"),
              ("upsert", "Records upserts + page state, one transaction"),
              ("end_to_end", "end to end: PageSync.sync (parse, plan, commit)"))
    kinds = micro["kinds"]
    lines = ["| stage | " + " | ".join(f"{k['kind']} rows/s" for k in kinds) + " |",
             "|---|" + "---:|" * len(kinds)]
    for key, label in stages:
        cells = " | ".join(f"{k['rows_per_s'][key]:,.0f}" for k in kinds)
        lines.append(f"| {label} | {cells} |")
    sizes = ", ".join(f"{k['kind']} {k['rows']:,} rows ({k['page_bytes'] / 1e6:.1f} MB)"
                      for k in kinds)
    lines.append(f"\nPages: {sizes}; median of the repeats.")
    profile = micro["profile"]
    if profile:
        lines.append(f"\nProfile of one end-to-end run ({profile['kind']}, {profile['rows']:,}"
                     f" rows, cProfile {profile['total_s']:.2f} s; shares approximate):")
        lines += [f"  {share:6.1%}  {seconds:6.2f} s  {area}"
                  for area, seconds, share in profile["areas"]]
        lines.append("  hottest functions (own time):")
        lines += [f"    {f['tottime_s']:6.3f} s {f['calls']:>8} calls  {f['function']}"
                  for f in profile["top"][:8]]
    return lines
