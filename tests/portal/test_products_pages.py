"""The Products pages over real HTTP: the list over the demo catalogue (search, filters, the API's
paging), a product with its prices, barcodes, suppliers, history and schedules, the create and
edit forms (money and quantities typed as decimals, refusals beside their input, nothing changed),
HQ-owned fields on an enrolled hub, archive and restore; and the form parsing itself."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest

from hub.catalogue.products import _portal_forms as forms
from tests.catalogue.fixtures import admin, ean13, enrol, ids, new_product  # noqa: F401
from tests.hubtest import Hub, HubServer, make_demo_store
from tests.people import audit_entries, query
from tests.portal.client import Portal


@pytest.fixture
def portal(hub):
    return Portal(hub)


@pytest.fixture
def demo_hub(settings) -> Iterator[Hub]:
    """A served demo hub with the 2,000-product demo catalogue."""
    store = make_demo_store(settings, catalogue=True)
    server = HubServer(settings).start()
    running = Hub(server, store)
    try:
        yield running
    finally:
        running.close()
        server.stop()


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def rows(page: str) -> list[str]:
    bodies = [part.split("</tbody>", 1)[0] for part in page.split("<tbody>")[1:]]
    return [text_of(row) for body in bodies for row in body.split("</tr>")[:-1]]


def listed_ids(page: str) -> list[str]:
    return re.findall(r'<a href="/products/([0-9a-f-]{36})" class="row-link">', page)


def field_error(page: str, name: str) -> str:
    """The message shown right under the input called `name`."""
    found = re.search(rf'<p class="field-error" id="e-{re.escape(forms.input_id(name))}">([^<]*)</p>', page)
    assert found, f"no error under {name}"
    return html.unescape(found[1])


def value_of(page: str, name: str) -> str:
    found = re.search(rf'<input id="[^"]+" name="{re.escape(name)}" type="[^"]+" value="([^"]*)"', page)
    assert found, f"no input {name}"
    return html.unescape(found[1])


def product_count(hub: Hub) -> int:
    return query(hub, "SELECT count(*) FROM products")[0][0]


def form_for(ids: dict[str, str], **fields: str) -> dict[str, str]:
    return {"sku": "PTL-001", "name": "Mazoe Orange Crush 2L", "unit_id": ids["each"], "tax_class_id": ids["VAT"],
            "prices.USD": "3.50", "stock_tracked": "on", **fields}


# ---- the list ------------------------------------------------------------------------------


def test_the_list_pages_the_demo_catalogue_by_name_with_the_apis_cursor(demo_hub):
    portal = Portal(demo_hub)
    token = portal.token("supervisor")
    first = portal.call("GET", "/products", token)
    assert first.status_code == 200
    page_one = listed_ids(first.text)
    assert len(page_one) == 50 and "50 products on this page, by name" in text_of(first.text)
    names = [r.split(" ", 1)[1] for r in rows(first.text)]
    assert names == sorted(names, key=str.casefold)
    nxt = re.search(r'href="(/products\?after=[^"]+)" rel="next"', first.text)[1]
    second = portal.call("GET", html.unescape(nxt), token)
    page_two = listed_ids(second.text)
    assert len(page_two) == 50 and not set(page_one) & set(page_two)
    api = demo_hub.as_user("supervisor").get("/api/v1/products", params={"limit": 100, "active": True}).json()
    assert [p["id"] for p in api["items"]] == page_one + page_two  # the same order as the API's
    assert "First page" in second.text
    # the columns: SKU, name, category path, a price per store currency, status
    product = api["items"][0]
    row = rows(first.text)[0]
    usd = product["effective_prices"]["USD"]
    assert row.startswith(product["sku"]) and f"{usd // 100}.{usd % 100:02d}" in row and row.endswith("Active")
    assert " › " in row


def test_the_list_searches_name_sku_and_barcode_and_filters(demo_hub):
    portal = Portal(demo_hub)
    token = portal.token("manager")
    api = demo_hub.as_user("manager")
    sample = api.get("/api/v1/products", params={"q": "mazoe", "limit": 5}).json()["items"][0]
    by_sku = rows(portal.call("GET", f"/products?q={sample['sku']}", token).text)
    assert len(by_sku) == 1 and by_sku[0].startswith(sample["sku"])
    barcode = sample["barcodes"][0]["code"]
    assert listed_ids(portal.call("GET", f"/products?q={barcode[:11]}", token).text)[:1] != []
    assert sample["id"] in listed_ids(portal.call("GET", f"/products?q={barcode}", token).text)
    assert all("Mazoe" in r for r in rows(portal.call("GET", "/products?q=mazoe", token).text))

    untracked = query(demo_hub, "SELECT id FROM products WHERE stock_tracked = 0 AND active = 1")
    shown = portal.call("GET", "/products?tracked=no", token)
    assert sorted(listed_ids(shown.text)) == sorted(r[0] for r in untracked)
    assert all("no stock tracking" in r for r in rows(shown.text))

    category = sample["category_id"]
    in_category = api.get("/api/v1/products", params={"category_id": category, "limit": 200}).json()["items"]
    page = portal.call("GET", f"/products?category={category}", token)
    assert listed_ids(page.text) == [p["id"] for p in in_category][:50]

    empty = portal.call("GET", "/products?q=no-such-thing-here", token)
    assert empty.status_code == 200 and "No product matches “no-such-thing-here”" in text_of(empty.text)
    stale = portal.call("GET", "/products?after=not-a-cursor", token)
    assert stale.status_code == 200 and "That page link is out of date" in text_of(stale.text)


def test_the_list_links_each_tool_only_for_who_may_use_it(portal):
    links = {"New product": "/products/new", "Import": "/products/import", "Export": "/products/export",
             "Bulk price change": "/products/bulk-price", "Shelf labels": "/labels"}
    manager = portal.call("GET", "/products", portal.token("manager")).text
    assert all(f'href="{path}">{name}<' in manager for name, path in links.items())
    supervisor = portal.call("GET", "/products", portal.token("supervisor")).text
    shown = {name for name, path in links.items() if f'href="{path}">{name}<' in supervisor}
    assert shown == {"Export", "Shelf labels"}
    assert "There are no products yet." in text_of(supervisor)
    assert portal.call("GET", "/products", portal.token("cashier")).status_code == 403
    assert portal.call("GET", "/products/new", portal.token("supervisor")).status_code == 403


# ---- create --------------------------------------------------------------------------------


def test_a_new_product_is_created_from_typed_decimals_and_opens_on_its_page(hub, portal, ids):  # noqa: F811
    token = portal.token("manager")
    assert 'name="prices.ZWG"' in portal.call("GET", "/products/new", token).text
    case = ean13("600100200300")
    form = form_for(ids, **{
        "receipt_name": "MAZOE ORANGE 2L", "category_id": ids["drinks"], "hs_code": "22029900",
        "prices.USD": "3.50", "prices.ZWG": "1,250.5", "cost_price": "2.1",
        "barcodes[0].code": ean13("600100200301"), "barcodes[0].pack_quantity": "",
        "barcodes[1].code": "", "barcodes[2].code": case, "barcodes[2].pack_quantity": "12",
        "suppliers[0].supplier_id": ids["dairy"], "suppliers[0].supplier_code": "MZ-2L",
        "suppliers[0].cost": "25.20", "suppliers[0].currency": "USD", "suppliers[0].pack_size": "12",
        "preferred_supplier": "0", "low_stock_threshold": "6", "opening_stock.quantity": "24",
        "opening_stock.unit_cost": "2.10", "opening_stock.note": "shelf count"})
    r = portal.call("POST", "/products", token, form)
    assert r.status_code == 303, text_of(r.text)[:600]
    assert [e["action"] for e in audit_entries(hub)[-1:]] == ["product.created"]
    product_id = r.headers["location"].removeprefix("/products/")
    doc = hub.as_user("manager").get(f"/api/v1/products/{product_id}").json()
    assert doc["prices"] == {"USD": 350, "ZWG": 125050} and doc["cost_price"] == 210
    assert {(b["code"], b["pack_quantity"]) for b in doc["barcodes"]} == {(ean13("600100200301"), 1000),
                                                                        (case, 12000)}
    assert doc["suppliers"] == [{"supplier_id": ids["dairy"], "supplier_code": "MZ-2L", "cost": 2520,
                                 "currency": "USD", "pack_size": 12000, "preferred": True}]
    assert doc["low_stock_threshold"] == 6000 and doc["receipt_name"] == "MAZOE ORANGE 2L"
    assert doc["opening_stock"]["quantity"] == 24000 and doc["opening_stock"]["unit_cost"] == 210
    assert doc["on_hand"] == 24000  # posted to the stock ledger as the opening balance

    page = portal.call("GET", r.headers["location"], token)
    shown = text_of(page.text)
    assert "On hand: 24 each from the stock ledger" in shown
    assert "Opening balance 24 each at USD 2.10 each, entered" in shown and "by manager (shelf count)." in shown
    assert f"{case} pack of 12 each" in shown and "Drinks" in shown and "USD 25.20" in shown
    assert "1,250.50" in shown and "Schedule a price change" in shown

    edit = portal.call("GET", f"/products/{product_id}/edit", token).text  # stock is the ledger's now
    assert 'name="opening_stock.quantity"' not in edit and "On hand: 24 each, from the stock ledger" in text_of(edit)
    r = portal.call("POST", f"/products/{product_id}", token, {**form, "name": "Mazoe Orange Crush 2 litres"})
    assert r.status_code == 303, text_of(r.text)[:600]
    after = hub.as_user("manager").get(f"/api/v1/products/{product_id}").json()
    assert after["name"] == "Mazoe Orange Crush 2 litres" and after["on_hand"] == 24000


def test_a_price_with_too_many_decimals_is_refused_beside_it_with_the_values_kept(hub, portal, ids):  # noqa: F811
    token = portal.token("manager")
    before, seq = product_count(hub), audit_entries(hub)[-1]["seq"]
    r = portal.call("POST", "/products", token, form_for(ids, **{
        "prices.USD": "12.505", "barcodes[0].code": "600", "opening_stock.quantity": "2.5",
        "suppliers[1].supplier_code": "X1"}))
    assert r.status_code == 422
    assert field_error(r.text, "prices.USD") == "USD amounts have at most 2 decimals (such as 12.50)."
    assert field_error(r.text, "opening_stock.quantity") == "The unit each is counted in whole numbers."
    assert field_error(r.text, "suppliers[1].supplier_id") == "Choose the supplier, or clear this row."
    assert value_of(r.text, "prices.USD") == "12.505" and value_of(r.text, "name") == "Mazoe Orange Crush 2L"
    assert value_of(r.text, "barcodes[0].code") == "600"
    assert 'aria-invalid="true"' in r.text and "The product was not created: fix these 3 fields." in text_of(r.text)
    assert product_count(hub) == before and audit_entries(hub, seq) == []


def test_the_services_refusals_land_beside_the_row_they_name(hub, portal, ids, admin):  # noqa: F811
    taken = admin.post("/api/v1/products", json=new_product(ids)).json()
    token = portal.token("manager")
    before = product_count(hub)
    r = portal.call("POST", "/products", token, form_for(ids, **{
        "barcodes[0].code": "", "barcodes[1].code": taken["barcodes"][0]["code"]}))
    assert r.status_code == 409
    assert field_error(r.text, "barcodes[1].code") == \
        f"{taken['barcodes'][0]['code']} is a barcode of {taken['sku']} ({taken['name']})."
    r = portal.call("POST", "/products", token, form_for(ids, sku=taken["sku"], hs_code="123",
                                                         **{"barcodes[0].code": "4006381333932"}))
    assert r.status_code == 422  # field problems first, as the API answers
    assert field_error(r.text, "hs_code") == "An HS code is 4 or 8 digits (fiscal receipts need it)."
    assert field_error(r.text, "barcodes[0].code") == "The EAN-13 check digit of 4006381333932 should be 1."
    r = portal.call("POST", "/products", token, form_for(ids, sku=taken["sku"]))
    assert r.status_code == 409 and field_error(r.text, "sku").startswith(f"{taken['sku']} is the SKU of")
    r = portal.call("POST", "/products", token, form_for(ids, unit_id=ids["kg"], sold_by_weight="on",
                                                         **{"opening_stock.quantity": "1.2505"}))
    assert r.status_code == 422 and field_error(r.text, "opening_stock.quantity") == "The unit kg allows at most 3 decimals."
    assert product_count(hub) == before


# ---- one product, edit ---------------------------------------------------------------------


def test_an_edit_changes_the_product_and_its_price_history_says_why(hub, portal, ids, admin):  # noqa: F811
    product = admin.post("/api/v1/products", json=new_product(ids, prices={"USD": 150, "ZWG": 4000})).json()
    token = portal.token("manager")
    page = portal.call("GET", f"/products/{product['id']}/edit", token)
    assert page.status_code == 200
    assert value_of(page.text, "prices.USD") == "1.50" and value_of(page.text, "prices.ZWG") == "40.00"
    assert value_of(page.text, "barcodes[0].code") == product["barcodes"][0]["code"]
    form = {name: value_of(page.text, name) for name in (
        "sku", "name", "barcodes[0].code", "barcodes[0].pack_quantity", "prices.USD")}
    form.update({"unit_id": product["unit_id"], "tax_class_id": product["tax_class_id"], "stock_tracked": "on",
                 "name": "Renamed product", "prices.USD": "1.75", "prices.ZWG": "", "reason": "supplier increase"})
    r = portal.call("POST", f"/products/{product['id']}", token, form)
    assert r.status_code == 303 and r.headers["location"] == f"/products/{product['id']}"
    doc = admin.get(f"/api/v1/products/{product['id']}").json()
    assert doc["name"] == "Renamed product" and doc["prices"] == {"USD": 175}  # ZWG cleared: removed
    shown = text_of(portal.call("GET", r.headers["location"], token).text)
    assert "USD: 1.50 → 1.75 manual supplier increase" in shown and "ZWG: 40.00 → none" in shown

    seq = audit_entries(hub)[-1]["seq"]
    r = portal.call("POST", f"/products/{product['id']}", token, {**form, "prices.USD": "abc", "name": ""})
    assert r.status_code == 422 and field_error(r.text, "prices.USD") == "Is not a number (type it like 12.50)."
    r = portal.call("POST", f"/products/{product['id']}", token, {**form, "name": ""})
    assert r.status_code == 422 and field_error(r.text, "name") == "A product needs a name."
    assert audit_entries(hub, seq) == [] and admin.get(f"/api/v1/products/{product['id']}").json() == doc
    assert portal.call("GET", "/products/no-such-product", token).status_code == 404


def test_an_enrolled_hub_shows_hqs_fields_disabled_and_changes_only_the_stores(hub, portal, ids, admin):  # noqa: F811
    product = admin.post("/api/v1/products", json=new_product(ids)).json()
    enrol(hub.db_path)
    token = portal.token("manager")
    page = portal.call("GET", f"/products/{product['id']}/edit", token).text
    assert re.search(r'name="name" type="text" value="[^"]*" autocomplete="off" maxlength="120" disabled', page)
    assert re.search(r'<select id="f-unit_id" name="unit_id" disabled>', page)
    assert 'name="override_prices.USD"' in page and 'name="prices.USD"' not in page
    assert "the greyed-out fields are HQ's" in text_of(page)
    r = portal.call("POST", f"/products/{product['id']}", token, {
        "override_prices.USD": "1.40", "cost_price": "0.95", "stock_tracked": "on", "low_stock_threshold": "3"})
    assert r.status_code == 303, text_of(r.text)[:500]
    doc = admin.get(f"/api/v1/products/{product['id']}").json()
    assert doc["override_prices"] == {"USD": 140} and doc["prices"] == product["prices"]
    assert doc["cost_price"] == 95 and doc["name"] == product["name"] and doc["barcodes"] == product["barcodes"]
    assert "new products are made at HQ" in text_of(portal.call("GET", "/products/new", token).text)
    r = portal.call("POST", f"/products/{product['id']}/archive", token)
    assert r.status_code == 409 and "HQ owns active of this product" in text_of(r.text)


def test_a_price_change_is_scheduled_on_the_stores_clock_and_cancelled(hub, portal, ids, admin):  # noqa: F811
    product = admin.post("/api/v1/products", json=new_product(ids)).json()
    path = f"/products/{product['id']}"
    token = portal.token("manager")
    seq = audit_entries(hub)[-1]["seq"]
    r = portal.call("POST", f"{path}/scheduled-prices", token,
                    {"currency": "USD", "price": "1.999", "effective_from": "2031-06-01T08:00"})
    assert r.status_code == 422 and "USD amounts have at most 2 decimals" in text_of(r.text)
    assert 'value="1.999"' in r.text
    r = portal.call("POST", f"{path}/scheduled-prices", token,
                    {"currency": "USD", "price": "1.99", "effective_from": "2001-01-01T08:00"})
    assert r.status_code == 422
    assert "Must be in the future (change the price itself for now)." in text_of(r.text)
    assert audit_entries(hub, seq) == []

    r = portal.call("POST", f"{path}/scheduled-prices", token,
                    {"currency": "USD", "price": "1.99", "effective_from": "2031-06-01T08:00"})
    assert r.status_code == 303
    [schedule] = admin.get(f"/api/v1{path}/scheduled-prices").json()
    assert schedule["price"] == 199 and schedule["effective_from"] == "2031-06-01T06:00:00.000000Z"  # Harare
    shown = text_of(portal.call("GET", path, token).text)
    assert "01 Jun 2031 08:00 by manager USD 1.99 Pending Cancel" in shown

    cancel = f"{path}/scheduled-prices/{schedule['id']}/cancel"
    assert portal.call("POST", cancel, portal.token("supervisor")).status_code == 403
    assert portal.call("POST", cancel, token).status_code == 303
    assert admin.get(f"/api/v1{path}/scheduled-prices").json()[0]["status"] == "cancelled"
    again = portal.call("POST", cancel, token)
    assert again.status_code == 409 and "This scheduled price was already cancelled." in text_of(again.text)


def test_a_product_is_archived_and_found_again_under_the_archived_filter(hub, portal, ids, admin):  # noqa: F811
    product = admin.post("/api/v1/products", json=new_product(ids, name="Zambezi Lager 340ml")).json()
    token = portal.token("manager")
    supervisor = portal.call("GET", f"/products/{product['id']}", portal.token("supervisor")).text
    assert "Archive product" not in supervisor and "Edit product" not in supervisor
    assert "Schedule a price change" not in supervisor
    r = portal.call("POST", f"/products/{product['id']}/archive", token)
    assert r.status_code == 303
    assert admin.get(f"/api/v1/products/{product['id']}").json()["active"] is False
    assert product["id"] not in listed_ids(portal.call("GET", "/products?q=zambezi", token).text)
    archived = portal.call("GET", "/products?q=zambezi&status=archived", token).text
    assert listed_ids(archived) == [product["id"]] and rows(archived)[0].endswith("Archived")
    assert "Restore product" in portal.call("GET", f"/products/{product['id']}", token).text
    assert portal.call("POST", f"/products/{product['id']}/restore", token).status_code == 303
    assert admin.get(f"/api/v1/products/{product['id']}").json()["active"] is True
    assert [e["action"] for e in audit_entries(hub)[-2:]] == ["product.archived", "product.restored"]


# ---- parsing, exactly ----------------------------------------------------------------------


@pytest.mark.parametrize("typed, decimals, minor", [
    ("12.50", 2, 1250), ("12.5", 2, 1250), ("12", 2, 1200), (" 0.05 ", 2, 5), ("1,250.00", 2, 125000),
    (".5", 2, 50), ("12.500", 2, 1250), ("7", 0, 7), ("0.001", 3, 1), ("19.99", 2, 1999),
    ("0.29", 2, 29), ("1234567.89", 2, 123456789),
])
def test_money_is_parsed_exactly_to_minor_units(typed, decimals, minor):
    assert forms.parse_money(typed, "USD", decimals) == minor


@pytest.mark.parametrize("typed, decimals, message", [
    ("12.505", 2, "USD amounts have at most 2 decimals (such as 12.50)"),
    ("12.5", 0, "USD amounts have whole numbers"),
    ("-1", 2, "cannot be negative"), ("abc", 2, "is not a number (type it like 12.50)"),
    ("1e3", 2, "is not a number (type it like 12.50)"), ("1,25", 2, "is not a number (type it like 12.50)"),
    (".", 2, "is not a number (type it like 12.50)"), ("10000000000.01", 2, "is more than 10,000,000,000.00"),
])
def test_money_that_is_not_exact_is_refused_with_a_reason(typed, decimals, message):
    with pytest.raises(forms.Unreadable, match=re.escape(message)):
        forms.parse_money(typed, "USD", decimals)


def test_quantities_follow_the_units_decimals_and_print_back():
    kg, each = {"code": "kg", "decimals": 3}, {"code": "each", "decimals": 0}
    assert forms.parse_quantity("1.25", kg) == 1250 and forms.parse_quantity("12", each) == 12000
    assert forms.parse_quantity("0", each, allow_zero=True) == 0
    for typed, unit, message in (("1.5", each, "the unit each is counted in whole numbers"),
                                 ("0.0005", kg, "the unit kg allows at most 3 decimals"),
                                 ("0", each, "must be more than 0")):
        with pytest.raises(forms.Unreadable, match=message):
            forms.parse_quantity(typed, unit)
    assert [forms.format_quantity(q, 3) for q in (1250, 12000, 500, -1500, 0)] == ["1.25", "12", "0.5", "-1.5", "0"]
    assert forms.format_amount(125050, 2) == "1,250.50" and forms.typed_amount(125050, 2) == "1250.50"
    assert forms.format_amount(7, 0) == "7"
