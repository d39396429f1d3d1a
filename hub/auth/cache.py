"""Callers resolved in the last second, so a till's request costs one database hop, not three.

Every authenticated request resolves its bearer token (and a till's `X-Device-Token`) to an
identity; on a till's hottest path, the barcode lookup, that read cost as much as the lookup
itself. An entry is kept for at most IDENTITY_CACHE_TTL_S and only while the database's auth
generation (hub.db.auth_generation) holds the value it had *before* the entry was read: any
committed change to a token, user, role, permission or till moves it on, before the request that
made the change is answered, so a revoked till, a deactivated user or a removed permission is
refused on the very next request. A write by another process (`soko-hub user deactivate` beside a
running hub) is seen once the entry's lifetime ends.

Only live callers are kept, under a SHA-256 of the token, never the token itself; a refusal is
never cached, so an unknown token cannot fill the cache or stay refused once it exists.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Generic, TypeVar

from hub.db.auth_generation import AuthGeneration

V = TypeVar("V")

# Read at call time, so tests can shrink them.
IDENTITY_CACHE_TTL_S = 1.0
IDENTITY_CACHE_SIZE = 1024  # a store has a few dozen tills and users; this bounds a token flood
STATE_KEY = "caller_cache"


class CallerCache(Generic[V]):
    """Values by key, each valid until its deadline while `generation` has not moved on."""

    def __init__(self, generation: AuthGeneration, clock: Callable[[], float] = time.monotonic) -> None:
        self.generation = generation
        self.clock = clock
        self._entries: dict[Any, tuple[int, float, V]] = {}
        self._generation_seen = generation.value

    def __len__(self) -> int:
        return len(self._entries)

    def mark(self) -> int:
        """The generation to pass to `put` for a value about to be read from the database: taken
        *before* the read, so a change committed during the read discards what it returns."""
        return self.generation.value

    def get(self, key: Any) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        generation, deadline, value = entry
        if generation != self.generation.value or self.clock() >= deadline:
            self._entries.pop(key, None)
            return None
        return value

    def put(self, key: Any, value: V, mark: int, *, lifetime: float | None = None) -> None:
        """Keep `value`, read after `mark()` returned `mark`, for at most `lifetime` seconds (never
        more than IDENTITY_CACHE_TTL_S)."""
        current = self.generation.value
        if mark != current or not self.generation.watching:
            return
        if current != self._generation_seen:  # everything older is dead: drop it at once
            self._entries.clear()
            self._generation_seen = current
        ttl = IDENTITY_CACHE_TTL_S if lifetime is None else min(lifetime, IDENTITY_CACHE_TTL_S)
        if ttl <= 0:
            return
        now = self.clock()
        if key not in self._entries and len(self._entries) >= IDENTITY_CACHE_SIZE:
            self._evict(now)
        self._entries[key] = (current, now + ttl, value)

    def _evict(self, now: float) -> None:
        """Drop expired entries; if none was, the oldest (dicts keep insertion order)."""
        expired = [k for k, (_, deadline, _) in self._entries.items() if deadline <= now]
        for key in expired:
            del self._entries[key]
        while len(self._entries) >= IDENTITY_CACHE_SIZE:
            del self._entries[next(iter(self._entries))]

    def clear(self) -> None:
        self._entries.clear()


def cache_for(state: Any) -> CallerCache:
    """The app's cache of callers (made on first use), tied to its database's auth generation."""
    cache = getattr(state, STATE_KEY, None)
    if cache is None or cache.generation is not state.db.auth_generation:
        cache = CallerCache(state.db.auth_generation)
        setattr(state, STATE_KEY, cache)
    return cache
