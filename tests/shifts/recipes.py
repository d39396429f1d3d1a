"""Shifts for the endpoint x role test, the audit test and the portal recipes: opened through the
API by a demo user signed in at a freshly paired till (one test license per People)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.licensing import Vendor
from tests.pairing import Tills
from tests.people import People

SHIFTS = "/api/v1/shifts"
FLOATS = [{"currency": "USD", "amount": 5000}, {"currency": "ZWG", "amount": 20000}]


def tills(p: People) -> Tills:
    """Pairing under a test license of its own vendor, made on first use; the vendors the hub
    already trusts (another recipe's) stay trusted."""
    if getattr(p, "shift_tills", None) is None:
        t = Tills(p.hub, p.root)
        t.vendor = Vendor()
        state = p.hub.server.app.state
        state.license_keys = (*getattr(state, "license_keys", ()), t.vendor.public_b64)
        r = p.root.post("/api/v1/licenses", json={"text": t.vendor.issue(seats=1000)})
        assert r.status_code == 201, r.text
        t.license_id = r.json()["id"]
        p.shift_tills = t  # type: ignore[attr-defined]
    return p.shift_tills  # type: ignore[attr-defined]


def _signed_in(p: People, who: str | None) -> tuple[str, str]:
    t = tills(p)
    till = t.pair()
    username = who or "cashier"
    r = t.login(till["device_token"], username, p.hub.credentials[username][0])
    assert r.status_code == 201, r.text
    return till["device_token"], r.json()["access_token"]


def at_till(p: People, who: str | None = None) -> httpx.Client:
    """A client acting as `who` (the demo cashier by default) signed in at a fresh till."""
    device_token, token = _signed_in(p, who)
    return tills(p).as_till(device_token, token)


def till_token(p: People, who: str | None = None) -> str:
    """The access token of `who` signed in at a fresh till (the sign-in names the till)."""
    return _signed_in(p, who)[1]


def open_shift(p: People, who: str | None = None, floats: list[dict[str, Any]] | None = None) -> str:
    """A new open shift of `who` (the demo cashier by default) at a fresh till."""
    r = at_till(p, who).post(SHIFTS, json={"floats": FLOATS if floats is None else floats})
    assert r.status_code == 201 and not r.json()["resumed"], r.text
    return r.json()["id"]


def close_body() -> dict[str, Any]:
    return {"counted": [{"currency": "USD", "amount": 5000}, {"currency": "ZWG", "amount": 20000}]}


def closed_shift(p: People) -> str:
    """A closed shift of the demo cashier."""
    shift = open_shift(p)
    r = p.root.post(f"{SHIFTS}/{shift}/close", json=close_body())
    assert r.status_code == 200, r.text
    return shift


def movement_body() -> dict[str, Any]:
    return {"kind": "pay_out", "currency": "USD", "amount": 500, "reason_code": "supplier_paid", "note": "Bread"}
