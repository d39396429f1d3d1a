"""Stock adjustments and supplier returns over real HTTP: reasons, the approval threshold (pending,
approve by someone else, reject with a reason), drafts, filters and paging, inline line errors,
supplier returns moving stock out, and the ledger still agreeing with the levels afterwards."""

from __future__ import annotations

import sqlite3

from hub.db.connection import connect
from hub.inventory import ledger
from tests.catalogue.fixtures import admin, create, field_errors, ids, rows  # noqa: F401
from tests.people import audit_entries

ADJ = "/api/v1/inventory/adjustments"
RET = "/api/v1/inventory/supplier-returns"


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
    return create(admin, ids, opening_stock={"quantity": quantity, "unit_cost": cost}, **fields)["id"]


def test_damage_below_the_threshold_posts_at_once_and_moves_stock(hub, admin, ids):  # noqa: F811
    clerk = hub.as_user("supervisor")
    bread, milk = stocked(admin, ids), stocked(admin, ids, cost=90)
    seq = audit_entries(hub)[-1]["seq"]
    r = clerk.post(ADJ, json={"reason_code": "damaged", "note": "Dropped crate", "post": True, "lines": [
        {"product_id": bread, "quantity": -2000}, {"product_id": milk, "quantity": -1000, "note": "leaking"}]})
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["status"] == "posted" and doc["value"] == 2 * 150 + 90
    assert doc["posted_at"] and doc["created_by"] == "supervisor"
    assert [(l["quantity"], l["cost"], l["value"], l["reason_code"]) for l in doc["lines"]] == [
        (-2000, 150, -300, "damaged"), (-1000, 90, -90, "damaged")]
    assert on_hand(clerk, bread) == 8000 and on_hand(clerk, milk) == 9000
    moves = clerk.get("/api/v1/inventory/movements", params={"source_type": "adjustment",
                                                             "source_id": doc["id"]}).json()["items"]
    assert sorted((m["kind"], m["quantity"], m["source_line"]) for m in moves) == [
        ("adjustment", -2000, 0), ("adjustment", -1000, 1)]
    assert [e["action"] for e in audit_entries(hub, seq)] == ["adjustment.posted"]
    ledger_agrees(hub)


def test_a_big_theft_waits_for_someone_elses_approval_then_moves_stock(hub, admin, ids):  # noqa: F811
    clerk, manager = hub.as_user("supervisor"), hub.as_user("manager")
    phones = stocked(admin, ids, quantity=20000, cost=25000)  # 250.00 each
    r = clerk.post(ADJ, json={"post": True, "lines": [{"product_id": phones, "quantity": -3000,
                                                       "reason_code": "theft"}]})
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["status"] == "pending_approval" and doc["value"] == 75000 and doc["threshold"] == 5000
    assert doc["posted_at"] is None and on_hand(clerk, phones) == 20000  # nothing moved
    assert clerk.post(f"{ADJ}/{doc['id']}/approve").status_code == 403  # no inventory.approve

    pending = manager.get(ADJ, params={"status": "pending_approval"}).json()["items"]
    assert doc["id"] in [a["id"] for a in pending]
    seq = audit_entries(hub)[-1]["seq"]
    r = manager.post(f"{ADJ}/{doc['id']}/approve", json={"note": "Police report 1234"})
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "posted" and done["decided_by"] == "manager" and done["posted_at"]
    assert done["decision_note"] == "Police report 1234"
    assert on_hand(clerk, phones) == 17000
    assert [e["action"] for e in audit_entries(hub, seq)] == ["adjustment.approved"]
    again = manager.post(f"{ADJ}/{doc['id']}/approve")
    assert again.status_code == 409 and again.json()["code"] == "not_pending_approval"
    assert on_hand(clerk, phones) == 17000  # approved once, moved once
    ledger_agrees(hub)


def test_the_creator_cannot_approve_their_own_and_a_rejection_moves_nothing(hub, admin, ids):  # noqa: F811
    manager = hub.as_user("manager")
    tv = stocked(admin, ids, quantity=5000, cost=100000)
    doc = manager.post(ADJ, json={"post": True, "reason_code": "correction",
                                  "lines": [{"product_id": tv, "quantity": -1000}]}).json()
    assert doc["status"] == "pending_approval"
    r = manager.post(f"{ADJ}/{doc['id']}/approve")
    assert r.status_code == 403 and r.json()["code"] == "own_adjustment"
    r = admin.post(f"{ADJ}/{doc['id']}/reject", json={"reason": ""})
    assert r.status_code == 422
    seq = audit_entries(hub)[-1]["seq"]
    r = admin.post(f"{ADJ}/{doc['id']}/reject", json={"reason": "Counted again: it is there"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "rejected" and r.json()["decision_note"] == "Counted again: it is there"
    [entry] = audit_entries(hub, seq)
    assert entry["action"] == "adjustment.rejected" and "Counted again" in str(entry["summary"])
    assert on_hand(admin, tv) == 5000
    assert admin.post(f"{ADJ}/{doc['id']}/approve").json()["code"] == "not_pending_approval"
    ledger_agrees(hub)


def test_the_threshold_is_a_setting_and_the_comparison_is_strictly_above(hub, admin, ids):  # noqa: F811
    r = admin.get("/api/v1/settings/adjustments")
    assert r.json() == {"approval_threshold": 5000, "default_approval_threshold": 5000}
    assert hub.as_user("supervisor").put("/api/v1/settings/adjustments",
                                         json={"approval_threshold": 1}).status_code == 403
    assert admin.put("/api/v1/settings/adjustments", json={"approval_threshold": -1}).status_code == 400
    r = admin.put("/api/v1/settings/adjustments", json={"approval_threshold": 300})
    assert r.status_code == 200 and r.json()["approval_threshold"] == 300
    item = stocked(admin, ids, cost=100)
    clerk = hub.as_user("supervisor")
    at = clerk.post(ADJ, json={"post": True, "reason_code": "expired",
                               "lines": [{"product_id": item, "quantity": -3000}]}).json()
    above = clerk.post(ADJ, json={"post": True, "reason_code": "expired",
                                  "lines": [{"product_id": item, "quantity": -4000}]}).json()
    assert (at["value"], at["status"]) == (300, "posted")
    assert (above["value"], above["status"]) == (400, "pending_approval")


def test_found_stock_comes_in_at_its_cost_and_drafts_post_later(hub, admin, ids):  # noqa: F811
    clerk = hub.as_user("supervisor")
    item = stocked(admin, ids, cost=100)
    draft = clerk.post(ADJ, json={"reason_code": "found", "lines": [
        {"product_id": item, "quantity": 2000, "unit_cost": 130}]})
    assert draft.status_code == 201 and draft.json()["status"] == "draft"
    assert on_hand(clerk, item) == 10000
    r = clerk.post(f"{ADJ}/{draft.json()['id']}/post")
    assert r.status_code == 200 and r.json()["status"] == "posted" and r.json()["value"] == 260
    assert on_hand(clerk, item) == 12000
    level = clerk.get(f"/api/v1/inventory/levels/{item}").json()
    assert level["avg_cost"] == 105  # (10 x 100 + 2 x 130) / 12
    assert clerk.post(f"{ADJ}/{draft.json()['id']}/post").json()["code"] == "not_draft"
    ledger_agrees(hub)


def test_each_bad_line_is_named_and_nothing_is_kept(hub, admin, ids):  # noqa: F811
    clerk = hub.as_user("supervisor")
    item = stocked(admin, ids)
    service = create(admin, ids, stock_tracked=False)["id"]
    before = len(clerk.get(ADJ).json()["items"])
    r = clerk.post(ADJ, json={"post": True, "lines": [
        {"product_id": item, "quantity": -1500, "reason_code": "damaged"},  # half a loaf of an `each`
        {"product_id": item, "quantity": 1000, "reason_code": "theft"},  # theft adds nothing
        {"product_id": service, "quantity": -1000, "reason_code": "damaged"},
        {"product_id": "no-such", "quantity": -1000},
        {"product_id": item, "quantity": -1000, "reason_code": "lost-in-space"},
        {"product_id": item, "quantity": -1000, "reason_code": "damaged", "unit_cost": 5}]})
    assert r.status_code == 422, r.text
    errors = field_errors(r)
    assert "whole number" in errors["lines[0].quantity"]
    assert "decrease" in errors["lines[1].quantity"]
    assert "does not track stock" in errors["lines[2].product_id"]
    assert "no such product" in errors["lines[3].product_id"]
    assert "reason" in errors["lines[3].reason_code"]
    assert "not a reason code" in errors["lines[4].reason_code"]
    assert "only an increase" in errors["lines[5].unit_cost"]
    assert len(clerk.get(ADJ).json()["items"]) == before and on_hand(clerk, item) == 10000
    assert clerk.post(ADJ, json={"lines": []}).status_code == 400  # the body itself: at least one line


def test_stock_may_go_below_zero_and_is_flagged(hub, admin, ids):  # noqa: F811
    clerk = hub.as_user("supervisor")
    item = stocked(admin, ids, quantity=1000, cost=10)
    doc = clerk.post(ADJ, json={"post": True, "reason_code": "correction",
                                "lines": [{"product_id": item, "quantity": -3000}]}).json()
    assert doc["status"] == "posted" and doc["lines"][0]["negative"] and doc["lines"][0]["on_hand"] == -2000
    ledger_agrees(hub)


def test_adjustments_list_filters_and_pages(hub, admin, ids):  # noqa: F811
    clerk = hub.as_user("supervisor")
    item = stocked(admin, ids, cost=1)
    made = [clerk.post(ADJ, json={"post": True, "reason_code": reason,
                                  "lines": [{"product_id": item, "quantity": -1000}]}).json()["id"]
            for reason in ("damaged", "expired", "damaged")]
    user = clerk.get("/api/v1/auth/me").json()["id"]
    assert [a["id"] for a in clerk.get(ADJ, params={"reason": "damaged", "user_id": user}).json()["items"]][:2] == \
        [made[2], made[0]]
    assert clerk.get(ADJ, params={"since": "2000-01-01T00:00:00Z", "until": "2001-01-01T00:00:00Z"}).json() == {
        "items": [], "next_after": None}
    seen, after = [], None
    while True:
        page = clerk.get(ADJ, params={"limit": 2, "user_id": user, **({"after": after} if after else {})}).json()
        seen += [a["id"] for a in page["items"]]
        after = page["next_after"]
        if not after:
            break
    assert seen[:3] == made[::-1] and len(seen) == len(set(seen))
    assert clerk.get(ADJ, params={"after": "nonsense"}).status_code == 422
    assert clerk.get(f"{ADJ}/nope").status_code == 404
    reasons = [r["code"] for r in clerk.get(f"{ADJ}/reasons").json()]
    assert reasons == ["damaged", "expired", "theft", "found", "correction"]


def test_a_supplier_return_moves_stock_out_at_the_average_cost(hub, admin, ids):  # noqa: F811
    clerk = hub.as_user("supervisor")
    yoghurt, cream = stocked(admin, ids, cost=80), stocked(admin, ids, cost=200)
    seq = audit_entries(hub)[-1]["seq"]
    r = clerk.post(RET, json={"supplier_id": ids["dairy"], "goods_receipt_ref": "GRN-000123",
                              "reason_code": "expired", "note": "Driver: T. Moyo", "lines": [
                                  {"product_id": yoghurt, "quantity": 4000},
                                  {"product_id": cream, "quantity": 1000, "unit_cost": 190,
                                   "reason_code": "damaged"}]})
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["supplier_name"] == "Dairibord" and doc["goods_receipt_ref"] == "GRN-000123"
    assert [(l["quantity"], l["unit_cost"], l["value"], l["reason_code"]) for l in doc["lines"]] == [
        (4000, 80, 320, "expired"), (1000, 190, 190, "damaged")]
    assert doc["value"] == 510
    assert on_hand(clerk, yoghurt) == 6000 and on_hand(clerk, cream) == 9000
    moves = clerk.get("/api/v1/inventory/movements", params={"kind": "supplier_return",
                                                             "source_id": doc["id"]}).json()["items"]
    assert sorted(m["quantity"] for m in moves) == [-4000, -1000]
    assert [e["action"] for e in audit_entries(hub, seq)] == ["supplier_return.posted"]
    assert clerk.get(f"{RET}/{doc['id']}").json()["lines"] == doc["lines"]
    assert doc["id"] in [x["id"] for x in clerk.get(RET, params={"supplier_id": ids["dairy"]}).json()["items"]]
    ledger_agrees(hub)


def test_a_bad_supplier_return_names_its_fields_and_moves_nothing(hub, admin, ids):  # noqa: F811
    clerk = hub.as_user("supervisor")
    item = stocked(admin, ids)
    r = clerk.post(RET, json={"supplier_id": "nobody", "lines": [
        {"product_id": item, "quantity": 1500, "reason_code": "damaged"}, {"product_id": item, "quantity": 1000}]})
    assert r.status_code == 422
    errors = field_errors(r)
    assert set(errors) == {"supplier_id", "lines[0].quantity", "lines[1].reason_code"}
    assert clerk.post(RET, json={"supplier_id": ids["dairy"], "lines": [
        {"product_id": item, "quantity": -1000, "reason_code": "damaged"}]}).status_code == 400  # below 1
    assert on_hand(clerk, item) == 10000
    assert hub.as_user("cashier").post(RET, json={"supplier_id": ids["dairy"], "lines": []}).status_code == 403


def test_posted_documents_are_never_edited(hub, admin, ids):  # noqa: F811
    clerk = hub.as_user("supervisor")
    item = stocked(admin, ids)
    doc = clerk.post(ADJ, json={"post": True, "reason_code": "damaged",
                                "lines": [{"product_id": item, "quantity": -1000}]}).json()
    conn = sqlite3.connect(hub.db_path)
    try:
        for sql in ("UPDATE adjustments SET note = 'x' WHERE id = ?",
                    "DELETE FROM adjustment_lines WHERE adjustment_id = ?"):
            try:
                conn.execute(sql, (doc["id"],))
                raise AssertionError(f"{sql} was allowed")
            except sqlite3.IntegrityError as err:
                assert "never" in str(err)
    finally:
        conn.close()
    assert rows(hub.db_path, "SELECT note FROM adjustments WHERE id = ?", doc["id"]) == [{"note": ""}]


def test_a_draft_is_edited_then_posted_as_edited(hub, admin, ids):  # noqa: F811
    clerk = hub.as_user("supervisor")
    bread, milk = stocked(admin, ids), stocked(admin, ids, cost=90)
    draft = clerk.post(ADJ, json={"reason_code": "damaged", "lines": [{"product_id": bread, "quantity": -2000}]}).json()
    seq = audit_entries(hub)[-1]["seq"]
    r = clerk.put(f"{ADJ}/{draft['id']}", json={"reason_code": "expired", "note": "Past date", "lines": [
        {"product_id": milk, "quantity": -3000}, {"product_id": bread, "quantity": 1000, "reason_code": "found"}]})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (doc["status"], doc["number"], doc["note"], doc["reason_code"], doc["value"]) == (
        "draft", draft["number"], "Past date", "expired", 3 * 90 + 150)
    assert [(l["product_id"], l["quantity"], l["reason_code"]) for l in doc["lines"]] == [
        (milk, -3000, "expired"), (bread, 1000, "found")]
    assert on_hand(clerk, bread) == 10000 and on_hand(clerk, milk) == 10000  # a draft moves nothing
    [entry] = audit_entries(hub, seq)
    assert entry["action"] == "adjustment.updated"

    wrong = clerk.put(f"{ADJ}/{draft['id']}", json={"lines": [{"product_id": milk, "quantity": 2000,
                                                               "reason_code": "theft"}]})
    assert wrong.status_code == 422 and "lines[0].quantity" in field_errors(wrong)
    assert len(clerk.get(f"{ADJ}/{draft['id']}").json()["lines"]) == 2  # nothing of a refusal is kept

    assert clerk.post(f"{ADJ}/{draft['id']}/post").json()["status"] == "posted"
    assert on_hand(clerk, milk) == 7000 and on_hand(clerk, bread) == 11000
    late = clerk.put(f"{ADJ}/{draft['id']}", json={"lines": [{"product_id": milk, "quantity": -1000,
                                                              "reason_code": "damaged"}]})
    assert late.status_code == 409 and late.json()["code"] == "not_draft"
    assert clerk.post(f"{ADJ}/{draft['id']}/discard").json()["code"] == "not_draft"
    ledger_agrees(hub)


def test_a_discarded_draft_is_kept_moves_nothing_and_cannot_be_posted(hub, admin, ids):  # noqa: F811
    clerk = hub.as_user("supervisor")
    bread = stocked(admin, ids)
    draft = clerk.post(ADJ, json={"reason_code": "theft", "lines": [{"product_id": bread, "quantity": -4000}]}).json()
    seq = audit_entries(hub)[-1]["seq"]
    r = clerk.post(f"{ADJ}/{draft['id']}/discard", json={"reason": "Found them in the back"})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (doc["status"], doc["decided_by"], doc["decision_note"], doc["posted_at"]) == (
        "discarded", "supervisor", "Found them in the back", None)
    assert [e["action"] for e in audit_entries(hub, seq)] == ["adjustment.discarded"]
    assert clerk.get(f"{ADJ}/{draft['id']}").json()["lines"][0]["quantity"] == -4000  # kept for the record
    assert [a["id"] for a in clerk.get(ADJ, params={"status": "discarded"}).json()["items"]] == [draft["id"]]
    for path in ("post", "discard"):
        again = clerk.post(f"{ADJ}/{draft['id']}/{path}")
        assert again.status_code == 409 and again.json()["code"] == "not_draft"
    pending = clerk.post(ADJ, json={"reason_code": "theft", "post": True,
                                    "lines": [{"product_id": stocked(admin, ids, cost=900000), "quantity": -1000}]})
    assert pending.json()["status"] == "pending_approval"
    assert clerk.post(f"{ADJ}/{pending.json()['id']}/discard").status_code == 409  # rejected, not discarded
    assert on_hand(clerk, bread) == 10000
    assert hub.as_user("cashier").post(f"{ADJ}/{draft['id']}/discard").status_code == 403
    ledger_agrees(hub)
