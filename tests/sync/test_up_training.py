"""Training mode: a sale marked `training` is kept and marked, and counts nowhere (no stock, no
exception, no shift, X report or end-of-day figure), whether it comes online or through sync."""

from __future__ import annotations

from hub.db.connection import connect
from hub.ids import new_id
from hub.inventory import ledger
from tests.inventory.recipes import stocked_product
from tests.people import People, query
from tests.sales import recipes as selling
from tests.sales.build import line
from tests.sync.up_recipes import SyncTill


def test_a_training_sale_through_sync_counts_nowhere(hub):
    people = People(hub)
    product = stocked_product(people, quantity=10_000)
    price = people.root.get(f"/api/v1/products/{product}").json()
    till = SyncTill(hub)
    shift_id = new_id()
    opened = till.upload([till.event("shift.open", {"id": shift_id, "floats": [{"currency": "USD", "amount": 5000}]})])
    assert opened["results"][0]["applied"] == {"type": "shift", "id": shift_id}
    lines = [line(999, 2000, product_id=product, tax_rate_bp=0)]  # not the catalogue price either
    training = till.sale_payload(lines, shift_id=shift_id, training=True)
    real = till.sale_payload([line(150, tax_rate_bp=0)], shift_id=shift_id)
    got = till.upload([till.event("sale", training), till.event("sale", real)])
    assert [r["status"] for r in got["results"]] == ["applied", "applied"]
    assert got["results"][0]["exceptions"] == []
    assert query(hub, "SELECT training FROM sales WHERE id = ?", training["id"]) == [(1,)]
    assert query(hub, "SELECT count(*) FROM exceptions WHERE sale_id = ?", training["id"]) == [(0,)]
    assert query(hub, "SELECT count(*) FROM stock_movements WHERE source_id = ?", training["id"]) == [(0,)]
    assert query(hub, "SELECT on_hand FROM stock_levels WHERE product_id = ?", product) == [(10_000,)]
    manager = hub.as_user("manager")
    x = manager.get(f"/api/v1/shifts/{shift_id}/x-report").json()
    assert [(s["currency"], s["count"], s["total"]) for s in x["sales"]] == [("USD", 1, 150)]
    cash = {c["currency"]: c["expected"] for c in x["cash"]}
    assert cash["USD"] == 5000 + 150
    detail = manager.get(f"/api/v1/sales/{training['id']}").json()
    assert detail["training"] is True and price
    day = manager.get("/api/v1/end-of-day").json()
    usd = [s for s in day["sales"] if s["currency"] == "USD"]
    assert [(s["count"], s["total"]) for s in usd] == [(1, 150)], day["sales"]
    with connect(hub.db_path) as conn:
        assert ledger.check(conn) == []


def test_a_training_sale_online_is_marked_and_moves_no_stock(hub):
    people = People(hub)
    product = stocked_product(people, quantity=5000)
    till = selling.Till(hub)
    body = till.body([line(100, 1000, product_id=product, tax_rate_bp=0)], training=True)
    sale = till.sell(body)
    assert sale["training"] is True and sale["exceptions"] == []
    assert query(hub, "SELECT on_hand FROM stock_levels WHERE product_id = ?", product) == [(5000,)]
    assert till.sell(body, status=200)["id"] == body["id"]  # the same body again: the same sale
