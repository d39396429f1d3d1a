"""A real hub and the real HQ collector: a product the store made reaches HQ as one
`product_local` fact, HQ's projection and its sales-by-product page name it, a second round
sends nothing new, a store change of its own field sends the next version, HQ's own product
applied on the hub sends nothing back, and a restored hub's resend is duplicates only."""

from __future__ import annotations

import csv
import io
import os
import sqlite3

from hub.bench.storeday import enrol_real_store
from hub.bridge import outbox
from hub.db import meta
from hub.db.connection import connect, transaction
from tests.bridge.test_hq_link import (TlsHub, collector, fast_link, hq_event_ids, outbox_ids,  # noqa: F401
                                       status_of, wait_for)
from tests.catalogue.fixtures import _by_code
from tests.hq.test_pages import _browser
from tests.hqtest import ANALYST
from tests.hubtest import HubServer, make_demo_store, make_settings
from tests.pgcluster import pg_cluster  # noqa: F401  (the session fixture)
from tests.sales.build import line
from tests.sales.recipes import Till

CODE = "S301"
HQ_PRODUCT = "01a00000-0000-7000-8000-0000000bb301"


def local_facts(hq, product_id: str | None = None) -> list[str]:
    rows = hq.sql("SELECT f.event_id FROM facts f JOIN stores t ON t.id = f.store_id WHERE t.code = %s"
                  " AND f.kind = 'product_local' ORDER BY 1", CODE)
    return [r[0] for r in rows if product_id is None or r[0].startswith(product_id + ":")]


def hub_local_rows(hub) -> list[str]:
    conn = connect(hub.db_path, readonly=True)
    try:
        return [r[0] for r in conn.execute("SELECT event_id FROM bridge_outbox WHERE kind = 'product_local'")]
    finally:
        conn.close()


def settled(hub) -> bool:
    return status_of(hub)["state"] == "current"


def test_a_store_made_product_is_named_at_hq_and_sent_once(tmp_path, collector, fast_link):  # noqa: F811
    settings = make_settings(tmp_path / CODE / "var")
    store = make_demo_store(settings)
    hub = TlsHub(HubServer(settings).start(), store)
    try:
        admin = hub.as_user("admin")
        unit, tax = _by_code(admin, "/api/v1/units", "each"), _by_code(admin, "/api/v1/tax-classes", "VAT")
        r = admin.post("/api/v1/products", json={
            "sku": "LOC-BREAD", "name": "Store-baked bread 600g", "unit_id": unit, "tax_class_id": tax,
            "prices": {"USD": 120}, "cost_price": 70, "barcodes": [{"code": "6001234000013", "pack_quantity": 1000}]})
        assert r.status_code == 201, r.text
        product = r.json()
        till = Till(hub)
        shift = till.shift()
        till.sell(lines=[line(120, 2000, product_id=product["id"], code="LOC-BREAD", name="Item")], shift_id=shift)

        enrol_real_store(settings.db_path, settings.data_dir, collector, collector.url, CODE, actor="test")
        hub.server.app.state.bridge.poke()
        wait_for(lambda: settled(hub), "the first push", lambda: status_of(hub))
        assert local_facts(collector, product["id"]) == [f"{product['id']}:1"]
        assert set(hq_event_ids(collector, CODE)) == outbox_ids(hub)
        [(name, sku, version, cost)] = collector.sql(
            "SELECT p.name, p.sku, p.version, p.cost_price FROM store_products p JOIN stores t ON t.id = p.store_id"
            " WHERE t.code = %s AND p.product_id = %s", CODE, product["id"])
        assert (name, sku, version, cost) == ("Store-baked bread 600g", "LOC-BREAD", 1, 70)
        pages = _browser(collector, ANALYST)
        [(day,)] = collector.sql("SELECT DISTINCT business_date::text FROM sale_lines WHERE product_id = %s",
                                 product["id"])
        period = {"from": day, "to": day}
        rows = {x["product_id"]: x for x in csv.DictReader(io.StringIO(pages.get("/products", params={
            **period, "store": CODE, "format": "csv"}).text))}
        sold = rows[product["id"]]
        assert (sold["name"], sold["store_product"], sold["quantity"]) == ("Store-baked bread 600g", "True", "2000")
        page = pages.get("/products", params=period).text
        assert "Store-baked bread 600g" in page and "store product" in page
        stock = {x["product_id"]: x for x in csv.DictReader(io.StringIO(pages.get("/stock", params={
            "store": CODE, "format": "csv"}).text))}
        assert (stock[product["id"]]["name"], stock[product["id"]]["sku"]) == ("Store-baked bread 600g", "LOC-BREAD")

        # A second round sends nothing new: HQ holds the same facts, the hub has nothing pending.
        held = sorted(hq_event_ids(collector, CODE))
        hub.server.app.state.bridge.poke()
        wait_for(lambda: settled(hub), "a second round")
        assert sorted(hq_event_ids(collector, CODE)) == held
        conn = connect(hub.db_path, readonly=True)
        try:
            acked = int(conn.execute("SELECT value FROM bridge_state WHERE key = 'acked_through'").fetchone()[0])
            assert outbox.pending(conn, acked) == []
        finally:
            conn.close()

        # HQ's own product applied on the hub sends no product_local fact back.
        r = collector.admin.put(f"/api/hq/v1/reference/product/{HQ_PRODUCT}", json={
            "id": HQ_PRODUCT, "sku": "HQ-MILK", "name": "Chain milk 1L", "unit": "each", "tax_class": "VAT",
            "prices": {"USD": 99}, "active": True})
        assert r.status_code in (200, 201), r.text
        hub.server.app.state.bridge.poke()
        wait_for(lambda: admin.get(f"/api/v1/products/{HQ_PRODUCT}").status_code == 200, "HQ's product on the hub")
        hub.server.app.state.bridge.poke()
        wait_for(lambda: settled(hub), "the round after HQ's product")
        assert not any(e.startswith(HQ_PRODUCT) for e in hub_local_rows(hub))
        assert local_facts(collector, HQ_PRODUCT) == []

        # The store's own field (cost) of its product, once enrolled: the next version reaches HQ.
        backup = tmp_path / "backup.db"
        src, dst = sqlite3.connect(hub.db_path), sqlite3.connect(backup)
        src.backup(dst)
        src.close()
        dst.close()
        r = admin.patch(f"/api/v1/products/{product['id']}", json={"cost_price": 75})
        assert r.status_code == 200, r.text
        hub.server.app.state.bridge.poke()
        wait_for(lambda: local_facts(collector, product["id"]) == [f"{product['id']}:1", f"{product['id']}:2"],
                 "the second version at HQ", lambda: local_facts(collector))
        assert collector.scalar("SELECT version FROM store_products WHERE product_id = %s", product["id"]) == 2
        wait_for(lambda: settled(hub), "the push of the second version")
        before = sorted(hq_event_ids(collector, CODE))

        # Restored from the backup taken before that change (a new epoch): it resends its whole
        # outbox, HQ answers duplicates, and nothing is stored twice.
        hub.close()
        hub.server.stop()
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(str(hub.db_path) + suffix):
                os.remove(str(hub.db_path) + suffix)
        os.replace(backup, hub.db_path)
        conn = connect(hub.db_path)
        try:
            with transaction(conn):
                meta.new_epoch(conn)
        finally:
            conn.close()
        hub = TlsHub(HubServer(settings).start(), store)
        wait_for(lambda: settled(hub), "the restored hub to resend", lambda: status_of(hub))
        after = hq_event_ids(collector, CODE)
        assert sorted(after) == before and len(after) == len(set(after))
        assert collector.scalar("SELECT version FROM store_products WHERE product_id = %s", product["id"]) == 2
    finally:
        hub.close()
        hub.server.stop()
