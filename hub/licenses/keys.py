"""The vendor's Ed25519 public keys that license files must be signed with (raw 32 bytes, base64).

The vendor keeps each private key offline, never on a hub or in this repository. The tuple may
hold several keys, so a new signing key can be shipped before the old one is retired (rotation);
a file names the key that signed it by `key_id`. Tests put their own keys on
`app.state.license_keys`, which `trusted_keys` prefers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

VENDOR_PUBLIC_KEYS: tuple[str, ...] = (
    "Ta7NpLTPBAg001VBh6J16ZMaUXS4rI9P2H/RM7RjgH4=",
)
STATE_KEY = "license_keys"


def key_id(public_b64: str) -> str:
    """A short name of a public key: the first 16 hex digits of SHA-256 over its raw bytes."""
    return hashlib.sha256(base64.b64decode(public_b64)).hexdigest()[:16]


def load(public_b64: str) -> Ed25519PublicKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # on first use, not at start

    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64, validate=True))
    except (binascii.Error, ValueError) as err:
        raise ValueError(f"not a raw Ed25519 public key in base64: {public_b64!r}") from err


def trusted_keys(state: Any) -> tuple[str, ...]:
    """The keys this app trusts: a test's `state.license_keys`, else the built-in vendor keys."""
    return tuple(getattr(state, STATE_KEY, None) or VENDOR_PUBLIC_KEYS)
