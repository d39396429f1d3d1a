"""Stock for the endpoint x role test, the audit test and the portal recipes: a product with an
opening balance, made through the products API as the dedicated admin (People.root)."""

from __future__ import annotations

from tests.catalogue import product_recipes as catalogue
from tests.people import People


def stocked_product(p: People, quantity: int = 12000, unit_cost: int = 150) -> str:
    """A new product with `quantity` thousandths on hand at `unit_cost`; returns its id."""
    body = catalogue.body(p, opening_stock={"quantity": quantity, "unit_cost": unit_cost})
    r = p.root.post("/api/v1/products", json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]
