"""Identifiers: UUIDv7 strings, born where the record is born (DESIGN.md section 3)."""

import random
import time

import uuid6

# Request ids need to be unique, not secret. uuid6 draws its random bits from os.urandom, which
# releases the GIL: on the event loop thread a reader thread may then hold the loop for up to a
# switch interval (5 ms) on every request. The random module's Mersenne Twister, seeded from the
# system and reseeded in a forked child, does not.


def new_id() -> str:
    """Return a new UUIDv7 as a lowercase string (time-ordered, globally unique)."""
    return str(uuid6.uuid7())


def new_request_id() -> str:
    """A UUIDv7 for one HTTP request: time-ordered and unique, from a non-cryptographic generator."""
    ms = (time.time_ns() // 1_000_000) & 0xFFFF_FFFF_FFFF  # 48 bits of Unix milliseconds
    rand_a, rand_b = random.getrandbits(12), random.getrandbits(62)
    h = f"{ms:012x}7{rand_a:03x}{(0b10 << 62) | rand_b:016x}"  # version 7, RFC 9562 variant
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
