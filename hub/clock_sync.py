"""Is the hub's clock synchronised? The clock-status interface fiscal signing and operations share.

A Raspberry Pi has no real-time clock (hub.clock): its time is only as good as its last
synchronisation. `ClockStatus` says whether the clock is synchronised now, from which source
("ntp": the kernel's NTP discipline; "tills": the median of the paired tills' clocks, recorded by
the operations work; "none") and when it last was. `ClockSync` keeps the latest status for one
hub: it reads a `ClockReader` (the real one asks the kernel through adjtimex, or
`timedatectl show -p NTPSynchronized`; both are safe where unavailable) at most every few
seconds, remembers the last moment the clock was synchronised, and takes other sources through
`record`.

One `ClockSync` per hub: `for_state(app.state)` (made on first use) and `for_conn(conn)` (the same
one, found by the database's time floor, for code that holds only a connection, such as signing
in a sale's transaction). Tests install a `FakeClockReader` with `install(state, ClockSync(fake))`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import datetime as dt
import logging
import shutil
import subprocess
import threading
import weakref
from typing import Any, Protocol

from hub import clock

log = logging.getLogger(__name__)

SOURCES = ("ntp", "tills", "none")
READ_EVERY_S = 5.0  # a status younger than this is reused (a sale must not wait on the kernel)
# systemd's own test (src/basic/time-util.c ntp_synced): synchronised when the kernel's maximum
# error is below 16 s; STA_UNSYNC alone is ignored (it may be set only to keep the RTC untouched).
MAX_ERROR_US = 16_000_000


@dataclasses.dataclass(frozen=True)
class ClockStatus:
    synchronised: bool
    source: str = "none"  # "ntp" | "tills" | "none"
    last_sync_at: str | None = None  # hub.clock.format_ts; None: not since the hub started
    reason: str = ""  # why it is not synchronised (or what it was synchronised by)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class ClockReader(Protocol):
    def read(self) -> ClockStatus: ...


class _Timex(ctypes.Structure):
    # The head of struct timex (<sys/timex.h>); the rest is room for the kernel to fill.
    _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
                ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long), ("status", ctypes.c_int),
                ("_rest", ctypes.c_byte * 256)]


class SystemClockReader:
    """The kernel's NTP state: adjtimex(2) with no modes (read-only, no privilege), else
    `timedatectl show -p NTPSynchronized --value`; neither available: not synchronised."""

    def __init__(self) -> None:
        self._adjtimex: Any = None
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            self._adjtimex = libc.adjtimex
        except (OSError, AttributeError):
            self._adjtimex = None

    def read(self) -> ClockStatus:
        if self._adjtimex is not None:
            timex = _Timex()
            if self._adjtimex(ctypes.byref(timex)) >= 0:
                if 0 <= timex.maxerror < MAX_ERROR_US:
                    return ClockStatus(True, "ntp", clock.format_ts(clock.utc_now()), "the kernel's clock is "
                                       "disciplined by network time")
                return ClockStatus(False, "none", None, "network time is not synchronising the clock "
                                   "(the kernel's maximum error is 16 s or more)")
        return self._timedatectl()

    @staticmethod
    def _timedatectl() -> ClockStatus:
        exe = shutil.which("timedatectl")
        if exe is None:
            return ClockStatus(False, "none", None, "no way to ask whether network time is synchronised")
        try:
            out = subprocess.run([exe, "show", "-p", "NTPSynchronized", "--value"], capture_output=True,
                                 text=True, timeout=2, check=False)
        except (OSError, subprocess.SubprocessError) as err:
            return ClockStatus(False, "none", None, f"timedatectl failed: {err}")
        if out.returncode == 0 and out.stdout.strip() == "yes":
            return ClockStatus(True, "ntp", clock.format_ts(clock.utc_now()), "timedatectl: NTP synchronised")
        return ClockStatus(False, "none", None, "network time is not synchronised (timedatectl)")


class FakeClockReader:
    """For tests: synchronised or not as set; `last_sync_at` is the (possibly patched) hub clock."""

    def __init__(self, synchronised: bool = True, source: str = "ntp", reason: str = "") -> None:
        self.synchronised, self.source, self.reason = synchronised, source, reason

    def set(self, synchronised: bool, source: str | None = None, reason: str = "") -> None:
        self.synchronised, self.reason = synchronised, reason
        if source is not None:
            self.source = source

    def read(self) -> ClockStatus:
        if self.synchronised:
            return ClockStatus(True, self.source, clock.format_ts(clock.utc_now()), self.reason or "fake: synchronised")
        return ClockStatus(False, "none", None, self.reason or "fake: not synchronised")


class ClockSync:
    """The latest clock status of one hub; remembers when it was last synchronised (from the
    reader or a recorded source) so that `unsynchronised_for` can be measured."""

    def __init__(self, reader: ClockReader | None = None, *, read_every_s: float = READ_EVERY_S) -> None:
        self.reader: ClockReader = reader if reader is not None else SystemClockReader()
        self.read_every_s = read_every_s
        self.started_at = clock.utc_now()
        self._lock = threading.Lock()
        self._status: ClockStatus | None = None
        self._read_at: float | None = None
        self._last_sync: tuple[str, str] | None = None  # (format_ts, source)

    def status(self, *, fresh: bool = False) -> ClockStatus:
        import time

        with self._lock:
            mono = time.monotonic()
            if fresh or self._status is None or self._read_at is None or mono - self._read_at >= self.read_every_s:
                try:
                    read = self.reader.read()
                except Exception as err:  # noqa: BLE001 (a clock question must never break a sale)
                    read = ClockStatus(False, "none", None, f"reading the clock status failed: {err}")
                self._read_at = mono
                if read.synchronised:
                    self._last_sync = (read.last_sync_at or clock.format_ts(clock.utc_now()), read.source)
                self._status = read
            read = self._status
            if not read.synchronised and self._last_sync is not None:
                return dataclasses.replace(read, last_sync_at=self._last_sync[0])
            return read

    def record(self, source: str, at: str | None = None, reason: str = "") -> ClockStatus:
        """Another source synchronised the clock at `at` (default now): e.g. "tills" when the hub
        took the median of its tills' clocks. It counts until the reader next says synchronised."""
        if source not in SOURCES or source == "none":
            raise ValueError(f"unknown clock source {source!r}")
        at = at or clock.format_ts(clock.utc_now())
        with self._lock:
            self._last_sync = (at, source)
            self._status = ClockStatus(True, source, at, reason or f"synchronised from {source}")
            import time

            self._read_at = time.monotonic()
            return self._status

    def unsynchronised_for(self, now: dt.datetime | None = None) -> dt.timedelta:
        """How long the clock has gone without synchronisation (zero while synchronised). Never
        synchronised since the hub started: measured from the start (the hub cannot know more)."""
        status = self.status()
        if status.synchronised:
            return dt.timedelta(0)
        now = now or clock.utc_now()
        since = clock.parse_ts(status.last_sync_at) if status.last_sync_at else self.started_at
        return max(now - since, dt.timedelta(0))


# ---- one per hub ---------------------------------------------------------------------------------

_by_floor: "weakref.WeakKeyDictionary[Any, ClockSync]" = weakref.WeakKeyDictionary()
_default: ClockSync | None = None
_default_lock = threading.Lock()


def default() -> ClockSync:
    """The process's ClockSync on the real reader (one hub per process in production)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = ClockSync()
        return _default


def install(state: Any, sync: ClockSync) -> ClockSync:
    """Make `sync` this hub's clock status (app state and every connection of its database)."""
    state.clock_sync = sync
    db = getattr(state, "db", None)
    if db is not None:
        _by_floor[db.floor] = sync
    return sync


def for_state(state: Any) -> ClockSync:
    sync = getattr(state, "clock_sync", None)
    if sync is None:
        db = getattr(state, "db", None)
        sync = _by_floor.get(db.floor) if db is not None else None
        return install(state, sync or default())
    return sync


def for_conn(conn: Any) -> ClockSync:
    floor = getattr(conn, "floor", None)
    sync = _by_floor.get(floor) if floor is not None else None
    return sync or default()
