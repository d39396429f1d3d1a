"""Import, Export, Bulk price change and Shelf labels over real HTTP: a file is checked and nothing
written until its Import button, then all of it through the API's importer; the export is the
API's CSV under the store's name; a bulk change is previewed, then applied only as previewed; the
shelf-label list shows each price change and clears what was ticked."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time

import pytest

from hub.catalogue.products import _import_uploads as uploads
from hub.catalogue.products import csvfile
from hub.catalogue.products.files_portal import COLUMN_HELP, export_filename
from hub.portal.session import CSRF_COOKIE, CSRF_FIELD
from tests.catalogue.fixtures import admin, create, ean13, ids, rows  # noqa: F401
from tests.people import People, audit_entries
from tests.portal.client import CSRF, Portal, set_cookies
from tests.portal.test_devices_pages import rows as table_rows
from tests.portal.test_devices_pages import text_of

HEADER = "sku,name,category,unit,tax_class,price_USD,barcodes"


@pytest.fixture
def portal(hub):
    return Portal(hub)


def upload(portal: Portal, token: str, content: bytes, filename: str = "products.csv"):
    """The Import form sent as a browser sends it: multipart, with the file."""
    cookie = f"soko_session={token}; {CSRF_COOKIE}={CSRF}"
    try:
        return portal.http.post("/products/import", data={CSRF_FIELD: CSRF},
                                files={"file": (filename, content, "text/csv")},
                                headers={"Cookie": cookie}, follow_redirects=False)
    finally:
        portal.http.cookies.clear()


def counts(hub) -> dict[str, int]:
    return {t: rows(hub.db_path, f"SELECT count(*) AS n FROM {t}")[0]["n"]
            for t in ("products", "product_prices", "price_history", "changes", "audit_log", "label_queue")}


def hidden(page: str, name: str) -> str:
    found = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden {name}"
    return found[1]


def by_sku(admin, sku: str) -> dict:
    [found] = [p for p in admin.get("/api/v1/products", params={"q": sku}).json()["items"] if p["sku"] == sku]
    return found


# ---- Import ----------------------------------------------------------------------------------------


def test_every_column_of_the_csv_has_its_line_on_the_import_page():
    assert set(COLUMN_HELP) == set(csvfile.FIXED_COLUMNS)


def test_the_import_page_shows_the_format_and_an_upload_form_to_managers_only(portal):
    page = portal.call("GET", "/products/import", portal.token("manager"))
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text and 'type="file"' in page.text
    shown = [c for c in re.findall(r"<td data-label=\"Column\"><code>([a-z_A-Z]+)</code>", page.text)]
    assert shown == csvfile.columns(["USD", "ZWG"])  # the export's order, the store's currencies
    assert "At most 2 MiB and 20,000 rows" in text_of(page.text)
    assert portal.call("GET", "/products/import", portal.token("supervisor")).status_code == 403


def test_a_file_with_a_bad_row_is_reported_by_row_and_column_and_nothing_is_written(hub, portal, ids):
    token = portal.token("manager")
    before = counts(hub)
    text = "\r\n".join((HEADER, "OK-1,Good bread,Food/Bakery/Bread,each,VAT,1.00,",
                        "BAD-1,Bad bread,Food/Nowhere,each,VAT,1.005,")) + "\r\n"
    r = upload(portal, token, text.encode())
    assert r.status_code == 422
    shown = text_of(r.text)
    assert "2 problems in products.csv: nothing was imported." in shown
    problems = [row for row in table_rows(r.text) if row.startswith("3 ")]
    assert problems == ["3 category there is no category Food/Nowhere (write the path, such as Food/Bakery)",
                        "3 price_USD '1.005' has more than 2 decimals"]
    assert 'name="upload"' not in r.text and "Import 1 product" not in shown
    assert counts(hub) == before
    assert not uploads.folder(hub.server.settings.data_path).exists()  # a refused file is not kept


def test_a_clean_file_is_checked_then_imported_all_at_once_by_its_button(hub, portal, ids, admin):
    existing = create(admin, ids, sku="UPD-1", prices={"USD": 150})
    token = portal.token("manager")
    code = ean13("600100000042")
    text = "\r\n".join((HEADER, f"NEW-1,Brown bread,Food/Bakery/Bread,each,VAT,1.20,{code}",
                        "UPD-1,,,,,1.75,", "")).encode("utf-8-sig")  # a spreadsheet's byte order mark
    before, seq = counts(hub), audit_entries(hub)[-1]["seq"]
    r = upload(portal, token, text, "bakery.csv")
    assert r.status_code == 200, r.text
    shown = text_of(r.text)
    assert "Ready to import: bakery.csv" in shown and "2 rows checked 1 new 1 updated 0 unchanged" in shown
    assert table_rows(r.text)[:2] == ["2 NEW-1 New product", "3 UPD-1 Updates price_USD"]
    assert counts(hub) == before  # checked, not written
    upload_id = hidden(r.text, "upload")
    assert (uploads.folder(hub.server.settings.data_path) / f"{upload_id}.json").exists()

    done = portal.call("POST", "/products/import", token, {"upload": upload_id})
    assert done.status_code == 303 and done.headers["location"] == "/products/import"
    flash = set_cookies(done)["soko_flash"].split(";")[0]
    landed = portal.call("GET", "/products/import", token, headers={"Cookie": f"soko_session={token}; {flash}"})
    assert "Imported 2 products from bakery.csv: 1 created, 1 updated." in text_of(landed.text)
    assert [e["action"] for e in audit_entries(hub, seq)] == ["product.imported"]
    brown = by_sku(admin, "NEW-1")
    assert brown["prices"] == {"USD": 120} and brown["category_id"] == ids["bread"]
    assert [b["code"] for b in brown["barcodes"]] == [code]
    assert admin.get(f"/api/v1/products/{existing['id']}").json()["prices"] == {"USD": 175}
    history = admin.get(f"/api/v1/products/{existing['id']}/price-history").json()["items"]
    assert history[0]["source"] == "import" and (history[0]["old_price"], history[0]["new_price"]) == (150, 175)
    feed = {r["entity_id"] for r in rows(hub.db_path, "SELECT entity_id FROM changes WHERE entity = 'product'")}
    assert {brown["id"], existing["id"]} <= feed
    assert not (uploads.folder(hub.server.settings.data_path) / f"{upload_id}.json").exists()
    again = portal.call("POST", "/products/import", token, {"upload": upload_id})
    assert again.status_code == 409 and "no longer on the hub" in text_of(again.text)


def test_a_checked_file_is_imported_only_by_the_user_who_checked_it_and_only_while_kept(
        hub, portal, ids, monkeypatch):
    manager, admin_token = portal.token("manager"), portal.token("admin")
    text = f"{HEADER}\r\nMINE-1,Mine,,each,VAT,1.00,\r\n"
    first = upload(portal, manager, text.encode())
    before = counts(hub)
    other = portal.call("POST", "/products/import", admin_token, {"upload": hidden(first.text, "upload")})
    assert other.status_code == 409 and counts(hub) == before
    for forged in ("../../hub", "x" * 32, ""):
        r = portal.call("POST", "/products/import", manager, {"upload": forged})
        assert r.status_code in (409, 422) and counts(hub) == before
    monkeypatch.setattr(uploads, "UPLOAD_TTL_S", -1)  # every kept file is now too old
    late = portal.call("POST", "/products/import", manager, {"upload": hidden(first.text, "upload")})
    assert late.status_code == 409 and counts(hub) == before


def test_a_file_that_the_catalogue_overtook_since_its_check_imports_nothing(hub, portal, ids, admin):
    code = ean13("600100000077")
    token = portal.token("manager")
    checked = upload(portal, token, f"{HEADER}\r\nLATE-1,Late,,each,VAT,1.00,{code}\r\n".encode())
    assert checked.status_code == 200
    taker = create(admin, ids, barcodes=[{"code": code}])  # someone takes the barcode meanwhile
    before = counts(hub)
    r = portal.call("POST", "/products/import", token, {"upload": hidden(checked.text, "upload")})
    assert r.status_code == 422
    assert "The catalogue changed since the check: 1 problem now, so nothing was imported." in text_of(r.text)
    assert f"2 barcodes {code} is a barcode of {taker['sku']}" in table_rows(r.text)[0]
    assert counts(hub) == before


def test_a_file_that_cannot_be_read_is_named_beside_the_file_field_and_the_pasted_text_is_kept(hub, portal):
    token = portal.token("manager")
    before = counts(hub)
    r = upload(portal, token, "sku,name\r\nCAF\xc9,Café\r\n".encode("latin-1"), "latin.csv")
    assert r.status_code == 422
    assert re.search(r'<p class="field-error" id="e-file">The file latin.csv is not UTF-8 text \(byte 13\)', r.text)
    assert 'aria-invalid="true"' in r.text
    r = portal.call("POST", "/products/import", token, {"csv_text": "   "})
    assert r.status_code == 422 and "Choose a CSV file, or paste its text." in text_of(r.text)
    pasted = "sku,colour\r\nX-1,red\r\n"
    r = portal.call("POST", "/products/import", token, {"csv_text": pasted})
    assert r.status_code == 422 and "1 colour unknown column" in table_rows(r.text)[0]
    assert "sku,colour\r\nX-1,red" in r.text.replace("&#13;", "\r")  # the textarea keeps what was pasted
    assert counts(hub) == before


def test_a_manager_without_prices_manage_sees_the_rule_and_a_price_cell_is_refused(hub, portal, ids):
    people = People(hub)
    role = people.new_role(["catalogue.view", "catalogue.manage"])
    r = people.root.post("/api/v1/users", json={"username": "stocker", "display_name": "Stock clerk",
                                                "role_id": role["id"], "password": "stocker-pass-1"})
    assert r.status_code == 201, r.text
    token = portal.token("stocker", "stocker-pass-1")
    assert "which you do not hold" in text_of(portal.call("GET", "/products/import", token).text)
    r = portal.call("POST", "/products/import", token, {"csv_text": f"{HEADER}\r\nP-1,P,,each,VAT,1.00,\r\n"})
    assert r.status_code == 422 and "2 price_USD setting prices needs the permission" in table_rows(r.text)[0]


def test_kept_uploads_are_bounded_in_number_and_age(tmp_path, monkeypatch):
    where = tmp_path / "imports"
    monkeypatch.setattr(uploads, "MAX_KEPT", 3)
    made, start = [], time.time() - 100
    for i in range(5):  # each a second older than the next, so "oldest" is never a tie
        made.append(uploads.keep(where, owner="manager", filename="f.csv", text=f"sku\r\nA{i}\r\n"))
        os.utime(where / f"{made[-1]}.json", (start + i, start + i))
    assert sorted(p.stem for p in where.glob("*.json")) == sorted(made[2:])
    assert uploads.take(where, made[0], "manager") is None
    assert uploads.take(where, made[4], "manager") == {"owner": "manager", "filename": "f.csv",
                                                       "text": "sku\r\nA4\r\n"}
    assert uploads.take(where, "../" + made[4][3:], "manager") is None
    assert uploads.take(where, made[4], "admin") is None
    assert oct((where / f"{made[4]}.json").stat().st_mode & 0o777) == "0o600"
    monkeypatch.setattr(uploads, "UPLOAD_TTL_S", 0)
    uploads.prune(where, now=time.time() + 1)
    assert list(where.glob("*.json")) == []


# ---- Export ----------------------------------------------------------------------------------------


def test_the_export_is_the_apis_csv_named_after_the_store_and_its_day(hub, portal, ids, admin):
    create(admin, ids, sku="EXP-1", name='Maize meal "Red", 10kg', prices={"USD": 899})
    gone = create(admin, ids, sku="EXP-2")
    assert admin.post(f"/api/v1/products/{gone['id']}/archive").status_code == 200
    token = portal.token("supervisor")  # catalogue.view is enough to take a copy
    for query in ("", "?include_archived=true"):
        r = portal.call("GET", "/products/export.csv" + query, token)
        api = admin.get("/api/v1/products/export" + query)
        assert r.status_code == 200 and r.content == api.content
        assert r.headers["content-type"] == "text/csv; charset=utf-8"
        assert r.headers["content-disposition"] == f'attachment; filename="{export_filename("DEMO", "Africa/Harare")}"'
    assert "EXP-2" in r.text and '"Maize meal ""Red"", 10kg"' in r.text
    page = portal.call("GET", "/products/export", token)
    assert page.status_code == 200 and 'action="/products/export.csv"' in page.text
    assert "Import products page" in text_of(page.text) and 'href="/products/import"' not in page.text
    assert portal.call("GET", "/products/export.csv", portal.token("cashier")).status_code == 403


def test_the_export_file_is_dated_by_the_stores_clock_not_utc():
    late = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.timezone.utc)
    assert export_filename("DEMO", "Africa/Harare", late) == "products-DEMO-2026-03-02.csv"
    assert export_filename("A/B\"", "UTC", late) == "products-AB-2026-03-01.csv"


# ---- Bulk price change ----------------------------------------------------------------------------


def bulk_form(**fields: str) -> dict[str, str]:
    return {"category": "", "supplier": "", "skus": "", "currency": "USD", "kind": "percent", "change": "10",
            "round_step": "", "round_mode": "half_up", "reason": "", "action": "preview", **fields}


def test_a_bulk_change_is_previewed_then_applied_exactly_as_previewed(hub, portal, ids, admin):
    white = create(admin, ids, name="White loaf", category_id=ids["bread"], prices={"USD": 100, "ZWG": 2650})
    cake = create(admin, ids, name="Cake", category_id=ids["bakery"], prices={"USD": 333})
    milk = create(admin, ids, name="Milk", category_id=ids["drinks"], prices={"USD": 100})
    token = portal.token("manager")
    page = portal.call("GET", "/products/bulk-price", token)
    assert page.status_code == 200 and "Food/Bakery/Bread" in page.text and "Baker&#39;s Inn" in page.text
    before, seq = counts(hub), audit_entries(hub)[-1]["seq"]
    form = bulk_form(category=ids["food"], change="7.5", round_step="0.05", reason="fuel levy")
    r = portal.call("POST", "/products/bulk-price", token, form)
    assert r.status_code == 200, r.text
    assert "2 products chosen 2 prices change 0 stay as they are" in text_of(r.text)
    assert sorted(table_rows(r.text)) == sorted([f"{white['sku']} White loaf USD 1.00 USD 1.10 +0.10",
                                                 f"{cake['sku']} Cake USD 3.33 USD 3.60 +0.27"])
    assert counts(hub) == before and 'value="7.5"' in r.text  # a preview writes nothing and keeps the form
    done = portal.call("POST", "/products/bulk-price", token,
                       {**form, "action": "apply", "digest": hidden(r.text, "digest")})
    assert done.status_code == 303 and done.headers["location"] == "/products/bulk-price"
    assert [e["action"] for e in audit_entries(hub, seq)] == ["product.bulk_price_changed"]
    assert admin.get(f"/api/v1/products/{white['id']}").json()["prices"] == {"USD": 110, "ZWG": 2650}
    assert admin.get(f"/api/v1/products/{cake['id']}").json()["prices"] == {"USD": 360}
    assert admin.get(f"/api/v1/products/{milk['id']}").json()["prices"] == {"USD": 100}
    [latest] = admin.get(f"/api/v1/products/{cake['id']}/price-history").json()["items"][:1]
    assert (latest["source"], latest["reason"], latest["old_price"], latest["new_price"]) == (
        "bulk", "fuel levy", 333, 360)
    queued = {r["product_id"]: r["reason"] for r in rows(hub.db_path, "SELECT * FROM label_queue")}
    assert (queued[white["id"]], queued[cake["id"]]) == ("USD 100 -> 110", "USD 333 -> 360")
    assert queued.get(milk["id"]) != "USD 100 -> 110"


def test_a_preview_that_prices_have_overtaken_is_not_applied(hub, portal, ids, admin):
    loaf = create(admin, ids, prices={"USD": 200})
    token = portal.token("manager")
    form = bulk_form(skus=loaf["sku"])
    shown = portal.call("POST", "/products/bulk-price", token, form)
    assert admin.patch(f"/api/v1/products/{loaf['id']}", json={"prices": {"USD": 300}}).status_code == 200
    seq = audit_entries(hub)[-1]["seq"]
    r = portal.call("POST", "/products/bulk-price", token,
                    {**form, "action": "apply", "digest": hidden(shown.text, "digest")})
    assert r.status_code == 409 and "Prices changed since your preview" in text_of(r.text)
    assert f"{loaf['sku']} {loaf['name']} USD 3.00 USD 3.30 +0.30" in table_rows(r.text)  # the preview as it is now
    assert audit_entries(hub, seq) == [] and admin.get(f"/api/v1/products/{loaf['id']}").json()["prices"] == {"USD": 300}


@pytest.mark.parametrize("fields, field, message", [
    ({"change": "-150"}, "change", "A decrease of more than 100 % would take every price below zero."),
    ({"change": "ten"}, "change", "'ten' is not a percentage"),
    ({"change": "0"}, "change", "Enter a change other than 0."),
    ({"kind": "amount", "change": "0.005"}, "change", "'0.005' has more than 2 decimals"),
    ({"skus": "NOPE-1, NOPE-2"}, "skus", "No product has the SKU NOPE-1, NOPE-2."),
    ({"skus": ""}, "scope", "Choose a category or a supplier, or type the SKUs of the products."),
    ({"round_step": "0"}, "round_step", "Round to a step between 0.01 and 10000.00."),
    ({"currency": "XXX"}, "currency", "Choose a currency from the list."),
])
def test_a_bulk_change_that_cannot_work_is_refused_beside_its_field(hub, portal, ids, admin, fields, field, message):
    loaf = create(admin, ids, prices={"USD": 200})
    form = bulk_form(**{"skus": loaf["sku"], **fields})
    token = portal.token("manager")
    before = counts(hub)
    for action in ("preview", "apply"):
        r = portal.call("POST", "/products/bulk-price", token, {**form, "action": action})
        assert r.status_code == 422, r.text
        error = re.search(rf'<p class="field-error" id="e-{field}">([^<]*)</p>', r.text)
        assert error and error[1].replace("&#39;", "'").startswith(message)
        assert re.search(r"Correct the (field|\d fields) marked below; nothing was changed.", r.text)
        assert f'value="{form["change"]}"' in r.text  # what was typed stays
    assert counts(hub) == before


def test_amounts_that_would_take_a_price_below_zero_are_shown_as_skipped(hub, portal, ids, admin):
    cheap = create(admin, ids, name="Sweets", prices={"USD": 30}, suppliers=[{"supplier_id": ids["dairy"]}])
    dear = create(admin, ids, name="Cheese", prices={"USD": 500}, suppliers=[{"supplier_id": ids["dairy"]}])
    r = portal.call("POST", "/products/bulk-price", portal.token("manager"),
                    bulk_form(supplier=ids["dairy"], kind="amount", change="-0.50"))
    assert r.status_code == 200
    shown = text_of(r.text)
    assert "1 price would fall below zero with this change, so it is left as it is" in shown
    assert f"{dear['sku']} Cheese USD 5.00 USD 4.50 -0.50" in table_rows(r.text)
    assert f"{cheap['sku']} Sweets 0.30 would fall below zero" in table_rows(r.text)
    assert "Apply 1 new price" in shown


def test_only_price_managers_may_open_the_bulk_price_page(portal):
    assert portal.call("GET", "/products/bulk-price", portal.token("supervisor")).status_code == 403
    r = portal.call("POST", "/products/bulk-price", portal.token("supervisor"), bulk_form(skus="X"))
    assert r.status_code == 403


# ---- Shelf labels ---------------------------------------------------------------------------------


def test_the_shelf_label_list_shows_each_price_change_and_since_when(hub, portal, ids, admin):
    token = portal.token("supervisor")
    empty = text_of(portal.call("GET", "/labels", token).text)
    assert "No shelf label needs changing." in empty and "Print the new labels on the store's label printer" in empty
    loaf = create(admin, ids, name="Loaf", prices={"USD": 150, "ZWG": 4000})
    assert admin.patch(f"/api/v1/products/{loaf['id']}", json={"prices": {"USD": 165, "ZWG": 4000}}).status_code == 200
    r = portal.call("GET", "/labels", token)
    assert r.status_code == 200
    [row] = table_rows(r.text)
    assert row.startswith(f"Loaf {loaf['sku']} USD 1.50 → 1.65 USD 1.65 · ZWG 40.00") and row.endswith("just now")
    assert "1 product needs a new shelf label" in text_of(r.text)
    assert "Clear selected" not in r.text and 'type="checkbox"' not in r.text  # a supervisor only looks
    assert not re.search(r"<(button|a)\b[^>]*>[^<]*print", r.text, flags=re.I)  # no print button yet
    assert portal.call("GET", "/labels", portal.token("cashier")).status_code == 403


def test_ticked_products_come_off_the_list_and_a_price_changed_since_stays(hub, portal, ids, admin):
    made = [create(admin, ids, name=f"Item {n}", prices={"USD": 100}) for n in range(3)]
    for product in made:
        assert admin.patch(f"/api/v1/products/{product['id']}", json={"prices": {"USD": 120}}).status_code == 200
    token = portal.token("manager")
    page = portal.call("GET", "/labels", token).text
    as_of = hidden(page, "as_of")
    seq = audit_entries(hub)[-1]["seq"]
    nothing = portal.call("POST", "/labels/clear", token, {"scope": "selected", "as_of": as_of})
    assert nothing.status_code == 422 and "Tick the products whose new labels are on the shelf" in text_of(nothing.text)
    assert audit_entries(hub, seq) == []
    assert admin.patch(f"/api/v1/products/{made[1]['id']}", json={"prices": {"USD": 130}}).status_code == 200
    seq = audit_entries(hub)[-1]["seq"]
    form = {"scope": "selected", "as_of": as_of, "product_id": [made[0]["id"], made[1]["id"]]}
    r = portal.call("POST", "/labels/clear", token, form)
    assert r.status_code == 303 and r.headers["location"] == "/labels"
    [entry] = audit_entries(hub, seq)
    assert entry["action"] == "labels.cleared" and json.loads(entry["summary"])["detail"]["cleared"] == 1
    left = {r["product_id"] for r in rows(hub.db_path, "SELECT product_id FROM label_queue")}
    assert left == {made[1]["id"], made[2]["id"]}  # made[1] changed again after the list was shown
    r = portal.call("POST", "/labels/clear", token, {"scope": "all", "as_of": hidden(portal.call(
        "GET", "/labels", token).text, "as_of")})
    assert r.status_code == 303 and rows(hub.db_path, "SELECT count(*) AS n FROM label_queue")[0]["n"] == 0
    assert portal.call("POST", "/labels/clear", portal.token("supervisor"), form).status_code == 403
    stale = portal.call("POST", "/labels/clear", token, {"scope": "all", "as_of": "yesterday"})
    assert stale.status_code == 422 and "reload the page" in text_of(stale.text)


def test_the_list_pages_through_a_long_queue(hub, portal, ids, admin, monkeypatch):
    monkeypatch.setattr("hub.catalogue.labels.portal.PAGE_SIZE", 2)
    for n in range(3):
        product = create(admin, ids, name=f"Paged {n}", prices={"USD": 100})
        assert admin.patch(f"/api/v1/products/{product['id']}", json={"prices": {"USD": 101}}).status_code == 200
    token = portal.token("manager")
    first = portal.call("GET", "/labels", token).text
    assert [r.split(" SKU")[0] for r in table_rows(first)] == ["Paged 0", "Paged 1"]
    assert "3 products need a new shelf label" in text_of(first)
    link = re.search(r'href="(/labels\?after=[^"]+)">Next page', first)[1]
    second = portal.call("GET", link.replace("&amp;", "&"), token).text
    assert [r.split(" SKU")[0] for r in table_rows(second)] == ["Paged 2"] and "First page" in second
    assert portal.call("GET", "/labels?after=not-a-cursor", token).status_code == 422
