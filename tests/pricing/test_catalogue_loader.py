"""The catalogue loader reads only what a basket needs, in a fixed handful of statements."""

from __future__ import annotations

from hub.db.connection import connect
from hub.db.pricing import load_catalogue
from tests.catalogue import seed
from tests.hubtest import make_demo_store


def test_the_loader_reads_only_the_baskets_products_in_a_handful_of_statements(settings):
    make_demo_store(settings)
    fixture = seed.pricing_fixture()["catalogue"]
    seed.load_pricing_catalogue(settings.db_path, fixture)
    conn = connect(settings.db_path, readonly=True)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        loaded = load_catalogue(conn, ["bread", "castle", "maize-meal-50kg"],
                                at="2026-11-25T10:00:00.000000Z", promotion_ids=["P01", "P08"])
    finally:
        conn.close()
    assert len(statements) <= 8  # whatever the size of the catalogue
    assert set(loaded["products"]) == {"bread", "castle", "maize-meal-50kg"}
    assert set(loaded["categories"]) == {"bakery", "food", "beer", "alcohol", "drinks", "grains",
                                         "groceries"}  # the products' categories and their ancestors
    assert set(loaded["tax_classes"]) == {"ZERO", "VAT"}
    assert set(loaded["promotions"]) == {"P01", "P08"}
    for product_id, product in loaded["products"].items():
        expected = fixture["products"][product_id]
        assert product["prices"] == expected["prices"]
        assert {t: p for t, p in product["tier_prices"].items() if p} == expected.get("tier_prices", {})
    assert loaded["currencies"] == fixture["currencies"]
    assert loaded["tiers"] == fixture["tiers"]
    assert loaded["tax_classes"]["VAT"]["rates"] == [
        {"from": "2023-01-01T00:00:00.000000Z", "rate_bp": 1500},
        {"from": "2026-01-01T00:00:00.000000Z", "rate_bp": 1550}]
    for pid in ("P01", "P08"):
        assert loaded["promotions"][pid] == fixture["promotions"][pid]
