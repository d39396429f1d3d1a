"""Quotations through the real API, for the quotation tests, the endpoint x role test and the
audit test: a customer and a product the pricing engine can price (the demo catalogue's own)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.customers import recipes as customering
from tests.people import People

URL = "/api/v1/quotations"
LATER = (dt.date.today() + dt.timedelta(days=30)).isoformat()


def _product(p: People) -> str:
    from tests.inventory.recipes import stocked_product

    return stocked_product(p)


def body(p: People) -> dict[str, Any]:
    return {"customer_id": customering.customer(p), "currency": "USD", "valid_until": LATER,
            "lines": [{"product_id": _product(p), "quantity": 2000}]}


def quotation(p: People, status: str = "draft") -> dict[str, Any]:
    r = p.root.post(URL, json=body(p))
    assert r.status_code == 201, r.text
    q = r.json()
    if status == "converted":
        r = p.root.post(f"{URL}/{q['id']}/convert", json={"mode": "pay_at_till"})
        assert r.status_code == 200, r.text
        q = r.json()
    return q


def sold(p: People) -> tuple[str, str]:
    """A converted quotation and a sale of it made at a till: (quotation id, sale id)."""
    q = quotation(p, "converted")
    t = customering.till(p.hub, paired_by=customering._tills(p))
    return q["id"], t.sell(body=customering.credit_sale(t, q["customer_id"], 100))["id"]


def form(p: People) -> dict[str, str]:
    """The portal's quotation form for a new customer (by card) and one product (by SKU)."""
    card = customering.card(p)
    sku = p.root.get(f"/api/v1/products/{_product(p)}").json()["sku"]
    return {"customer": card, "customer_id": "", "currency": "USD", "valid_until": LATER, "follow_up_on": "",
            "note": "", "code_0": sku, "qty_0": "2"}


def to_sell(p: People) -> str:
    """A draft quotation to sell in the portal, with the back-office till already made (its first
    sale also records the till's creation), so selling it records only the sale."""
    r = p.root.post(f"{URL}/{quotation(p)['id']}/sell", json={"method": "bank_transfer"})
    assert r.status_code == 201, r.text
    return quotation(p)["id"]
