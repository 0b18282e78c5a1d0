#!/usr/bin/env python3
"""Request counts of cop-connector on the fake Confluence (Cloud, Cloud through the API
gateway with a scoped token, Data Center), through the CLI as the cron job runs it.

    .venv/bin/python scripts/bench_confluence.py [--communities 1 20] [--json]

For each deployment and each number of communities: the first provisioning, a
re-provisioning with nothing to change, the first sync, a sync with nothing changed, syncs
after k changed pages, and a first provisioning with one write in four answered 429 (with
``Retry-After: 1``; the fake never sleeps). Every request the fake received is counted
(retries included), writes apart, and the REST v1 requests are listed by operation. The fake
checks every request and 2xx answer against Atlassian's OpenAPI specs (when
``../shared/confluence-openapi`` is there); violations are counted too. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import responses  # noqa: E402
from click.testing import CliRunner  # noqa: E402
from fakes.confluence_fake import ConfluenceFake, FirstMatch  # noqa: E402

from sync.cli import _cop  # noqa: E402
from sync.cli.sync_command import cop_sync  # noqa: E402

PILOT, EXPERT = "claire@corp.example", "karim@corp.example"
TITLES = ("Members", "Watch", "References", "Regulation", "Competition")
K_CHANGES = (1, 55)
V1_PATH = re.compile(r"/rest/api/")


@dataclass
class Step:
    name: str
    requests: int
    writes: int
    v1: dict[str, int] = field(default_factory=dict)
    exit_code: int = 0
    failed_writes: int = 0


class Site:
    """A fake site, a cop directory and the CLI, counting what each step sends."""

    def __init__(self, deployment: str, directory: Path) -> None:
        self.deployment = deployment
        self.fake = _fake(deployment)
        self.mock = responses.RequestsMock(assert_all_requests_are_fired=False,
                                           registry=FirstMatch)
        self.runner = CliRunner()
        self.config = directory / "cop.toml"
        cloud = deployment != "dc"
        self.env = {"COP_CONFIG": str(self.config),
                    "COP_CONFLUENCE_TOKEN": self.fake.token}
        self.cloud = cloud

    def __enter__(self) -> Site:
        self.mock.start()
        self.fake.register(self.mock)
        self.fake.clock.set(datetime.now(UTC))
        return self

    def __exit__(self, *exc: object) -> None:
        self.mock.stop()
        self.mock.reset()

    def cop(self, *args: str, sync: bool = False) -> int:
        result = self.runner.invoke(cop_sync if sync else _cop, list(args), env=self.env,
                                    catch_exceptions=False)
        return result.exit_code

    def setup(self, communities: int) -> None:
        deployment = "--confluence-cloud" if self.cloud else "--confluence-datacenter"
        assert self.cop("init", "--confluence-url", self.fake.base_url, "--confluence-user",
                        "copbot@example.com" if self.cloud else "", deployment) == 0
        users = [self.fake.add_user(e, e.split("@")[0].title()) for e in (PILOT, EXPERT)]
        with self.config.open("a", encoding="utf-8") as toml:
            toml.write("\n[confluence.accounts]\n")
            for user in users:
                toml.write(f'"{user.email}" = '
                           f'"{user.account_id if self.cloud else user.user_key}"\n')
        for number in range(communities):
            slug = f"battery{number}"
            assert self.cop("community", "add", slug, "--name", f"Battery {number}",
                            "--theme", "Energy storage", "--pilot", PILOT, "--expert", EXPERT,
                            "--backend", "confluence", "--lang", "en", "--force") == 0

    def step(self, name: str, *args: str, sync: bool = False) -> Step:
        start = len(self.fake.log)
        code = self.cop(*args, sync=sync)
        sent = self.fake.log[start:]
        v1 = Counter(_operation(r.method, r.path) for r in sent if V1_PATH.search(r.path))
        return Step(name, len(sent), len([r for r in sent if r.method != "GET"]), dict(v1),
                    code, len([r for r in sent if r.method != "GET"
                               and (r.status or 0) >= 400]))

    def edit(self, k: int) -> None:
        spaces = sorted(s.key for s in self.fake.state.spaces.values())
        pages = [(key, title) for key in spaces for title in TITLES][:k]
        for key, title in pages:
            self.fake.edit_page(key, title, self.fake.page(key, title).body + "<p>seen</p>")


def _fake(deployment: str) -> ConfluenceFake:
    if deployment == "dc":
        return ConfluenceFake.data_center()
    if deployment == "gateway":
        return ConfluenceFake.gateway()
    return ConfluenceFake.cloud()


def _operation(method: str, path: str) -> str:
    """``POST /rest/api/content/{id}/label``: ids and keys folded."""
    path = re.sub(r"/\d+(?=/|$)", "/{id}", path[path.index("/rest/api/"):])
    path = re.sub(r"^(/rest/api/space)/[^/]+", r"\1/{key}", path)
    return f"{method} {path}"


def run(deployment: str, communities: int) -> list[Step]:
    steps: list[Step] = []
    with tempfile.TemporaryDirectory() as directory, Site(deployment, Path(directory)) as site:
        site.setup(communities)
        steps.append(site.step("first provisioning", "provision", "--all"))
        steps.append(site.step("re-provisioning, nothing changed", "provision", "--all"))
        site.fake.clock.advance(600)
        steps.append(site.step("first sync", sync=True))
        site.fake.clock.advance(600)
        steps.append(site.step("sync, nothing changed", sync=True))
        for k in K_CHANGES:
            if k > communities * len(TITLES):
                continue
            site.fake.clock.advance(600)
            site.edit(k)
            site.fake.clock.advance(60)
            steps.append(site.step(f"sync after {k} changed page(s)", sync=True))
        steps.append(Step("schema violations", len(site.fake.violations), 0))
    steps.append(_throttled(deployment, communities))
    return steps


def _throttled(deployment: str, communities: int) -> Step:
    """A first provisioning where one write in four is answered 429 (Retry-After: 1)."""
    with tempfile.TemporaryDirectory() as directory, Site(deployment, Path(directory)) as site:
        site.setup(communities)
        site.fake.throttle_writes(every=4, retry_after=1)
        step = site.step("first provisioning, 1 write in 4 answered 429", "provision",
                         "--all")
        done = sum(1 for p in site.fake.state.pages.values() if p.status == "current")
        step.name += f" ({done} pages made of {communities * 6})"
        return step


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--communities", type=int, nargs="+", default=[1, 20])
    parser.add_argument("--deployments", nargs="+", default=["cloud", "gateway", "dc"])
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    os.environ.setdefault("COP_CONFLUENCE_OPENAPI_DIR",
                          str(ROOT.parent / "shared" / "confluence-openapi"))
    results: dict[str, Any] = {}
    for deployment in options.deployments:
        for count in options.communities:
            try:
                steps = run(deployment, count)
            except (AssertionError, AttributeError) as error:
                print(f"{deployment}, {count} communities: cannot run ({error!r})",
                      file=sys.stderr)
                continue
            results[f"{deployment}/{count}"] = [s.__dict__ for s in steps]
            if not options.json:
                _print(deployment, count, steps)
    if options.json:
        print(json.dumps(results, indent=1))
    return 0


def _print(deployment: str, count: int, steps: list[Step]) -> None:
    print(f"\n{deployment}, {count} communit{'y' if count == 1 else 'ies'}")
    for step in steps:
        extra = f", exit {step.exit_code}" if step.exit_code else ""
        failed = f", {step.failed_writes} writes refused" if step.failed_writes else ""
        print(f"  {step.name:58} {step.requests:5} requests, {step.writes:4} writes"
              f"{failed}{extra}")
        for operation, number in sorted(step.v1.items()):
            print(f"      v1: {operation} x{number}")


if __name__ == "__main__":
    sys.exit(main())
