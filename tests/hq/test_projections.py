"""Projections: sales and lines per store, day and currency, voids, refunds, stock, cost of goods."""

from __future__ import annotations

from tests.hq.facts_util import batch, fact, movement, sale


def _push(hq, store, facts, hub_id=None, epoch="e1"):
    hub_id = hub_id or f"hub-{store}"
    enrolled = hq.enrol(store, hub_id=hub_id)
    r = hq.hub_client(enrolled["token"], hub_id).post("/api/hq/v1/facts", json=batch(hub_id, epoch, facts))
    assert r.status_code == 200, r.text
    return r.json()


def test_sales_totals_per_store_day_and_currency_leave_out_voids_and_training(hq):
    facts = [
        fact(1, "a", "sale", sale("a", "USD", [("p1", "c1", 2000, 600, 60), ("p2", "c2", 1000, 250, 0)])),
        fact(2, "b", "sale", sale("b", "ZWG", [("p1", "c1", 1000, 9000, 900)])),
        fact(3, "c", "sale", sale("c", "USD")),
        fact(4, "v1", "void", {"id": "v1", "sale_id": "c", "reason": "wrong item"}),
        fact(5, "t", "sale", sale("t", "USD", training=True)),
        fact(6, "d", "sale", sale("d", "USD", occurred_at="2026-11-21T09:00:00Z"), occurred_at="2026-11-21T09:00:00Z"),
        fact(7, "r1", "refund", {"id": "r1", "sale_id": "a", "currency": "USD", "total": 250, "tax_total": 0}),
    ]
    _push(hq, "S1", facts)
    _push(hq, "S2", [fact(1, "a", "sale", sale("a", "USD"))])  # the same sale id at another store is its own
    rows = hq.sql("SELECT st.code, s.business_date::text, s.currency, count(*), sum(s.total) FROM sales s"
                  " JOIN stores st ON st.id = s.store_id WHERE NOT s.voided AND s.total > 0 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
    assert rows == [("S1", "2026-11-20", "USD", 1, 850), ("S1", "2026-11-20", "ZWG", 1, 9000),
                    ("S1", "2026-11-21", "USD", 1, 300), ("S2", "2026-11-20", "USD", 1, 300)]
    assert hq.scalar("SELECT voided FROM sales WHERE sale_id = 'c'") is True
    assert hq.scalar("SELECT count(*) FROM sales WHERE sale_id = 't'") == 0
    # lines: net before tax (tax-inclusive totals), tax, category
    assert hq.sql("SELECT product_id, category_id, quantity, net, tax FROM sale_lines l JOIN stores st"
                  " ON st.id = l.store_id WHERE st.code = 'S1' AND sale_id = 'a' ORDER BY line_no") == [
        ("p1", "c1", 2000, 540, 60), ("p2", "c2", 1000, 250, 0)]
    assert hq.sql("SELECT sale_id, total FROM refunds") == [("a", 250)]


def test_a_void_before_its_sale_still_voids_it(hq):
    _push(hq, "S1", [fact(1, "v", "void", {"id": "v", "sale_id": "late"}), fact(2, "late", "sale", sale("late"))])
    assert hq.scalar("SELECT voided FROM sales WHERE sale_id = 'late'") is True


def test_stock_follows_movements_and_counts(hq):
    facts = [
        fact(1, "m1", "stock_movement", movement("m1", "p1", 10000, kind="receipt", occurred_at="2026-11-20T07:00:00Z")),
        fact(2, "m2", "stock_movement", movement("m2", "p1", -2000, source_id="a", occurred_at="2026-11-20T08:00:00Z")),
        fact(3, "m3", "stock_movement", movement("m3", "p2", 5000, kind="receipt")),
    ]
    _push(hq, "S1", facts)
    assert dict(hq.sql("SELECT product_id, on_hand FROM stock ORDER BY 1")) == {"p1": 8000, "p2": 5000}
    enrolled = hq.enrol("S1", hub_id="hub-S1b")
    hub = hq.hub_client(enrolled["token"], "hub-S1b")
    more = [
        # counted 7 at 09:00, a sale at 08:30 arrives late (before the count: already in the count)
        fact(1, "m4", "stock_movement", movement("m4", "p1", 7000, kind="count", unit_cost=None,
                                                 occurred_at="2026-11-20T09:00:00Z")),
        fact(2, "m5", "stock_movement", movement("m5", "p1", -1000, source_id="b", occurred_at="2026-11-20T08:30:00Z")),
        fact(3, "m6", "stock_movement", movement("m6", "p1", -500, source_id="c", occurred_at="2026-11-20T10:00:00Z")),
    ]
    assert hub.post("/api/hq/v1/facts", json=batch("hub-S1b", "e1", more)).status_code == 200
    assert dict(hq.sql("SELECT product_id, on_hand FROM stock ORDER BY 1")) == {"p1": 6500, "p2": 5000}
    # an older count changes nothing
    older = [fact(4, "m7", "stock_movement", movement("m7", "p1", 100, kind="count", unit_cost=None,
                                                      occurred_at="2026-11-19T09:00:00Z"))]
    assert hub.post("/api/hq/v1/facts", json=batch("hub-S1b", "e1", older)).status_code == 200
    assert hq.scalar("SELECT on_hand FROM stock WHERE product_id = 'p1'") == 6500


def test_cost_of_goods_comes_from_sale_movements(hq):
    facts = [
        fact(1, "a", "sale", sale("a", "USD", [("p1", "c1", 2000, 660, 60)])),
        fact(2, "m1", "stock_movement", movement("m1", "p1", -2000, unit_cost=150, source_id="a")),
        fact(3, "b", "sale", sale("b", "ZWG", [("p1", "c1", 1000, 9000, 0)])),
        fact(4, "m2", "stock_movement", movement("m2", "p1", -1000, unit_cost=150, source_id="b")),
        fact(5, "m3", "stock_movement", movement("m3", "p1", 5000, kind="receipt", unit_cost=140)),
    ]
    _push(hq, "S1", facts)
    assert hq.sql("SELECT sale_id, cost_thousandths FROM sale_costs ORDER BY 1") == [("a", 300000), ("b", 150000)]
