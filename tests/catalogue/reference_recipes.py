"""Objects the access matrix and the audit check need for the reference-data routes (currencies,
exchange rates, units, categories, suppliers, tax classes, pricing settings), made through the
API as the matrix's own administrator."""

from __future__ import annotations

import itertools
import string
from typing import Any

from tests.people import People, unique

_codes = (f"X{a}{b}" for a, b in itertools.product(string.ascii_uppercase, repeat=2))
_counter = itertools.count(2)


def _made(r: Any) -> dict[str, Any]:
    assert r.status_code == 201, r.text
    return r.json()


def currency_body() -> dict[str, Any]:
    """A currency the store does not have yet (codes XAA, XAB, ...)."""
    return {"code": next(_codes), "name": unique("Currency ")}


def currency(people: People) -> str:
    return _made(people.root.post("/api/v1/currencies", json=currency_body()))["code"]


def cash_rounding() -> dict[str, int]:
    """A cash rounding no currency of the matrix has yet, so the edit always changes something."""
    return {"cash_rounding": next(_counter)}


def current_rate(people: People) -> str:
    """The path of the current USD -> ZWG rate, after setting one so there is something to answer."""
    _made(people.root.post("/api/v1/exchange-rates", json={"quote": "ZWG", "rate_text": "26.7834"}))
    return "/api/v1/exchange-rates/current?quote=ZWG"


def unit(people: People) -> str:
    return _made(people.root.post("/api/v1/units", json={"code": unique("u"), "name": "Matrix unit"}))["id"]


def category(people: People) -> str:
    return _made(people.root.post("/api/v1/categories", json={"name": unique("Category ")}))["id"]


def supplier(people: People) -> str:
    return _made(people.root.post("/api/v1/suppliers", json={"name": unique("Supplier ")}))["id"]


def tax_class(people: People) -> str:
    body = {"code": unique("TX"), "name": "Matrix tax", "rate_bp": 1000}
    return _made(people.root.post("/api/v1/tax-classes", json=body))["id"]


def other_tax_mode(people: People) -> dict[str, str]:
    """The tax mode the store does not have now, so setting it always changes something."""
    current = people.root.get("/api/v1/settings/pricing").json()["tax_mode"]
    return {"tax_mode": "exclusive" if current == "inclusive" else "inclusive"}
