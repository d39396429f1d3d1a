"""Device inventory documents over real HTTP from a paired till: applied at once through the
stock-take and adjustment services, or kept in the unapplied queue with a reason (unknown code,
missing permission, a posted session) and never dropped; replays, conflicting replays, malformed
documents, and the resolve actions (map and apply, apply under a manager's authority, discard)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from hub.db.connection import connect
from hub.inventory import ledger
from tests.catalogue.fixtures import admin, create, field_errors, ids, rows  # noqa: F401
from tests.pairing import Tills
from tests.people import audit_entries

DOCS = "/api/v1/inventory/device-documents"
QUEUE = "/api/v1/inventory/unapplied"
TAKES = "/api/v1/inventory/stock-takes"
CLOCK = "2026-03-02T09:15:00+02:00"


def ledger_agrees(hub) -> None:
    conn = connect(hub.db_path)
    try:
        assert ledger.check(conn) == []
    finally:
        conn.close()


def on_hand(client, product_id: str) -> int:
    r = client.get(f"/api/v1/inventory/levels/{product_id}")
    assert r.status_code == 200, r.text
    return r.json()["on_hand"]


def stocked(admin, ids, quantity=10000, cost=150, **fields):  # noqa: F811
    return create(admin, ids, opening_stock={"quantity": quantity, "unit_cost": cost}, **fields)


@pytest.fixture
def till(hub, admin):  # noqa: F811
    """A paired till and a function that signs a user in on it: a client sending both tokens."""
    tills = Tills.licensed(hub, admin, seats=5)
    paired = tills.pair()

    def signed_in(username: str):
        r = tills.login(paired["device_token"], username, hub.credentials[username][0])
        assert r.status_code == 201, r.text
        return tills.as_till(paired["device_token"], r.json()["access_token"])

    signed_in.device_id = paired["device_id"]  # type: ignore[attr-defined]
    return signed_in


def count_doc(take_id: str, lines: list[dict], **fields) -> dict:
    return {"document_id": str(uuid.uuid4()), "kind": "count", "device_clock": CLOCK, "stock_take_id": take_id,
            "lines": lines, **fields}


def adjustment_doc(lines: list[dict], **fields) -> dict:
    return {"document_id": str(uuid.uuid4()), "kind": "adjustment", "device_clock": CLOCK,
            "reason_code": "damaged", "lines": lines, **fields}


def session(client) -> str:
    r = client.post(TAKES, json={"name": "Aisle 3"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_a_count_from_a_till_is_applied_through_the_stock_take(hub, admin, ids, till):  # noqa: F811
    bread = stocked(admin, ids)
    take = session(admin)
    cashier = till("cashier")
    seq = audit_entries(hub)[-1]["seq"]
    r = cashier.post(DOCS, json=count_doc(take, [{"code": bread["barcodes"][0]["code"], "quantity": 9000,
                                                   "counted_at": "2026-03-02T09:10:00+02:00"}]))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["status"] == "applied" and out["applied_type"] == "stock_take" and out["applied_id"] == take
    assert out["reason"] is None and out["replayed"] is False
    [line] = admin.get(f"{TAKES}/{take}").json()["lines"]
    assert (line["product_id"], line["quantity"], line["device_id"], line["username"]) == (
        bread["id"], 9000, till.device_id, "cashier")
    assert [e["action"] for e in audit_entries(hub, seq)] == ["stock_take.counted"]
    assert admin.get(QUEUE).json()["items"] == []  # applied at once: not in the queue


def test_an_unknown_code_queues_the_whole_document_and_map_applies_it_once(hub, admin, ids, till):  # noqa: F811
    bread, milk = stocked(admin, ids), stocked(admin, ids, quantity=5000, cost=90)
    supervisor = till("supervisor")
    doc = adjustment_doc([{"code": bread["sku"], "quantity": -1000},
                          {"code": "NEW-CODE-77", "quantity": -2000, "note": "crushed"}])
    seq = audit_entries(hub)[-1]["seq"]
    r = supervisor.post(DOCS, json=doc)
    assert r.status_code == 202, r.text
    out = r.json()
    assert out["status"] == "queued" and out["reason"] == "unknown_code"
    assert out["failing"] == [{"line": 1, "field": "lines[1].code",
                               "message": "no product has the barcode or SKU NEW-CODE-77"}]
    assert "NEW-CODE-77" in out["detail"]
    assert [e["action"] for e in audit_entries(hub, seq)] == ["unapplied_document.queued"]
    assert on_hand(admin, bread["id"]) == 10000  # nothing of it moved: the whole document waits

    page = admin.get(QUEUE, params={"status": "queued"}).json()
    assert [i["id"] for i in page["items"]] == [out["id"]] and page["queued"] == 1
    shown = admin.get(f"{QUEUE}/{out['id']}").json()
    assert [l["problem"] for l in shown["lines"]] == [None, "no product has the barcode or SKU NEW-CODE-77"]
    assert shown["username"] == "supervisor" and shown["device_id"] == till.device_id

    # a supervisor may not resolve: that is a manager's decision (inventory.approve)
    assert hub.as_user("supervisor").post(f"{QUEUE}/{out['id']}/map", json={
        "code": "NEW-CODE-77", "product_id": milk["id"]}).status_code == 403
    manager = hub.as_user("manager")
    bad = manager.post(f"{QUEUE}/{out['id']}/map", json={"code": "OTHER", "product_id": "nope"})
    assert bad.status_code == 422 and set(field_errors(bad)) == {"code", "product_id"}
    seq = audit_entries(hub)[-1]["seq"]
    r = manager.post(f"{QUEUE}/{out['id']}/map", json={"code": "NEW-CODE-77", "product_id": milk["id"],
                                                      "add_barcode": False})
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "applied" and done["applied_type"] == "adjustment" and done["applied_by"] == "manager"
    assert done["mappings"] == {"NEW-CODE-77": milk["id"]} and done["authority"] == "device_user"
    assert [e["action"] for e in audit_entries(hub, seq)] == ["adjustment.posted"]
    adjustment = admin.get(f"/api/v1/inventory/adjustments/{done['applied_id']}").json()
    assert adjustment["created_by"] == "supervisor" and "made by supervisor" in adjustment["note"]
    assert on_hand(admin, bread["id"]) == 9000 and on_hand(admin, milk["id"]) == 3000
    # applying again, or replaying the device's send, moves nothing more
    assert manager.post(f"{QUEUE}/{out['id']}/apply").status_code == 409
    again = supervisor.post(DOCS, json=doc)
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert on_hand(admin, bread["id"]) == 9000 and on_hand(admin, milk["id"]) == 3000
    ledger_agrees(hub)


def test_map_can_add_the_code_as_the_products_barcode(hub, admin, ids, till):  # noqa: F811
    milk = stocked(admin, ids)
    take = session(admin)
    r = till("cashier").post(DOCS, json=count_doc(take, [{"code": "2000000000015", "quantity": 4000}]))
    out = r.json()
    assert r.status_code == 202 and out["reason"] == "unknown_code"
    r = hub.as_user("admin").post(f"{QUEUE}/{out['id']}/map", json={
        "code": "2000000000015", "product_id": milk["id"], "add_barcode": True})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "applied"
    codes = [b["code"] for b in admin.get(f"/api/v1/products/{milk['id']}").json()["barcodes"]]
    assert "2000000000015" in codes
    [line] = admin.get(f"{TAKES}/{take}").json()["lines"]
    assert (line["product_id"], line["quantity"]) == (milk["id"], 4000)


def test_a_missing_permission_queues_and_a_manager_applies_it_under_their_authority(hub, admin, ids, till):  # noqa: F811
    bread = stocked(admin, ids)
    cashier = till("cashier")  # counts, but may not adjust stock
    r = cashier.post(DOCS, json=adjustment_doc([{"product_id": bread["id"], "quantity": -1000}], note="Mouse"))
    assert r.status_code == 202, r.text
    out = r.json()
    assert out["reason"] == "permission_missing" and "inventory.adjust" in out["detail"]
    assert on_hand(admin, bread["id"]) == 10000

    manager = hub.as_user("manager")
    seq = audit_entries(hub)[-1]["seq"]
    retried = manager.post(f"{QUEUE}/{out['id']}/apply", json={"under_my_authority": False})
    assert retried.status_code == 200 and retried.json()["status"] == "queued"  # the cashier still may not
    assert retried.json()["attempts"] == 2
    assert [e["action"] for e in audit_entries(hub, seq)] == ["unapplied_document.retried"]
    r = manager.post(f"{QUEUE}/{out['id']}/apply", json={"under_my_authority": True})
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "applied" and done["authority"] == "manager" and done["applied_by"] == "manager"
    adjustment = admin.get(f"/api/v1/inventory/adjustments/{done['applied_id']}").json()
    assert adjustment["created_by"] == "manager" and "under manager's authority" in adjustment["note"]
    assert on_hand(admin, bread["id"]) == 9000
    ledger_agrees(hub)


def test_a_count_for_a_posted_session_queues_and_can_be_discarded(hub, admin, ids, till):  # noqa: F811
    bread = stocked(admin, ids)
    take = session(admin)
    assert admin.post(f"{TAKES}/{take}/lines", json={"lines": [{"product_id": bread["id"], "quantity": 10000}]}
                      ).status_code == 201
    assert admin.post(f"{TAKES}/{take}/review").status_code == 200
    assert admin.post(f"{TAKES}/{take}/post").status_code == 200
    r = till("cashier").post(DOCS, json=count_doc(take, [{"product_id": bread["id"], "quantity": 7000}]))
    assert r.status_code == 202 and r.json()["reason"] == "session_closed"
    unknown = till("cashier").post(DOCS, json=count_doc("no-such-take", [{"product_id": bread["id"],
                                                                        "quantity": 1000}]))
    assert unknown.status_code == 202 and unknown.json()["reason"] == "session_unknown"
    manager = hub.as_user("manager")
    assert [i["reason"] for i in manager.get(QUEUE, params={"reason": "session_closed"}).json()["items"]] == [
        "session_closed"]
    doc_id = r.json()["id"]
    blank = manager.post(f"{QUEUE}/{doc_id}/discard", json={"reason": "   "})
    assert blank.status_code == 422 and "reason" in field_errors(blank)
    seq = audit_entries(hub)[-1]["seq"]
    r = manager.post(f"{QUEUE}/{doc_id}/discard", json={"reason": "Counted again in the next session"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "discarded" and r.json()["discard_reason"] == "Counted again in the next session"
    assert [e["action"] for e in audit_entries(hub, seq)] == ["unapplied_document.discarded"]
    assert manager.post(f"{QUEUE}/{doc_id}/apply").status_code == 409
    assert [i["id"] for i in manager.get(QUEUE, params={"status": "discarded"}).json()["items"]] == [doc_id]
    assert on_hand(admin, bread["id"]) == 10000
    ledger_agrees(hub)


def test_a_replay_is_idempotent_and_another_body_under_the_same_id_conflicts(hub, admin, ids, till):  # noqa: F811
    bread = stocked(admin, ids)
    supervisor = till("supervisor")
    doc = adjustment_doc([{"product_id": bread["id"], "quantity": -1000}])
    first = supervisor.post(DOCS, json=doc)
    assert first.status_code == 200, first.text
    seq = audit_entries(hub)[-1]["seq"]
    again = supervisor.post(DOCS, json=doc)
    assert again.status_code == 200 and again.json() == {**first.json(), "replayed": True}
    assert audit_entries(hub, seq) == []
    assert on_hand(admin, bread["id"]) == 9000
    other = supervisor.post(DOCS, json={**doc, "lines": [{"product_id": bread["id"], "quantity": -5000}]})
    assert other.status_code == 409 and other.json()["code"] == "document_id_reused"
    # a queued document replays as queued
    queued = adjustment_doc([{"code": "NOPE-1", "quantity": -1000}])
    assert supervisor.post(DOCS, json=queued).status_code == 202
    replay = supervisor.post(DOCS, json=queued)
    assert replay.status_code == 202 and replay.json()["replayed"] is True
    assert len(rows(hub.db_path, "SELECT id FROM device_documents WHERE document_id = ?", queued["document_id"])) == 1
    assert on_hand(admin, bread["id"]) == 9000
    ledger_agrees(hub)


@pytest.mark.parametrize("change", [
    {"document_id": "not-a-uuid"},
    {"kind": "transfer"},
    {"lines": []},
    {"lines": [{"product_id": "x", "quantity": 10**15}]},
    {"lines": [{"product_id": "x", "quantity": 1000}] * 201},
    {"lines": [{"quantity": 1000}]},
    {"lines": [{"product_id": "x", "quantity": 0}]},
    {"lines": [{"code": "   ", "quantity": -1000}]},
    {"stock_take_id": "some-take"},
    {"device_clock": "2026-03-02T09:15:00"},
])
def test_a_malformed_document_is_refused_and_nothing_is_kept(hub, admin, till, change):  # noqa: F811
    body = {**adjustment_doc([{"product_id": "x", "quantity": -1000}]), **change}
    seq = audit_entries(hub)[-1]["seq"]
    r = till("supervisor").post(DOCS, json=body)
    # 400 when the JSON does not fit the schema (as on every hub route), 422 for the document's own
    # shape rules; either way a problem document naming the field
    assert r.status_code in (400, 422), r.text
    assert r.json()["errors"][0]["field"]
    assert rows(hub.db_path, "SELECT id FROM device_documents") == []
    assert [e["action"] for e in audit_entries(hub, seq)] == ["auth.login"]


def test_a_count_below_zero_or_without_a_session_is_malformed(hub, admin, till):  # noqa: F811
    cashier = till("cashier")
    r = cashier.post(DOCS, json=count_doc("t", [{"product_id": "x", "quantity": -1}]))
    assert r.status_code == 422 and "lines[0].quantity" in field_errors(r)
    body = count_doc("t", [{"product_id": "x", "quantity": 1}])
    del body["stock_take_id"]
    r = cashier.post(DOCS, json=body)
    assert r.status_code == 422 and "stock_take_id" in field_errors(r)


def test_only_a_paired_till_sends_device_documents(hub, admin, ids):  # noqa: F811
    bread = stocked(admin, ids)
    r = hub.as_user("manager").post(DOCS, json=adjustment_doc([{"product_id": bread["id"], "quantity": -1000}]))
    assert r.status_code == 422 and r.json()["code"] == "till_required"
    assert hub.client().post(DOCS, json=adjustment_doc([{"product_id": "x", "quantity": -1}])).status_code == 401


def test_an_archived_product_queues_and_restoring_it_lets_a_retry_apply(hub, admin, ids, till):  # noqa: F811
    bread = stocked(admin, ids)
    assert admin.post(f"/api/v1/products/{bread['id']}/archive").status_code == 200
    r = till("supervisor").post(DOCS, json=adjustment_doc([{"code": bread["sku"], "quantity": -1000}]))
    assert r.status_code == 202 and r.json()["reason"] == "product_archived"
    manager = hub.as_user("manager")
    assert manager.post(f"{QUEUE}/{r.json()['id']}/apply").json()["reason"] == "product_archived"
    assert admin.post(f"/api/v1/products/{bread['id']}/restore").status_code == 200
    done = manager.post(f"{QUEUE}/{r.json()['id']}/apply").json()
    assert done["status"] == "applied"
    assert on_hand(admin, bread["id"]) == 9000
    ledger_agrees(hub)


def test_the_queue_pages_with_a_cursor_and_filters_by_device(hub, admin, till):  # noqa: F811
    supervisor = till("supervisor")
    sent = [supervisor.post(DOCS, json=adjustment_doc([{"code": f"GONE-{i}", "quantity": -1000}])).json()["id"]
            for i in range(3)]
    first = admin.get(QUEUE, params={"limit": 2}).json()
    assert [i["id"] for i in first["items"]] == sent[::-1][:2] and first["next_after"]
    rest = admin.get(QUEUE, params={"limit": 2, "after": first["next_after"]}).json()
    assert [i["id"] for i in rest["items"]] == [sent[0]] and rest["next_after"] is None
    assert len(admin.get(QUEUE, params={"device_id": till.device_id}).json()["items"]) == 3
    assert admin.get(QUEUE, params={"device_id": "other"}).json()["items"] == []
    assert admin.get(QUEUE, params={"after": "junk"}).status_code == 422


def test_the_counted_moment_is_the_till_clock_corrected_by_its_skew(hub, admin, ids, till):  # noqa: F811
    bread = stocked(admin, ids)
    take = session(admin)
    hub.write("UPDATE devices SET clock_skew_ms = ? WHERE id = ?", 2 * 3600 * 1000, till.device_id)
    counted = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    r = till("cashier").post(DOCS, json=count_doc(take, [{"product_id": bread["id"], "quantity": 1000,
                                                          "counted_at": counted.isoformat()}]))
    assert r.status_code == 200, r.text
    [line] = admin.get(f"{TAKES}/{take}").json()["lines"]
    assert line["counted_at"].startswith((counted - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S"))


def test_a_count_applied_later_from_the_queue_stands_at_its_receive_time(hub, admin, ids, till):  # noqa: F811
    """A till with no recorded skew: its count stands when the hub received it, not when a manager
    resolved it, so stock that moved in between is not counted over."""
    bread = stocked(admin, ids)
    take = session(admin)
    r = till("cashier").post(DOCS, json=count_doc(take, [{"code": "LOST-LABEL", "quantity": 6000}]))
    assert r.status_code == 202, r.text
    received = admin.get(f"{QUEUE}/{r.json()['id']}").json()["received_at"]
    sold = admin.post("/api/v1/inventory/adjustments", json={"post": True, "reason_code": "damaged", "lines": [
        {"product_id": bread["id"], "quantity": -1000}]})  # after the count, before it is resolved
    assert sold.status_code == 201, sold.text
    done = hub.as_user("manager").post(f"{QUEUE}/{r.json()['id']}/map", json={
        "code": "LOST-LABEL", "product_id": bread["id"]}).json()
    assert done["status"] == "applied"
    [line] = admin.get(f"{TAKES}/{take}").json()["lines"]
    assert line["counted_at"] == received
    assert admin.post(f"{TAKES}/{take}/review").status_code == 200
    assert admin.post(f"{TAKES}/{take}/post").status_code == 200
    assert on_hand(admin, bread["id"]) == 5000  # counted 6, then 1 damaged after the count
    ledger_agrees(hub)


def test_a_map_that_still_cannot_apply_keeps_it_queued_with_the_new_reason(hub, admin, ids, till):  # noqa: F811
    bread = stocked(admin, ids)
    r = till("cashier").post(DOCS, json=adjustment_doc([{"code": "UNKNOWN-5", "quantity": -1000}]))
    assert r.status_code == 202 and r.json()["reason"] == "permission_missing"  # checked before the codes
    manager = hub.as_user("manager")
    seq = audit_entries(hub)[-1]["seq"]
    mapped = manager.post(f"{QUEUE}/{r.json()['id']}/map", json={
        "code": "UNKNOWN-5", "product_id": bread["id"]})
    assert mapped.status_code == 200, mapped.text
    doc = mapped.json()
    assert doc["status"] == "queued" and doc["reason"] == "permission_missing"
    assert doc["mappings"] == {"UNKNOWN-5": bread["id"]} and doc["lines"][0]["mapped_to"] == bread["id"]
    [entry] = audit_entries(hub, seq)
    assert entry["action"] == "unapplied_document.mapped" and entry["request_id"] == mapped.headers["x-request-id"]
    done = manager.post(f"{QUEUE}/{r.json()['id']}/apply", json={"under_my_authority": True})
    assert done.json()["status"] == "applied" and on_hand(admin, bread["id"]) == 9000
    ledger_agrees(hub)


def test_a_pack_barcode_adjusts_packs_of_its_size(hub, admin, ids, till):  # noqa: F811
    from tests.catalogue.fixtures import ean13
    case = ean13("7770000001")
    soap = stocked(admin, ids, quantity=100000, barcodes=[{"code": ean13("7770000002")},
                                                          {"code": case, "pack_quantity": 12000}])
    r = till("supervisor").post(DOCS, json=adjustment_doc([{"code": case, "quantity": -1000}]))
    assert r.status_code == 200, r.text
    assert on_hand(admin, soap["id"]) == 88000  # one case of 12
    ledger_agrees(hub)
