"""Stock takes for the endpoint x role test, the audit test and the portal recipes: sessions in
each state, counted with a stocked product, made through the API as the dedicated admin."""

from __future__ import annotations

from typing import Any

from tests.inventory.recipes import stocked_product
from tests.people import People

TAKES = "/api/v1/inventory/stock-takes"


def _ok(r: Any) -> dict[str, Any]:
    assert r.is_success, r.text
    return r.json()


def counted_line(p: People, quantity: int = 11000) -> dict[str, Any]:
    """A line counting a new product that holds 12 at 1.50: one short by default."""
    return {"product_id": stocked_product(p), "quantity": quantity}


def session(p: People, state: str = "open") -> str:
    """A new whole-store session in `state`: open, counting (one line), review (one line)."""
    take = _ok(p.root.post(TAKES, json={"name": "Recipe count"}))["id"]
    if state in ("counting", "review"):
        _ok(p.root.post(f"{TAKES}/{take}/lines", json={"lines": [counted_line(p)]}))
    if state == "review":
        _ok(p.root.post(f"{TAKES}/{take}/review"))
    return take


def line(p: People) -> str:
    """The path of a counted line of a session being counted."""
    take = session(p, "counting")
    line_id = _ok(p.root.get(f"{TAKES}/{take}"))["lines"][0]["id"]
    return f"{TAKES}/{take}/lines/{line_id}"
