"""Products over real HTTP: create, read, change, archive; refusals that name the field; the
change feed and the audit log written with every change."""

from __future__ import annotations

import json

from tests.catalogue.fixtures import (admin, changes_of, create, ean13, enrol, field_errors, ids,  # noqa: F401
                                      new_product, rows)
from tests.people import audit_entries


def test_a_created_product_reads_back_whole_with_defaults(hub, ids, admin):
    body = new_product(ids, name="Mazoe Orange Crush Concentrate 2 Litre Bottle", category_id=ids["drinks"],
                       hs_code="22029900", cost_price=310, low_stock_threshold=6000, plu="00042",
                       prices={"USD": 450, "ZWG": 11700},
                       barcodes=[{"code": ean13("600100000001")}, {"code": ean13("600100000002"), "pack_quantity": 6000}],
                       suppliers=[{"supplier_id": ids["dairy"], "supplier_code": "MZ-2L", "cost": 300,
                                   "currency": "USD", "pack_size": 6000, "preferred": True}])
    r = admin.post("/api/v1/products", json=body)
    assert r.status_code == 201, r.text
    product = admin.get(f"/api/v1/products/{r.json()['id']}").json()
    assert product["receipt_name"] == "Mazoe Orange Crush Conce"  # the name cut to 24 characters
    assert product["plu"] == "42"  # a scale's PLU has no leading zeros
    assert product["prices"] == product["effective_prices"] == {"USD": 450, "ZWG": 11700}
    assert product["override_prices"] == {}
    assert product["barcodes"] == [{"code": ean13("600100000001"), "pack_quantity": 1000},
                                   {"code": ean13("600100000002"), "pack_quantity": 6000}]
    assert product["suppliers"][0]["supplier_code"] == "MZ-2L" and product["suppliers"][0]["preferred"]
    assert product["active"] and product["version"] == 1 and product["stock_tracked"]
    assert product["opening_stock"] is None and product["on_hand"] == 0 and product["scheduled_prices"] == []
    assert product["label_queued_at"] is not None  # a new price needs a shelf label
    assert {(h["currency"], h["old_price"], h["new_price"]) for h in product["recent_price_history"]} == {
        ("USD", None, 450), ("ZWG", None, 11700)}


def test_every_change_is_one_versioned_change_row_carrying_prices_and_barcodes_and_one_audit_entry(hub, ids, admin):
    product = create(admin, ids)
    seq = audit_entries(hub)[-1]["seq"]
    r = admin.patch(f"/api/v1/products/{product['id']}", json={
        "name": "Renamed", "prices": {"USD": 175, "ZWG": 4550},
        "barcodes": [{"code": ean13("600100000111")}], "reason": "supplier price rise"})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2
    [entry] = audit_entries(hub, seq)
    assert entry["action"] == "product.updated" and entry["request_id"] == r.headers["x-request-id"]
    summary = json.loads(entry["summary"])
    assert summary["before"]["prices"] == {"USD": 150} and summary["after"]["prices"] == {"USD": 175, "ZWG": 4550}
    assert summary["detail"]["reason"] == "supplier price rise"
    feed = changes_of(hub.db_path, product["id"])
    assert [c["version"] for c in feed] == [1, 2]
    assert feed[-1]["effective_prices"] == {"USD": 175, "ZWG": 4550}
    assert feed[-1]["barcodes"] == [{"code": ean13("600100000111"), "pack_quantity": 1000}]
    assert "cost_price" not in feed[-1] and "suppliers" not in feed[-1]  # not a till's business
    # The receipt name was the default cut, so it follows the new name.
    assert r.json()["receipt_name"] == "Renamed"


def test_a_change_that_changes_nothing_writes_nothing(hub, ids, admin):
    product = create(admin, ids)
    seq = audit_entries(hub)[-1]["seq"]
    r = admin.patch(f"/api/v1/products/{product['id']}", json={
        "name": product["name"], "prices": {"USD": 150}, "barcodes": product["barcodes"]})
    assert r.status_code == 200 and r.json()["version"] == 1
    assert audit_entries(hub, seq) == []


def test_refusals_name_each_field(hub, ids, admin):
    body = new_product(ids, sku="has space", hs_code="123", unit_id="no-such-unit", category_id="nope",
                       prices={"XXX": 100}, low_stock_threshold=1500,
                       barcodes=[{"code": "6001234567891"}, {"code": "ABC-1"}, {"code": "ABC-1"}],
                       suppliers=[{"supplier_id": "ghost"}])
    r = admin.post("/api/v1/products", json=body)
    assert r.status_code == 422 and r.json()["code"] == "invalid_fields"
    errors = field_errors(r)
    assert set(errors) == {"sku", "hs_code", "unit_id", "category_id", "prices.XXX", "barcodes[0].code",
                           "barcodes[2].code", "suppliers[0].supplier_id"}
    assert "check digit" in errors["barcodes[0].code"] and "should be 9" in errors["barcodes[0].code"]
    assert "listed twice" in errors["barcodes[2].code"]
    # Litestar's own body checks name their field the same way.
    r = admin.post("/api/v1/products", json={**new_product(ids), "cost_price": -1})
    assert r.status_code == 400 and "cost_price" in field_errors(r)


def test_quantities_respect_the_units_decimals(hub, ids, admin):
    r = admin.post("/api/v1/products", json=new_product(ids, low_stock_threshold=2500,
                                                         barcodes=[{"code": "CASE-1", "pack_quantity": 1500}]))
    errors = field_errors(r)
    assert r.status_code == 422 and set(errors) == {"low_stock_threshold", "barcodes[0].pack_quantity"}
    assert "each allows 0 decimals" in errors["low_stock_threshold"]
    weighed = create(admin, ids, unit_id=ids["kg"], sold_by_weight=True, low_stock_threshold=2500,
                     barcodes=[{"code": "HALF-KG", "pack_quantity": 500}])
    assert weighed["low_stock_threshold"] == 2500
    r = admin.post("/api/v1/products", json=new_product(ids, sold_by_weight=True))
    assert r.status_code == 422 and set(field_errors(r)) == {"sold_by_weight"}
    # Changing the unit re-checks the quantities already there.
    r = admin.patch(f"/api/v1/products/{weighed['id']}", json={"unit_id": ids["each"]})
    assert r.status_code == 422
    assert {"low_stock_threshold", "barcodes[0].pack_quantity", "sold_by_weight"} <= set(field_errors(r))


def test_a_taken_sku_plu_or_barcode_is_409_naming_the_product_that_has_it(hub, ids, admin):
    first = create(admin, ids, plu="77")
    code = first["barcodes"][0]["code"]
    r = admin.post("/api/v1/products", json=new_product(ids, barcodes=[{"code": code}]))
    assert r.status_code == 409 and r.json()["code"] == "barcode_taken"
    assert r.json()["product"] == {"id": first["id"], "sku": first["sku"], "name": first["name"]}
    assert "barcodes[0].code" in field_errors(r)
    r = admin.post("/api/v1/products", json=new_product(ids, sku=first["sku"].lower()))
    assert r.status_code == 409 and r.json()["code"] == "sku_taken"  # SKUs compare in any case
    r = admin.post("/api/v1/products", json=new_product(ids, plu="0077"))
    assert r.status_code == 409 and r.json()["code"] == "plu_taken"
    # A UPC-A scanned as EAN-13 (a leading 0) is the same code.
    upc = create(admin, ids, barcodes=[{"code": "036000291452"}])
    r = admin.post("/api/v1/products", json=new_product(ids, barcodes=[{"code": "0036000291452"}]))
    assert r.status_code == 409 and r.json()["product"]["id"] == upc["id"]


def test_free_codes_are_allowed_and_gs1_lengths_must_check(hub, ids, admin):
    product = create(admin, ids, barcodes=[{"code": "INHOUSE-42"}, {"code": ean13("600100000777")},
                                           {"code": "96385074"}, {"code": "036000291452"}])
    assert len(product["barcodes"]) == 4
    for bad in ("96385075", "036000291453"):
        r = admin.post("/api/v1/products", json=new_product(ids, barcodes=[{"code": bad}]))
        assert r.status_code == 422 and "check digit" in field_errors(r)["barcodes[0].code"], bad


def test_archive_and_restore_never_delete(hub, ids, admin):
    product = create(admin, ids)
    r = admin.post(f"/api/v1/products/{product['id']}/archive")
    assert r.status_code == 200 and not r.json()["active"] and r.json()["archived_at"]
    assert admin.delete(f"/api/v1/products/{product['id']}").status_code == 405
    assert admin.get(f"/api/v1/products/{product['id']}").json()["active"] is False
    r = admin.post(f"/api/v1/products/{product['id']}/restore")
    assert r.status_code == 200 and r.json()["active"] and r.json()["archived_at"] is None
    assert [e["action"] for e in audit_entries(hub)[-2:]] == ["product.archived", "product.restored"]


def test_archived_references_are_refused_for_new_links_only(hub, ids, admin):
    from tests.catalogue.fixtures import archive

    product = create(admin, ids, category_id=ids["drinks"])
    archive(hub.db_path, "categories", ids["drinks"])
    r = admin.post("/api/v1/products", json=new_product(ids, category_id=ids["drinks"]))
    assert r.status_code == 422 and "archived" in field_errors(r)["category_id"]
    r = admin.patch(f"/api/v1/products/{product['id']}", json={"name": "Still in an archived category"})
    assert r.status_code == 200, r.text


def test_prices_need_the_prices_permission(hub, ids, admin):
    from tests.people import People

    people = People(hub)
    role = people.new_role(["catalogue.view", "catalogue.manage"])
    r = people.root.post("/api/v1/users", json={"username": "catalogue-clerk", "display_name": "Clerk",
                                                "role_id": role["id"], "password": "clerk-pass-1"})
    assert r.status_code == 201, r.text
    clerk = hub.client(hub.login("catalogue-clerk", "clerk-pass-1")["access_token"])
    r = clerk.post("/api/v1/products", json=new_product(ids))
    assert r.status_code == 403 and r.json()["permission"] == "prices.manage"
    product = clerk.post("/api/v1/products", json=new_product(ids, prices={})).json()
    assert clerk.patch(f"/api/v1/products/{product['id']}", json={"name": "Fine"}).status_code == 200
    assert clerk.patch(f"/api/v1/products/{product['id']}", json={"prices": {"USD": 1}}).status_code == 403


def test_opening_stock_is_an_audited_opening_movement_in_the_ledger(hub, ids, admin):
    seq = audit_entries(hub)[-1]["seq"]
    product = create(admin, ids, opening_stock={"quantity": 24000, "unit_cost": 95, "note": "shelf count"})
    assert product["on_hand"] == 24000  # from the ledger, not a number on the product
    opening = product["opening_stock"]
    assert (opening["quantity"], opening["unit_cost"], opening["entered_by"], opening["note"]) == (
        24000, 95, "admin", "shelf count")
    # One entry for the request, and it carries the opening balance with its cost.
    [entry] = audit_entries(hub, seq)
    after = json.loads(entry["summary"])["after"]
    assert entry["action"] == "product.created"
    assert (after["opening_stock"]["quantity"], after["opening_stock"]["unit_cost"]) == (24000, 95)
    [movement] = rows(hub.db_path, "SELECT id, kind, quantity, unit_cost, source_type, source_id, username"
                                   " FROM stock_movements WHERE product_id = ?", product["id"])
    assert movement == {"id": opening["id"], "kind": "opening", "quantity": 24000, "unit_cost": 95,
                        "source_type": "product", "source_id": product["id"], "username": "admin"}
    assert rows(hub.db_path, "SELECT on_hand, avg_cost, value FROM stock_levels WHERE product_id = ?",
                product["id"]) == [{"on_hand": 24000, "avg_cost": 95, "value": 2280}]
    assert "on_hand" not in changes_of(hub.db_path, product["id"])[-1]  # tills get stock_level rows
    level = admin.get(f"/api/v1/inventory/levels/{product['id']}").json()
    assert level["on_hand"] == 24000
    # Sent back as the form shows it: no change. Changed or withdrawn: the ledger has it; 409.
    same = {"quantity": 24000, "unit_cost": 95, "note": "shelf count"}
    r = admin.patch(f"/api/v1/products/{product['id']}", json={"opening_stock": same})
    assert r.status_code == 200 and r.json()["version"] == product["version"]
    for changed in ({"quantity": 30000, "unit_cost": 95}, None):
        r = admin.patch(f"/api/v1/products/{product['id']}", json={"opening_stock": changed})
        assert r.status_code == 409 and r.json()["code"] == "stock_has_movements", r.text
        assert "opening_stock" in field_errors(r) and "adjustment" in r.json()["detail"]
    assert len(rows(hub.db_path, "SELECT 1 FROM stock_movements WHERE product_id = ?", product["id"])) == 1
    # Stock that cannot fit a unit, or tracking turned off with stock on hand: refused by field.
    r = admin.post("/api/v1/products", json=new_product(ids, stock_tracked=False, opening_stock={"quantity": 1000}))
    assert r.status_code == 422 and "opening_stock" in field_errors(r)
    r = admin.post("/api/v1/products", json=new_product(ids, opening_stock={"quantity": 1500}))
    assert r.status_code == 422 and "opening_stock.quantity" in field_errors(r)  # 1.5 is not whole
    weighed = create(admin, ids, unit_id=ids["kg"], opening_stock={"quantity": 1500})
    r = admin.patch(f"/api/v1/products/{weighed['id']}", json={"unit_id": ids["each"]})
    assert r.status_code == 422 and "unit_id" in field_errors(r)  # 1.5 on hand is not whole
    r = admin.patch(f"/api/v1/products/{product['id']}", json={"stock_tracked": False})
    assert r.status_code == 422 and "stock_tracked" in field_errors(r)
    r = admin.patch(f"/api/v1/products/{product['id']}", json={"unit_id": ids["kg"]})
    assert r.status_code == 200  # 24 units fit a unit with decimals


def test_a_product_without_movements_takes_its_opening_stock_on_an_edit_in_one_audit_entry(hub, ids, admin):
    product = create(admin, ids)
    seq = audit_entries(hub)[-1]["seq"]
    r = admin.patch(f"/api/v1/products/{product['id']}", json={"opening_stock": {"quantity": 6000, "unit_cost": 40}})
    assert r.status_code == 200, r.text
    assert r.json()["on_hand"] == 6000 and r.json()["version"] == product["version"] + 1
    [entry] = audit_entries(hub, seq)
    summary = json.loads(entry["summary"])
    assert entry["action"] == "product.updated" and summary["before"] == {"opening_stock": None}
    assert summary["after"]["opening_stock"]["quantity"] == 6000
    assert summary["after"]["opening_stock"]["id"] == r.json()["opening_stock"]["id"]


def test_enrolled_hub_refuses_hq_fields_and_the_store_overrides_the_price(hub, ids, admin):
    product = create(admin, ids, prices={"USD": 150, "ZWG": 3900})
    enrol(hub.db_path)
    r = admin.patch(f"/api/v1/products/{product['id']}", json={"prices": {"USD": 160}})
    assert r.status_code == 409 and r.json()["code"] == "hq_owned" and r.json()["fields"] == ["price"]
    assert admin.patch(f"/api/v1/products/{product['id']}", json={"name": "X"}).json()["code"] == "hq_owned"
    r = admin.patch(f"/api/v1/products/{product['id']}", json={"override_prices": {"USD": 140}, "low_stock_threshold": 2000})
    assert r.status_code == 200, r.text
    assert r.json()["prices"] == {"USD": 150, "ZWG": 3900}
    assert r.json()["effective_prices"] == {"USD": 140, "ZWG": 3900}  # the override wins
    [history] = admin.get(f"/api/v1/products/{product['id']}/price-history").json()["items"][:1]
    assert (history["field"], history["old_price"], history["new_price"]) == ("override_price", None, 140)
    r = admin.post("/api/v1/products", json=new_product(ids))
    assert r.status_code == 409 and r.json()["code"] == "hq_owned"
    # Removing the override puts HQ's price back on the shelf.
    r = admin.patch(f"/api/v1/products/{product['id']}", json={"override_prices": {"USD": None}})
    assert r.json()["effective_prices"]["USD"] == 150


def test_list_searches_filters_and_pages(hub, ids, admin):
    bread = create(admin, ids, name="White Bread 700g", category_id=ids["bread"],
                   suppliers=[{"supplier_id": ids["bakers"]}], barcodes=[{"code": ean13("600777000001")}])
    create(admin, ids, name="Brown Bread 700g", category_id=ids["bakery"], tax_class_id=ids["EXEMPT"])
    milk = create(admin, ids, name="Milk 1L 50% off", category_id=ids["drinks"],
                  suppliers=[{"supplier_id": ids["dairy"]}])
    admin.post(f"/api/v1/products/{milk['id']}/archive")

    def names(**params):
        r = admin.get("/api/v1/products", params=params)
        assert r.status_code == 200, r.text
        return [p["name"] for p in r.json()["items"]]

    assert names(q="bread") == ["Brown Bread 700g", "White Bread 700g"]
    assert names(q="600777") == ["White Bread 700g"]  # a barcode prefix
    assert names(q=bread["sku"].lower()) == ["White Bread 700g"]
    assert names(q="50%") == ["Milk 1L 50% off"]  # LIKE wildcards are literal
    assert names(category_id=ids["food"]) == ["Brown Bread 700g", "White Bread 700g"]  # descendants too
    assert names(supplier_id=ids["dairy"]) == ["Milk 1L 50% off"]
    assert names(active="false") == ["Milk 1L 50% off"]
    assert names(tax_class_id=ids["EXEMPT"]) == ["Brown Bread 700g"]
    seen, after = [], None
    while True:
        params = {"limit": 1, **({"after": after} if after else {})}
        page = admin.get("/api/v1/products", params=params).json()
        seen += [p["name"] for p in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert seen == sorted(seen, key=str.casefold) and len(seen) == 3
    r = admin.get("/api/v1/products", params={"after": "not-a-cursor"})
    assert r.status_code == 422 and "after" in field_errors(r)


def test_unknown_product_is_404(hub, ids, admin):
    for method, path in (("GET", "/api/v1/products/nope"), ("PATCH", "/api/v1/products/nope"),
                         ("POST", "/api/v1/products/nope/archive"),
                         ("GET", "/api/v1/products/nope/price-history")):
        r = admin.request(method, path, json={"name": "x"} if method == "PATCH" else None)
        assert r.status_code == 404, (method, path, r.text)
