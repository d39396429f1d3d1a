"""Passwords and PINs, both stored with Argon2id (a slow, memory-hard KDF)."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
PIN_PATTERN = re.compile(r"^[0-9]{4,8}$")
# Verifying against this keeps a login for an unknown user as slow as for a known one.
_DUMMY_SECRET = "soko-hub-timing-equaliser"


class WeakSecretError(ValueError):
    """A password or PIN does not meet the rules; the message says which."""


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakSecretError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakSecretError(f"a password has at most {MAX_PASSWORD_LENGTH} characters")


def check_pin_rules(pin: str) -> None:
    if not PIN_PATTERN.match(pin):
        raise WeakSecretError("a PIN is 4 to 8 digits")
    if len(set(pin)) == 1:
        raise WeakSecretError("a PIN cannot be one digit repeated")


class SecretHasher:
    """Argon2id with the cost from settings (tests shrink it)."""

    def __init__(self, time_cost: int = 2, memory_kib: int = 19456) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        self._dummy = self._hasher.hash(_DUMMY_SECRET)

    def hash(self, secret: str) -> str:
        return self._hasher.hash(secret)

    def verify(self, stored: str | None, secret: str) -> bool:
        """True when `secret` matches; always spends one KDF run, even with nothing stored."""
        try:
            return self._hasher.verify(stored or self._dummy, secret) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)
