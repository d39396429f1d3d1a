"""POST /api/v1/sync/events through the real hub: applied, duplicate, gap, conflict, malformed."""

from __future__ import annotations

from hub.db.connection import connect
from hub.inventory import ledger
from tests.people import audit_entries, query
from tests.sync.up_recipes import EVENTS, SyncTill, user_id


def test_a_batch_of_sales_is_applied_and_acked_with_the_exceptions_it_raised(hub):
    till = SyncTill(hub)
    events = [till.event("sale", till.sale_payload()) for _ in range(3)]
    got = till.upload(events)
    assert got["acked_through"] == 3 and got["hub_time"]
    assert [r["status"] for r in got["results"]] == ["applied"] * 3
    first = got["results"][0]
    assert first["applied"] == {"type": "sale", "id": events[0]["payload"]["id"]}
    assert {e["kind"] for e in first["exceptions"]} == {"unknown_product", "unknown_shift"}
    assert query(hub, "SELECT count(*) FROM sales WHERE device_id = ?", till.device_id)[0][0] == 3
    cashier = query(hub, "SELECT DISTINCT cashier_id FROM sales WHERE device_id = ?", till.device_id)
    assert cashier == [(till.user_id,)]


def test_a_duplicated_batch_changes_nothing_and_is_acked_again(hub):
    till = SyncTill(hub)
    events = [till.event("sale", till.sale_payload()) for _ in range(2)]
    till.upload(events)
    before = len(audit_entries(hub))
    again = till.upload(events)
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]
    assert again["acked_through"] == 2
    assert len(audit_entries(hub)) == before
    assert query(hub, "SELECT count(*) FROM sales WHERE device_id = ?", till.device_id)[0][0] == 2


def test_a_batch_past_the_next_seq_is_a_gap_naming_where_to_resend_from(hub):
    till = SyncTill(hub)
    till.upload([till.event("sale", till.sale_payload())])
    till.seq = 4
    r = till.send([till.event("sale", till.sale_payload())])
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "sequence_gap" and r.json()["resend_from"] == 2 and r.json()["hub_time"]
    assert query(hub, "SELECT count(*) FROM sales WHERE device_id = ?", till.device_id)[0][0] == 1


def test_a_payload_whose_hash_differs_is_refused_naming_the_event_and_nothing_is_applied(hub):
    till = SyncTill(hub)
    good = till.event("sale", till.sale_payload())
    bad = till.event("sale", till.sale_payload())
    bad["payload"]["total"] += 1
    r = till.send([good, bad])
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "payload_hash_mismatch"
    assert r.json()["event_id"] == bad["event_id"] and r.json()["device_seq"] == 2 and r.json()["hub_time"]
    assert query(hub, "SELECT count(*) FROM sales WHERE device_id = ?", till.device_id)[0][0] == 0


def test_a_batch_that_is_not_contiguous_is_refused(hub):
    till = SyncTill(hub)
    a = till.event("sale", till.sale_payload())
    b = till.event("sale", till.sale_payload(), seq=3)
    r = till.send([a, b])
    assert r.status_code == 422 and r.json()["code"] == "batch_not_contiguous", r.text


def test_another_event_under_a_used_seq_is_quarantined_and_alarmed_never_applied(hub):
    till = SyncTill(hub)
    till.upload([till.event("sale", till.sale_payload())])
    other = till.event("sale", till.sale_payload(), seq=1)
    got = till.upload([other])
    [result] = got["results"]
    assert result["status"] == "quarantined" and result["reason"] == "seq_conflict"
    assert result["exceptions"][0]["kind"] == "sync_conflict"
    assert got["acked_through"] == 1
    assert query(hub, "SELECT count(*) FROM sales WHERE id = ?", other["payload"]["id"])[0][0] == 0
    assert query(hub, "SELECT reason, status FROM sync_quarantine WHERE id = ?",
                 result["quarantine_id"]) == [("seq_conflict", "pending")]
    again = till.upload([other])  # the same conflicting event again: no second record
    assert again["results"][0]["quarantine_id"] == result["quarantine_id"]
    assert query(hub, "SELECT count(*) FROM sync_quarantine WHERE device_id = ?", till.device_id)[0][0] == 1


def test_an_unknown_type_is_quarantined_with_a_clear_reason_and_acked(hub):
    till = SyncTill(hub)
    got = till.upload([till.event("loyalty.points", {"points": 5})])
    [result] = got["results"]
    assert (result["status"], result["reason"]) == ("quarantined", "unknown_type")
    assert got["acked_through"] == 1
    detail = query(hub, "SELECT detail FROM sync_quarantine WHERE id = ?", result["quarantine_id"])[0][0]
    assert "loyalty.points" in detail


def test_a_malformed_sale_payload_is_quarantined_not_lost(hub):
    till = SyncTill(hub)
    payload = till.sale_payload()
    payload["total"] += 5
    got = till.upload([till.event("sale", payload)])
    [result] = got["results"]
    assert (result["status"], result["reason"]) == ("quarantined", "malformed")
    detail = query(hub, "SELECT detail FROM sync_quarantine WHERE id = ?", result["quarantine_id"])[0][0]
    assert "total" in detail


def test_a_refund_the_hub_refuses_is_quarantined_and_the_rest_of_the_batch_applies(hub):
    till = SyncTill(hub)
    sold = till.sale_payload()
    refund = {"sale_id": sold["id"], "id": till.sale_payload()["id"], "device_clock": till.clock.isoformat(),
              "reason": "Broken", "lines": [{"line_no": 0, "quantity": 5000}]}  # more than was sold
    after = till.sale_payload()
    supervisor = user_id(hub, "supervisor")
    got = till.upload([till.event("sale", sold), till.event("refund", refund, user=supervisor),
                       till.event("sale", after)])
    assert [r["status"] for r in got["results"]] == ["applied", "quarantined", "applied"]
    assert got["results"][1]["reason"] == "refused"
    detail = query(hub, "SELECT detail FROM sync_quarantine WHERE id = ?", got["results"][1]["quarantine_id"])[0][0]
    assert "not_refundable" in detail
    assert query(hub, "SELECT count(*) FROM sale_refunds WHERE sale_id = ?", sold["id"])[0][0] == 0


def test_a_user_without_the_permission_has_the_fact_quarantined(hub):
    till = SyncTill(hub)
    sold = till.sale_payload()
    till.upload([till.event("sale", sold)])
    got = till.upload([till.event("void", {"sale_id": sold["id"], "reason": "Wrong"})])  # cashiers may not void
    assert got["results"][0]["reason"] == "permission_missing"


def test_every_sale_exists_once_after_duplicated_and_reordered_batches(hub):
    till = SyncTill(hub)
    events = [till.event("sale", till.sale_payload()) for _ in range(6)]
    till.upload(events[:2])
    assert till.send(events[4:]).status_code == 409  # arrives early: a gap
    till.upload(events[1:4])  # overlaps what was acked
    till.upload(events[2:6])
    till.upload(events)  # the whole queue again
    ids = [e["payload"]["id"] for e in events]
    held = query(hub, f"SELECT id FROM sales WHERE id IN ({','.join('?' * len(ids))})", *ids)
    assert sorted(r[0] for r in held) == sorted(ids)
    assert query(hub, "SELECT acked_through FROM sync_devices WHERE device_id = ?", till.device_id) == [(6,)]
    with connect(hub.db_path) as conn:
        assert ledger.check(conn) == []


def test_an_upload_needs_a_till(hub):
    r = hub.client().post(EVENTS, json={"events": []})
    assert r.status_code == 401 and r.json()["code"] == "device_required"


def test_a_conflict_and_a_clock_far_off_are_alarmed_on_the_event_stream(hub):
    import datetime as dt

    from hub.events.bus import bus_for

    bus = bus_for(hub.server.app.state)
    sub = bus.subscribe()
    try:
        till = SyncTill(hub)
        till.upload([till.event("sale", till.sale_payload())])
        till.upload([till.event("sale", till.sale_payload(), seq=1)],
                    device_time=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2))
        seen = []
        while not sub.queue.empty():
            seen.append(sub.queue.get_nowait())
    finally:
        bus.unsubscribe(sub)
    kinds = {(e.kind, e.data["kind"]) for e in seen if e.data.get("device_id") == till.device_id}
    assert kinds == {("sync_alert", "seq_conflict"), ("device_alert", "clock_skew")}


def test_a_batch_is_bounded(hub):
    till = SyncTill(hub)
    events = [till.event("lp.no_sale", {}) for _ in range(201)]
    r = till.send(events)
    assert r.status_code == 400 and "events" in r.text
    assert query(hub, "SELECT count(*) FROM sync_events WHERE device_id = ?", till.device_id) == [(0,)]
    r = till.http.post(EVENTS, content=b'{"events": [' + b"0," * 1_200_000 + b"0]}",
                       headers={"Content-Type": "application/json"})
    assert r.status_code == 413
