"""HQ's reference data into the hub (docs/cloud-bridge.md, "Down"): through the hub's own services,
into its tables, audit log and its own change feed for the tills; versions not above the last
applied are skipped; a refused row never stops the feed; a 410 loads the snapshot."""

from __future__ import annotations

import json

import pytest

from hub.bridge import state
from hub.bridge.apply import apply_change
from hub.catalogue import ownership
from hub.catalogue.products import service as products_service
from hub.db import meta
from hub.db.audit import Actor
from hub.db.connection import transaction
from hub.errors import ConflictError
from tests.bridge.kit import drain, enrolled, make_worker

CAT = "01a00000-0000-7000-8000-00000000c001"
SUB = "01a00000-0000-7000-8000-00000000c002"
PROD = "01a00000-0000-7000-8000-00000000b001"
RATE = "01a00000-0000-7000-8000-00000000e001"
USER = "01a00000-0000-7000-8000-00000000a001"
PROMO = "01a00000-0000-7000-8000-00000000f001"


def product(version_price: int, **extra):
    return {"id": PROD, "sku": "HQ-BREAD", "name": "Bread 700g", "short_name": "Bread", "category_id": SUB,
            "unit": "each", "tax_class": "VAT", "hs_code": "", "barcodes": [{"code": "6009000000014", "pack_quantity": 1000}],
            "prices": {"USD": version_price}, "active": True, **extra}


def publish_catalogue(hq):
    hq.publish("category", CAT, 1, {"id": CAT, "name": "Bakery", "parent_id": None})
    hq.publish("category", SUB, 1, {"id": SUB, "name": "Bread", "parent_id": CAT})
    hq.publish("product", PROD, 1, product(120))
    hq.publish("exchange_rate", RATE, 1, {"id": RATE, "base": "USD", "quote": "ZWG", "rate": 26_700_000,
                                          "scale": 1_000_000, "effective_from": "2026-11-01T00:00:00Z"})
    hq.publish("setting", "receipt.footer", 1, {"key": "receipt.footer", "value": "Thank you from the chain"})
    hq.publish("user", USER, 1, {"id": USER, "username": "area.manager", "display_name": "Area Manager",
                                 "role": "manager", "active": True})
    hq.publish("promotion", PROMO, 1, {"name": "Bread 10% off", "kind": "percent_off", "priority": 10,
                                       "target": {"products": [PROD]}, "percent_off_bp": 1000})


def feed_rows(conn, entity, entity_id):
    return [dict(r) for r in conn.execute("SELECT version, data FROM changes WHERE entity = ? AND entity_id = ? "
                                          "ORDER BY seq", (entity, entity_id))]


def test_hq_reference_data_lands_in_the_hubs_tables_and_its_own_feed(store, hq):
    conn, ids, data_dir = store
    conn.execute("INSERT OR IGNORE INTO roles (id, name, created_at, updated_at) VALUES ('r-m', 'manager', 'x', 'x')") \
        if not conn.execute("SELECT 1 FROM roles WHERE name = 'manager'").fetchone() else None
    enrolled(conn, data_dir, hq)
    publish_catalogue(hq)
    worker = make_worker(conn, data_dir)
    drain(worker)  # no cursor yet: the snapshot, then the feed
    assert state.get(conn, "cursor") == f"{hq.epoch}:{len(hq.changes)}"
    bread = conn.execute("SELECT sku, name, receipt_name, category_id FROM products WHERE id = ?", (PROD,)).fetchone()
    assert tuple(bread) == ("HQ-BREAD", "Bread 700g", "Bread", SUB)
    assert conn.execute("SELECT price FROM product_prices WHERE product_id = ? AND currency = 'USD'",
                        (PROD,)).fetchone()[0] == 120
    assert conn.execute("SELECT source FROM exchange_rates WHERE id = ?", (RATE,)).fetchone()[0] == "hq"
    assert json.loads(conn.execute("SELECT value FROM settings WHERE key = 'receipt.footer'").fetchone()[0]) \
        == "Thank you from the chain"
    assert conn.execute("SELECT username FROM users WHERE id = ?", (USER,)).fetchone()[0] == "area.manager"
    assert conn.execute("SELECT source FROM promotions WHERE id = ?", (PROMO,)).fetchone()[0] == "hq"
    assert feed_rows(conn, "product", PROD)[-1]["version"] >= 1
    actors = {r[0] for r in conn.execute("SELECT DISTINCT username FROM audit_log WHERE entity IN "
                                          "('product', 'category', 'exchange_rate', 'promotion', 'user')")}
    assert "system:hq" in actors

    # A price change at HQ comes through the feed as a new product version on the hub's own feed.
    hq.publish("product", PROD, 2, product(135))
    drain(worker)
    assert conn.execute("SELECT price FROM product_prices WHERE product_id = ? AND currency = 'USD'",
                        (PROD,)).fetchone()[0] == 135
    assert json.loads(feed_rows(conn, "product", PROD)[-1]["data"])["prices"]["USD"] == 135
    history = conn.execute("SELECT source FROM price_history WHERE product_id = ? ORDER BY rowid DESC LIMIT 1",
                           (PROD,)).fetchone()
    assert history is None or history[0] == "hq"

    # The ownership rule holds for everybody else once HQ's write is done.
    assert ownership.is_enrolled(conn)
    with pytest.raises(ConflictError) as owned:
        with transaction(conn):
            products_service.update_product(conn, Actor.system("test"), frozenset({"prices.manage"}), PROD,
                                            {"name": "Local bread"})
    assert owned.value.code == "hq_owned"


def test_an_older_or_equal_version_is_skipped_and_a_refused_row_does_not_stop_the_feed(store, hq):
    conn, ids, data_dir = store
    with transaction(conn):
        meta.put(conn, "hq_enrolled", "1")
        assert apply_change(conn, {"entity": "category", "id": CAT, "version": 3, "op": "upsert",
                                   "data": {"id": CAT, "name": "Bakery", "parent_id": None}}) == "applied"
        assert apply_change(conn, {"entity": "category", "id": CAT, "version": 2, "op": "upsert",
                                   "data": {"id": CAT, "name": "Old name", "parent_id": None}}) == "skipped"
        # A barcode another (local) product holds: refused, reported, the next rows go on.
        other = product(100, id="p2", sku="HQ-2", category_id=CAT)
        other_id = "01a00000-0000-7000-8000-00000000b002"
        assert apply_change(conn, {"entity": "product", "id": PROD, "version": 1, "op": "upsert",
                                   "data": product(100, category_id=CAT)}) == "applied"
        assert apply_change(conn, {"entity": "product", "id": other_id, "version": 1, "op": "upsert",
                                   "data": {**other, "id": other_id}}) == "refused"
        assert apply_change(conn, {"entity": "unknown_thing", "id": "x", "version": 1, "op": "upsert",
                                   "data": {}}) == "skipped"
    assert conn.execute("SELECT name FROM categories WHERE id = ?", (CAT,)).fetchone()[0] == "Bakery"
    assert conn.execute("SELECT count(*) FROM products WHERE id = ?", (other_id,)).fetchone()[0] == 0
    assert "barcode" in (state.get(conn, "last_apply_error") or "")
    assert meta.get(conn, "hq_enrolled") == "1"


def test_a_gone_cursor_loads_the_snapshot_again(store, hq):
    conn, ids, data_dir = store
    enrolled(conn, data_dir, hq)
    publish_catalogue(hq)
    worker = make_worker(conn, data_dir)
    drain(worker)
    hq.epoch = "hq2"  # HQ restored: every cursor of the old epoch is unknown
    hq.publish("product", PROD, 5, product(150))
    drain(worker)
    assert state.get(conn, "cursor") == f"hq2:{len(hq.changes)}"
    assert conn.execute("SELECT price FROM product_prices WHERE product_id = ? AND currency = 'USD'",
                        (PROD,)).fetchone()[0] == 150
