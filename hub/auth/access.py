"""Access rules on routes: every route declares exactly one, and one guard enforces them.

    @get("/users", opt=requires("users.view"))

A route with no rule is refused (fail closed), and the endpoint x role test fails on it.
"""

from __future__ import annotations

from typing import Any

PUBLIC = "public"
AUTHENTICATED = "authenticated"
HIDDEN = "hidden"
# A paired till that is not revoked (its X-Device-Token), with or without a signed-in cashier:
# what a till calls before anyone signs in on it (sync).
DEVICE = "device"
# A paired till's X-Device-Token, revoked or not (its bearer token is not read): where a till
# uploads what it holds (sync), so a revoked till's facts reach the quarantine instead of being
# lost. The guard puts the till on `request.state.device` with `revoked` set.
DEVICE_UPLOAD = "device_upload"
ACCESS_KEY = "access"


def requires(permission: str) -> dict[str, Any]:
    """Route opt for a route that needs a named permission."""
    return {ACCESS_KEY: permission}


def public() -> dict[str, Any]:
    """Route opt for a route anyone may call (health, login)."""
    return {ACCESS_KEY: PUBLIC}


def authenticated() -> dict[str, Any]:
    """Route opt for a route any signed-in user may call (their own profile)."""
    return {ACCESS_KEY: AUTHENTICATED}


def device() -> dict[str, Any]:
    """Route opt for a route a paired till calls with its X-Device-Token alone (a cashier's
    bearer token may come too and is then checked and bound to that till)."""
    return {ACCESS_KEY: DEVICE}


def device_upload() -> dict[str, Any]:
    """Route opt for a route a paired till calls with its X-Device-Token alone, even once revoked
    (`request.state.device.revoked` says so): its uploads are kept for a manager, never lost."""
    return {ACCESS_KEY: DEVICE_UPLOAD}


def hidden() -> dict[str, Any]:
    """Route opt for a route that must look absent (404 to everyone)."""
    return {ACCESS_KEY: HIDDEN}
