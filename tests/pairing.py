"""Test helper: pairing codes and paired tills through the real API, and clients that act as a till."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from tests.hubtest import Hub
from tests.licensing import Vendor, trust

_serial = itertools.count(1)


class Tills:
    """Makes pairing codes as `manager` (a signed-in client allowed devices.manage) and pairs tills."""

    def __init__(self, hub: Hub, manager: httpx.Client) -> None:
        self.hub = hub
        self.manager = manager
        self.http = hub.client()  # anonymous, like a till that has not paired yet
        self.vendor: Vendor | None = None
        self.license_id: str | None = None

    @classmethod
    def licensed(cls, hub: Hub, manager: httpx.Client, seats: int = 1000) -> "Tills":
        """Tills under a trusted test license with `seats` seats, so the trial limit is out of the way."""
        tills = cls(hub, manager)
        tills.vendor = Vendor()
        # The hub keeps trusting every vendor made for it before: several features' recipes each
        # license their own tills in one test, and a license issued by an earlier vendor must still
        # be accepted (trusting only the newest made POST /api/v1/licenses fail in the oracles).
        vendors = [*getattr(hub, "licensing_vendors", []), tills.vendor]
        hub.licensing_vendors = vendors  # type: ignore[attr-defined]
        trust(hub, *vendors)
        r = manager.post("/api/v1/licenses", json={"text": tills.vendor.issue(seats=seats)})
        assert r.status_code == 201, r.text
        tills.license_id = r.json()["id"]
        return tills

    def code(self) -> str:
        r = self.manager.post("/api/v1/devices/pairing-codes")
        assert r.status_code == 201, r.text
        return r.json()["code"]

    def pair_body(self, code: str | None = None, **fields: Any) -> dict[str, Any]:
        return {"code": code or self.code(), "name": f"Till {next(_serial)}", "platform": "android",
                "app_version": "1.4.2", **fields}

    def pair_call(self, code: str | None = None, **fields: Any) -> httpx.Response:
        return self.http.post("/api/v1/devices/pair", json=self.pair_body(code, **fields))

    def pair(self, **fields: Any) -> dict[str, Any]:
        """A freshly paired till: the 201 body (device_id, device_token, ...)."""
        r = self.pair_call(**fields)
        assert r.status_code == 201, r.text
        return r.json()

    def as_till(self, device_token: str, bearer: str | None = None) -> httpx.Client:
        """A client that sends the till's device token (and a user's bearer token, if given)."""
        client = self.hub.client(bearer)
        client.headers["X-Device-Token"] = device_token
        return client

    def login(self, device_token: str, username: str, password: str) -> httpx.Response:
        return self.http.post("/api/v1/auth/login", json={"username": username, "password": password},
                              headers={"X-Device-Token": device_token})
