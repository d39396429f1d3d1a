"""Voiding a whole sale: a new document with a reason and the permission sales.void; the sale's
own rows are never edited, its stock comes back through the ledger, its money leaves its shift's
totals, and a sale is voided once."""

from __future__ import annotations

import datetime as dt

from hub.db.audit import Actor
from hub.db.connection import connect
from hub.inventory import Source, ledger, move
from hub.sales.totals import shift_sales, shift_tenders
from tests.catalogue.fixtures import admin, create, ids, writing  # noqa: F401
from tests.people import audit_entries, query
from tests.sales.build import cash, line
from tests.sales.recipes import SALES, ZWG_RATE, Till


def test_a_void_reverses_money_and_stock_and_leaves_the_sale_as_it_was(hub, admin, ids):
    bread = create(admin, ids, prices={"USD": 150})
    with writing(hub.db_path) as conn:
        move(conn, kind="receipt", product_id=bread["id"], quantity=10000, unit_cost=100,
             occurred_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1), actor=Actor.system("test"),
             source=Source("goods_receipt", "grn-1", 0))
    till = Till(hub)
    shift = till.shift()
    kept = till.sell(lines=[line(150, 1000, product_id=bread["id"], tax_rate_bp=0)], shift_id=shift)
    body = till.body([line(150, 2000, product_id=bread["id"], tax_rate_bp=0)], [cash(10000, "ZWG")],
                     rates=[ZWG_RATE], shift_id=shift, change=[{"currency": "USD", "amount": 77}])
    sold = till.sell(body)
    stored = query(hub, "SELECT * FROM sales WHERE id = ?", sold["id"])
    conn = connect(hub.db_path)
    try:
        assert [(t.currency, t.amount) for t in shift_tenders(conn, shift)] == [("USD", 150 - 77), ("ZWG", 10000)]
    finally:
        conn.close()

    supervisor = hub.as_user("supervisor")
    seq = audit_entries(hub)[-1]["seq"]
    r = supervisor.post(f"{SALES}/{sold['id']}/void", json={"reason": "customer changed her mind"})
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["status"], got["void_reason"], got["voided_by_name"]) == (
        "voided", "customer changed her mind", "supervisor")
    assert [e["action"] for e in audit_entries(hub, seq)] == ["sale.voided"]
    assert query(hub, "SELECT * FROM sales WHERE id = ?", sold["id"]) == stored  # never edited
    assert admin.get(f"/api/v1/inventory/levels/{bread['id']}").json()["on_hand"] == 10000 - 1000
    moves = query(hub, "SELECT kind, quantity, source_type FROM stock_movements WHERE product_id = ? ORDER BY seq",
                  bread["id"])
    assert moves[-1] == ("void", 2000, "sale_void")
    conn = connect(hub.db_path)
    try:
        assert ledger.check(conn) == []
        assert [(t.method, t.currency, t.amount) for t in shift_tenders(conn, shift)] == [("cash", "USD", 150)]
        assert [(c.currency, c.count, c.total) for c in shift_sales(conn, shift)] == [("USD", 1, 150)]
    finally:
        conn.close()

    again = supervisor.post(f"{SALES}/{sold['id']}/void", json={"reason": "twice"})
    assert again.status_code == 409 and again.json()["code"] == "sale_voided"
    listed = admin.get(SALES, params={"status": "voided"}).json()["items"]
    assert [s["id"] for s in listed] == [sold["id"]]
    assert [s["id"] for s in admin.get(SALES, params={"status": "completed"}).json()["items"]] == [kept["id"]]


def test_voiding_needs_the_permission_a_reason_and_a_known_sale(hub):
    sold = Till(hub).sell()
    assert hub.as_user("cashier").post(f"{SALES}/{sold['id']}/void", json={"reason": "x"}).status_code == 403
    supervisor = hub.as_user("supervisor")
    assert supervisor.post(f"{SALES}/{sold['id']}/void", json={"reason": "   "}).status_code == 422
    assert supervisor.post(f"{SALES}/no-such-sale/void", json={"reason": "x"}).status_code == 404
    assert query(hub, "SELECT count(*) FROM sale_voids") == [(0,)]


def test_a_till_voids_its_own_sales_only(hub):
    till = Till(hub, "supervisor")
    own = till.sell()
    other = Till(hub).sell()
    r = till.http.post(f"{SALES}/{other['id']}/void", json={"reason": "wrong basket"})
    assert r.status_code == 409 and r.json()["code"] == "other_till", r.text
    assert "refund it here" in r.json()["detail"]
    assert query(hub, "SELECT count(*) FROM sale_voids") == [(0,)]
    r = till.http.post(f"{SALES}/{own['id']}/void", json={"reason": "wrong basket"})
    assert r.status_code == 200, r.text
    # a manager in the portal (no till) voids any till's sale
    r = hub.as_user("supervisor").post(f"{SALES}/{other['id']}/void", json={"reason": "wrong basket"})
    assert r.status_code == 200, r.text
