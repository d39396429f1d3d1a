"""Purchase orders over real HTTP: drafted and edited, sent (who and when), received by goods
receipts (ordered against received, short and over, part-received, closed when all came, back
when a receipt is reversed), closed by hand with a reason, cancelled only while nothing came; and
reorder suggestions from the ledger's sales, made into a draft order."""

from __future__ import annotations

from hub.db.audit import Actor
from hub.inventory import Source, move
from hub.inventory.purchasing.reorder import suggestion
from tests.catalogue.fixtures import admin, create, field_errors, ids, writing  # noqa: F401
from tests.inventory.test_receipts_api import level, no_differences
from tests.people import audit_entries

URL = "/api/v1/inventory/purchase-orders"
GRN = "/api/v1/inventory/receipts"


def supplied(admin, ids, *, pack=12000, cost=40, **fields):
    return create(admin, ids, suppliers=[{"supplier_id": ids["dairy"], "cost": cost, "currency": "USD",
                                          "pack_size": pack, "preferred": True}], **fields)


def sell(hub, product_id, quantity):
    with writing(hub.db_path) as conn:
        move(conn, kind="sale", product_id=product_id, quantity=-quantity, actor=Actor(username="till"),
             source=Source("sale", "s-1", 0))


def test_an_order_is_drafted_edited_sent_and_refuses_edits_after(hub, ids, admin):
    milk, bread = supplied(admin, ids), supplied(admin, ids, pack=6000, cost=None)
    r = admin.post(URL, json={"supplier_id": ids["dairy"], "expected_on": "2026-12-01", "lines": [
        {"code": milk["sku"], "quantity": 24000}, {"product_id": bread["id"], "quantity": 5000, "unit_cost": 30}]})
    assert r.status_code == 201, r.text
    po = r.json()
    assert po["status"] == "draft" and po["number"].startswith("PO-") and po["expected_on"] == "2026-12-01"
    assert [(ln["quantity"], ln["packs"], ln["unit_cost"]) for ln in po["lines"]] == [(24000, 2, 40), (5000, None, 30)]
    r = admin.patch(f"{URL}/{po['id']}", json={"lines": [{"code": milk["sku"], "quantity": 36000}]})
    assert r.status_code == 200 and [ln["quantity"] for ln in r.json()["lines"]] == [36000]
    r = admin.patch(f"{URL}/{po['id']}", json={"lines": [{"code": milk["sku"], "quantity": 1500}]})
    assert r.status_code == 422 and "lines[0].quantity" in field_errors(r)

    seq = audit_entries(hub)[-1]["seq"]
    r = admin.post(f"{URL}/{po['id']}/send")
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["sent_by"]) == ("sent", "admin") and r.json()["sent_at"]
    assert [e["action"] for e in audit_entries(hub, seq)] == ["purchase_order.sent"]
    for path, body in ((f"{URL}/{po['id']}/send", None),):
        assert admin.post(path, json=body).status_code == 409
    assert admin.patch(f"{URL}/{po['id']}", json={"note": "x"}).json()["code"] == "order_state"
    r = admin.post(f"{URL}/{po['id']}/close", json={"reason": " "})
    assert r.status_code == 422 and "reason" in field_errors(r)
    assert admin.get(URL, params={"status": "sent"}).json()["items"][0]["id"] == po["id"]


def test_receipts_against_an_order_part_receive_close_and_reopen_it_on_reversal(hub, ids, admin):
    milk, bread = supplied(admin, ids), supplied(admin, ids, pack=6000)
    po = admin.post(URL, json={"supplier_id": ids["dairy"], "lines": [
        {"code": milk["sku"], "quantity": 24000}, {"code": bread["sku"], "quantity": 12000}]}).json()
    r = admin.post(GRN, json={"supplier_id": ids["dairy"], "order_id": po["id"], "lines": []})
    assert r.status_code == 409 and r.json()["code"] == "order_not_open"  # still a draft
    admin.post(f"{URL}/{po['id']}/send")

    first = admin.post(GRN, json={"supplier_id": ids["dairy"], "order_id": po["id"], "lines": [
        {"code": milk["sku"], "quantity": 1000, "entered_as": "pack"}]}).json()  # one case of 12 of 24
    [line] = first["lines"]
    assert (line["ordered"], line["previously_received"], line["quantity"], line["short"], line["over"]) == (
        24000, 0, 12000, True, False)
    assert admin.post(f"{GRN}/{first['id']}/post").status_code == 200
    got = admin.get(f"{URL}/{po['id']}").json()
    assert got["status"] == "part_received"
    assert [(ln["received"], ln["outstanding"]) for ln in got["lines"]] == [(12000, 12000), (0, 12000)]
    assert [g["number"] for g in got["receipts"]] == [first["number"]]
    cancel = admin.post(f"{URL}/{po['id']}/cancel", json={"reason": "late"})
    assert cancel.status_code == 409 and cancel.json()["code"] == "order_state"

    second = admin.post(GRN, json={"supplier_id": ids["dairy"], "order_id": po["id"], "lines": [
        {"code": milk["sku"], "quantity": 14000}, {"code": bread["sku"], "quantity": 2000, "entered_as": "pack"}]}).json()
    assert [(ln["previously_received"], ln["over"], ln["short"]) for ln in second["lines"]] == [
        (12000, True, False), (0, False, False)]  # over delivery allowed, flagged
    assert admin.post(f"{GRN}/{second['id']}/post").status_code == 200
    got = admin.get(f"{URL}/{po['id']}").json()
    assert got["status"] == "closed" and got["close_reason"] == "" and got["lines"][0]["over"]
    assert level(hub, milk["id"])[0] == 26000 and level(hub, bread["id"])[0] == 12000

    assert admin.post(f"{GRN}/{second['id']}/reverse", json={"note": "wrong lot"}).status_code == 201
    got = admin.get(f"{URL}/{po['id']}").json()
    assert got["status"] == "part_received" and got["closed_at"] is None
    assert [ln["received"] for ln in got["lines"]] == [12000, 0]
    assert level(hub, milk["id"])[0] == 12000 and level(hub, bread["id"])[0] == 0

    r = admin.post(f"{URL}/{po['id']}/close", json={"reason": "supplier out of stock"})
    assert r.status_code == 200 and r.json()["close_reason"] == "supplier out of stock"
    late = admin.post(GRN, json={"supplier_id": ids["dairy"], "order_id": po["id"], "lines": []})
    assert late.status_code == 409 and late.json()["code"] == "order_not_open"
    assert admin.post(f"{GRN}/{first['id']}/reverse", json={}).status_code == 201
    assert admin.get(f"{URL}/{po['id']}").json()["status"] == "closed"  # closed by hand stays closed
    no_differences(hub)


def test_an_order_is_cancelled_only_while_nothing_came(hub, ids, admin):
    milk = supplied(admin, ids)
    po = admin.post(URL, json={"supplier_id": ids["dairy"], "lines": [{"code": milk["sku"], "quantity": 1000}]}).json()
    r = admin.post(f"{URL}/{po['id']}/cancel", json={"reason": "duplicate"})
    assert r.status_code == 200 and (r.json()["status"], r.json()["cancel_reason"]) == ("cancelled", "duplicate")
    assert admin.post(f"{URL}/{po['id']}/send").status_code == 409
    assert hub.as_user("supervisor").get(URL).status_code == 403  # purchasing is a manager's


def test_the_reorder_formula_in_whole_packs():
    # 28 units sold in 28 days, 7 + 7 days to cover, threshold 5, 3 on hand: 14 + 5 - 3 = 16 -> 2 cases of 12
    assert suggestion(on_hand=3000, threshold=5000, sold=28000, days=28, lead_time_days=7, review_days=7,
                      pack_size=12000) == {"daily_velocity": 1000, "cover_days": 14, "need": 16000,
                                           "quantity": 24000, "packs": 2}
    # plenty on hand for the cover and above the threshold: nothing
    assert suggestion(on_hand=20000, threshold=5000, sold=28000, days=28, lead_time_days=7, review_days=7,
                      pack_size=12000) is None
    # runs out within the cover though above the threshold
    assert suggestion(on_hand=13000, threshold=0, sold=28000, days=28, lead_time_days=7, review_days=7,
                      pack_size=1000)["quantity"] == 1000
    # at the threshold with no sales: one pack at least; no threshold and no sales: never due
    assert suggestion(on_hand=5000, threshold=5000, sold=0, days=28, lead_time_days=0, review_days=7,
                      pack_size=6000)["quantity"] == 6000
    assert suggestion(on_hand=0, threshold=0, sold=0, days=28, lead_time_days=3, review_days=7, pack_size=1000) is None
    # a third of a unit a day over 3 days rounds the need up
    assert suggestion(on_hand=0, threshold=0, sold=1000, days=3, lead_time_days=1, review_days=0,
                      pack_size=1000)["need"] == 334


def test_what_open_orders_still_bring_counts_as_stock():
    need = {"on_hand": 3000, "threshold": 5000, "sold": 28000, "days": 28, "lead_time_days": 7, "review_days": 7,
            "pack_size": 12000}
    # 16 needed: 6 on order leaves 10 (one case); 16 on order covers it; with no sales, orders that lift the
    # position above the threshold leave nothing due
    assert suggestion(**need, on_order=6000)["need"] == 10000
    assert suggestion(**need, on_order=6000)["quantity"] == 12000
    assert suggestion(**need, on_order=16000) is None
    assert suggestion(**{**need, "sold": 0}, on_order=3000) is None
    assert suggestion(**{**need, "sold": 0}, on_order=1000)["need"] == 1000


def test_suggestions_use_ledger_sales_and_become_a_draft_order(hub, ids, admin):
    admin.patch(f"/api/v1/suppliers/{ids['dairy']}", json={"lead_time_days": 7})
    fast = supplied(admin, ids, low_stock_threshold=5000, opening_stock={"quantity": 31000, "unit_cost": 30})
    slow = supplied(admin, ids, opening_stock={"quantity": 50000, "unit_cost": 30})
    sell(hub, fast["id"], 28000)  # 1 a day over 28 days; 3 left
    sell(hub, slow["id"], 1000)
    r = admin.get(f"{URL}/suggestions", params={"supplier_id": ids["dairy"], "days": 28, "review_days": 7})
    assert r.status_code == 200, r.text
    [s] = r.json()
    assert (s["product_id"], s["on_hand"], s["sold"], s["need"], s["quantity"], s["packs"], s["unit_cost"]) == (
        fast["id"], 3000, 28000, 16000, 24000, 2, 40)
    assert [x["product_id"] for x in admin.get(f"{URL}/suggestions").json()] == [fast["id"]]

    seq = audit_entries(hub)[-1]["seq"]
    r = admin.post(f"{URL}/from-suggestions", json={"supplier_id": ids["dairy"]})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "draft" and [(ln["product_id"], ln["quantity"]) for ln in r.json()["lines"]] == [
        (fast["id"], 24000)]
    assert [e["action"] for e in audit_entries(hub, seq)] == ["purchase_order.created"]
    none = admin.post(f"{URL}/from-suggestions", json={"supplier_id": ids["bakers"]})
    assert none.status_code == 409 and none.json()["code"] == "nothing_to_order"


def test_an_open_order_covering_the_need_is_not_suggested_again(hub, ids, admin):
    admin.patch(f"/api/v1/suppliers/{ids['dairy']}", json={"lead_time_days": 7})
    fast = supplied(admin, ids, low_stock_threshold=5000, opening_stock={"quantity": 31000, "unit_cost": 30})
    sell(hub, fast["id"], 28000)  # needs 16 (two cases), as above
    params = {"supplier_id": ids["dairy"], "days": 28, "review_days": 7}
    po = admin.post(URL, json={"supplier_id": ids["dairy"], "lines": [{"code": fast["sku"], "quantity": 6000}]})
    [s] = admin.get(f"{URL}/suggestions", params=params).json()
    assert (s["on_order"], s["need"], s["quantity"]) == (6000, 10000, 12000)  # a draft's 6 counted

    admin.post(f"{URL}/{po.json()['id']}/cancel", json={"reason": "redo"})
    assert admin.post(f"{URL}/from-suggestions", json={"supplier_id": ids["dairy"]}).status_code == 201
    assert admin.get(f"{URL}/suggestions", params=params).json() == []  # the drafted 24 cover it
    again = admin.post(f"{URL}/from-suggestions", json={"supplier_id": ids["dairy"]})
    assert again.status_code == 409 and again.json()["code"] == "nothing_to_order"  # no doubled order

    [order] = admin.get(URL, params={"status": "draft"}).json()["items"]
    admin.post(f"{URL}/{order['id']}/send")
    grn = admin.post(GRN, json={"supplier_id": ids["dairy"], "order_id": order["id"], "lines": [
        {"code": fast["sku"], "quantity": 6000}]}).json()
    admin.post(f"{GRN}/{grn['id']}/post")  # part received: 9 on hand, 18 still to come
    assert admin.get(f"{URL}/suggestions", params=params).json() == []
    admin.post(f"{URL}/{order['id']}/close", json={"reason": "rest not coming"})
    [s] = admin.get(f"{URL}/suggestions", params=params).json()  # a closed order brings nothing more
    assert (s["on_hand"], s["on_order"], s["need"], s["quantity"]) == (9000, 0, 10000, 12000)
    no_differences(hub)
