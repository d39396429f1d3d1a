"""The power-cut shim (hub/bench/shim/powercut.c): built with the system's C compiler, loaded
into the hub with LD_PRELOAD, and proved by `self_test` before anything is measured through it.

Python's sqlite3 cannot load a custom VFS, so the cut happens below SQLite: the shim keeps a
pre-image of every write to the watched files until they are fsync'd, and on the cut (a signal,
or the Nth write) puts each file back as it was at its last fsync and kills the process.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

SOURCE = Path(__file__).parent / "shim" / "powercut.c"
CUT_SIGNAL = signal.SIGUSR2


class ShimError(RuntimeError):
    """The shim could not be built, or does not do what it claims."""


def compile_shim(source: Path, what: str, directory: Path | None = None) -> Path:
    """Compile an LD_PRELOAD shim of hub/bench/shim (cached by the source's hash) and return the
    shared object's path; `what` names it in errors."""
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not compiler:
        raise ShimError("no C compiler (cc or gcc): install build-essential")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    where = directory or Path(tempfile.gettempdir()) / f"soko-{source.stem}-{os.getuid()}"
    where.mkdir(parents=True, exist_ok=True)
    target = where / f"{source.stem}-{digest}.so"
    if not target.exists():
        partial = where / f".{target.name}.{os.getpid()}"
        done = subprocess.run([compiler, "-O2", "-Wall", "-shared", "-fPIC", "-o", str(partial), str(source),
                               "-ldl", "-lpthread"], capture_output=True, text=True)
        if done.returncode != 0:
            raise ShimError(f"the {what} did not compile: {done.stderr[-2000:]}")
        partial.replace(target)
    return target


def build(directory: Path | None = None) -> Path:
    """Compile the power-cut shim (cached by the source's hash) and return the shared object's path."""
    return compile_shim(SOURCE, "power-cut shim", directory)


@dataclass(frozen=True)
class Shim:
    library: Path
    signal: int = CUT_SIGNAL

    def env(self, db_path: Path, *, after: int = 0, log: Path | None = None) -> dict[str, str]:
        """What a process needs to run under the shim, watching the database, its WAL and its
        rollback journal (its shared-memory index is rebuilt from the WAL by the next opener)."""
        db = Path(db_path).resolve()
        env = {"LD_PRELOAD": str(self.library), "POWERCUT_SIGNAL": str(int(self.signal)),
               "POWERCUT_FILES": ":".join(f"{db}{suffix}" for suffix in ("", "-wal", "-journal"))}
        if after:
            env["POWERCUT_AFTER"] = str(after)
        if log is not None:
            env["POWERCUT_LOG"] = str(log)
        return env


SELF_TEST = r"""
import os, sys, time
path, how = sys.argv[1], sys.argv[2]
fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(fd, b"A" * 5000)                 # A, durable
os.fsync(fd)
os.pwrite(fd, b"B" * 3000, 1000)           # B over part of A, never synced
os.write(fd, b"C" * 7000)                  # and past A's end, never synced
os.ftruncate(fd, 2500)                     # and a truncation, never synced
os.pwrite(fd, b"D" * 10, 9000)            # a hole, never synced
other = os.open(path + "-other", os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(other, b"not watched")
print("written", flush=True)
if how == "signal":
    time.sleep(30)                         # the cut comes as a signal
else:
    os.pwrite(fd, b"E", 0)                 # the Nth write: cut before it lands
print("survived", flush=True)
"""


SQLITE_TEST = r"""
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("PRAGMA synchronous = FULL")
conn.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, pad TEXT)")
for n in range(100):                       # committed and fsync'd one by one
    conn.execute("INSERT INTO t VALUES (?, ?)", (n, "x" * 500))
conn.execute("PRAGMA synchronous = OFF")   # committed, never fsync'd
for n in range(100, 200):
    conn.execute("INSERT INTO t VALUES (?, ?)", (n, "y" * 500))
print("written", flush=True)
time.sleep(30)
"""


def self_test(shim: Shim, directory: Path) -> None:
    """Prove the shim: a file written (A), fsync'd, then overwritten, extended, truncated and
    written past its end without an fsync, then cut (by signal and by count) must hold exactly
    A; a file not watched keeps what was written to it; the process must die by SIGKILL."""
    for how in ("signal", "count"):
        path = directory / f"selftest-{how}.bin"
        # writes to the watched file: A, B, C, truncate, D -> the cut comes at the 6th (E)
        env = {**os.environ, **shim.env(path, after=6 if how == "count" else 0, log=directory / "selftest.log")}
        proc = subprocess.Popen([sys.executable, "-c", SELF_TEST, str(path), how], env=env,
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        said = proc.stdout.readline().strip()
        if said != "written":
            proc.kill()
            raise ShimError(f"the self-test program said {said!r} before the cut")
        if how == "signal":
            proc.send_signal(shim.signal)
        proc.wait(30)
        rest = proc.stdout.read()
        if proc.returncode != -signal.SIGKILL or "survived" in rest:
            raise ShimError(f"the cut ({how}) did not kill the process (exit {proc.returncode}, said {rest!r})")
        held = path.read_bytes()
        if held != b"A" * 5000:
            raise ShimError(f"after the cut ({how}) the file holds {len(held)} bytes "
                            f"({held[:20]!r}...), not the 5000 bytes of A it had at its fsync")
        if (directory / f"selftest-{how}.bin-other").read_bytes() != b"not watched":
            raise ShimError(f"the cut ({how}) touched a file it does not watch")
    # SQLite through the same Python: commits made with an fsync survive, those without are lost.
    db = directory / "selftest.db"
    env = {**os.environ, **shim.env(db)}
    proc = subprocess.Popen([sys.executable, "-c", SQLITE_TEST, str(db)], env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "written":
        proc.kill()
        raise ShimError("the SQLite self-test did not write")
    proc.send_signal(shim.signal)
    proc.wait(30)
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT count(*), max(n) FROM t").fetchone()
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    if proc.returncode != -signal.SIGKILL or rows != (100, 99) or check != "ok":
        raise ShimError(f"after the cut SQLite holds {rows[0]} rows (last {rows[1]}, integrity {check}, exit "
                        f"{proc.returncode}): the 100 fsync'd commits, not the 100 unsynced, should survive")


def ready(directory: Path) -> Shim:
    """The shim, built and proved."""
    shim = Shim(build())
    self_test(shim, directory)
    return shim
