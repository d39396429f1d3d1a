"""One SecretHasher and one login rate limiter per app, and KDF runs kept off the event loop.

Both live on `app.state`, made on first use from the settings; a test may put its own there
first (a limiter with a fake clock, say).
"""

from __future__ import annotations

import asyncio
from typing import Any

from hub.auth.passwords import SecretHasher
from hub.auth.ratelimit import LoginRateLimiter

HASHER_KEY = "secret_hasher"
LIMITER_KEY = "login_limiter"


async def hasher_for(state: Any) -> SecretHasher:
    """The app's hasher; building it runs the KDF once, so it is built off the loop."""
    hasher = getattr(state, HASHER_KEY, None)
    if hasher is None:
        settings = state.settings
        hasher = await asyncio.to_thread(SecretHasher, settings.kdf_time_cost, settings.kdf_memory_kib)
        # Two first requests may both build one; keep whichever landed first.
        hasher = getattr(state, HASHER_KEY, None) or hasher
        setattr(state, HASHER_KEY, hasher)
    return hasher


def limiter_for(state: Any) -> LoginRateLimiter:
    """The app's login rate limiter, sized by `login_attempts` and `login_window_s`."""
    limiter = getattr(state, LIMITER_KEY, None)
    if limiter is None:
        settings = state.settings
        limiter = LoginRateLimiter(settings.login_attempts, settings.login_window_s)
        setattr(state, LIMITER_KEY, limiter)
    return limiter


async def hash_secret(state: Any, secret: str) -> str:
    """Argon2id hash of a password or PIN, computed in a worker thread."""
    hasher = await hasher_for(state)
    return await asyncio.to_thread(hasher.hash, secret)


async def verify_secret(state: Any, stored: str | None, secret: str) -> bool:
    """True when `secret` matches `stored`; one KDF run in a worker thread, even if nothing is stored."""
    hasher = await hasher_for(state)
    return await asyncio.to_thread(hasher.verify, stored, secret)
