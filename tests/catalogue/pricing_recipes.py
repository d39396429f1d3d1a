"""Objects the access matrix and the audit check need for the tier, promotion and quote routes,
made through the API as the matrix's own administrator (products with SQL, tests/catalogue/seed.py)."""

from __future__ import annotations

from typing import Any

from tests.catalogue import seed
from tests.people import People, unique


def product(people: People) -> str:
    return seed.a_product(people.hub.db_path)


def tier(people: People, *, priced: bool = False) -> str:
    r = people.root.post("/api/v1/pricing-tiers", json={"name": unique("Tier "), "percent_off_bp": 500})
    assert r.status_code == 201, r.text
    tier_id = r.json()["id"]
    if priced:
        r = people.root.put(f"/api/v1/pricing-tiers/{tier_id}/prices/{product(people)}", json={"USD": 120})
        assert r.status_code == 200, r.text
    return tier_id


def promotion_body() -> dict[str, Any]:
    return {"name": unique("Promotion "), "kind": "percent_off", "target": {"basket": True},
            "percent_off_bp": 500}


def promotion(people: People) -> str:
    r = people.root.post("/api/v1/promotions", json=promotion_body())
    assert r.status_code == 201, r.text
    return r.json()["id"]


def quote_body(people: People) -> dict[str, Any]:
    return {"currency": "USD", "lines": [{"product": product(people), "quantity": 2000}]}
