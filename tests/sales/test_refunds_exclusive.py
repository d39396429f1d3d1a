"""In a store whose prices exclude tax, a refund gives back the lines' share with its tax, and a
price correction adds the tax to its amount: the money handed back or taken is what the customer
paid for it."""

from __future__ import annotations

import msgspec

from hub.db.connection import transaction
from hub.db.settings import put_setting
from hub.ids import new_id
from hub.sales import corrections, refunds
from hub.sales.ingest import ingest_sale
from hub.sales.schemas import CorrectionCreate, RefundCreate
from hub.sales.totals import shift_sales, shift_tenders
from tests.sales.build import NOW, cash, cashier, line, sale, till_store


def test_refunds_and_corrections_carry_tax_in_exclusive_mode(tmp_path):
    conn, ids = till_store(tmp_path / "hub.db")
    try:
        with transaction(conn):
            put_setting(conn, "pricing.tax_mode", "exclusive")
        sold_line = line(1000, 3000, tax_rate_bp=1500)  # 30.00, tax at 15% on top
        sold_line["tax_amount"] = 450
        body = sale([sold_line], [cash(3450)])
        body["total"] = 3450
        body["shift_id"] = ids["shift"]
        with transaction(conn):
            ingest_sale(conn, body, device_id=ids["till"], caller=cashier(ids))
        refund = msgspec.convert({"id": new_id(), "device_clock": NOW.isoformat(), "reason": "Returned",
                                  "shift_id": ids["shift"], "lines": [{"line_no": 0, "quantity": 1000}]},
                                 RefundCreate)
        with transaction(conn):
            refunds.refund_sale(conn, body["id"], refund, device_id=ids["till"], caller=cashier(ids),
                                unlimited=False)
        got = refunds.detail(conn, refund.id)
        assert (got["total"], got["tax_total"]) == (1150, 150)
        assert [(t["currency"], t["amount"]) for t in got["tenders"]] == [("USD", 1150)]
        charge = msgspec.convert({"id": new_id(), "kind": "charge", "device_clock": NOW.isoformat(),
                                  "reason": "Old price", "shift_id": ids["shift"],
                                  "lines": [{"line_no": 0, "amount": 200}], "tenders": [cash(230)]},
                                 CorrectionCreate)
        with transaction(conn):
            corrections.correct_sale(conn, body["id"], charge, device_id=ids["till"], caller=cashier(ids))
        got = corrections.detail(conn, charge.id)
        assert (got["total"], got["tax_total"], got["taxes"]) == (230, 30, [
            {"tax_code": "A", "tax_rate_bp": 1500, "amount": 200, "tax": 30}])
        assert [(t.currency, t.amount) for t in shift_tenders(conn, ids["shift"])] == [("USD", 3450 - 1150 + 230)]
        assert [(c.count, c.total, c.tax) for c in shift_sales(conn, ids["shift"])] == [
            (1, 3450 - 1150 + 230, 450 - 150 + 30)]
    finally:
        conn.close()
