"""Quarantine through the real hub: a revoked till's uploads are kept, a manager accepts one
(applied through the same dispatch) or rejects it with a reason; both audited."""

from __future__ import annotations

from tests.people import audit_entries, query
from tests.sync.up_recipes import QUARANTINE, SyncTill, revoked_till


def test_a_revoked_till_still_uploads_and_its_facts_wait_in_quarantine(hub):
    till = revoked_till(hub)
    sale = till.sale_payload()
    got = till.upload([till.event("sale", sale)])
    [result] = got["results"]
    assert (result["status"], result["reason"]) == ("quarantined", "device_revoked")
    assert got["acked_through"] == 1
    assert query(hub, "SELECT count(*) FROM sales WHERE id = ?", sale["id"]) == [(0,)]
    assert [e["kind"] for e in result["exceptions"]] == ["fact_quarantined"]
    # the same revoked till is still refused where a live till's token is needed
    r = till.http.get("/api/v1/products/lookup?barcode=6001234567890")
    assert r.status_code == 401 and r.json()["code"] == "device_revoked"


def test_a_manager_accepts_a_quarantined_sale_and_it_is_recorded_once(hub):
    till = revoked_till(hub)
    sale = till.sale_payload()
    quarantine_id = till.upload([till.event("sale", sale)])["results"][0]["quarantine_id"]
    manager = hub.as_user("manager")
    listed = manager.get(QUARANTINE, params={"status": "pending"}).json()["items"]
    assert quarantine_id in [q["id"] for q in listed]
    seq = audit_entries(hub)[-1]["seq"]
    r = manager.post(f"{QUARANTINE}/{quarantine_id}/accept", json={"note": "Sold before the till was revoked"})
    assert r.status_code == 200, r.text
    fact = r.json()
    assert (fact["status"], fact["applied_type"], fact["applied_id"]) == ("accepted", "sale", sale["id"])
    assert [e["action"] for e in audit_entries(hub, seq)] == ["sale.recorded", "sync.fact_accepted"]
    cashier = query(hub, "SELECT cashier_id FROM sales WHERE id = ?", sale["id"])
    assert cashier == [(till.user_id,)]  # the till's cashier stays its maker
    assert query(hub, "SELECT status FROM exceptions WHERE id = ?", fact["exception_id"]) == [("resolved",)]
    again = manager.post(f"{QUARANTINE}/{quarantine_id}/accept", json={})
    assert again.status_code == 409 and again.json()["code"] == "quarantine_state"
    # the till uploading it again changes nothing
    assert till.upload([till.event("sale", sale, seq=2)])["results"][0]["status"] in ("quarantined", "duplicate")
    assert query(hub, "SELECT count(*) FROM sales WHERE id = ?", sale["id"]) == [(1,)]


def test_a_rejection_needs_a_reason_and_is_audited(hub):
    till = revoked_till(hub)
    quarantine_id = till.upload([till.event("lp.no_sale", {})])["results"][0]["quarantine_id"]
    manager = hub.as_user("manager")
    r = manager.post(f"{QUARANTINE}/{quarantine_id}/reject", json={"note": " "})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "note"
    seq = audit_entries(hub)[-1]["seq"]
    r = manager.post(f"{QUARANTINE}/{quarantine_id}/reject", json={"note": "Test drawer opening"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert [e["action"] for e in audit_entries(hub, seq)] == ["sync.fact_rejected"]
    assert query(hub, "SELECT count(*) FROM till_lp_events WHERE device_id = ?", till.device_id) == [(0,)]


def test_accepting_a_fact_that_still_cannot_apply_changes_nothing(hub):
    till = SyncTill(hub)
    quarantine_id = till.upload([till.event("void", {"sale_id": "no-such-sale", "reason": "x"})]
                                )["results"][0]["quarantine_id"]  # the cashier may not void
    r = hub.as_user("manager").post(f"{QUARANTINE}/{quarantine_id}/accept", json={})
    assert r.status_code == 409 and r.json()["code"] == "fact_refused"
    assert query(hub, "SELECT status FROM sync_quarantine WHERE id = ?", quarantine_id) == [("pending",)]


def test_a_cashier_cannot_decide_quarantined_facts(hub):
    till = revoked_till(hub)
    quarantine_id = till.upload([till.event("lp.no_sale", {})])["results"][0]["quarantine_id"]
    r = hub.as_user("cashier").post(f"{QUARANTINE}/{quarantine_id}/accept", json={})
    assert r.status_code == 403
