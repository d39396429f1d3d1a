"""GET /api/v1/products/lookup resolves every kind of code a till scans or types, reads only, and
answers from index probes; the embedded-barcode rules are a store setting."""

from __future__ import annotations

import sqlite3

import pytest

from hub.catalogue import barcodes as codes
from hub.db import products
from tests.catalogue.fixtures import admin, create, ean13, field_errors, ids, rows  # noqa: F401
from tests.people import audit_entries


@pytest.fixture
def cashier(hub):
    return hub.as_user("cashier")


def look(client, code):
    return client.get("/api/v1/products/lookup", params={"barcode": code})


def test_unit_and_pack_barcodes_sell_one_unit_or_the_pack(hub, ids, admin, cashier):
    unit, case = ean13("600200000001"), ean13("600200000002")
    product = create(admin, ids, prices={"USD": 120, "ZWG": 3100},
                     barcodes=[{"code": unit}, {"code": case, "pack_quantity": 12000}])
    found = look(cashier, unit).json()  # a cashier at a till may look up
    assert (found["kind"], found["quantity"], found["code"]) == ("unit", 1000, unit)
    assert found["product"]["id"] == product["id"] and found["product"]["prices"] == {"USD": 120, "ZWG": 3100}
    assert found["product"]["unit_decimals"] == 0 and found["product"]["unit_code"] == "each"
    found = look(cashier, case).json()
    assert (found["kind"], found["quantity"]) == ("pack", 12000)


def test_a_weight_embedded_code_gives_the_weight_and_a_price_embedded_code_the_amount(hub, ids, admin, cashier):
    mince = create(admin, ids, name="Beef mince", unit_id=ids["kg"], sold_by_weight=True, plu="123",
                   prices={"USD": 899}, barcodes=[])
    weight = codes.encode(codes.EmbeddedRule("21", "weight"), "123", 1250)  # 1.250 kg
    found = look(cashier, weight).json()
    assert (found["kind"], found["quantity"], found["price"]) == ("weight", 1250, None)
    assert found["product"]["id"] == mince["id"] and found["product"]["sold_by_weight"]
    priced = codes.encode(codes.EmbeddedRule("22", "price"), "00123", 1124)  # USD 11.24
    found = look(cashier, priced).json()
    assert (found["kind"], found["price"], found["currency"], found["quantity"]) == ("price", 1124, "USD", None)
    assert found["product"]["id"] == mince["id"]


def test_a_sku_typed_at_the_till_in_any_case(hub, ids, admin, cashier):
    product = create(admin, ids, sku="BREAD-W700")
    found = look(cashier, "  bread-w700 ").json()
    assert (found["kind"], found["quantity"], found["product"]["id"]) == ("sku", 1000, product["id"])


def test_a_registered_code_wins_over_the_embedded_rules(hub, ids, admin, cashier):
    code = ean13("210000000001")  # in the weight prefix 21, but a product's own barcode
    product = create(admin, ids, barcodes=[{"code": code}])
    assert look(cashier, code).json()["product"]["id"] == product["id"]
    assert look(cashier, code).json()["kind"] == "unit"


def test_a_upc_a_scanned_as_ean13_is_found(hub, ids, admin, cashier):
    product = create(admin, ids, barcodes=[{"code": "036000291452"}])
    assert look(cashier, "0036000291452").json()["product"]["id"] == product["id"]


def test_unknown_codes_and_misreads_are_404_barcode_unknown(hub, ids, admin, cashier):
    create(admin, ids, plu="555", unit_id=ids["kg"], sold_by_weight=True)
    weight = codes.encode(codes.EmbeddedRule("21", "weight"), "555", 500)
    misread = weight[:-1] + str((int(weight[-1]) + 1) % 10)
    for code in ("4006381333931", "NOPE", misread, codes.encode(codes.EmbeddedRule("21", "weight"), "556", 500)):
        r = look(cashier, code)
        assert r.status_code == 404 and r.json()["code"] == "barcode_unknown", code
    assert "check digit" in look(cashier, misread).json()["detail"]
    assert look(cashier, "").status_code == 400
    assert hub.client().get("/api/v1/products/lookup", params={"barcode": "x"}).status_code == 401


def test_lookup_writes_nothing(hub, ids, admin, cashier):
    product = create(admin, ids)
    seq = audit_entries(hub)[-1]["seq"]
    changes = rows(hub.db_path, "SELECT max(seq) AS s FROM changes")[0]["s"]
    for _ in range(3):
        look(cashier, product["barcodes"][0]["code"])
    assert audit_entries(hub, seq) == []
    assert rows(hub.db_path, "SELECT max(seq) AS s FROM changes")[0]["s"] == changes


def test_each_branch_of_the_lookup_is_an_index_probe(hub, ids, admin):
    """No full scan of products or barcodes, whatever the code: the plan names only indexes."""
    create(admin, ids)
    conn = sqlite3.connect(f"file:{hub.db_path}?mode=ro", uri=True)
    try:
        plan = conn.execute("EXPLAIN QUERY PLAN " + products.LOOKUP_SQL,
                            {"code": "x", "plu": "1", "typed": "x"}).fetchall()
    finally:
        conn.close()
    details = [row[3] for row in plan]
    # The only scan is of `m`, the one row the three probes chose.
    assert [d for d in details if d.startswith("SCAN")] == ["SCAN m"], details
    assert "SEARCH b USING PRIMARY KEY (code=?)" in details  # a barcode
    assert any(d.startswith("SEARCH e USING INDEX") and "(plu=?)" in d for d in details), details
    assert any(d.startswith("SEARCH s USING INDEX") and "(sku=?)" in d for d in details), details
    assert any(d.startswith("SEARCH product_prices USING PRIMARY KEY") for d in details), details


def test_the_store_can_change_the_embedded_rules(hub, ids, admin, cashier):
    r = admin.get("/api/v1/settings/barcodes")
    assert r.status_code == 200 and r.json()["default"] and len(r.json()["embedded"]) == 10
    create(admin, ids, plu="1234", unit_id=ids["kg"], sold_by_weight=True)
    rule = {"prefix": "2", "kind": "weight", "item_digits": 5, "value_digits": 6}  # 1 + 5 + 6 + 1 digits
    seq = audit_entries(hub)[-1]["seq"]
    r = admin.put("/api/v1/settings/barcodes", json={"embedded": [rule]})
    assert r.status_code == 200, r.text
    assert r.json() == {"embedded": [rule], "default": False}
    assert [e["action"] for e in audit_entries(hub, seq)] == ["settings.barcodes_updated"]
    code = codes.encode(codes.EmbeddedRule("2", "weight", 5, 6), "1234", 2500)
    assert look(cashier, code).json()["quantity"] == 2500
    r = admin.put("/api/v1/settings/barcodes", json={"embedded": [{"prefix": "2", "kind": "weight"}]})
    assert r.status_code == 422 and "embedded[0]" in field_errors(r)
    assert hub.as_user("supervisor").put("/api/v1/settings/barcodes", json={"embedded": []}).status_code == 403
