"""CSV import and export over HTTP: a dry-run report, all-or-nothing writes, and a round trip that
changes nothing (docs/catalogue-csv.md)."""

from __future__ import annotations

import json

from tests.catalogue.fixtures import admin, create, ean13, ids, rows  # noqa: F401
from tests.people import audit_entries

HEADER = ("sku,name,receipt_name,description,category,unit,tax_class,hs_code,cost_price,price_USD,"
          "price_ZWG,barcodes,stock_tracked,low_stock_threshold,sold_by_weight,plu,"
          "opening_stock_quantity,opening_stock_unit_cost")


def post(client, text, dry_run):
    return client.post("/api/v1/products/import", params={"dry_run": str(dry_run).lower()},
                       content=text.encode(), headers={"content-type": "text/csv"})


def csv_of(*lines):
    return "\r\n".join((HEADER, *lines)) + "\r\n"


def counts(hub):
    return {t: rows(hub.db_path, f"SELECT count(*) AS n FROM {t}")[0]["n"]
            for t in ("products", "product_prices", "barcodes", "price_history", "changes", "audit_log",
                      "stock_movements", "stock_levels", "label_queue")}


GOOD = csv_of(
    f'BRD-W700,White Bread 700g,,"Sliced, white",Food/Bakery/Bread,each,VAT,1905,0.80,1.00,26.50,'
    f'{ean13("600300000001")}|{ean13("600300000002")}*12,yes,10,no,,24,0.80',
    "MINCE,Beef mince,,,Food,KG,vat,02013000,4.10,8.99,,,yes,2.5,yes,123,,",
)


def test_a_dry_run_reports_and_writes_nothing(hub, ids, admin):
    before = counts(hub)
    r = post(admin, GOOD, dry_run=True)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["dry_run"] and report["rows"] == 2 and report["errors"] == []
    assert report["created"] == [{"row": 2, "sku": "BRD-W700"}, {"row": 3, "sku": "MINCE"}]
    assert counts(hub) == before


def test_a_real_import_writes_every_row_with_one_audit_entry(hub, ids, admin):
    seq = audit_entries(hub)[-1]["seq"]
    r = post(admin, GOOD, dry_run=False)
    assert r.status_code == 200, r.text
    assert [e["action"] for e in audit_entries(hub, seq)] == ["product.imported"]
    detail = json.loads(audit_entries(hub, seq)[0]["summary"])["detail"]
    assert (detail["created"], detail["updated"], detail["rows"]) == (2, 0, 2)
    bread = admin.get("/api/v1/products", params={"q": "BRD-W700"}).json()["items"][0]
    assert bread["prices"] == {"USD": 100, "ZWG": 2650} and bread["cost_price"] == 80
    assert bread["category_id"] == ids["bread"] and bread["hs_code"] == "1905"
    assert bread["description"] == "Sliced, white" and bread["low_stock_threshold"] == 10000
    assert {b["pack_quantity"] for b in bread["barcodes"]} == {1000, 12000}
    assert bread["opening_stock"]["quantity"] == 24000 and bread["opening_stock"]["unit_cost"] == 80
    assert bread["on_hand"] == 24000  # posted to the stock ledger by the import, as an opening movement
    assert detail["opening_stock"] == [{"sku": "BRD-W700", "quantity": 24000, "unit_cost": 80}]
    mince = admin.get("/api/v1/products", params={"q": "mince"}).json()["items"][0]
    assert mince["unit_id"] == ids["kg"] and mince["sold_by_weight"] and mince["low_stock_threshold"] == 2500
    assert mince["plu"] == "123" and mince["prices"] == {"USD": 899}
    feed = rows(hub.db_path, "SELECT entity_id FROM changes WHERE entity = 'product'")
    assert {f["entity_id"] for f in feed} == {bread["id"], mince["id"]}
    history = admin.get(f"/api/v1/products/{bread['id']}/price-history").json()["items"]
    assert {h["source"] for h in history} == {"import"}


def test_one_bad_row_imports_nothing_and_the_report_names_row_and_column(hub, ids, admin):
    taken = create(admin, ids)
    bad = csv_of(
        GOOD.splitlines()[1],
        "BAD-1,Nameless unit,,,Food/Nowhere,litre,VAT,123,1.005,abc,,6001234567891,maybe,1.5,no,,,",
        f"BAD-2,Takes a barcode,,,,each,VAT,,,1.00,,{taken['barcodes'][0]['code']},yes,0,no,,,",
        "BRD-W700,Same SKU twice,,,,each,VAT,,,1.00,,,yes,0,no,,,",
    )
    before = counts(hub)
    r = post(admin, bad, dry_run=False)
    assert r.status_code == 422 and r.json()["code"] == "import_refused"
    assert counts(hub) == before  # nothing half-imported
    errors = {(e["row"], e["field"]) for e in r.json()["errors"]}
    assert {(3, "category"), (3, "unit"), (3, "cost_price"), (3, "price_USD"), (3, "stock_tracked"),
            (4, "barcodes"), (5, "sku")} <= errors, errors
    messages = {(e["row"], e["field"]): e["message"] for e in r.json()["errors"]}
    assert taken["sku"] in messages[(4, "barcodes")]
    dry = post(admin, bad, dry_run=True).json()
    assert {(e["row"], e["field"]) for e in dry["errors"]} == errors


def test_export_then_import_changes_nothing(hub, ids, admin):
    assert post(admin, GOOD, dry_run=False).status_code == 200
    create(admin, ids, name='Quote "and" comma, here', description="two\nlines", category_id=ids["drinks"],
           suppliers=[{"supplier_id": ids["dairy"]}], prices={"ZWG": 500}, plu="9",
           unit_id=ids["kg"], low_stock_threshold=1, barcodes=[{"code": "FREE/CODE", "pack_quantity": 2500}])
    exported = admin.get("/api/v1/products/export")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    before = counts(hub)
    versions = rows(hub.db_path, "SELECT id, version FROM products ORDER BY id")
    r = post(admin, exported.text, dry_run=False)
    assert r.status_code == 200, r.text
    assert r.json()["unchanged"] == 3 and r.json()["created"] == [] and r.json()["updated"] == []
    assert counts(hub) == before  # no change rows, no history, not even an audit entry
    assert rows(hub.db_path, "SELECT id, version FROM products ORDER BY id") == versions
    assert admin.get("/api/v1/products/export").text == exported.text


def test_an_import_cannot_change_opening_stock_once_stock_has_moved(hub, ids, admin):
    assert post(admin, GOOD, dry_run=False).status_code == 200
    again = "sku,opening_stock_quantity,opening_stock_unit_cost\r\nBRD-W700,24,0.80\r\n"
    assert post(admin, again, dry_run=True).json()["unchanged"] == 1  # as exported: no change
    changed = "sku,opening_stock_quantity\r\nBRD-W700,30\r\n"
    r = post(admin, changed, dry_run=False)
    assert r.status_code == 422
    [error] = r.json()["errors"]
    assert error["field"] == "opening_stock_quantity" and "adjustment" in error["message"]
    fresh = create(admin, ids)  # no movement yet: an import may still give it opening stock
    r = post(admin, f"sku,opening_stock_quantity\r\n{fresh['sku']},5\r\n", dry_run=False)
    assert r.status_code == 200, r.text
    assert admin.get(f"/api/v1/products/{fresh['id']}").json()["on_hand"] == 5000
    r = post(admin, f"sku,stock_tracked\r\n{fresh['sku']},no\r\n", dry_run=True)
    assert [e["field"] for e in r.json()["errors"]] == ["stock_tracked"]  # 5 on hand


def test_an_import_updates_only_the_cells_given_and_reports_the_columns(hub, ids, admin):
    assert post(admin, GOOD, dry_run=False).status_code == 200
    change = "sku,price_USD,name\r\nbrd-w700,1.10,\r\n"  # a SKU in any case; an empty cell changes nothing
    report = post(admin, change, dry_run=True).json()
    assert report["updated"] == [{"row": 2, "sku": "BRD-W700", "fields": ["price_USD"]}]
    assert post(admin, change, dry_run=False).status_code == 200
    bread = admin.get("/api/v1/products", params={"q": "BRD-W700"}).json()["items"][0]
    assert bread["prices"] == {"USD": 110, "ZWG": 2650} and bread["name"] == "White Bread 700g"


def test_barcodes_and_plus_may_move_between_products_in_one_import(hub, ids, admin):
    a = create(admin, ids, barcodes=[{"code": ean13("600400000001")}], plu="11")
    b = create(admin, ids, barcodes=[{"code": ean13("600400000002")}], plu="12")
    swap = (f"sku,barcodes,plu\r\n{a['sku']},{ean13('600400000002')},12\r\n"
            f"{b['sku']},{ean13('600400000001')},11\r\n")
    r = post(admin, swap, dry_run=False)
    assert r.status_code == 200, r.text
    assert admin.get(f"/api/v1/products/{a['id']}").json()["barcodes"][0]["code"] == ean13("600400000002")
    assert admin.get(f"/api/v1/products/{b['id']}").json()["plu"] == "11"


def test_the_file_itself_is_checked(hub, ids, admin):
    r = post(admin, "sku,colour\r\nX,red\r\n", dry_run=True)
    assert r.json()["errors"] == [{"row": 1, "field": "colour",
                                   "message": "unknown column (docs/catalogue-csv.md lists them)"}]
    assert post(admin, "name\r\nX\r\n", dry_run=True).json()["errors"][0]["field"] == "sku"
    assert post(admin, "sku,price_EUR\r\nX,1\r\n", dry_run=True).json()["errors"][0]["field"] == "price_EUR"
    r = admin.post("/api/v1/products/import", content=b"sku\r\nX\r\n", headers={"content-type": "application/json"})
    assert r.status_code == 415
    r = admin.post("/api/v1/products/import", content=b"\xff\xfe", headers={"content-type": "text/csv"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body"
    # A spreadsheet's UTF-8 byte order mark is fine.
    r = admin.post("/api/v1/products/import", content="\ufeffsku,name,unit,tax_class\r\nBOM-1,Tea,each,VAT\r\n".encode(),
                   headers={"content-type": "text/csv; charset=utf-8"})
    assert r.json()["created"] == [{"row": 2, "sku": "BOM-1"}]
    assert hub.as_user("supervisor").post("/api/v1/products/import", content=b"sku\r\n",
                                          headers={"content-type": "text/csv"}).status_code == 403


def test_the_csv_page_names_every_column():
    from pathlib import Path

    from hub.catalogue.products import csvfile

    doc = (Path(__file__).resolve().parents[2] / "docs" / "catalogue-csv.md").read_text()
    missing = [c for c in csvfile.FIXED_COLUMNS if f"| `{c}` |" not in doc]
    assert not missing and "`price_USD`" in doc, missing
