"""Signing in without the hub: the user's PIN checked against the salted slow-KDF verifier the
change feed gave this till (docs/sync.md, "Down"), never a PIN or password kept in clear."""

from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

VERIFIER_FIELDS = ("pin", "pin_verifier")  # the feed sends {"pin": {"verifier": "$argon2id$..."}}


def verifier_of(user: dict[str, Any]) -> str | None:
    """The user's PIN verifier as an Argon2 PHC string (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`)."""
    for field in VERIFIER_FIELDS:
        value = user.get(field)
        if isinstance(value, dict):
            value = value.get("verifier")
        if isinstance(value, str) and value.startswith("$argon2"):
            return value
    return None


def verify_pin(user: dict[str, Any], pin: str) -> bool:
    stored = verifier_of(user)
    if stored is None:
        return False
    try:
        return PasswordHasher().verify(stored, pin)
    except (VerificationError, InvalidHashError):
        return False


def permissions_of(user: dict[str, Any], store: Any) -> set[str]:
    """The user's permissions as the feed gave them, or their role's."""
    if user.get("permissions") is not None:
        return set(user["permissions"])
    role = store.row("role", user.get("role_id") or "") if user.get("role_id") else None
    return set((role or {}).get("permissions") or [])
