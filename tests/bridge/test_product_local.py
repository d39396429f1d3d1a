"""`product_local` facts (migration 30): a product the store made, or changed in its own fields,
writes one outbox row per version in the change's own transaction; HQ's own products applied
from its feed write none; the backfill finds the store's products at their current version; the
fact's data is the product with its barcodes, prices and cost, and hashes the same when resent."""

from __future__ import annotations

import pytest

from cloud_bridge.link import fact_hash
from hub.bridge import outbox
from hub.bridge.apply import apply_change
from hub.catalogue.products import service
from hub.db import meta
from hub.db.audit import Actor
from hub.db.connection import transaction
from hub.db.migrations.m0030_bridge_product_local import backfill
from tests.sales.build import till_store

ALL = frozenset({"prices.manage"})
MANAGER = Actor(user_id=None, username="manager")
HQ_PRODUCT = "01a00000-0000-7000-8000-00000000b0b1"


@pytest.fixture
def store(tmp_path):
    conn, ids = till_store(tmp_path / "hub.db")
    yield conn, ids
    conn.close()


def local_rows(conn):
    return [dict(r) for r in conn.execute("SELECT seq, event_id, ref, occurred_at FROM bridge_outbox "
                                          "WHERE kind = 'product_local' ORDER BY seq")]


def ref_ids(conn):
    unit = conn.execute("SELECT id FROM units WHERE code = 'each'").fetchone()[0]
    tax = conn.execute("SELECT id FROM tax_classes WHERE code = 'VAT'").fetchone()[0]
    return unit, tax


def make(conn, sku="LOC-1", name="Mazoe Orange 2L", barcode="6001234000013", **extra):
    unit, tax = ref_ids(conn)
    with transaction(conn):
        return service.create_product(conn, MANAGER, ALL, {
            "sku": sku, "name": name, "unit_id": unit, "tax_class_id": tax, "prices": {"USD": 450},
            "barcodes": [{"code": barcode, "pack_quantity": 1000}], "cost_price": 300, **extra})


def hq_product(version: int, price: int) -> dict:
    return {"entity": "product", "id": HQ_PRODUCT, "version": version, "op": "upsert", "data": {
        "id": HQ_PRODUCT, "sku": "HQ-MILK", "name": "Dairibord Milk 1L", "short_name": "Milk 1L",
        "unit": "each", "tax_class": "VAT", "barcodes": [{"code": "6009000000021", "pack_quantity": 1000}],
        "prices": {"USD": price}, "active": True}}


def test_a_store_made_product_writes_one_fact_per_version_with_its_data(store):
    conn, _ids = store
    product = make(conn)
    assert [r["event_id"] for r in local_rows(conn)] == [f"{product['id']}:1"]
    [fact] = [f for f in outbox.pending(conn, 0) if f["kind"] == "product_local"]
    data = fact["data"]
    assert data["id"] == product["id"] and data["version"] == 1
    assert (data["sku"], data["name"], data["unit"], data["tax_class"]) == ("LOC-1", "Mazoe Orange 2L", "each", "VAT")
    assert data["prices"] == {"USD": 450} and data["override_prices"] == {}
    assert data["barcodes"] == [{"code": "6001234000013", "pack_quantity": 1000}]
    assert (data["cost_price"], data["cost_currency"], data["active"]) == (300, "USD", True)
    assert fact["hash"] == fact_hash(data)
    assert outbox.pending(conn, 0)[-1]["hash"] == fact["hash"]  # sent again: the same hash

    with transaction(conn):
        service.update_product(conn, MANAGER, ALL, product["id"], {"cost_price": 320, "prices": {"USD": 475}})
    with transaction(conn):  # a change that changes nothing writes nothing
        service.update_product(conn, MANAGER, ALL, product["id"], {"cost_price": 320})
    with pytest.raises(RuntimeError), transaction(conn):  # a rolled back change leaves no row
        service.update_product(conn, MANAGER, ALL, product["id"], {"name": "Never"})
        raise RuntimeError("rolled back")
    with transaction(conn):
        service.set_active(conn, MANAGER, product["id"], False)
    assert [r["event_id"] for r in local_rows(conn)] == [f"{product['id']}:{v}" for v in (1, 2, 3)]
    latest = {f["event_id"]: f["data"] for f in outbox.pending(conn, 0)}[f"{product['id']}:3"]
    assert (latest["version"], latest["cost_price"], latest["active"]) == (3, 320, False)
    assert latest["prices"] == {"USD": 475}


def test_hq_products_applied_from_its_feed_write_no_fact_but_the_stores_own_changes_do(store):
    conn, _ids = store
    with transaction(conn):
        assert apply_change(conn, hq_product(1, 120)) == "applied"
    assert local_rows(conn) == []
    assert conn.execute("SELECT count(*) FROM bridge_hq_writing").fetchone()[0] == 0  # only while applying
    with transaction(conn):
        meta.put(conn, "hq_enrolled", "1")
        # the store's override price of HQ's product is the store's own field: a fact
        updated = service.update_product(conn, MANAGER, ALL, HQ_PRODUCT, {"override_prices": {"USD": 110}})
    assert [r["event_id"] for r in local_rows(conn)] == [f"{HQ_PRODUCT}:{updated['version']}"]
    with transaction(conn):
        assert apply_change(conn, hq_product(2, 130)) == "applied"
    assert len(local_rows(conn)) == 1  # HQ's new price: no echo
    # a change HQ's feed brings that a rule refuses rolls back, and the marker with it
    with transaction(conn):
        bad = hq_product(3, 140)
        bad["data"]["unit"] = "no-such-unit"
        assert apply_change(conn, bad) == "refused"
    assert conn.execute("SELECT count(*) FROM bridge_hq_writing").fetchone()[0] == 0
    with transaction(conn):
        meta.put(conn, "hq_enrolled", "0")  # an enrolled hub refuses new products (HQ owns sku, name)
    product = make(conn, sku="LOC-2", name="Store-baked bread", barcode="6001234000020")
    assert local_rows(conn)[-1]["event_id"] == f"{product['id']}:1"  # the marker is gone: the store's own counts


def test_the_backfill_finds_the_stores_products_at_their_current_version(store):
    conn, _ids = store
    mine = make(conn)
    with transaction(conn):
        service.update_product(conn, MANAGER, ALL, mine["id"], {"cost_price": 310})
        assert apply_change(conn, hq_product(1, 120)) == "applied"
    hq_version = conn.execute("SELECT version FROM products WHERE id = ?", (HQ_PRODUCT,)).fetchone()[0]
    with transaction(conn):
        conn.execute("DELETE FROM bridge_outbox WHERE kind = 'product_local'")
        conn.execute(backfill())
    assert [r["event_id"] for r in local_rows(conn)] == [f"{mine['id']}:2"]  # HQ's last change is HQ's
    with transaction(conn):
        meta.put(conn, "hq_enrolled", "1")
        service.update_product(conn, MANAGER, ALL, HQ_PRODUCT, {"cost_price": 90})
        conn.execute("DELETE FROM bridge_outbox WHERE kind = 'product_local'")
        conn.execute(backfill())
    assert {r["event_id"] for r in local_rows(conn)} == {f"{mine['id']}:2", f"{HQ_PRODUCT}:{hq_version + 1}"}
    seqs = [r["seq"] for r in conn.execute("SELECT seq FROM bridge_outbox ORDER BY seq")]
    assert len(seqs) == len(set(seqs))


def test_the_fact_names_the_products_category_so_hq_can_name_a_store_made_one(store):
    from hub.catalogue.categories.service import create_category

    conn, _ids = store
    with transaction(conn):
        bakery = create_category(conn, MANAGER, {"name": "Bakery"})
    product = make(conn, category_id=bakery["id"])
    [fact] = [f for f in outbox.pending(conn, 0) if f["kind"] == "product_local"]
    assert (fact["data"]["category_id"], fact["data"]["category"]) == (bakery["id"], "Bakery")
    plain = make(conn, sku="LOC-2", name="Loose sweets", barcode="6001234000020")
    [later] = [f for f in outbox.pending(conn, 0) if f["kind"] == "product_local" and f["data"]["id"] == plain["id"]]
    assert (later["data"]["category_id"], later["data"]["category"]) == (None, None)
    assert product["id"] != plain["id"]
