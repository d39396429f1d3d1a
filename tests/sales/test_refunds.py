"""Refunds and returns: a new document made at a till against a sale (the sale is never edited),
partial lines up to what is left, restock or write-off through the ledger, money back to the
sale's tenders at its recorded rates or as store credit, the refund limit by permission,
idempotent by the till's id, and counted in the shift open at the till when it happened."""

from __future__ import annotations

import datetime as dt

from hub.db.audit import Actor
from hub.db.connection import connect
from hub.ids import new_id
from hub.inventory import Source, ledger, move
from hub.sales.totals import shift_sales, shift_tenders
from tests.catalogue.fixtures import admin, create, ids, writing  # noqa: F401
from tests.people import audit_entries, query
from tests.sales.build import cash, line
from tests.sales.recipes import SALES, ZWG_RATE, Till

NOW = dt.datetime.now(dt.timezone.utc)


def refund_body(lines: list[dict], **extra) -> dict:
    return {"id": new_id(), "device_clock": NOW.isoformat(), "reason": "Customer brought it back",
            "lines": lines, **extra}


def receive(hub, product_id: str, quantity: int = 10000) -> None:
    with writing(hub.db_path) as conn:
        move(conn, kind="receipt", product_id=product_id, quantity=quantity, unit_cost=100,
             occurred_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1), actor=Actor.system("test"),
             source=Source("goods_receipt", new_id(), 0))


def check_ledger(hub) -> None:
    conn = connect(hub.db_path)
    try:
        assert ledger.check(conn) == []
    finally:
        conn.close()


def totals(hub, shift_id: str):
    conn = connect(hub.db_path)
    try:
        return ([(t.method, t.currency, t.amount) for t in shift_tenders(conn, shift_id)],
                [(c.currency, c.count, c.total, c.tax) for c in shift_sales(conn, shift_id)])
    finally:
        conn.close()


def test_partial_refunds_across_two_documents_up_to_the_line_and_refused_beyond(hub, admin, ids):
    bread = create(admin, ids, prices={"USD": 150})
    milk = create(admin, ids, prices={"USD": 99})
    receive(hub, bread["id"])
    receive(hub, milk["id"])
    cashier = Till(hub)
    shift = cashier.shift()
    sold = cashier.sell(lines=[line(150, 3000, product_id=bread["id"], tax_rate_bp=0),
                               line(99, 1000, product_id=milk["id"], tax_rate_bp=1550)], shift_id=shift)
    stored = query(hub, "SELECT * FROM sales WHERE id = ?", sold["id"])
    till = Till(hub, "supervisor")
    url = f"{SALES}/{sold['id']}/refunds"
    seq = audit_entries(hub)[-1]["seq"]

    first = till.http.post(url, json=refund_body([{"line_no": 0, "quantity": 1000}], shift_id=shift))
    assert first.status_code == 201, first.text
    got = first.json()
    assert (got["total"], got["currency"], got["refund_to"], got["invoice_number"]) == (
        150, "USD", "original", sold["invoice_number"])
    assert [(t["method"], t["currency"], t["amount"], t["sale_tender_seq"]) for t in got["tenders"]] == [
        ("cash", "USD", 150, 0)]
    assert [e["action"] for e in audit_entries(hub, seq)] == ["sale.refunded"]

    second = till.http.post(url, json=refund_body([{"line_no": 0, "quantity": 2000, "restock": False,
                                                    "write_off_reason": "Squashed"},
                                                   {"line_no": 1, "quantity": 1000}], shift_id=shift))
    assert second.status_code == 201, second.text
    assert second.json()["total"] == 300 + 99 and second.json()["tax_total"] == 13

    beyond = till.http.post(url, json=refund_body([{"line_no": 0, "quantity": 1}], shift_id=shift))
    assert beyond.status_code == 409 and beyond.json()["code"] == "not_refundable", beyond.text
    assert "0 still refundable" in beyond.json()["detail"]
    assert beyond.json()["lines"] == [{"line_no": 0, "name": "Item", "asked": 1, "refundable": 0}]
    assert query(hub, "SELECT count(*) FROM sale_refunds") == [(2,)]

    assert query(hub, "SELECT * FROM sales WHERE id = ?", sold["id"]) == stored  # never edited
    detail = admin.get(f"{SALES}/{sold['id']}").json()
    assert [(ln["refunded"], ln["refundable"]) for ln in detail["lines"]] == [(3000, 0), (1000, 0)]
    assert [r["total"] for r in detail["refunds"]] == [150, 399]
    assert [ln["restock"] for ln in detail["refunds"][1]["lines"]] == [False, True]
    assert detail["refunds"][1]["lines"][0]["write_off_reason"] == "Squashed"

    # restocked: one bread and the milk came back; written off: two breads did not
    assert admin.get(f"/api/v1/inventory/levels/{bread['id']}").json()["on_hand"] == 10000 - 3000 + 1000
    assert admin.get(f"/api/v1/inventory/levels/{milk['id']}").json()["on_hand"] == 10000
    moves = query(hub, "SELECT product_id, kind, quantity, source_type FROM stock_movements"
                       " WHERE source_type = 'sale_refund' ORDER BY seq")
    assert moves == [(bread["id"], "refund", 1000, "sale_refund"), (milk["id"], "refund", 1000, "sale_refund")]
    check_ledger(hub)
    # the whole sale went back out of its shift
    assert totals(hub, shift) == ([("cash", "USD", 0)], [("USD", 1, 0, 0)])
    # a refunded sale is not voided afterwards (its money and stock would come back twice)
    void = hub.as_user("supervisor").post(f"{SALES}/{sold['id']}/void", json={"reason": "x"})
    assert void.status_code == 409 and void.json()["code"] == "sale_refunded"


def test_bad_lines_a_voided_sale_and_a_sign_in_away_from_a_till_are_refused(hub):
    cashier = Till(hub)
    sold = cashier.sell()
    till = Till(hub, "supervisor")
    url = f"{SALES}/{sold['id']}/refunds"
    r = till.http.post(url, json=refund_body([{"line_no": 3, "quantity": 1000},
                                              {"line_no": 0, "quantity": 1000, "restock": False}]))
    assert r.status_code == 422, r.text
    assert {e["field"] for e in r.json()["errors"]} == {"lines[0].line_no", "lines[1].write_off_reason"}
    away = hub.as_user("supervisor").post(url, json=refund_body([{"line_no": 0, "quantity": 1000}]))
    assert away.status_code == 422 and away.json()["code"] == "till_required"
    assert cashier.http.post(url, json=refund_body([{"line_no": 0, "quantity": 1000}])).status_code == 403
    assert till.http.post(f"{SALES}/nothing/refunds",
                          json=refund_body([{"line_no": 0, "quantity": 1000}])).status_code == 404
    assert hub.as_user("supervisor").post(f"{SALES}/{sold['id']}/void", json={"reason": "Twice"}).status_code == 200
    voided = till.http.post(url, json=refund_body([{"line_no": 0, "quantity": 1000}]))
    assert voided.status_code == 409 and voided.json()["code"] == "not_refundable"
    assert "voided" in voided.json()["detail"]
    assert query(hub, "SELECT count(*) FROM sale_refunds") == [(0,)]


def test_the_same_refund_again_is_the_same_and_another_body_under_its_id_is_refused(hub):
    sold = Till(hub).sell(lines=[line(150, 2000, tax_rate_bp=0)])
    till = Till(hub, "supervisor")
    url = f"{SALES}/{sold['id']}/refunds"
    body = refund_body([{"line_no": 0, "quantity": 1000}])
    first = till.http.post(url, json=body)
    assert first.status_code == 201, first.text
    seq = audit_entries(hub)[-1]["seq"]
    again = till.http.post(url, json=body)
    assert again.status_code == 200 and again.json() == first.json()
    other = till.http.post(url, json={**body, "lines": [{"line_no": 0, "quantity": 500}]})
    assert other.status_code == 409 and other.json()["code"] == "refund_id_reused"
    assert audit_entries(hub, seq) == []
    assert query(hub, "SELECT count(*) FROM sale_refunds") == [(1,)]


def test_the_refund_limit_needs_the_unlimited_permission_above_it(hub):
    root = hub.as_user("admin")
    r = root.put("/api/v1/settings/refunds", json={"limits": {"USD": 200}})
    assert r.status_code == 200 and r.json() == {"limits": {"USD": 200}}
    assert root.put("/api/v1/settings/refunds", json={"limits": {"XYZ": 1}}).status_code == 422
    assert hub.as_user("supervisor").get("/api/v1/settings/refunds").json() == {"limits": {"USD": 200}}
    sold = Till(hub).sell(lines=[line(150, 2000, tax_rate_bp=0)])
    url = f"{SALES}/{sold['id']}/refunds"
    supervisor = Till(hub, "supervisor")
    r = supervisor.http.post(url, json=refund_body([{"line_no": 0, "quantity": 2000}]))
    assert r.status_code == 403 and r.json()["code"] == "refund_limit", r.text
    assert "USD 2.00" in r.json()["detail"] and "sales.refund_unlimited" in r.json()["detail"]
    r = supervisor.http.post(url, json=refund_body([{"line_no": 0, "quantity": 1000}]))
    assert r.status_code == 201, r.text  # USD 1.50 is within the limit
    manager = Till(hub, "manager")
    r = manager.http.post(url, json=refund_body([{"line_no": 0, "quantity": 1000}], refund_to="store_credit"))
    assert r.status_code == 201, r.text
    assert [(t["method"], t["currency"], t["amount"], t["sale_tender_seq"]) for t in r.json()["tenders"]] == [
        ("store_credit", "USD", 150, None)]


def test_a_usd_sale_paid_in_zwg_cash_is_refunded_in_zwg_at_the_sales_rate(hub):
    till = Till(hub)
    shift = till.shift()
    # USD 3.00 paid with ZWG 100.00 (USD 3.77 at 26.50), USD 0.77 change: the ZWG cash paid 3.00 net
    body = till.body([line(150, 2000, tax_rate_bp=0)], [cash(10000, "ZWG")], rates=[ZWG_RATE], shift_id=shift,
                     change=[{"currency": "USD", "amount": 77}])
    sold = till.sell(body)
    refunding = Till(hub, "supervisor")
    url = f"{SALES}/{sold['id']}/refunds"
    half = refunding.http.post(url, json=refund_body([{"line_no": 0, "quantity": 1000}], shift_id=shift))
    assert half.status_code == 201, half.text
    assert [(t["method"], t["currency"], t["amount"], t["amount_receipt"], t["rate"]) for t in half.json()[
        "tenders"]] == [("cash", "ZWG", 3975, 150, 26_500_000)]  # USD 1.50 x 26.50
    rest = refunding.http.post(url, json=refund_body([{"line_no": 0, "quantity": 1000}], shift_id=shift))
    assert [(t["currency"], t["amount"]) for t in rest.json()["tenders"]] == [("ZWG", 3975)]
    # the shift gave back ZWG 79.50 of the ZWG 100.00 it took; its USD drawer still paid out the change
    assert totals(hub, shift)[0] == [("cash", "USD", -77), ("cash", "ZWG", 10000 - 7950)]


def test_cash_goes_back_in_coins_the_drawer_holds_and_a_whole_tender_still_adds_up(hub):
    r = hub.as_user("admin").patch("/api/v1/currencies/ZWG", json={"cash_rounding": 10})  # ZiG 0.10
    assert r.status_code == 200, r.text
    till = Till(hub)
    shift = till.shift()
    body = till.body([line(150, 2000, tax_rate_bp=0)], [cash(10000, "ZWG")], rates=[ZWG_RATE], shift_id=shift,
                     change=[{"currency": "USD", "amount": 77}])
    sold = till.sell(body)
    refunding = Till(hub, "supervisor")
    url = f"{SALES}/{sold['id']}/refunds"
    half = refunding.http.post(url, json=refund_body([{"line_no": 0, "quantity": 1000}], shift_id=shift))
    assert half.status_code == 201, half.text
    # USD 1.50 at 26.50 is ZWG 39.75: handed back as 39.80, the document still says USD 1.50
    assert [(t["currency"], t["amount"], t["amount_receipt"]) for t in half.json()["tenders"]] == [
        ("ZWG", 3980, 150)]
    assert half.json()["total"] == 150
    rest = refunding.http.post(url, json=refund_body([{"line_no": 0, "quantity": 1000}], shift_id=shift))
    assert [(t["currency"], t["amount"]) for t in rest.json()["tenders"]] == [("ZWG", 3970)]
    assert totals(hub, shift)[0] == [("cash", "USD", -77), ("cash", "ZWG", 10000 - 7950)]


def test_a_refund_in_a_later_shift_moves_that_shifts_expected_cash(hub):
    till = Till(hub)
    earlier = till.shift("closed")
    sold = till.sell(lines=[line(500, 1000, tax_rate_bp=0)], shift_id=earlier)
    refunding = Till(hub, "supervisor")
    later = refunding.shift()  # the shift open at the till the refund is made at
    supervisor = hub.as_user("supervisor")
    before = supervisor.get(f"/api/v1/shifts/{later}/x-report")
    assert before.status_code == 200, before.text
    usd = [c for c in before.json()["cash"] if c["currency"] == "USD"]
    r = refunding.http.post(f"{SALES}/{sold['id']}/refunds",
                            json=refund_body([{"line_no": 0, "quantity": 1000}], shift_id=later))
    assert r.status_code == 201, r.text
    after = supervisor.get(f"/api/v1/shifts/{later}/x-report").json()
    [usd_after] = [c for c in after["cash"] if c["currency"] == "USD"]
    assert usd_after["cash_sales"] == (usd[0]["cash_sales"] if usd else 0) - 500
    assert usd_after["expected"] == (usd[0]["expected"] if usd else 0) - 500
    assert totals(hub, earlier) == ([("cash", "USD", 500)], [("USD", 1, 500, 0)])  # the sale's shift keeps it
    assert totals(hub, later) == ([("cash", "USD", -500)], [("USD", 0, -500, 0)])
    # a refund naming a closed shift, or none, is accepted and raises the exception a sale would
    closed = refunding.shift("closed")
    for shift_id, kind in ((closed, "closed_shift"), (None, "unknown_shift")):
        sold2 = till.sell(lines=[line(100, 1000, tax_rate_bp=0)], shift_id=earlier)
        r = refunding.http.post(f"{SALES}/{sold2['id']}/refunds",
                                json=refund_body([{"line_no": 0, "quantity": 1000}], shift_id=shift_id))
        assert r.status_code == 201, r.text
        assert query(hub, "SELECT kind, subject_type, sale_id FROM exceptions WHERE subject_id = ?",
                     r.json()["id"]) == [(kind, "refund", sold2["id"])]


def test_a_scanned_receipt_number_finds_its_sale(hub):
    sold = Till(hub).sell()
    found = hub.as_user("supervisor").get(SALES, params={"number": f" {sold['invoice_number'].lower()}\n"})
    assert [s["id"] for s in found.json()["items"]] == [sold["id"]]
