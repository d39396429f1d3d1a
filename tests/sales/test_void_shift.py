"""A void's money leaves the shift it happened in: the shift open at the till that voids it
(the till sends it), else the sale's own shift (a manager's void from the portal names none)."""

from __future__ import annotations

from hub.db.connection import connect
from hub.sales.totals import shift_sales, shift_tenders
from tests.people import audit_entries, query
from tests.sales.build import cash, line
from tests.sales.recipes import SALES, ZWG_RATE, Till


def totals(hub, shift_id: str):
    conn = connect(hub.db_path)
    try:
        return ([(t.method, t.currency, t.amount) for t in shift_tenders(conn, shift_id)],
                [(c.currency, c.count, c.total, c.tax) for c in shift_sales(conn, shift_id)])
    finally:
        conn.close()


def test_a_void_at_a_till_leaves_the_shift_open_there_and_not_the_sales(hub):
    till = Till(hub)
    earlier = till.shift("closed")
    body = till.body([line(150, 2000, tax_rate_bp=0)], [cash(10000, "ZWG")], rates=[ZWG_RATE], shift_id=earlier,
                     change=[{"currency": "USD", "amount": 77}])
    sold = till.sell(body)
    voiding = till.signed_in("supervisor")  # a supervisor at the same till, in a later shift
    later = voiding.shift()
    before = {c["currency"]: c for c in hub.as_user("supervisor").get(
        f"/api/v1/shifts/{later}/x-report").json()["cash"]}
    seq = audit_entries(hub)[-1]["seq"]
    r = voiding.http.post(f"{SALES}/{sold['id']}/void", json={"reason": "Rung up twice", "shift_id": later})
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["void_shift_id"]) == ("voided", later)
    assert [e["action"] for e in audit_entries(hub, seq)] == ["sale.voided"]
    # the sale's closed shift keeps what its drawer took; the void's shift paid it back out
    assert totals(hub, earlier) == ([("cash", "USD", -77), ("cash", "ZWG", 10000)], [("USD", 0, 300, 0)])
    assert totals(hub, later) == ([("cash", "USD", 77), ("cash", "ZWG", -10000)], [("USD", 0, -300, 0)])
    after = {c["currency"]: c for c in hub.as_user("supervisor").get(
        f"/api/v1/shifts/{later}/x-report").json()["cash"]}
    assert after["ZWG"]["expected"] == before.get("ZWG", {"expected": 0})["expected"] - 10000
    assert after["USD"]["expected"] == before.get("USD", {"expected": 0})["expected"] + 77


def test_a_void_naming_no_shift_leaves_the_sales_own_and_a_closed_one_raises_an_exception(hub):
    till = Till(hub)
    shift = till.shift()
    kept = till.sell(lines=[line(200, 1000, tax_rate_bp=0)], shift_id=shift)
    sold = till.sell(lines=[line(150, 1000, tax_rate_bp=0)], shift_id=shift)
    r = hub.as_user("supervisor").post(f"{SALES}/{sold['id']}/void", json={"reason": "From the portal"})
    assert r.status_code == 200 and r.json()["void_shift_id"] == shift
    assert totals(hub, shift) == ([("cash", "USD", 200)], [("USD", 1, 200, 0)])
    voiding = till.signed_in("supervisor")
    closed = voiding.shift("closed")
    r = voiding.http.post(f"{SALES}/{kept['id']}/void", json={"reason": "Late", "shift_id": closed})
    assert r.status_code == 200, r.text
    assert query(hub, "SELECT kind, subject_type, sale_id FROM exceptions WHERE subject_id = ?",
                 r.json()["void_id"]) == [("closed_shift", "void", kept["id"])]
    assert totals(hub, shift) == ([("cash", "USD", 200 + 150 - 150)], [("USD", 0, 200, 0)])
    assert totals(hub, closed) == ([("cash", "USD", -200)], [("USD", 0, -200, 0)])
