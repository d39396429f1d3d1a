"""Transfers for the endpoint x role test, the audit test and the portal recipes: out transfers in
each state made through the API as the dedicated admin (People.root), and documents from the chain's
store BYO addressed to this one, built with the same pure builders the hubs use."""

from __future__ import annotations

from typing import Any

from hub.ids import new_id
from hub.inventory.transfers import files
from tests.catalogue import product_recipes as catalogue
from tests.people import People

URL = "/api/v1/inventory/transfers"
OTHER = "BYO"


def _ok(r: Any) -> dict[str, Any]:
    assert r.is_success, r.text
    return r.json()


def stocked(p: People) -> dict[str, Any]:
    """A new product with 20 on hand at 0.30."""
    body = catalogue.body(p, opening_stock={"quantity": 20000, "unit_cost": 30})
    return _ok(p.root.post("/api/v1/products", json=body))


def out_body(p: People) -> dict[str, Any]:
    return {"other_store_code": OTHER, "lines": [{"product_id": stocked(p)["id"], "quantity": 2000}]}


def draft(p: People) -> str:
    return _ok(p.root.post(URL, json=out_body(p)))["id"]


def posted(p: People) -> str:
    transfer_id = draft(p)
    _ok(p.root.post(f"{URL}/{transfer_id}/post"))
    return transfer_id


def own_code(p: People) -> str:
    return _ok(p.root.get("/api/v1/settings/store"))["code"]


def arriving_file(p: People, *, sku: str | None = None) -> dict[str, Any]:
    """A transfer file from BYO to this store: two units of a product this store has (by SKU)."""
    sku = sku or stocked(p)["sku"]
    sent = {"id": new_id(), "number": f"TO-{new_id()[-6:]}", "other_store_code": own_code(p), "other_store_name": "",
            "posted_at": "2026-05-01T08:00:00.000000Z", "note": "",
            "lines": [{"line": 0, "sku": sku, "barcode": "", "name": "Sent", "quantity": 2000, "unit_cost": 40}]}
    return files.transfer_file(sent, store_code=OTHER, store_name="Bulawayo", hub_id=new_id())


def arriving(p: People) -> str:
    """An in transfer awaiting receipt."""
    return _ok(p.root.post(f"{URL}/import", json=arriving_file(p)))["id"]


def received_in(p: People) -> str:
    transfer_id = arriving(p)
    _ok(p.root.post(f"{URL}/{transfer_id}/receive"))
    return transfer_id


def confirmation(p: People) -> dict[str, Any]:
    """A receipt confirmation from BYO of an out transfer posted here."""
    doc = _ok(p.root.get(f"{URL}/{posted(p)}"))
    received = {"number": "TI-000001", "other_store_code": own_code(p), "source_transfer_id": doc["id"],
                "source_number": doc["number"], "received_at": "2026-05-02T08:00:00.000000Z", "received_by": "clerk",
                "lines": [{**ln, "received": ln["quantity"] - 1000} for ln in doc["lines"]]}
    return files.receipt_confirmation(received, store_code=OTHER, store_name="Bulawayo", hub_id=new_id())
