"""The stores' own products (the hubs' `product_local` facts): stored once per (store, event id),
projected into store_products at the highest version each store sent, and named on the
by-product and stock pages (marked "store product") where HQ's catalogue lacks them."""

from __future__ import annotations

import csv
import io

from tests.hq.facts_util import batch, fact, movement, sale
from tests.hq.test_pages import _browser
from tests.hqtest import ANALYST


def product(pid: str, version: int, name: str, sku: str = "LOC-1", **extra) -> dict:
    return {"id": pid, "version": version, "sku": sku, "name": name, "short_name": name[:20], "category_id": None,
            "unit": "each", "tax_class": "VAT", "hs_code": "", "sold_by_weight": False, "stock_tracked": True,
            "active": True, "cost_price": 300, "cost_currency": "USD", "updated_at": "2026-11-20T07:00:00.000000Z",
            "barcodes": [{"code": "6001234000013", "pack_quantity": 1000}], "prices": {"USD": 450},
            "override_prices": {}, **extra}


def local(seq: int, pid: str, version: int, name: str, **extra) -> dict:
    return fact(seq, f"{pid}:{version}", "product_local", product(pid, version, name, **extra),
                occurred_at="2026-11-20T07:00:00Z")


def push(hq, store: str, facts: list[dict], hub_id: str | None = None, epoch: str = "e1") -> dict:
    hub_id = hub_id or f"hub-{store}"
    enrolled = hq.enrol(store, hub_id=hub_id)
    r = hq.hub_client(enrolled["token"], hub_id).post("/api/hq/v1/facts", json=batch(hub_id, epoch, facts))
    assert r.status_code == 200, r.text
    return r.json()


def test_the_highest_version_each_store_sent_wins_and_a_resent_fact_is_a_duplicate(hq):
    answer = push(hq, "S1", [local(1, "lp1", 1, "Maputi 100g"), local(2, "lp1", 3, "Maputi 100g (big)"),
                             local(3, "lp1", 2, "Maputi 100g (older)")])
    assert (answer["stored"], answer["duplicates"]) == (3, 0)
    push(hq, "S2", [local(1, "lp1", 1, "S2's own lp1", sku="S2-LOC")])  # another store's row of its own
    rows = hq.sql("SELECT st.code, p.product_id, p.version, p.sku, p.name, p.unit, p.cost_price, p.prices::text"
                  " FROM store_products p JOIN stores st ON st.id = p.store_id ORDER BY 1")
    assert rows == [("S1", "lp1", 3, "LOC-1", "Maputi 100g (big)", "each", 300, '{"USD": 450}'),
                    ("S2", "lp1", 1, "S2-LOC", "S2's own lp1", "each", 300, '{"USD": 450}')]
    enrolled = hq.enrol("S1", hub_id="hub-S1-restored")
    again = hq.hub_client(enrolled["token"], "hub-S1-restored").post("/api/hq/v1/facts", json=batch(
        "hub-S1-restored", "e2", [local(1, "lp1", 2, "Maputi 100g (older)"), local(2, "lp1", 4, "Maputi 100g (new)")]))
    assert again.status_code == 200, again.text
    assert (again.json()["stored"], again.json()["duplicates"]) == (1, 1)
    assert hq.scalar("SELECT p.name FROM store_products p JOIN stores st ON st.id = p.store_id"
                     " WHERE st.code = 'S1'") == "Maputi 100g (new)"
    assert hq.scalar("SELECT count(*) FROM facts WHERE kind = 'product_local'") == 5


def test_reports_name_store_products_and_mark_them(hq):
    line = [("lp1", None, 2000, 900, 0)]
    push(hq, "S1", [local(1, "lp1", 1, "Store-baked bread"),
                    fact(2, "a", "sale", sale("a", "USD", line)),
                    fact(3, "m1", "stock_movement", movement("m1", "lp1", 10000, kind="receipt")),
                    fact(4, "b", "sale", sale("b", "USD", [("p-hq", None, 1000, 300, 0)]))])
    r = hq.admin.put("/api/hq/v1/reference/product/p-hq", json={
        "id": "p-hq", "sku": "HQ-1", "name": "Chain cola", "unit": "each", "tax_class": "VAT", "prices": {"USD": 300},
        "active": True})
    assert r.status_code in (200, 201), r.text
    client = _browser(hq, ANALYST)
    q = {"from": "2026-11-20", "to": "2026-11-20", "format": "csv"}
    rows = {x["product_id"]: x for x in csv.DictReader(io.StringIO(client.get("/products", params=q).text))}
    mine = rows["lp1"]
    assert (mine["name"], mine["store_product"], mine["net"]) == ("Store-baked bread", "True", "900")
    assert rows["p-hq"]["store_product"] == "False"  # HQ's own product: not the store's
    page = client.get("/products", params={"from": "2026-11-20", "to": "2026-11-20"}).text
    assert "Store-baked bread" in page and "store product" in page
    stock = list(csv.DictReader(io.StringIO(client.get("/stock", params={"format": "csv"}).text)))
    assert [(x["sku"], x["name"], x["store_product"], x["on_hand"]) for x in stock] == [
        ("LOC-1", "Store-baked bread", "True", "10000")]
    assert "store product" in client.get("/stock").text


def test_a_category_a_store_made_is_named_as_its_products_named_it(hq):
    """HQ's catalogue lacks a store's own categories: the by-category report names one from the
    `category` its products' facts carried, HQ's own name wins where it has one, and a category
    no fact named stays shown by its id."""
    lines = [("lp1", "cat-bakery", 1000, 500, 0), ("lp2", "cat-drinks", 1000, 300, 0),
             ("lp3", "cat-unknown", 1000, 100, 0)]
    push(hq, "S1", [local(1, "lp1", 1, "Store-baked bread", category_id="cat-bakery", category="Bakery (old)"),
                    local(2, "lp1", 2, "Store-baked bread", category_id="cat-bakery", category="Bakery"),
                    local(3, "lp2", 1, "Own-brand water", category_id="cat-drinks", category="Water"),
                    fact(4, "a", "sale", sale("a", "USD", lines))])
    r = hq.admin.put("/api/hq/v1/reference/category/cat-drinks", json={"id": "cat-drinks", "name": "Drinks"})
    assert r.status_code in (200, 201), r.text
    client = _browser(hq, ANALYST)
    q = {"from": "2026-11-20", "to": "2026-11-20", "format": "csv"}
    rows = [(x["category_id"], x["category"], x["net"])
            for x in csv.DictReader(io.StringIO(client.get("/categories", params=q).text))]
    assert rows == [("cat-bakery", "Bakery", "500"), ("cat-drinks", "Drinks", "300"),
                    ("cat-unknown", "cat-unknown", "100")]
