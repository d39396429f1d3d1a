"""Sales recorded by a till land in the shift it opened through the shifts API: the X report's
expected cash per currency and tenders come from hub.sales.totals, a void takes its money back
out, and closing the shift makes later sales naming it raise closed_shift."""

from __future__ import annotations

from tests.sales.build import cash, line
from tests.sales.recipes import SALES, ZWG_RATE, Till


def test_sales_and_a_void_in_a_shift_opened_at_the_till(hub):
    till = Till(hub)
    r = till.http.post("/api/v1/shifts", json={"floats": [{"currency": "USD", "amount": 5000},
                                                          {"currency": "ZWG", "amount": 20000}]})
    assert r.status_code == 201, r.text
    shift = r.json()["id"]
    till.sell(shift_id=shift)  # USD 1.50 cash
    till.sell(till.body([line(1000, tax_rate_bp=0)], [cash(30000, "ZWG")], rates=[ZWG_RATE], shift_id=shift,
                        change=[{"currency": "USD", "amount": 132}]))
    till.sell(till.body([line(400, tax_rate_bp=0)], [{"method": "mobile_money", "provider": "EcoCash",
                                                       "reference": "MP26", "currency": "USD", "amount": 400}],
                        shift_id=shift))
    voided = till.sell(shift_id=shift)
    manager = hub.as_user("manager")
    assert manager.post(f"{SALES}/{voided['id']}/void", json={"reason": "rung twice"}).status_code == 200
    report = manager.get(f"/api/v1/shifts/{shift}/x-report")
    assert report.status_code == 200, report.text
    cash_lines = {c["currency"]: (c["cash_sales"], c["expected"]) for c in report.json()["cash"]}
    assert cash_lines == {"USD": (150 - 132, 5000 + 150 - 132), "ZWG": (30000, 20000 + 30000)}
    tenders = {(t["method"], t["provider"], t["currency"]): t["amount"] for t in report.json()["tenders"]}
    assert tenders == {("cash", "", "USD"): 18, ("cash", "", "ZWG"): 30000, ("mobile_money", "EcoCash", "USD"): 400}
    assert {s["currency"]: (s["count"], s["total"]) for s in report.json()["sales"]} == {"USD": (3, 150 + 1000 + 400)}

    closed = manager.post(f"/api/v1/shifts/{shift}/close", json={"counted": [
        {"currency": "USD", "amount": 5018}, {"currency": "ZWG", "amount": 50000}]})
    assert closed.status_code == 200, closed.text
    late = till.sell(shift_id=shift)  # rung before the close, uploaded after it
    assert "closed_shift" in [e["kind"] for e in late["exceptions"]]
