"""Device documents for the endpoint x role test, the audit test and the portal recipes: sent by the
demo supervisor signed in at a paired till (one test license per People), applied or queued."""

from __future__ import annotations

import uuid
from typing import Any

from tests.inventory.recipes import stocked_product
from tests.pairing import Tills
from tests.people import People

DOCS = "/api/v1/inventory/device-documents"
QUEUE = "/api/v1/inventory/unapplied"
UNKNOWN = "NO-SUCH-CODE-1"


def _tills(p: People) -> Tills:
    if getattr(p, "unapplied_tills", None) is None:
        p.unapplied_tills = Tills.licensed(p.hub, p.root)  # type: ignore[attr-defined]
    return p.unapplied_tills  # type: ignore[attr-defined]


def till_token(p: People, who: str = "supervisor") -> str:
    """The access token of `who` signed in at a freshly paired till (the sign-in names the till)."""
    t = _tills(p)
    till = t.pair()
    r = t.login(till["device_token"], who, p.hub.credentials[who][0])
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
