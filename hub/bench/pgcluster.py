"""A throwaway PostgreSQL cluster for tests (docs/cloud-bridge.md, ENVIRONMENT.md's recipe).

    with PgCluster() as pg:            # initdb + pg_ctl start on 127.0.0.1:<free port>
        dsn = pg.create_database()     # a fresh, empty database; its libpq URL
        ...

The tests' `pg_cluster` session fixture (tests/pgcluster.py) and the store-day bench start one; they
ask for a fresh database each. PostgreSQL's binaries come from `apt-get install postgresql`
(tests/system-packages.txt). initdb refuses to run as
root, so as root the cluster runs as the `postgres` user in a directory it owns.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

BIN_DIRS = ("/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin")
START_TIMEOUT = 30  # seconds pg_ctl waits for the server


def find_bin_dir() -> Path | None:
    """The directory holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    for d in BIN_DIRS:
        if (Path(d) / "initdb").exists() and (Path(d) / "pg_ctl").exists():
            return Path(d)
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


OWNER_FILE = "owner.pid"  # the test process a cluster belongs to


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_stale(root: Path | None = None) -> list[Path]:
    """Stop and remove the clusters of test processes that died without tearing down (killed by a
    timeout or SIGKILL): a server left running would hold its port and memory until the machine
    restarts. Returns the directories removed."""
    bin_dir = find_bin_dir()
    removed = []
    for d in Path(root or tempfile.gettempdir()).glob("soko-pg-*"):
        try:
            owner = int((d / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue  # not one of ours, or still being made
        if _alive(owner):
            continue
        if bin_dir is not None and (d / "data" / "postmaster.pid").exists():
            cmd = [str(bin_dir / "pg_ctl"), "-D", str(d / "data"), "-m", "immediate", "-w", "stop"]
            if os.geteuid() == 0:
                cmd = ["runuser", "-u", "postgres", "--", *cmd]
            subprocess.run(cmd, capture_output=True, timeout=START_TIMEOUT + 30, check=False)
        shutil.rmtree(d, ignore_errors=True)
        removed.append(d)
    return removed


class PgCluster:
    """initdb + pg_ctl on 127.0.0.1 with fsync off (a test cluster: a crash loses it, nothing else)."""

    _names = itertools.count(1)

    def __init__(self) -> None:
        bin_dir = find_bin_dir()
        if bin_dir is None:
            raise FileNotFoundError("PostgreSQL is not installed (apt-get install postgresql)")
        self.bin_dir = bin_dir
        self.port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="soko-pg-"))
        self.data = self.dir / "data"
        self._as_postgres = os.geteuid() == 0
        self.started = False

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=START_TIMEOUT + 30, check=False)

    def start(self) -> "PgCluster":
        reap_stale(self.dir.parent)
        (self.dir / OWNER_FILE).write_text(str(os.getpid()))
        if self._as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o700)
        r = self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                      "--no-sync", "--locale=C")
        if r.returncode:
            raise RuntimeError(f"initdb failed: {r.stderr or r.stdout}")
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
                " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        r = self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.dir / "log"),
                      "-t", str(START_TIMEOUT), "-w", "start")
        if r.returncode:
            log = (self.dir / "log").read_text(errors="replace") if (self.dir / "log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {r.stderr or r.stdout}\n{log}")
        self.started = True
        return self

    def stop(self) -> None:
        if self.started:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None, template: str | None = None) -> str:
        """A new database (named `t<n>` unless given), empty or a copy of `template`; its URL."""
        import psycopg

        name = name or f"t{next(self._names)}_{os.getpid()}"
        copy = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"{copy}')
        return self.dsn(name)

    def drop_database(self, dsn: str) -> None:
        import psycopg

        name = dsn.rsplit("/", 1)[1]
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def __enter__(self) -> "PgCluster":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
