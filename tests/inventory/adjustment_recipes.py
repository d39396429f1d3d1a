"""Adjustments and supplier returns for the endpoint x role test, the audit test and the portal
recipes: made through the API (a pending one by the demo supervisor, so that the admin and the
manager may approve it)."""

from __future__ import annotations

from typing import Any

from tests.catalogue import reference_recipes as reference
from tests.inventory.recipes import stocked_product
from tests.people import People

ADJ = "/api/v1/inventory/adjustments"


def damage_body(p: People, *, post: bool = True) -> dict[str, Any]:
    """One damaged unit of a fresh product at 1.50: below any threshold but zero."""
    return {"reason_code": "damaged", "post": post, "lines": [{"product_id": stocked_product(p), "quantity": -1000}]}


def theft_body(p: People) -> dict[str, Any]:
    """A theft worth 100,000.00 at cost: above the approval threshold."""
    return {"reason_code": "theft", "post": True,
            "lines": [{"product_id": stocked_product(p, 5000, 10_000_000), "quantity": -1000}]}


def edit_body(p: People) -> dict[str, Any]:
    """A draft's content anew: two damaged units of another fresh product."""
    return {"reason_code": "damaged", "note": "Edited", "lines": [{"product_id": stocked_product(p), "quantity": -2000}]}


def draft(p: People) -> str:
    r = p.root.post(ADJ, json=damage_body(p, post=False))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def posted(p: People) -> str:
    r = p.root.post(ADJ, json=damage_body(p))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def pending(p: People) -> str:
    """An adjustment waiting for approval, made by the demo supervisor."""
    r = p.hub.as_user("supervisor").post(ADJ, json=theft_body(p))
    assert r.status_code == 201 and r.json()["status"] == "pending_approval", r.text
    return r.json()["id"]


def return_body(p: People) -> dict[str, Any]:
    return {"supplier_id": reference.supplier(p), "reason_code": "damaged", "goods_receipt_ref": "GRN-1",
            "lines": [{"product_id": stocked_product(p), "quantity": 1000}]}


def supplier_return(p: People) -> str:
    r = p.root.post("/api/v1/inventory/supplier-returns", json=return_body(p))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def threshold(p: People) -> int:
    return p.root.get("/api/v1/settings/adjustments").json()["approval_threshold"]
