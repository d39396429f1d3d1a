"""Products for the endpoint x role test and the audit test: made through the API as the
dedicated admin (People.root), on the reference data of tests/catalogue/fixtures.py."""

from __future__ import annotations

from typing import Any

from tests.catalogue.fixtures import new_product, reference
from tests.people import People, unique

SCHEDULE_AT = "2031-06-01T00:00:00Z"


def ids(p: People) -> dict[str, str]:
    if getattr(p, "catalogue_ids", None) is None:
        p.catalogue_ids = reference(p.root)  # type: ignore[attr-defined]
    return p.catalogue_ids  # type: ignore[attr-defined]


def body(p: People, **fields: Any) -> dict[str, Any]:
    return new_product(ids(p), **fields)


def product(p: People, *, archived: bool = False) -> str:
    r = p.root.post("/api/v1/products", json=body(p))
    assert r.status_code == 201, r.text
    product_id = r.json()["id"]
    if archived:
        assert p.root.post(f"/api/v1/products/{product_id}/archive").status_code == 200
    return product_id


def sku(p: People) -> str:
    return p.root.get(f"/api/v1/products/{product(p)}").json()["sku"]


def schedule(p: People) -> str:
    """The path of a fresh pending scheduled price."""
    product_id = product(p)
    r = p.root.post(f"/api/v1/products/{product_id}/scheduled-prices",
                    json={"currency": "USD", "price": 199, "effective_from": SCHEDULE_AT})
    assert r.status_code == 201, r.text
    return f"/api/v1/products/{product_id}/scheduled-prices/{r.json()['id']}"


def import_csv(p: People) -> str:
    """A one-row CSV that creates a product (docs/catalogue-csv.md)."""
    ids(p)
    return f"sku,name,unit,tax_class,price_USD\r\n{unique('IMP-')},Imported,each,VAT,1.25\r\n"


def bulk(p: People) -> dict[str, Any]:
    return {"select": {"product_ids": [product(p)]}, "currencies": ["USD"], "percent_bp": 1000}


def embedded_rules() -> dict[str, Any]:
    return {"embedded": [{"prefix": "21", "kind": "weight", "item_digits": 5, "value_digits": 5},
                         {"prefix": "22", "kind": "price", "item_digits": 5, "value_digits": 5}]}
