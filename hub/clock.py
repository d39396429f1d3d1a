"""Time: UTC timestamps as sortable text, and the persisted time floor.

A Raspberry Pi has no real-time clock: after a power cut it may boot with a clock that is hours
or years behind. The hub never stamps a fact earlier than the latest one it holds (DESIGN.md
section 3): `TimeFloor.stamp` returns max(system clock, floor) and moves the floor forward.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

log = logging.getLogger(__name__)

UTC = dt.timezone.utc
# Logged at most once per this many seconds while the system clock stays behind the floor.
BEHIND_WARNING_INTERVAL_S = 300.0


def utc_now() -> dt.datetime:
    return dt.datetime.now(UTC)


def format_ts(moment: dt.datetime) -> str:
    """`2026-11-25T21:52:54.123456Z`: fixed width, so text order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_ts(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


class TimeFloor:
    """The latest time the hub has recorded; facts are never stamped before it."""

    def __init__(self, floor: str | None = None) -> None:
        self._floor = parse_ts(floor) if floor else None
        self._lock = threading.Lock()
        self._last_warning: float | None = None

    @property
    def value(self) -> str | None:
        return format_ts(self._floor) if self._floor else None

    def behind_by(self, now: dt.datetime | None = None) -> dt.timedelta:
        """How far the system clock is behind the floor (zero when it is not)."""
        now = now or utc_now()
        if self._floor is None or now >= self._floor:
            return dt.timedelta(0)
        return self._floor - now

    def stamp(self) -> str:
        """Return the time to record a fact at, advancing the floor."""
        now = utc_now()
        with self._lock:
            if self._floor is not None and now < self._floor:
                self._warn(self._floor - now)
                now = self._floor
            self._floor = now
            return format_ts(now)

    def _warn(self, behind: dt.timedelta) -> None:
        import time

        mono = time.monotonic()
        if self._last_warning is None or mono - self._last_warning > BEHIND_WARNING_INTERVAL_S:
            self._last_warning = mono
            log.warning(
                "system clock is %s behind the time floor %s; facts are stamped at the floor "
                "until the clock catches up (check network time)",
                behind, self.value,
            )
