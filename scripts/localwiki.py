#!/usr/bin/env python3
"""A throwaway MediaWiki on SQLite, served by ``php -S`` on 127.0.0.1.

Used by the quick start, by the test suite (tests/conftest.py imports this file) and by the
benchmarks. It never touches the system wiki: everything lives in one directory. Two versions:

* 1.39 (the default): Debian 12's ``mediawiki`` package, installed with apt (``install-deps``);
* 1.43 (the LTS companies run): Debian 13's ``mediawiki`` and ``mediawiki-classes`` packages,
  downloaded with apt from the trixie suite through a private sources list (the system's apt
  sources are not changed) and unpacked with ``dpkg-deb -x`` into a cache directory
  (``$COP_MEDIAWIKI_CACHE``, else ``~/.cache/cop-connector``) the first time a 1.43 wiki is
  created; it runs on Debian 12's PHP 8.2.

``COP_MEDIAWIKI_VERSION=1.39|1.43`` chooses the version of the wikis ``create`` makes (the
test fixtures, the quick start); a wiki directory remembers its version (``mediawiki.json``).
Every wiki loads VisualEditor (with the in-core Parsoid), TemplateData and ParserFunctions, as
the members' editors need; VisualEditor is offered in the namespaces that the settings in
``extra/`` mark with ``$wgVisualEditorAvailableNamespaces`` (the snippet of ``cop mediawiki
namespaces`` does).

Layout of a wiki directory::

    DIR/mediawiki.json      the MediaWiki version and the code directory it runs from
    DIR/LocalSettings.php   relocatable: data dir from __DIR__, server URL from $COP_WIKI_SERVER
    DIR/data/*.sqlite       the databases (copied back over a running wiki to reset it)
    DIR/extra/*.php         included at the end of LocalSettings.php: put the snippet printed by
                            `cop mediawiki namespaces` here (extra/namespaces.php)
    DIR/credentials.json    accounts created at install: admin (sysop), bot (bot password), member
    DIR/server.pid, server.log   while `start`ed from the command line

Command line (stdlib only, so it runs before the project is installed)::

    python3 scripts/localwiki.py install-deps          apt-get the Debian packages (root)
    python3 scripts/localwiki.py fetch [--version V]   download and unpack MediaWiki V (1.43)
    python3 scripts/localwiki.py create DIR            install a fresh wiki into DIR
    python3 scripts/localwiki.py start DIR [--port N] [--workers W]
                                                       serve it in the background (3 workers)
    python3 scripts/localwiki.py stop DIR              stop it (the whole process group)
    python3 scripts/localwiki.py status DIR
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

MEDIAWIKI_ROOT = Path(os.environ.get("COP_MEDIAWIKI_ROOT", "/usr/share/mediawiki"))
VERSIONS = ("1.39", "1.43")
DEFAULT_VERSION = "1.39"
# Debian 13 (trixie) ships MediaWiki 1.43; its packages are architecture-independent PHP.
TRIXIE_SOURCE = ("deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
                 "http://deb.debian.org/debian trixie main\n")
TRIXIE_PACKAGES = ["mediawiki", "mediawiki-classes"]
APT_PACKAGES = ["mediawiki", "php-sqlite3", "php-cli", "php8.2-cgi", "micro-httpd"]
# Bot passwords must match ^[0-9a-w]{32,}$ or login silently fails (measured, see shared notes).
BOT_APP_ID = "cop"
BOT_SECRET = "copconnectortestbotpassword0123456789abcdef"[:40]
BOT_GRANTS = "basic,highvolume,editpage,editprotected,createeditmovepage,protect,delete"
ADMIN_PASSWORD = "Adm1n-Local-Wiki-Pass"
MEMBER_PASSWORD = "Memb3r-Local-Wiki-Pass"

RELOCATABLE_SETTINGS = """
# --- cop-connector local wiki: relocatable settings (written by scripts/localwiki.py) ---
$wgCacheDirectory = __DIR__ . '/cache';
$wgDBerrorLog = __DIR__ . '/logs/dberror.log';
$wgDebugLogGroups = [];
$wgDebugLogFile = '';
# The tests' wikis run no jobs (short requests, steady timings; the purge at the end of
# provisioning must make links blue by itself); `localwiki.py start` (the quick start's)
# runs one at the end of each request, as a company wiki does by default
$wgJobRunRate = (float)( getenv( 'COP_WIKI_JOB_RUN_RATE' ) ?: 0 );
$wgShowExceptionDetails = true;
$wgEnableEmail = false;
# MediaWiki's own logo instead of the "Set $wgLogos" placeholder (screenshots, the demo)
$wgLogos = [ '1x' => "$wgResourceBasePath/resources/assets/mediawiki.png" ];
$wgGroupPermissions['*']['edit'] = false;
$wgGroupPermissions['*']['createaccount'] = false;
wfLoadExtension( 'ParserFunctions' );
wfLoadExtension( 'TemplateData' );
# The members' editor; Parsoid runs inside MediaWiki (no RESTBase, no call back to the wiki).
wfLoadExtension( 'VisualEditor' );
foreach ( glob( __DIR__ . '/extra/*.php' ) ?: [] as $copExtraFile ) {
    require $copExtraFile;
}
"""


class LocalWikiError(RuntimeError):
    """Something the local wiki needs is missing or failed; the message says what to do."""


@dataclass(frozen=True)
class Credentials:
    """Accounts created at install time (throwaway values for a loopback-only wiki)."""

    admin_user: str
    admin_password: str
    bot_user: str  # "Name@appid", for action=login with a bot password
    bot_password: str
    member_user: str
    member_password: str

    @classmethod
    def load(cls, directory: Path) -> Credentials:
        return cls(**json.loads((directory / "credentials.json").read_text()))


def packages_missing() -> list[str]:
    """Debian packages this script needs that are not installed."""
    missing = []
    for package in APT_PACKAGES:
        probe = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                               capture_output=True, text=True, check=False)
        if "install ok installed" not in probe.stdout:
            missing.append(package)
    return missing


def install_deps() -> None:
    """apt-get the packages if any is missing (needs root)."""
    missing = packages_missing()
    if not missing:
        return
    command = ["apt-get", "install", "-y", "--no-install-recommends", *APT_PACKAGES]
    if os.geteuid() != 0:
        raise LocalWikiError(f"missing Debian packages {' '.join(missing)}; "
                             f"run as root: {' '.join(command)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)


def requested_version() -> str:
    """The version ``create`` installs: ``$COP_MEDIAWIKI_VERSION``, else 1.39."""
    version = os.environ.get("COP_MEDIAWIKI_VERSION", "") or DEFAULT_VERSION
    if version not in VERSIONS:
        raise LocalWikiError(f"COP_MEDIAWIKI_VERSION={version!r}: "
                             f"one of {', '.join(VERSIONS)}")
    return version


def cache_dir() -> Path:
    """Where downloaded MediaWiki versions are unpacked (kept between runs)."""
    configured = os.environ.get("COP_MEDIAWIKI_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "cop-connector"


def mediawiki_root(version: str) -> Path:
    """The code directory (index.php, maintenance/) of ``version``."""
    if version == "1.39":
        return MEDIAWIKI_ROOT
    return cache_dir() / f"mediawiki-{version}" / "usr" / "share" / "mediawiki"


def fetch(version: str = "1.43") -> Path:
    """Download and unpack ``version`` once (1.43: Debian 13's packages); its code directory.

    apt reads a private sources list and keeps its lists in the cache directory, so the
    system's sources and lists are untouched."""
    root = mediawiki_root(version)
    if version == "1.39" or (root / "index.php").exists():
        return root
    base = root.parents[2]
    work = base.with_name(base.name + ".download")
    shutil.rmtree(work, ignore_errors=True)
    lists = work / "lists"
    (lists / "partial").mkdir(parents=True)
    (work / "cache" / "archives" / "partial").mkdir(parents=True)
    (work / "sources.list").write_text(TRIXIE_SOURCE)
    apt = ["-o", f"Dir::Etc::sourcelist={work / 'sources.list'}", "-o", "Dir::Etc::sourceparts=-",
           "-o", f"Dir::State::Lists={lists}", "-o", f"Dir::Cache={work / 'cache'}",
           "-o", "APT::Sandbox::User=root", "-qq"]
    _run(["apt-get", *apt, "update"], work)
    _run(["apt-get", *apt, "download", *TRIXIE_PACKAGES], work)
    unpacked = work / "root"
    for deb in sorted(work.glob("*.deb")):
        _run(["dpkg-deb", "-x", str(deb), str(unpacked)], work)
    code = unpacked / "usr" / "share" / "mediawiki"
    # The package links these to the system wiki in /var/lib/mediawiki: point them at its own
    # tree (the bundled extensions) and at an empty directory.
    for name, target in (("extensions", "extensions-core"), ("images", None)):
        (code / name).unlink(missing_ok=True)
        if target:
            (code / name).symlink_to(target)
        else:
            (code / name).mkdir()
    shutil.rmtree(base, ignore_errors=True)
    unpacked.rename(base)
    shutil.rmtree(work, ignore_errors=True)
    return root


def _run(command: list[str], cwd: Path) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LocalWikiError(f"{' '.join(command[:1] + command[-2:])} failed: "
                             f"{result.stdout[-600:]}{result.stderr[-600:]}")


def wiki_root(directory: Path) -> Path:
    """The code directory a wiki runs from (1.39's for wikis made before versions existed)."""
    info = directory / "mediawiki.json"
    if not info.exists():
        return MEDIAWIKI_ROOT
    return mediawiki_root(json.loads(info.read_text())["version"])


def wiki_version(directory: Path) -> str:
    info = directory / "mediawiki.json"
    return json.loads(info.read_text())["version"] if info.exists() else "1.39"


def create_user(directory: Path, name: str, password: str) -> None:
    """One more ordinary account on the wiki in ``directory`` (no group)."""
    _php(directory, "createAndPromote.php", name, password)


def _php(directory: Path, script: str, *args: str) -> str:
    env = dict(os.environ, MW_CONFIG_FILE=str(directory / "LocalSettings.php"))
    result = subprocess.run(
        ["php", str(wiki_root(directory) / "maintenance" / script), *args],
        env=env, capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise LocalWikiError(f"{script} failed: {result.stdout[-800:]}{result.stderr[-800:]}")
    return result.stdout


def create(directory: Path, site_name: str = "CoP Wiki",
           version: str | None = None) -> Credentials:
    """Install a fresh wiki of ``version`` (default: ``requested_version()``) into
    ``directory`` (which must not hold one yet); 1.43 is downloaded first if needed."""
    if packages_missing():
        raise LocalWikiError(
            "MediaWiki is not installed; run: python3 scripts/localwiki.py install-deps")
    if (directory / "LocalSettings.php").exists():
        raise LocalWikiError(f"{directory} already holds a wiki")
    version = version or requested_version()
    fetch(version)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "mediawiki.json").write_text(json.dumps({"version": version}))
    for sub in ("data", "cache", "logs", "extra"):
        (directory / sub).mkdir(exist_ok=True)
    _php(directory, "install.php", "--dbtype", "sqlite", "--dbpath", str(directory / "data"),
         "--dbname", "wiki", "--server", "http://127.0.0.1", "--scriptpath", "",
         "--confpath", str(directory), "--lang", "en", "--pass", ADMIN_PASSWORD,
         "--skins", "Vector", site_name, "Admin")
    _make_relocatable(directory / "LocalSettings.php")
    credentials = Credentials(
        admin_user="Admin", admin_password=ADMIN_PASSWORD,
        bot_user=f"CopBot@{BOT_APP_ID}", bot_password=BOT_SECRET,
        member_user="Member", member_password=MEMBER_PASSWORD,
    )
    _php(directory, "createAndPromote.php", "--bot", "--sysop", "CopBot", ADMIN_PASSWORD)
    _php(directory, "createBotPassword.php", "--appid", BOT_APP_ID, "--grants", BOT_GRANTS,
         "CopBot", BOT_SECRET)
    _php(directory, "createAndPromote.php", "Member", MEMBER_PASSWORD)
    (directory / "credentials.json").write_text(json.dumps(credentials.__dict__, indent=2))
    return credentials


def _make_relocatable(settings: Path) -> None:
    text = settings.read_text()
    # The generated file hard-codes the install paths; later lines derive cache paths from
    # $wgSQLiteDataDir, so it must be replaced in place, not overridden at the end.
    text = re.sub(r'^\$wgSQLiteDataDir = .*$', "$wgSQLiteDataDir = __DIR__ . '/data';",
                  text, flags=re.M)
    text = re.sub(r'^\$wgServer = .*$',
                  "$wgServer = getenv( 'COP_WIKI_SERVER' ) ?: 'http://127.0.0.1';",
                  text, flags=re.M)
    settings.write_text(text + RELOCATABLE_SETTINGS)


def copy(source: Path, target: Path) -> None:
    """Copy a ready wiki (about 3 ms): the copy is independent and relocatable."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("server.*", "cache"))
    (target / "cache").mkdir(exist_ok=True)


def port_free(port: int) -> bool:
    """Nothing listens on ``port`` (a port a stopped server left in TIME_WAIT is free)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """``php -S`` serving one wiki directory, in its own process group."""

    def __init__(self, directory: Path, port: int | None = None, workers: int = 1,
                 run_jobs: bool = False) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.workers = workers
        self.run_jobs = run_jobs  # MediaWiki's job queue, run as requests come
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The script path (where api.php lives), with a trailing slash."""
        return f"http://127.0.0.1:{self.port}/"

    def start(self, timeout: float = 20.0) -> Server:
        # php -S cannot bind a port in use, but the server already there (another wiki)
        # would answer the readiness probe: this wiki would seem to run, and be another.
        if not port_free(self.port):
            raise LocalWikiError(f"port {self.port} is in use on 127.0.0.1: choose another "
                                 "(--port N; for scripts/quickstart: COP_DEMO_PORT=N)")
        env = dict(os.environ, MW_CONFIG_FILE=str(self.directory / "LocalSettings.php"),
                   COP_WIKI_SERVER=f"http://127.0.0.1:{self.port}")
        if self.workers > 1:
            env["PHP_CLI_SERVER_WORKERS"] = str(self.workers)
        if self.run_jobs:
            env["COP_WIKI_JOB_RUN_RATE"] = "1"
        with open(self.directory / "logs" / "server.log", "ab") as log:  # never a pipe
            self.process = self._spawn(env, log)
        wait_until_ready(self.url, timeout, self.process)
        return self

    def _spawn(self, env: dict[str, str], log: IO[bytes]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            # opcache would keep serving an extra/*.php rewritten within its 2 s window
            ["php", "-d", "opcache.revalidate_freq=0", "-S", f"127.0.0.1:{self.port}",
             "-t", str(wiki_root(self.directory))],
            env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
            start_new_session=True,  # own process group: stop() kills workers too
        )

    def stop(self) -> None:
        if self.process is None:
            return
        stop_group(self.process.pid)
        self.process.wait(timeout=10)
        self.process = None


def stop_group(pid: int) -> None:
    """Terminate a server's whole process group (workers keep the port otherwise)."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(50):
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def wait_until_ready(url: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    probe = url + "api.php?action=query&meta=siteinfo&format=json"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise LocalWikiError(f"php -S exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(probe, timeout=2) as response:
                if b'"general"' in response.read():
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    raise LocalWikiError(f"the local wiki did not answer at {url} within {timeout:.0f} s")


def reset_data(golden: Path, target: Path) -> None:
    """Copy the golden databases back over a (running) wiki: a clean wiki in ~5 ms."""
    for database in (golden / "data").glob("*.sqlite"):
        shutil.copyfile(database, target / "data" / database.name)


# --- command line -------------------------------------------------------------------------

def _cmd_start(args: argparse.Namespace) -> None:
    directory = Path(args.dir).resolve()
    pid_file = directory / "server.pid"
    if pid_file.exists():
        info = json.loads(pid_file.read_text())
        if _alive(info["pid"]):
            print(f"already running: {info['url']} (pid {info['pid']})")
            return
    # workers: the visual editor loads many resources at once (one worker serves them in turn)
    # a wiki to use, not to test: its job queue runs (cop doctor checks that it does)
    server = Server(directory, args.port, workers=args.workers, run_jobs=True).start()
    assert server.process is not None
    pid_file.write_text(json.dumps({"pid": server.process.pid, "url": server.url}))
    print(f"MediaWiki running at {server.url} (pid {server.process.pid})")


def _cmd_stop(args: argparse.Namespace) -> None:
    pid_file = Path(args.dir).resolve() / "server.pid"
    if not pid_file.exists():
        print("not running")
        return
    stop_group(json.loads(pid_file.read_text())["pid"])
    pid_file.unlink()
    print("stopped")


def _cmd_status(args: argparse.Namespace) -> None:
    pid_file = Path(args.dir).resolve() / "server.pid"
    if pid_file.exists() and _alive(json.loads(pid_file.read_text())["pid"]):
        print("running: " + json.loads(pid_file.read_text())["url"])
    else:
        print("not running")
        sys.exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("install-deps", help="apt-get MediaWiki, PHP and SQLite (root)")
    fetching = commands.add_parser("fetch", help="download and unpack MediaWiki 1.43")
    fetching.add_argument("--version", default="1.43", choices=VERSIONS)
    for name in ("create", "start", "stop", "status"):
        sub = commands.add_parser(name)
        sub.add_argument("dir")
        if name == "start":
            sub.add_argument("--port", type=int, default=None)
            sub.add_argument("--workers", type=int, default=3,
                             help="PHP worker processes (default 3)")
    args = parser.parse_args(argv)
    try:
        if args.command == "install-deps":
            install_deps()
        elif args.command == "fetch":
            print(fetch(args.version))
        elif args.command == "create":
            create(Path(args.dir).resolve())
            print(f"wiki created in {args.dir}")
        else:
            {"start": _cmd_start, "stop": _cmd_stop, "status": _cmd_status}[args.command](args)
    except LocalWikiError as error:
        print(f"localwiki: {error}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
