"""Device documents for the endpoint x role test, the audit test and the portal recipes: sent by the
demo supervisor signed in at a paired till (one test license per People), applied or queued."""

from __future__ import annotations

import uuid
from typing import Any

from hub.licenses.keys import trusted_keys
from tests.inventory.recipes import stocked_product
from tests.licensing import Vendor
from tests.pairing import Tills
from tests.people import People

DOCS = "/api/v1/inventory/device-documents"
QUEUE = "/api/v1/inventory/unapplied"
UNKNOWN = "NO-SUCH-CODE-1"


def _till(p: People) -> tuple[Tills, str]:
    """The device token of one till paired under a test license of its own, made on first use.
    Its vendor's key is added to the keys the hub trusts, not put in their place, so the licenses
    other recipes issue stay valid."""
    if getattr(p, "unapplied_till", None) is None:
        tills = Tills(p.hub, p.root)
        tills.vendor = Vendor()
        state = p.hub.server.app.state
        state.license_keys = (*trusted_keys(state), tills.vendor.public_b64)
        r = p.root.post("/api/v1/licenses", json={"text": tills.vendor.issue(seats=5)})
        assert r.status_code == 201, r.text
        p.unapplied_till = (tills, tills.pair()["device_token"])  # type: ignore[attr-defined]
    return p.unapplied_till  # type: ignore[attr-defined]


def till_token(p: People, who: str = "supervisor") -> str:
    """The access token of `who` signed in at the recipes' till (the sign-in names the till)."""
    t, device_token = _till(p)
    r = t.login(device_token, who, p.hub.credentials[who][0])
    assert r.status_code == 201, r.text
    return r.json()["access_token"]


def adjustment(p: People, code: str | None = None) -> dict[str, Any]:
    """A small damage adjustment of a stocked product (or of `code`, when given)."""
    line: dict[str, Any] = {"code": code, "quantity": -1000} if code else \
        {"product_id": stocked_product(p), "quantity": -1000}
    return {"document_id": str(uuid.uuid4()), "kind": "adjustment", "device_clock": "2026-03-02T09:15:00+02:00",
            "reason_code": "damaged", "lines": [line]}


def queued(p: People) -> str:
    """A queued document (a code that matches no product): its id."""
    r = p.call("POST", DOCS, till_token(p), adjustment(p, UNKNOWN))
    assert r.status_code == 202, r.text
    return r.json()["id"]


def mapping(p: People) -> dict[str, Any]:
    return {"code": UNKNOWN, "product_id": stocked_product(p)}
