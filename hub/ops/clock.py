"""Time from the tills when there is no network time (docs/operations.md, "Power and clock").

Each till's sync call or upload records its clock against the hub's (hub.sync.status: the skew
and the moment, in sync_devices). `TillClockKeeper.poll` notices each new reading and keeps it as
(till clock at the reading, monotonic time it was seen); a till's clock now is that plus the time
since. When the hub's clock is not synchronised (hub.clock_sync) and at least MIN_TILLS tills
reported within SAMPLE_MAX_AGE_S, the median of their clocks now is the time: if it differs from
the hub's by more than STEP_THRESHOLD_S, `apply` sets the system clock through a `ClockSetter`
(the image's privileged helper's `set-time`, asked through hub.ops.helper), never to a moment
before the time floor, and audits it. A reading is at most one poll old when seen, so the median
is behind by at most POLL_S: well inside the threshold.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import time
from dataclasses import dataclass
from typing import Any, Protocol

from hub.clock import format_ts, parse_ts, utc_now
from hub.db import audit

log = logging.getLogger(__name__)

POLL_S = 5.0
SAMPLE_MAX_AGE_S = 600.0
MIN_TILLS = 1
STEP_THRESHOLD_S = 60.0
SET_TIME_TIMEOUT_S = 10.0

READINGS_SQL = """
SELECT s.device_id, s.skew_ms, s.skew_at, d.name FROM sync_devices s JOIN devices d ON d.id = s.device_id
WHERE s.skew_at IS NOT NULL AND s.skew_ms IS NOT NULL AND d.revoked_at IS NULL
"""


class ClockSetter(Protocol):
    def set_time(self, moment: dt.datetime) -> None: ...


class HelperClockSetter:
    """Sets the system clock (and the RTC) through the image's privileged helper: `set-time
    <YYYY-MM-DDTHH:MM:SSZ>`; a hub.ops.helper.HelperError when it cannot."""

    def __init__(self, socket_path: str | None = None) -> None:
        self.socket_path = socket_path  # None: hub.ops.helper.SOCKET

    def set_time(self, moment: dt.datetime) -> None:
        from hub.ops import helper

        stamp = moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        helper.ask("set-time", stamp, path=self.socket_path, timeout=SET_TIME_TIMEOUT_S)


class FakeClockSetter:
    """For tests: records each moment it was asked to set."""

    def __init__(self) -> None:
        self.calls: list[dt.datetime] = []

    def set_time(self, moment: dt.datetime) -> None:
        self.calls.append(moment)


@dataclass(frozen=True)
class Proposal:
    median: dt.datetime
    hub_now: dt.datetime
    tills: dict[str, str]  # till name -> its clock now (format_ts)

    @property
    def offset_s(self) -> float:
        return (self.median - self.hub_now).total_seconds()


def readings(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(READINGS_SQL)]


class TillClockKeeper:
    def __init__(self, setter: ClockSetter | None = None) -> None:
        self.setter: ClockSetter = setter or HelperClockSetter()
        self._seen: dict[str, tuple[int, str]] = {}  # device -> (skew_ms, skew_at) last polled
        self._samples: dict[str, tuple[dt.datetime, float, str]] = {}  # device -> (its clock, mono, name)
        self._primed = False

    def poll(self, rows: list[dict[str, Any]], mono: float | None = None) -> int:
        """Take the new readings among `rows` (sync_devices); how many were new. The first poll
        only learns what was there: readings from before the hub started say nothing of now."""
        mono = time.monotonic() if mono is None else mono
        new = 0
        for row in rows:
            key = (row["skew_ms"], row["skew_at"])
            if self._seen.get(row["device_id"]) == key:
                continue
            self._seen[row["device_id"]] = key
            if self._primed:
                device_clock = parse_ts(row["skew_at"]) + dt.timedelta(milliseconds=row["skew_ms"])
                self._samples[row["device_id"]] = (device_clock, mono, row.get("name") or row["device_id"])
                new += 1
        self._primed = True
        return new

    def propose(self, now: dt.datetime | None = None, mono: float | None = None) -> Proposal | None:
        """The median of the recent tills' clocks now, or None without enough of them."""
        mono = time.monotonic() if mono is None else mono
        now = now or utc_now()
        clocks = {}
        for device_id, (device_clock, seen, name) in self._samples.items():
            if mono - seen <= SAMPLE_MAX_AGE_S:
                clocks[name] = device_clock + dt.timedelta(seconds=mono - seen)
        if len(clocks) < MIN_TILLS:
            return None
        epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
        import statistics  # (and fractions): imported when the tills' clocks are first compared

        median_s = statistics.median((c - epoch).total_seconds() for c in clocks.values())
        median = epoch + dt.timedelta(seconds=median_s)
        return Proposal(median, now, {k: format_ts(v) for k, v in sorted(clocks.items())})

    def apply(self, proposal: Proposal, floor: str | None) -> dict[str, Any] | None:
        """Set the clock to the proposal's median if it is off by more than the threshold and not
        before the floor (blocking: the helper runs a command); what was done for `record_set`, or
        None when nothing was set. The caller has checked that network time is not synchronised."""
        if abs(proposal.offset_s) < STEP_THRESHOLD_S:
            return None
        if floor and proposal.median < parse_ts(floor):
            log.warning("the tills' median clock %s is before the hub's time floor %s: not set",
                        format_ts(proposal.median), floor)
            return None
        self.setter.set_time(proposal.median)
        return {"from": format_ts(proposal.hub_now), "to": format_ts(proposal.median),
                "offset_s": round(proposal.offset_s, 3), "tills": proposal.tills, "floor": floor}


def record_set(conn: sqlite3.Connection, done: dict[str, Any]) -> dict[str, Any]:
    """The audit entry of a clock set from the tills."""
    return audit.append(conn, audit.Actor.system("clock"), "clock.set_from_tills", "clock", None, detail=done)
