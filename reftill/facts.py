"""Fact envelopes (docs/sync.md, "Up: facts"): UUIDv7 event ids and the payload hash."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from typing import Any

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7() -> str:
    """A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then a counter and randomness, so ids made
    in one process sort in the order they were made even within a millisecond."""
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms, _counter = _last_ms, _counter + 1
        else:
            _counter = int.from_bytes(os.urandom(2), "big") & 0x3FF
        _last_ms = ms
        rand_a = _counter & 0xFFF
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    return str(uuid.UUID(int=value))


def canonical_json(payload: Any) -> bytes:
    """Keys sorted, no spaces, UTF-8: the bytes `payload_hash` is taken over."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def payload_hash(payload: Any) -> str:
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def digest_of_events(event_ids: list[str]) -> str:
    """A shift digest's hash: SHA-256 (hex) of its event ids sorted, one per line, no final newline."""
    return hashlib.sha256("\n".join(sorted(event_ids)).encode()).hexdigest()
