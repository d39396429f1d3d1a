"""The demo catalogue: generated the same from the same seed, realistic in shape, installed into
the demo store in one transaction with its change rows and one audit entry, and priceable."""

from __future__ import annotations

import sqlite3

import pytest

from hub.catalogue import demo
from hub.catalogue.barcodes import has_valid_check_digit
from hub.db.audit import verify_chain
from hub.setup import SetupError, load_demo_catalogue
from tests.hubtest import Hub, HubServer, make_demo_store


@pytest.fixture(scope="module")
def generated() -> demo.DemoCatalogue:
    return demo.catalogue()


def _rows(db_path, sql: str, *params) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_the_same_seed_gives_the_same_catalogue_and_another_seed_another():
    assert demo.generate(400, seed=5) == demo.generate(400, seed=5)
    assert demo.catalogue(seed=5, products=300) == demo.catalogue(seed=5, products=300)
    assert demo.generate(400, seed=5) != demo.generate(400, seed=6)
    assert demo.generate(100, seed=5) == demo.generate(400, seed=5)[:100]  # a prefix, not a reshuffle


def test_the_demo_catalogue_is_a_supermarket_of_about_two_thousand_products(generated):
    products = generated.products
    assert len(products) == demo.DEMO_PRODUCTS == 2000
    assert len({p.sku for p in products}) == len({p.name for p in products}) == 2000
    assert all(p.prices["USD"] > 0 and 0 < p.cost_price < p.prices["USD"] for p in products)
    own_zwg = sum("ZWG" in p.prices for p in products)
    assert 100 <= own_zwg <= 600  # some with a ZWG price of their own, the rest derived
    assert {p.tax for p in products} == {"VAT", "ZERO", "EXEMPT"}
    assert all(len(p.hs_code) in (0, 8) and p.hs_code.isdigit() or p.hs_code == "" for p in products)
    assert all(p.hs_code for p in products if p.tax != "EXEMPT")
    weighed = [p for p in products if p.sold_by_weight]
    assert weighed and all(p.unit == "kg" and p.plu and not p.barcodes for p in weighed)
    assert len({p.plu for p in weighed}) == len(weighed)
    assert all(len(p.receipt_name) <= 24 for p in products)
    shelves = " | ".join(f"{p.name} < {' / '.join(p.path)}" for p in products)
    for staple in ("Roller Meal", "Rice", "Sugar", "Cooking Oil", "Loaf", "Fresh Milk", "Eggs",
                   "Chicken", "Beef", "Tomatoes", "Coca-Cola", "Lager", "Bath Soap", "Washing Powder",
                   "Toilet Paper", "Airtime"):
        assert staple in shelves, staple


def test_every_barcode_is_a_valid_ean13_under_the_demo_prefix_and_unique(generated):
    codes = [code for p in generated.products for code, _ in p.barcodes]
    assert len(codes) == len(set(codes)) > 2000
    assert all(len(c) == 13 and c.startswith(demo.BARCODE_PREFIX) and has_valid_check_digit(c)
               for c in codes)
    packs = [pack for p in generated.products for _, pack in p.barcodes[1:]]
    assert packs and all(pack >= 6000 and pack % 1000 == 0 for pack in packs)


def test_the_category_tree_has_two_or_three_levels_and_every_parent(generated):
    paths = generated.category_paths
    assert {len(p.path) for p in generated.products} == {2, 3}
    assert all(path[:-1] in paths for path in paths if len(path) > 1)
    assert len({path[0] for path in paths}) >= 8


def test_fifty_thousand_products_for_benchmarks_are_unique():
    products = demo.generate(50_000, seed=1)
    codes = [code for p in products for code, _ in p.barcodes]
    assert len(products) == len({p.sku for p in products}) == len({p.name for p in products}) == 50_000
    assert len(codes) == len(set(codes))


def test_the_demo_store_gets_its_catalogue_in_one_audited_transaction(settings):
    make_demo_store(settings, catalogue=True)
    db = settings.db_path
    assert _rows(db, "SELECT count(*) FROM products") == [(2000,)]
    assert _rows(db, "SELECT count(*) FROM products p WHERE NOT EXISTS (SELECT 1 FROM product_prices"
                     " WHERE product_id = p.id AND currency = 'USD' AND price > 0)") == [(0,)]
    assert _rows(db, "SELECT count(*) FROM changes WHERE entity = 'product'") == [(2000,)]
    assert _rows(db, "SELECT count(*) FROM changes WHERE entity IN ('promotion', 'pricing_tier')") == [(13,)]
    assert [r[0] for r in _rows(db, "SELECT action FROM audit_log WHERE action LIKE 'catalogue.demo%'")] == [
        "catalogue.demo_loaded"]
    # the tree: every parent exists, no product in a missing category, at most three levels
    assert _rows(db, "SELECT count(*) FROM categories c WHERE parent_id IS NOT NULL AND NOT EXISTS"
                     " (SELECT 1 FROM categories p WHERE p.id = c.parent_id)") == [(0,)]
    assert _rows(db, "SELECT count(*) FROM categories a JOIN categories b ON b.id = a.parent_id"
                     " JOIN categories c ON c.id = b.parent_id WHERE c.parent_id IS NOT NULL") == [(0,)]
    codes = [r[0] for r in _rows(db, "SELECT code FROM barcodes")]
    assert len(codes) > 2000 and all(has_valid_check_digit(c) for c in codes)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        assert verify_chain(conn).ok
    finally:
        conn.close()
    with pytest.raises(Exception, match="has products already"):
        load_demo_catalogue(db)


def test_only_a_demo_store_takes_the_demo_catalogue(tmp_path):
    from hub.setup import create_database
    from tests.hubtest import fast_hasher

    path = tmp_path / "hub.db"
    create_database(path, store_name="Real Store", store_code="REAL", timezone="Africa/Harare",
                    hasher=fast_hasher(), admin_username="owner", admin_password="a-long-password-1")
    with pytest.raises(SetupError):
        load_demo_catalogue(path)
    assert _rows(path, "SELECT count(*) FROM products") == [(0,)]


def test_a_demo_basket_is_quoted_in_usd_and_zwg_with_its_promotions(settings):
    store = make_demo_store(settings, catalogue=True)
    server = HubServer(settings).start()
    hub = Hub(server, store)
    try:
        client = hub.as_user("supervisor")
        skus = {row[0]: row[1] for row in _rows(settings.db_path, "SELECT sku, id FROM products")}
        by_name = dict(_rows(settings.db_path, "SELECT name, id FROM products"))
        mazoe = [pid for name, pid in by_name.items() if name.startswith("Mazoe") and name.endswith(" 2L")]
        lines = [{"product": mazoe[0], "quantity": 3000},
                 {"product": skus["FRE-00001"], "quantity": 1250}]  # tomatoes by weight
        for currency in ("USD", "ZWG"):
            r = client.post("/api/v1/pricing/quote", json={"currency": currency, "lines": lines})
            assert r.status_code == 200, r.text
            quote = r.json()
            assert quote["total"] > 0 and quote["subtotal"] >= quote["total"]
            assert [t["tax_class"] for t in quote["taxes"]]  # VAT on the cordial, zero on tomatoes
        usd = client.post("/api/v1/pricing/quote", json={"currency": "USD", "lines": lines[:1]}).json()
        assert usd["discount_total"] > 0 and usd["promotions"]  # any 3 Mazoe 2L for $12
        assert usd["total"] == 1200
    finally:
        hub.close()
        server.stop()
