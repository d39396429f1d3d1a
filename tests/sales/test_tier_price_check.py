"""The price check at ingest prices a sale to a customer with a pricing tier at that tier's
price, as the till did: a tier price is not a price mismatch, the same price without the
customer is."""

from __future__ import annotations

from tests.catalogue.fixtures import admin, create, ids  # noqa: F401
from tests.people import query
from tests.sales.build import line
from tests.sales.recipes import Till


def test_a_tier_customers_price_is_not_a_mismatch_but_the_same_price_without_her_is(hub, admin, ids):  # noqa: F811
    bread = create(admin, ids, prices={"USD": 150})
    r = admin.post("/api/v1/pricing-tiers", json={"name": "Wholesale"})
    assert r.status_code == 201, r.text
    tier = r.json()["id"]
    r = admin.put(f"/api/v1/pricing-tiers/{tier}/prices/{bread['id']}", json={"USD": 120})
    assert r.status_code in (200, 201), r.text
    r = admin.post("/api/v1/customers", json={"name": "Mbare Tuck Shop", "tier_id": tier})
    assert r.status_code == 201, r.text
    customer = r.json()["id"]

    till = Till(hub)
    shift = till.shift()
    tiered = till.sell(lines=[line(120, product_id=bread["id"], tax_rate_bp=0)], shift_id=shift,
                       customer_id=customer)
    plain = till.sell(lines=[line(120, product_id=bread["id"], tax_rate_bp=0)], shift_id=shift)
    mismatches = query(hub, "SELECT sale_id FROM exceptions WHERE kind = 'price_mismatch'")
    assert mismatches == [(plain["id"],)]
    assert tiered["id"] != plain["id"]
    assert query(hub, "SELECT catalogue_price FROM sale_lines WHERE sale_id = ?", tiered["id"]) == [(120,)]
