"""Every built-in fact type through one upload, applied by the function the online API calls:
a shift opened with the till's own id, its sales, a cash movement, a void, a refund, a price
correction, a stock count, an adjustment document, the loss-prevention records, the shift's close;
then the whole queue again changes nothing and the ledger is clean."""

from __future__ import annotations

from hub.db.connection import connect
from hub.ids import new_id
from hub.inventory import ledger
from tests.inventory.recipes import stocked_product
from tests.inventory.stocktake_recipes import session
from tests.people import People, query
from tests.sales.build import line
from tests.sales.refunding import correction_body, refund_body
from tests.sync.up_recipes import SyncTill, user_id


def test_every_built_in_type_applies_once_through_its_online_function(hub):
    people = People(hub)
    product = stocked_product(people, quantity=20_000)
    sku = people.root.get(f"/api/v1/products/{product}").json()["sku"]
    take = session(people, "open")
    till = SyncTill(hub)
    supervisor, manager = user_id(hub, "supervisor"), user_id(hub, "manager")
    shift = new_id()
    sold = till.sale_payload([line(150, 2000, product_id=product, tax_rate_bp=0)], shift_id=shift)
    voided = till.sale_payload(shift_id=shift)
    clock = till.clock.isoformat()
    events = [
        till.event("shift.open", {"id": shift, "floats": [{"currency": "USD", "amount": 2000}]}),
        till.event("sale", sold),
        till.event("sale", voided),
        till.event("cash.movement", {"shift_id": shift, "kind": "pay_out", "currency": "USD", "amount": 100,
                                     "reason_code": "expenses"}),
        till.event("void", {"sale_id": voided["id"], "reason": "Rung up twice", "shift_id": shift},
                   user=supervisor),
        till.event("refund", {"sale_id": sold["id"], **refund_body(shift_id=shift)}, user=supervisor),
        till.event("correction", {"sale_id": sold["id"], **correction_body(shift_id=shift)}, user=manager),
        till.event("stock.count", {"document_id": new_id(), "kind": "count", "device_clock": clock,
                                   "stock_take_id": take, "lines": [{"code": sku, "quantity": 17_000}]},
                   user=supervisor),
        till.event("inventory.document", {"document_id": new_id(), "kind": "adjustment", "device_clock": clock,
                                          "reason_code": "damaged", "lines": [{"product_id": product,
                                                                               "quantity": -1000}]}),
        till.event("lp.line_deleted", {"shift_id": shift, "sale_id": sold["id"], "product_id": product,
                                        "name": "Bread", "quantity": 1000, "currency": "USD", "amount": 150}),
        till.event("lp.basket_cancelled", {"shift_id": shift, "lines": 3, "currency": "USD", "amount": 900,
                                           "approved_by": supervisor, "reason": "Customer left"}),
        till.event("lp.price_override", {"product_id": product, "name": "Bread", "price_before": 150,
                                         "price_after": 120, "approved_by": supervisor}),
        till.event("lp.manual_discount", {"currency": "USD", "amount": 50, "approved_by": supervisor}),
        till.event("lp.no_sale", {"shift_id": shift, "reason": "Change"}),
        till.event("lp.reprint", {"document": sold["id"]}),
        till.event("shift.close", {"shift_id": shift, "counted": [{"currency": "USD", "amount": 2000}]}),
    ]
    got = till.upload(events)
    statuses = {r["device_seq"]: (r["status"], r["reason"], r["applied"]) for r in got["results"]}
    assert all(s[0] == "applied" for s in statuses.values()), statuses
    applied = {e["type"]: statuses[e["device_seq"]][2]["type"] for e in events}
    assert applied["shift.open"] == "shift" and applied["void"] == "sale_void"
    assert applied["refund"] == "sale_refund" and applied["correction"] == "sale_correction"
    assert applied["cash.movement"] == "cash_movement" and applied["lp.no_sale"] == "lp_event"
    assert applied["stock.count"] in ("stock_take", "unapplied_document")
    assert applied["inventory.document"] in ("adjustment", "unapplied_document")
    assert query(hub, "SELECT status FROM shifts WHERE id = ?", shift) == [("closed",)]
    assert query(hub, "SELECT count(*) FROM sale_voids WHERE sale_id = ?", voided["id"]) == [(1,)]
    assert query(hub, "SELECT count(*) FROM sale_refunds WHERE sale_id = ?", sold["id"]) == [(1,)]
    assert query(hub, "SELECT count(*) FROM sale_corrections WHERE sale_id = ?", sold["id"]) == [(1,)]
    assert query(hub, "SELECT count(*) FROM cash_movements WHERE shift_id = ?", shift) == [(1,)]
    lp = query(hub, "SELECT kind, cashier_id, supervisor_name FROM till_lp_events WHERE device_id = ?"
                    " ORDER BY device_seq", till.device_id)
    assert [r[0] for r in lp] == ["line_deleted", "basket_cancelled", "price_override", "manual_discount",
                                  "no_sale", "reprint"]
    assert lp[1][1:] == (till.user_id, "supervisor")
    again = till.upload(events)
    assert {r["status"] for r in again["results"]} == {"duplicate"}
    assert query(hub, "SELECT count(*) FROM till_lp_events WHERE device_id = ?", till.device_id) == [(6,)]
    with connect(hub.db_path) as conn:
        assert ledger.check(conn) == []


def test_a_loss_prevention_record_missing_what_its_kind_needs_is_quarantined(hub):
    till = SyncTill(hub)
    got = till.upload([till.event("lp.price_override", {"name": "Bread"})])
    assert got["results"][0]["reason"] == "malformed"
