"""A throwaway PostgreSQL cluster for the tests: Debian's server binaries, ``initdb`` into a
temporary directory, ``pg_ctl`` on a Unix socket in that directory and on a free port of
127.0.0.1, torn down at the end (the way tests/conftest.py runs the real MediaWiki).

initdb refuses to run as root: as root (CI), the cluster runs as the ``postgres`` system user
that Debian's ``postgresql`` package creates (``runuser``); anyone else runs it as
themselves. The database's own collation is ICU's en-US, as a company database's would be
linguistic: the records must not depend on it (keys sort byte by byte on both engines).

Roles: ``postgres`` (superuser, over the socket without a password) makes the databases;
``cop`` (no superuser) owns them and uses them, over the socket without a password, or over
TCP with the password ``PASSWORD`` (what the tests of libpq's password rules use).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

PASSWORD = "s3cret-Pg-pass"
ROLE = "cop"


def binaries() -> Path | None:
    """The newest installed server's bin directory (/usr/lib/postgresql/N/bin), if any."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                   else 0)
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Cluster:
    directory: Path
    bin: Path
    port: int
    user: str | None  # the system user running the server (None: this process's)

    @property
    def socket_dir(self) -> str:
        return str(self.directory)

    def url(self, database: str, *, role: str = ROLE, tcp: bool = False) -> str:
        """A URL without password: over the socket, or over TCP (password needed)."""
        if tcp:
            return f"postgresql://{role}@127.0.0.1:{self.port}/{database}"
        return (f"postgresql://{role}@/{database}?host={quote(self.socket_dir, safe='')}"
                f"&port={self.port}")

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check,
                              timeout=120)

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the superuser; its output (unaligned, tuples only)."""
        result = self._run("psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h",
                           self.socket_dir, "-p", str(self.port), "-U", "postgres", "-d",
                           database, "-c", sql, check=False)
        if result.returncode:
            raise RuntimeError(f"psql failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def start(self) -> Cluster:
        data = self.directory / "data"
        self._run("initdb", "-D", str(data), "-U", "postgres", "--auth-local=trust",
                  "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
                  "--locale-provider=icu", "--icu-locale=en-US", "--no-sync", "--no-instructions")
        (data / "postgresql.auto.conf").write_text(
            f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
            f"unix_socket_directories = '{self.socket_dir}'\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            "max_connections = 200\nlog_min_messages = warning\n")
        self._run("pg_ctl", "-D", str(data), "-l", str(self.directory / "server.log"), "-w",
                  "-t", "60", "start")
        self.psql(f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{PASSWORD}'")
        return self

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.directory / "data"), "-m", "immediate", "-w",
                  "stop", check=False)
        shutil.rmtree(self.directory, ignore_errors=True)

    def create_database(self, name: str, *, template: str | None = None) -> None:
        clause = f" TEMPLATE {template}" if template else ""
        self.psql(f"CREATE DATABASE {name} OWNER {ROLE}{clause}")

    def drop_database(self, name: str) -> None:
        self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def start_cluster() -> Cluster:
    """initdb and start a cluster in a new temporary directory. Raises RuntimeError (with
    the server's message) when it cannot."""
    found = binaries()
    if found is None:
        raise RuntimeError("PostgreSQL's server is not installed (Debian: apt-get install "
                           "postgresql; scripts/setup does it)")
    user = None
    directory = Path(tempfile.mkdtemp(prefix="cop-pg-"))
    if os.geteuid() == 0:  # initdb refuses root: the package's system user runs it
        user = "postgres"
        info = pwd.getpwnam(user)
        os.chown(directory, info.pw_uid, info.pw_gid)
    cluster = Cluster(directory, found, _free_port(), user)
    try:
        return cluster.start()
    except (subprocess.CalledProcessError, RuntimeError) as error:
        log = directory / "server.log"
        detail = getattr(error, "stderr", "") or ""
        if log.exists():
            detail += log.read_text(errors="replace")[-2000:]
        cluster.stop()
        raise RuntimeError(f"could not start PostgreSQL: {error}\n{detail}") from error
