"""Goods receipts and purchase orders for the endpoint x role test, the audit test and the portal
recipes: a supplier with a product it supplies (a case of 12, due for ordering), drafts, posted
receipts and orders in each state, all made through the API as the dedicated admin (People.root)."""

from __future__ import annotations

from typing import Any

from tests.catalogue import product_recipes as catalogue
from tests.catalogue import reference_recipes as reference
from tests.people import People

GRN = "/api/v1/inventory/receipts"
PO = "/api/v1/inventory/purchase-orders"


def _ok(r: Any) -> dict[str, Any]:
    assert r.is_success, r.text
    return r.json()


def supplied(p: People) -> tuple[str, str]:
    """(supplier id, product id): a new supplier and a product of it, below its low-stock threshold."""
    supplier_id = reference.supplier(p)
    body = catalogue.body(p, low_stock_threshold=5000, opening_stock={"quantity": 2000, "unit_cost": 30},
                          suppliers=[{"supplier_id": supplier_id, "cost": 40, "currency": "USD",
                                      "pack_size": 12000, "preferred": True}])
    return supplier_id, _ok(p.root.post("/api/v1/products", json=body))["id"]


def receipt_body(p: People) -> dict[str, Any]:
    supplier_id, product_id = supplied(p)
    return {"supplier_id": supplier_id, "lines": [{"product_id": product_id, "quantity": 1000,
                                                   "entered_as": "pack"}]}


def draft_receipt(p: People) -> str:
    return _ok(p.root.post(GRN, json=receipt_body(p)))["id"]


def posted_receipt(p: People) -> str:
    receipt_id = draft_receipt(p)
    _ok(p.root.post(f"{GRN}/{receipt_id}/post"))
    return receipt_id


def order_body(p: People) -> dict[str, Any]:
    supplier_id, product_id = supplied(p)
    return {"supplier_id": supplier_id, "lines": [{"product_id": product_id, "quantity": 24000}]}


def draft_order(p: People) -> str:
    return _ok(p.root.post(PO, json=order_body(p)))["id"]


def sent_order(p: People) -> str:
    order_id = draft_order(p)
    _ok(p.root.post(f"{PO}/{order_id}/send"))
    return order_id


def suggested_supplier(p: People) -> str:
    return supplied(p)[0]


def _sku(p: People, product_id: str) -> str:
    return _ok(p.root.get(f"/api/v1/products/{product_id}"))["sku"]


def receipt_form(p: People) -> dict[str, Any]:
    """A goods receipt form: one case of a supplied product."""
    supplier_id, product_id = supplied(p)
    return {"supplier_id": supplier_id, "supplier_ref": "DN-7", "lines[0].code": _sku(p, product_id),
            "lines[0].quantity": "1", "lines[0].entered_as": "pack", "lines[0].unit_cost": "0.45"}


def order_form(p: People) -> dict[str, Any]:
    supplier_id, product_id = supplied(p)
    return {"supplier_id": supplier_id, "expected_on": "2026-12-01", "lines[0].code": _sku(p, product_id),
            "lines[0].quantity": "24"}


def reorder_form(p: People) -> dict[str, Any]:
    supplier_id, product_id = supplied(p)
    return {"supplier_id": supplier_id, "days": "28", "review_days": "7", "product_id": product_id}
