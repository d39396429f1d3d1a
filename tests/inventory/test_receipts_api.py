"""Goods receipts over real HTTP: a draft typed in units and packs (a supplier's pack or a pack
barcode's), edited, posted into stock through the ledger in one transaction (weighted-average cost,
supplier cost when asked), never edited after, and reversed once by a new document."""

from __future__ import annotations

import sqlite3

from hub.inventory import check
from tests.catalogue.fixtures import admin, create, ean13, field_errors, ids, rows  # noqa: F401
from tests.people import audit_entries

URL = "/api/v1/inventory/receipts"


def level(hub, product_id):
    found = rows(hub.db_path, "SELECT on_hand, avg_cost FROM stock_levels WHERE product_id = ?", product_id)
    return (found[0]["on_hand"], found[0]["avg_cost"]) if found else (0, None)


def no_differences(hub):
    conn = sqlite3.connect(hub.db_path)
    conn.row_factory = sqlite3.Row
    try:
        assert check(conn) == []
    finally:
        conn.close()


def cola(admin, ids, **fields):
    """12 a case from Dairibord at 40 a unit; 24 on hand at 50; a case barcode of 6."""
    return create(admin, ids, suppliers=[{"supplier_id": ids["dairy"], "cost": 40, "currency": "USD",
                                          "pack_size": 12000}],
                  barcodes=[{"code": ean13("600100000001")}, {"code": ean13("600100000002"), "pack_quantity": 6000}],
                  opening_stock={"quantity": 24000, "unit_cost": 50}, **fields)


def test_a_draft_turns_packs_into_units_and_defaults_the_supplier_cost(hub, ids, admin):
    item = cola(admin, ids)
    body = {"supplier_id": ids["dairy"], "supplier_ref": "DN-1", "lines": [
        {"code": item["sku"], "quantity": 2000, "entered_as": "pack"},  # 2 cases of 12
        {"code": ean13("600100000002"), "quantity": 1000, "entered_as": "pack"},  # the barcode's pack of 6
        {"product_id": item["id"], "quantity": 5000, "unit_cost": 45}]}
    r = admin.post(URL, json=body)
    assert r.status_code == 201, r.text
    grn = r.json()
    assert grn["status"] == "draft" and grn["kind"] == "receipt" and grn["number"].startswith("GRN-")
    assert [(ln["quantity"], ln["pack_size"], ln["unit_cost"]) for ln in grn["lines"]] == [
        (24000, 12000, 40), (6000, 6000, 40), (5000, 1000, 45)]
    assert grn["total_cost"] == 24 * 40 + 6 * 40 + 5 * 45
    assert level(hub, item["id"]) == (24000, 50)  # a draft moves nothing

    r = admin.patch(f"{URL}/{grn['id']}", json={"lines": [{"code": item["sku"], "quantity": 1000,
                                                            "entered_as": "pack"}], "note": "one case"})
    assert r.status_code == 200, r.text
    assert [ln["quantity"] for ln in r.json()["lines"]] == [12000] and r.json()["note"] == "one case"


def test_refusals_name_the_line_and_change_nothing(hub, ids, admin):
    item = cola(admin, ids)
    seq = audit_entries(hub)[-1]["seq"]
    r = admin.post(URL, json={"supplier_id": ids["dairy"], "lines": [
        {"code": "NO-SUCH", "quantity": 1000}, {"code": item["sku"], "quantity": 1500}]})
    assert r.status_code == 422, r.text
    assert set(field_errors(r)) == {"lines[0].code", "lines[1].quantity"}
    r = admin.post(URL, json={"supplier_id": "nope", "lines": []})
    assert r.status_code == 422 and "supplier_id" in field_errors(r)
    r = admin.post(URL, json={"supplier_id": ids["dairy"], "lines": [{"code": item["sku"], "quantity": 0}]})
    assert r.status_code == 400  # below the bound the schema states
    assert audit_entries(hub, seq) == []
    empty = admin.post(URL, json={"supplier_id": ids["dairy"]}).json()
    r = admin.post(f"{URL}/{empty['id']}/post")
    assert r.status_code == 422 and "lines" in field_errors(r)


def test_posting_moves_stock_in_at_a_weighted_average_once_and_is_never_edited(hub, ids, admin):
    item = cola(admin, ids)
    grn = admin.post(URL, json={"supplier_id": ids["dairy"], "update_supplier_cost": True, "lines": [
        {"code": item["sku"], "quantity": 2000, "entered_as": "pack", "unit_cost": 80}]}).json()
    seq = audit_entries(hub)[-1]["seq"]
    r = admin.post(f"{URL}/{grn['id']}/post")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "posted" and r.json()["posted_by"] == "admin"
    assert level(hub, item["id"]) == (48000, 65)  # (24 x 50 + 24 x 80) / 48
    [entry] = audit_entries(hub, seq)
    assert entry["action"] == "goods_receipt.posted" and entry["entity_id"] == grn["id"]
    moves = admin.get("/api/v1/inventory/movements", params={"source_id": grn["id"]}).json()["items"]
    assert [(m["kind"], m["quantity"], m["unit_cost"], m["source_type"]) for m in moves] == [
        ("receipt", 24000, 80, "goods_receipt")]
    product = admin.get(f"/api/v1/products/{item['id']}").json()
    assert [(s["cost"], s["pack_size"]) for s in product["suppliers"]] == [(80, 12000)]  # updated, audited
    assert '"supplier_costs"' in entry["summary"] and '"after":80' in entry["summary"]
    no_differences(hub)

    for method, path, body in (("PATCH", f"{URL}/{grn['id']}", {"note": "late"}),
                               ("POST", f"{URL}/{grn['id']}/post", None)):
        r = admin.request(method, path, json=body)
        assert r.status_code == 409 and r.json()["code"] == "receipt_posted", r.text
    assert level(hub, item["id"]) == (48000, 65)


def test_a_reversal_is_a_new_document_moving_the_same_quantities_out_once(hub, ids, admin):
    item = cola(admin, ids)
    grn = admin.post(URL, json={"supplier_id": ids["dairy"], "lines": [
        {"code": item["sku"], "quantity": 12000, "unit_cost": 50}]}).json()
    draft_reverse = admin.post(f"{URL}/{grn['id']}/reverse", json={})
    assert draft_reverse.status_code == 409 and draft_reverse.json()["code"] == "receipt_not_posted"
    assert admin.post(f"{URL}/{grn['id']}/post").status_code == 200
    assert level(hub, item["id"])[0] == 36000
    r = admin.post(f"{URL}/{grn['id']}/reverse", json={"note": "wrong delivery"})
    assert r.status_code == 201, r.text
    rev = r.json()
    assert (rev["kind"], rev["status"], rev["reverses_id"], rev["note"]) == ("reversal", "posted", grn["id"],
                                                                            "wrong delivery")
    assert level(hub, item["id"])[0] == 24000
    moves = admin.get("/api/v1/inventory/movements", params={"source_id": rev["id"]}).json()["items"]
    assert [(m["kind"], m["quantity"]) for m in moves] == [("receipt_reversal", -12000)]
    original = admin.get(f"{URL}/{grn['id']}").json()
    assert original["reversed_by_id"] == rev["id"] and original["status"] == "posted"
    again = admin.post(f"{URL}/{grn['id']}/reverse", json={})
    assert again.status_code == 409 and again.json()["code"] == "receipt_reversed"
    assert admin.post(f"{URL}/{rev['id']}/reverse", json={}).status_code == 409  # a reversal is not reversed
    assert level(hub, item["id"])[0] == 24000
    no_differences(hub)


def test_receipts_list_by_supplier_status_kind_and_pages(hub, ids, admin):
    item = cola(admin, ids)
    made = [admin.post(URL, json={"supplier_id": ids["dairy" if i < 3 else "bakers"], "lines": [
        {"code": item["sku"], "quantity": 1000}]}).json() for i in range(4)]
    assert admin.post(f"{URL}/{made[0]['id']}/post").status_code == 200

    def numbers(**params):
        r = admin.get(URL, params=params)
        assert r.status_code == 200, r.text
        return [g["number"] for g in r.json()["items"]]

    assert numbers(supplier_id=ids["bakers"]) == [made[3]["number"]]
    assert numbers(status="posted") == [made[0]["number"]]
    assert numbers(status="draft", supplier_id=ids["dairy"]) == [made[2]["number"], made[1]["number"]]
    seen, after = [], None
    while True:
        page = admin.get(URL, params={"limit": 3, **({"after": after} if after else {})}).json()
        seen += [g["number"] for g in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert seen == [g["number"] for g in reversed(made)]
    assert admin.get(URL, params={"after": "junk"}).status_code == 422
    assert admin.get(URL, params={"status": "other"}).status_code == 400


def test_a_cashier_cannot_receive_and_a_supervisor_can(hub, ids, admin):
    item = cola(admin, ids)
    body = {"supplier_id": ids["dairy"], "lines": [{"code": item["sku"], "quantity": 1000}]}
    assert hub.as_user("cashier").post(URL, json=body).status_code == 403
    r = hub.as_user("supervisor").post(URL, json=body)
    assert r.status_code == 201, r.text
    assert hub.as_user("supervisor").post(f"{URL}/{r.json()['id']}/post").status_code == 200
