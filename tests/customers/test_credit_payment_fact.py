"""A till's `credit.payment` fact through POST /api/v1/sync/events: applied once through the API's
own function (one payment, one ledger row, one audit entry), a replay is a duplicate, a malformed
one is quarantined and never lost."""

from __future__ import annotations

from tests.people import audit_entries, query
from tests.sync.up_recipes import SyncTill


def test_a_payment_taken_at_a_till_is_applied_once(hub):
    manager = hub.as_user("manager")
    c = manager.post("/api/v1/customers", json={"name": "Synced Payer"}).json()
    till = SyncTill(hub)
    seq = audit_entries(hub)[-1]["seq"]
    event = till.event("credit.payment", {"customer_id": c["id"], "currency": "USD", "amount": 700,
                                          "method": "cash", "reference": "till slip 9"})
    got = till.upload([event])
    [result] = got["results"]
    assert result["status"] == "applied", result
    assert result["applied"]["type"] == "credit_payment" and result["applied"]["id"] == event["event_id"]
    assert [e["action"] for e in audit_entries(hub, seq)] == ["credit.payment_recorded"]
    assert query(hub, "SELECT device_id, amount FROM credit_payments WHERE customer_id = ?", c["id"]) == [
        (till.device_id, 700)]
    assert manager.get(f"/api/v1/customers/{c['id']}/account").json()["currencies"][0]["balance"] == -700
    again = till.upload([event])
    assert again["results"][0]["status"] == "duplicate"
    assert query(hub, "SELECT count(*) FROM credit_payments")[0][0] == 1


def test_a_malformed_payment_fact_is_quarantined(hub):
    till = SyncTill(hub)
    got = till.upload([till.event("credit.payment", {"customer_id": "nobody", "currency": "USD", "amount": 5,
                                                     "method": "cash"})])
    assert got["results"][0]["status"] == "quarantined"
    got = till.upload([till.event("credit.payment", {"currency": "USD"})])
    assert got["results"][0]["status"] == "quarantined"
    assert query(hub, "SELECT count(*) FROM credit_payments")[0][0] == 0
