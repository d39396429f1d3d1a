"""The slow-fsync shim (hub/bench/shim/slowsync.c): an SD card's fsync on a fast disk.

A Raspberry Pi's card takes milliseconds to make a write durable where this machine's disk takes
a fraction of one, and that wait is what the hub's group commit shares among the sales waiting
at once (hub.db.connection). `soko-hub bench sales --fsync-ms N` runs both the hub and the raw
sqlite3 reference under this shim, each fsync and fdatasync returning N ms after the real one,
so the two are compared on the same emulated card. `self_test` proves the pause is there before
anything is measured through it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hub.bench.powercut import ShimError, compile_shim

SOURCE = Path(__file__).parent / "shim" / "slowsync.c"
SELF_TEST_SYNCS = 5

_PROBE = """
import os, sys, tempfile, time
fd, path = tempfile.mkstemp()
try:
    os.write(fd, b"x")
    began = time.perf_counter()
    for _ in range(int(sys.argv[1])):
        os.fsync(fd)
        os.fdatasync(fd)
    print(time.perf_counter() - began)
finally:
    os.close(fd)
    os.unlink(path)
"""


def build(directory: Path | None = None) -> Path:
    return compile_shim(SOURCE, "slow-fsync shim", directory)


def env(library: Path, fsync_ms: float) -> dict[str, str]:
    """What a process needs to run with every fsync taking `fsync_ms` longer."""
    return {"LD_PRELOAD": str(library), "SLOWSYNC_US": str(round(fsync_ms * 1000))}


def self_test(library: Path, fsync_ms: float) -> None:
    """Time fsyncs in a child under the shim: each must take at least `fsync_ms`, or the bench
    would report a card it did not emulate."""
    child = {**os.environ, **env(library, fsync_ms)}
    done = subprocess.run([sys.executable, "-c", _PROBE, str(SELF_TEST_SYNCS)], env=child, capture_output=True,
                          text=True, timeout=60)
    if done.returncode != 0:
        raise ShimError(f"the slow-fsync probe failed: {done.stderr[-1000:]}")
    took = float(done.stdout.strip())
    least = 2 * SELF_TEST_SYNCS * fsync_ms / 1000
    if took < least:
        raise ShimError(f"{2 * SELF_TEST_SYNCS} syncs under the slow-fsync shim took {took * 1000:.1f} ms, "
                        f"less than the {least * 1000:.0f} ms it should add: it is not in effect")
