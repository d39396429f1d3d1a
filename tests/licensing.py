"""Test helper: a vendor signing key made at test time, and the license files it issues.

No private key of the real vendor is anywhere in this repository; a test trusts its own Vendor by
putting the public half on `app.state.license_keys` (see hub.licenses.keys.trusted_keys).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.licenses.keys import key_id
from hub.licenses.verify import FORMAT, canonical

DAY = dt.timedelta(days=1)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Vendor:
    """Signs license files like the vendor's offline tool, with a key made for this test."""

    def __init__(self) -> None:
        self._key = Ed25519PrivateKey.generate()
        raw = self._key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public_b64 = base64.b64encode(raw).decode()

    def payload(self, *, seats: int = 5, store_id: str | None = None, license_id: str | None = None,
                features: tuple[str, ...] = ("sales", "fiscal"), customer: str = "Test Customer",
                expires_in: dt.timedelta = 365 * DAY, issued_ago: dt.timedelta = DAY) -> dict[str, Any]:
        now = dt.datetime.now(dt.timezone.utc)
        return {"license_id": license_id or f"LIC-{uuid.uuid4().hex[:12]}", "customer": customer,
                "store_id": store_id, "seats": seats, "features": list(features),
                "issued_at": iso(now - issued_ago), "expires_at": iso(now + expires_in)}

    def sign(self, payload: dict[str, Any] | bytes, *, with_key_id: bool = True) -> str:
        """The file text for `payload` (a dict is made canonical; bytes are signed as they are)."""
        message = payload if isinstance(payload, bytes) else canonical(payload)
        envelope = {"format": FORMAT, "payload": base64.b64encode(message).decode(),
                    "signature": base64.b64encode(self._key.sign(message)).decode()}
        if with_key_id:
            envelope["key_id"] = key_id(self.public_b64)
        return json.dumps(envelope, indent=2)

    def issue(self, **terms: Any) -> str:
        """A license file; keyword arguments as for `payload`."""
        return self.sign(self.payload(**terms))


def trust(hub: Any, *vendors: Vendor) -> None:
    """Make the running hub trust exactly these vendors' keys (read at call time)."""
    hub.server.app.state.license_keys = tuple(v.public_b64 for v in vendors)


def license_id_of(text: str) -> str:
    return json.loads(base64.b64decode(json.loads(text)["payload"]))["license_id"]
