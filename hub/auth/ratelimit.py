"""The login rate limit: failed attempts per username and per client address, in a sliding window.

Kept in memory on purpose. The hub is one process, so one dict sees every attempt; a restart
forgets the counters, which gives an attacker at most one more window; and counting in SQLite
would let a flood of bad logins queue fsyncs on the single writer that sales are waiting for.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Callable

# Beyond this many tracked keys, keys with no failure inside the window are forgotten first.
MAX_TRACKED_KEYS = 10_000


class LoginRateLimiter:
    """Counts failures per key; a key with `attempts` failures inside `window_s` is refused.

    An attempt is counted as failed when it starts (`acquire`) and taken back when it succeeds,
    so guesses sent in parallel cannot overshoot the limit while their KDF runs.
    """

    def __init__(self, attempts: int, window_s: float, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.attempts = attempts
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _user_key(username: str) -> str:
        return "user:" + username.casefold()

    def _keys(self, username: str | None, address: str | None) -> list[str]:
        keys = [self._user_key(username)] if username else []
        return keys + (["addr:" + address] if address else [])

    def _recent(self, key: str, now: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times

    def _wait(self, keys: list[str], now: float) -> int | None:
        wait = 0.0
        for key in keys:
            times = self._recent(key, now)
            if times is not None and len(times) >= self.attempts:
                # Allowed again once the oldest counted failure leaves the window.
                wait = max(wait, times[-self.attempts] + self.window_s - now)
        return max(1, math.ceil(wait)) if wait > 0 else None

    def retry_after(self, username: str | None, address: str | None) -> int | None:
        """Seconds until an attempt is allowed again, or None when it is allowed now."""
        with self._lock:
            return self._wait(self._keys(username, address), self.clock())

    def acquire(self, username: str | None, address: str | None) -> int | None:
        """Refuse (seconds to wait) or allow an attempt, counting it as failed until `succeeded`."""
        now = self.clock()
        keys = self._keys(username, address)
        with self._lock:
            wait = self._wait(keys, now)
            if wait is not None:
                return wait
            for key in keys:
                times = self._failures.setdefault(key, deque())
                times.append(now)
                while len(times) > self.attempts:
                    times.popleft()
            if len(self._failures) > MAX_TRACKED_KEYS:
                self._forget(now)
        return None

    def succeeded(self, username: str, address: str | None) -> None:
        """A correct attempt clears its username's failures and un-counts itself for its address."""
        with self._lock:
            self._failures.pop(self._user_key(username), None)
            times = self._failures.get("addr:" + address) if address else None
            if times:
                times.pop()
                if not times:
                    del self._failures["addr:" + address]

    def _forget(self, now: float) -> None:
        for key in list(self._failures):
            self._recent(key, now)
        overflow = len(self._failures) - MAX_TRACKED_KEYS
        if overflow > 0:
            by_age = sorted(self._failures, key=lambda k: self._failures[k][-1])
            for key in by_age[:overflow]:
                del self._failures[key]
