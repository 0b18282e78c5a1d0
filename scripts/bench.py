#!/usr/bin/env python3
"""Benchmark: cop-connector on a real, throwaway MediaWiki, beside a per-page reader.

    .venv/bin/python scripts/bench.py [--communities 20] [--rows 20] [--quick] [--json]

Installs a MediaWiki in a temporary directory (scripts/localwiki.py), declares N community
namespaces, provisions the seven pages of each, lets a member append R rows to every list
page, then measures requests (as the server logged them, and as the client counted them) and
wall time of: the first provisioning, the full first sync, a no-change sync, syncs after k
changed pages, a no-change re-provisioning. Each sync is compared, in the same run, with a
per-page reader (one request per page; without a change feed it must read every page on
every run). Then a micro-benchmark of parsing and upserting rows (no network). Prints the
figures and whether issue 5's targets hold; asserts nothing. Progress goes to stderr.

The wiki is stopped (its whole process group) and its directory removed on exit, Ctrl-C and
SIGTERM included (--keep keeps the directory). Its plain users are not rate-limited (a real
wiki's 90 edits a minute would only slow down the member's edits of the set-up).
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from typing import Any

from bench_micro import run_micro
from bench_report import as_json, print_text, targets
from bench_wiki import (
    BenchWiki,
    Figures,
    Person,
    Reader,
    add_communities,
    add_rows,
    all_titles,
    list_pages,
    mwclient_reader,
    per_page_reader,
)

from connector.mediawiki.backend import MediaWikiBackend
from page_templates import TemplateSet, shipped
from sync.engine.run import Syncer, SyncOptions
from sync.provision.run import Provisioner
from sync.records.store import Records

K_CHANGES = (1, 10, 100)
_START = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - _START:6.1f} s] {message}", file=sys.stderr, flush=True)


class Bench:
    """The measured steps, each on a fresh adapter, as a cron run is (the login the first one
    makes is kept between runs, beside the records, as cop-sync keeps it)."""

    def __init__(self, wiki: BenchWiki, records: Records, templates: TemplateSet) -> None:
        self.wiki, self.records, self.templates = wiki, records, templates
        self.steps: list[dict[str, Any]] = []

    def _figures(self, backend: MediaWikiBackend, seconds: float, pages: int,
                 **extra: Any) -> Figures:
        stats = backend.stats
        client = stats.http.round_trips
        return Figures(requests=self.wiki.count(client), client=client, seconds=seconds,
                       reads=stats.reads, writes=stats.writes, feeds=stats.feeds,
                       pages=pages, extra=extra)

    def provision(self) -> Figures:
        self.wiki.begin()
        start = time.perf_counter()
        backend = self.wiki.backend(self.records)
        report = Provisioner(self.records, backend, self.templates).run(
            self.records.communities(), dry_run=False)
        seconds = time.perf_counter() - start
        for action, error in report.failed:
            say(f"  WARNING: provisioning {action.ref} failed: {error}")
        for slug, failure in report.community_errors.items():
            say(f"  WARNING: provisioning {slug} failed: {failure}")
        return self._figures(backend, seconds, sum(a.writes for a in report.done))

    def sync(self) -> Figures:
        self.wiki.begin()
        start = time.perf_counter()
        backend = self.wiki.backend(self.records)
        report = Syncer(self.records, {"mediawiki": backend}, self.templates).run(
            SyncOptions())
        seconds = time.perf_counter() - start
        if report.exit_code:
            say(f"  WARNING: {report.summary_line()}")
        counts = report.counts()
        return self._figures(backend, seconds, counts["pages_read"],
                             rows_upserted=counts["rows_upserted"])

    def read_per_page(self, reader: Reader) -> Figures:
        titles = list(all_titles(self.records, self.records.communities()))
        self.wiki.begin()
        made, seconds, found = reader(self.wiki.url, titles, self.wiki.served)
        return Figures(requests=self.wiki.count(made), client=made, seconds=seconds,
                       reads=made, pages=found)

    def step(self, name: str, cop: Figures, **others: Figures | int) -> None:
        self.steps.append({"step": name, "cop": cop, **others})
        line = f"{name}: {cop.requests} requests, {cop.pages} pages, {cop.seconds:.2f} s"
        for label, other in others.items():
            if isinstance(other, Figures):
                line += f"; {label}: {other.requests} requests, {other.seconds:.2f} s"
        say(line)


def run_wiki(args: argparse.Namespace, templates: TemplateSet) -> list[dict[str, Any]]:
    wiki = BenchWiki(args.workers, keep=args.keep)
    try:
        say(f"installing a MediaWiki in {wiki.root} ({args.workers} PHP workers)")
        wiki.start()
        records = Records.open(wiki.root / "cop.db")
        communities = add_communities(wiki, records, args.communities)
        bench = Bench(wiki, records, templates)
        bench.step("first provisioning", bench.provision())
        assert wiki.credentials is not None
        member = Person(wiki.url, wiki.credentials.member_user,
                        wiki.credentials.member_password)
        pages = list_pages(records, communities)
        say(f"a member appends {args.rows} rows to each of {len(pages)} list pages")
        add_rows(member, templates, pages, args.rows, "r", lambda done: (
            done % 25 == 0 and say(f"  {done}/{len(pages)} pages")))
        measure_syncs(bench, member, pages, args.rows)
        edits = member.edit_count()
        again = bench.provision()
        again.extra["wiki_edits_during"] = member.edit_count() - edits
        bench.step("no-change re-provisioning", again)
        records.close()
        return bench.steps
    finally:
        wiki.stop()
        say("wiki stopped" + (f" (kept in {wiki.root})" if args.keep else ""))


def measure_syncs(bench: Bench, member: Person, pages: list[Any], rows: int) -> None:
    full = bench.sync()  # reads every page of every community (the Ideas page too)
    every = sum(1 for _ in all_titles(bench.records, bench.records.communities()))
    _expect(full, "full first sync", pages=every, rows=len(pages) * rows)
    bench.step("full first sync", full, reader=bench.read_per_page(per_page_reader),
               mwclient=bench.read_per_page(mwclient_reader))
    bench.step("no-change sync", bench.sync(), reader=bench.read_per_page(per_page_reader))
    for k in K_CHANGES:
        changed = pages[:k]
        add_rows(member, bench.templates, changed, 1, f"k{k}-")
        name = f"sync after {k} changed page{'s' if k > 1 else ''}" + (
            f" (capped: {len(changed)} list pages)" if len(changed) < k else "")
        after = bench.sync()
        _expect(after, name, pages=len(changed), rows=len(changed))
        bench.step(name, after, reader=bench.read_per_page(per_page_reader), k=len(changed))


def _expect(figures: Figures, name: str, *, pages: int, rows: int) -> None:
    """The benchmark is only meaningful if the sync did the whole job."""
    upserted = figures.extra.get("rows_upserted")
    if figures.pages != pages or upserted != rows:
        say(f"  WARNING: {name} read {figures.pages} pages (expected {pages}) and upserted "
            f"{upserted} rows (expected {rows})")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--communities", type=int, default=None, help="N (default 20)")
    parser.add_argument("--rows", type=int, default=None, help="R per list page (default 20)")
    parser.add_argument("--workers", type=int, default=3, help="PHP workers (default 3)")
    parser.add_argument("--micro-rows", type=int, default=None,
                        help="rows of the micro-benchmark's page (default 5000)")
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--profile", action="store_true",
                        help="profile the micro-benchmark even when it meets its target")
    parser.add_argument("--keep", action="store_true", help="keep the wiki's directory")
    args = parser.parse_args(argv)
    quick = {"communities": 3, "rows": 5, "micro_rows": 1000, "repeat": 1}
    full = {"communities": 20, "rows": 20, "micro_rows": 5000, "repeat": 3}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    if args.communities < 1 or args.rows < 1:
        parser.error("--communities and --rows must be at least 1")
    return args


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # so that every `finally` runs: the wiki is stopped


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    templates = shipped()
    try:
        steps = run_wiki(args, templates)
        say(f"micro-benchmark: {args.micro_rows} rows per page")
        micro = run_micro(templates, args.micro_rows, args.repeat, args.profile)
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    checks = targets(steps, micro)
    if args.json:
        print(as_json(steps, micro, checks, vars(args)))
    else:
        print_text(args, steps, micro, checks)
    say("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
