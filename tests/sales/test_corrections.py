"""Price corrections: an extra charge or a credit after the sale, made at a till with its own
tenders and a reason, per line or whole sale; a new document that moves money and no stock,
counted in the shift it names, idempotent by the till's id, with its amounts per tax rate."""

from __future__ import annotations

import datetime as dt

from hub.db.connection import connect
from hub.ids import new_id
from hub.sales.totals import shift_sales, shift_tenders
from tests.people import audit_entries, query
from tests.sales.build import cash, line
from tests.sales.recipes import SALES, ZWG_RATE, Till


def correction_body(kind: str, lines: list[dict], tenders: list[dict], **extra) -> dict:
    return {"id": new_id(), "kind": kind, "device_clock": dt.datetime.now(dt.timezone.utc).isoformat(),
            "reason": "Charged the old price", "lines": lines, "tenders": tenders, **extra}


def totals(hub, shift_id: str):
    conn = connect(hub.db_path)
    try:
        return ([(t.method, t.currency, t.amount) for t in shift_tenders(conn, shift_id)],
                [(c.currency, c.count, c.total, c.tax) for c in shift_sales(conn, shift_id)])
    finally:
        conn.close()


def test_a_charge_and_a_credit_move_money_in_their_shift_and_no_stock(hub):
    cashier = Till(hub)
    first = cashier.shift("closed")
    sold = cashier.sell(lines=[line(1150, 1000, tax_rate_bp=1550), line(300, 1000, tax_rate_bp=0)],
                        shift_id=first)
    stored = query(hub, "SELECT * FROM sales WHERE id = ?", sold["id"])
    moves = query(hub, "SELECT count(*) FROM stock_movements")
    manager = Till(hub, "manager")
    shift = manager.shift()
    url = f"{SALES}/{sold['id']}/corrections"
    seq = audit_entries(hub)[-1]["seq"]
    charge = manager.http.post(url, json=correction_body(
        "charge", [{"line_no": 0, "amount": 115}, {"amount": 50, "tax_code": "C", "description": "Bag"}],
        [cash(165)], shift_id=shift))
    assert charge.status_code == 201, charge.text
    got = charge.json()
    assert (got["kind"], got["total"], got["tax_total"], got["currency"], got["invoice_number"]) == (
        "charge", 165, 15, "USD", sold["invoice_number"])
    assert [(ln["sale_line_no"], ln["tax_code"], ln["tax_rate_bp"], ln["amount"], ln["tax_amount"])
            for ln in got["lines"]] == [(0, "A", 1550, 115, 15), (None, "C", 0, 50, 0)]
    assert got["taxes"] == [{"tax_code": "A", "tax_rate_bp": 1550, "amount": 115, "tax": 15},
                            {"tax_code": "C", "tax_rate_bp": 0, "amount": 50, "tax": 0}]
    assert [e["action"] for e in audit_entries(hub, seq)] == ["sale.corrected"]
    # paid partly in ZWG at the till's rate: ZWG 26.50 is USD 1.00
    credit = manager.http.post(url, json=correction_body(
        "credit", [{"line_no": 1, "amount": 100}], [cash(2650, "ZWG")], rates=[ZWG_RATE], shift_id=shift))
    assert credit.status_code == 201, credit.text
    assert [(t["currency"], t["amount"], t["amount_receipt"]) for t in credit.json()["tenders"]] == [
        ("ZWG", 2650, 100)]

    assert query(hub, "SELECT * FROM sales WHERE id = ?", sold["id"]) == stored  # never edited
    assert query(hub, "SELECT count(*) FROM stock_movements") == moves  # no stock moved
    assert totals(hub, shift) == ([("cash", "USD", 165), ("cash", "ZWG", -2650)], [("USD", 0, 65, 15)])
    assert totals(hub, first) == ([("cash", "USD", 1450)], [("USD", 1, 1450, sold["tax_total"])])
    detail = hub.as_user("manager").get(f"{SALES}/{sold['id']}").json()
    assert [(c["kind"], c["total"]) for c in detail["corrections"]] == [("charge", 165), ("credit", 100)]
    # the X report of the shift the correction was made in moves with it
    cash_lines = {c["currency"]: c for c in hub.as_user("manager").get(
        f"/api/v1/shifts/{shift}/x-report").json()["cash"]}
    assert cash_lines["USD"]["cash_sales"] == 165 and cash_lines["ZWG"]["cash_sales"] == -2650
    void = hub.as_user("manager").post(f"{SALES}/{sold['id']}/void", json={"reason": "x"})
    assert void.status_code == 409 and void.json()["code"] == "sale_refunded"


def test_corrections_are_refused_when_malformed_on_a_voided_sale_without_permission_or_away_from_a_till(hub):
    sold = Till(hub).sell()
    manager = Till(hub, "manager")
    url = f"{SALES}/{sold['id']}/corrections"
    r = manager.http.post(url, json=correction_body(
        "charge", [{"line_no": 7, "amount": 10}, {"line_no": 0, "amount": 10, "tax_rate_bp": 900}], [cash(5)]))
    assert r.status_code == 422, r.text
    assert {e["field"] for e in r.json()["errors"]} == {"lines[0].line_no", "lines[1].tax_rate_bp"}
    r = manager.http.post(url, json=correction_body("charge", [{"amount": 10}], [cash(9)]))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "tenders", r.text
    r = manager.http.post(url, json=correction_body("charge", [{"amount": 10}], [cash(100, "ZWG")]))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "tenders[0].currency"
    assert Till(hub, "supervisor").http.post(url, json=correction_body(
        "charge", [{"amount": 10}], [cash(10)])).status_code == 403
    away = hub.as_user("manager").post(url, json=correction_body("charge", [{"amount": 10}], [cash(10)]))
    assert away.status_code == 422 and away.json()["code"] == "till_required"
    assert hub.as_user("manager").post(f"{SALES}/{sold['id']}/void", json={"reason": "Twice"}).status_code == 200
    r = manager.http.post(url, json=correction_body("charge", [{"amount": 10}], [cash(10)]))
    assert r.status_code == 409 and r.json()["code"] == "not_correctable"
    assert query(hub, "SELECT count(*) FROM sale_corrections") == [(0,)]


def test_the_same_correction_again_is_the_same_and_another_body_under_its_id_is_refused(hub):
    sold = Till(hub).sell()
    manager = Till(hub, "manager")
    url = f"{SALES}/{sold['id']}/corrections"
    body = correction_body("charge", [{"amount": 10}], [cash(10)])
    first = manager.http.post(url, json=body)
    assert first.status_code == 201, first.text
    seq = audit_entries(hub)[-1]["seq"]
    again = manager.http.post(url, json=body)
    assert again.status_code == 200 and again.json() == first.json()
    other = manager.http.post(url, json={**body, "kind": "credit"})
    assert other.status_code == 409 and other.json()["code"] == "correction_id_reused"
    assert audit_entries(hub, seq) == []
    assert query(hub, "SELECT count(*) FROM sale_corrections") == [(1,)]
