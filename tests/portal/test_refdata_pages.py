"""The Categories, Units and Suppliers pages over real HTTP: who may see and change them, the
category tree, and each form's success (checked through the API and the audit log) and refusals
(named inline, typed values kept, nothing written)."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from tests.catalogue.fixtures import enrol, new_product, reference
from tests.catalogue.reference import mark, one_audit, wrote_nothing
from tests.portal.client import Portal
from tests.portal.test_devices_pages import rows, text_of


@pytest.fixture
def portal(hub):
    return Portal(hub)


@pytest.fixture
def api(hub):
    return hub.as_user("manager")


@pytest.fixture
def token(portal):
    return portal.token("manager")


@pytest.fixture
def ids(api) -> dict[str, str]:
    """each, kg, VAT, EXEMPT; the tree Food > Bakery > Bread and Drinks; suppliers dairy, bakers."""
    return reference(api)


class _Tree(HTMLParser):
    """The category tree of a page as [(name, [children...]), ...]."""

    def __init__(self) -> None:
        super().__init__()
        self.roots: list[tuple[str, list]] = []
        self.stack: list[list] = []
        self.depth = 0  # <ul> nesting inside the tree
        self.in_link = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "ul" and ("cat-tree" in classes or self.depth):
            self.depth += 1
            self.stack.append(self.roots if self.depth == 1 else self.stack[-1][-1][1])
        elif tag == "a" and self.depth and "row-link" in classes:
            self.in_link = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "ul" and self.depth:
            self.depth -= 1
            self.stack.pop()
        elif tag == "a":
            self.in_link = False

    def handle_data(self, data: str) -> None:
        if self.in_link:
            self.stack[-1].append((data.strip(), []))


def tree_of(page: str) -> list[tuple[str, list]]:
    parser = _Tree()
    parser.feed(page)
    return parser.roots


def field_error(page: str, name: str) -> str | None:
    """The message shown beside input `name` (None when there is none)."""
    found = re.search(rf'<p class="field-error" id="e-{name}">(.*?)</p>', page, re.S)
    return html.unescape(found[1]) if found else None


def input_value(page: str, name: str) -> str:
    tag = re.search(rf'<(?:input|textarea)[^>]* name="{name}"[^>]*>', page)
    assert tag, f"no input {name}"
    if tag[0].startswith("<textarea"):
        return html.unescape(page[tag.end():].split("</textarea>", 1)[0])
    value = re.search(r'value="([^"]*)"', tag[0])
    return html.unescape(value[1]) if value else ""


def selected(page: str, name: str) -> str:
    select = page.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
    found = re.search(r'<option value="([^"]*)" selected>', select)
    return found[1] if found else ""


def is_disabled(page: str, name: str) -> bool:
    tag = re.search(rf'<(?:input|select|textarea)[^>]* name="{name}"[^>]*>', page)
    assert tag, f"no input {name}"
    return " disabled" in tag[0]


def flash_after(portal: Portal, r: Any, token: str) -> str:
    """The page a form's redirect lands on, with its notice (the flash cookie passed along)."""
    assert r.status_code == 303, r.text
    cookie = r.headers["set-cookie"].split(";", 1)[0]
    got = portal.http.get(r.headers["location"], headers={"Cookie": f"soko_session={token}; {cookie}"})
    portal.http.cookies.clear()
    assert got.status_code == 200, got.text
    return got.text


def category(api, name: str, parent: str | None = None) -> str:
    r = api.post("/api/v1/categories", json={"name": name, "parent_id": parent})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def product_in(api, ids: dict[str, str], **fields: Any) -> str:
    r = api.post("/api/v1/products", json=new_product(ids, **fields))
    assert r.status_code == 201, r.text
    return r.json()["id"]


# ---- who may see and change ---------------------------------------------------------------


def test_a_supervisor_sees_every_page_without_the_means_to_change_and_a_cashier_is_refused(portal, ids):
    supervisor, cashier = portal.token("supervisor"), portal.token("cashier")
    pages = ["/categories", f"/categories/{ids['bakery']}", "/units", f"/units/{ids['kg']}",
             "/suppliers", f"/suppliers/{ids['dairy']}"]
    for path in pages:
        r = portal.call("GET", path, supervisor)
        assert r.status_code == 200, (path, r.text)
        buttons = set(re.findall(r'<button type="submit"[^>]*>([^<]*)</button>', r.text))
        assert buttons <= {"Filter", "Sign out"}, (path, buttons)
        for button in ("New category", "New unit", "New supplier", "Save changes", "Archive category",
                       "Archive unit", "Archive supplier", "Edit supplier"):
            assert f">{button}<" not in r.text, (path, button)
        assert portal.call("GET", path, cashier).status_code == 403
    for path in ("/categories/new", "/units/new", "/suppliers/new", f"/suppliers/{ids['dairy']}/edit"):
        assert portal.call("GET", path, supervisor).status_code == 403, path
        assert portal.call("GET", path, portal.token("manager")).status_code == 200, path
    assert portal.call("POST", "/suppliers", supervisor, {"name": "Sneaky"}).status_code == 403
    assert "Sneaky" not in portal.call("GET", "/suppliers", supervisor).text
    edit = portal.call("GET", f"/categories/{ids['bakery']}", supervisor).text
    assert is_disabled(edit, "name") and is_disabled(edit, "parent_id")
    assert "changing it needs the catalogue.manage permission" in text_of(edit)


def test_pages_of_things_that_do_not_exist_are_not_found(portal, token):
    for path in ("/categories/nope", "/units/nope", "/suppliers/nope", "/suppliers/nope/edit"):
        assert portal.call("GET", path, token).status_code == 404, path
    assert portal.call("POST", "/categories/nope", token, {"name": "X"}).status_code == 404
    assert portal.call("POST", "/units/nope/archive", token).status_code == 404
    assert portal.call("POST", "/suppliers/nope", token, {"name": "X"}).status_code == 404


# ---- categories ---------------------------------------------------------------------------


def test_the_tree_nests_subcategories_with_product_counts_and_keeps_archived_ones_under_a_filter(
        portal, api, ids, token):
    product_in(api, ids, category_id=ids["bread"])
    product_in(api, ids, category_id=ids["bread"])
    product_in(api, ids, category_id=ids["drinks"])
    old = category(api, "Old stock")
    assert api.patch(f"/api/v1/categories/{old}", json={"active": False}).status_code == 200

    page = portal.call("GET", "/categories", token).text
    assert tree_of(page) == [("Drinks", []), ("Food", [("Bakery", [("Bread", [])])])]
    bread = page.split(f'href="/categories/{ids["bread"]}"', 1)[1].split("</li>", 1)[0]
    assert "2 products" in text_of(bread)
    drinks = page.split(f'href="/categories/{ids["drinks"]}"', 1)[1].split("</li>", 1)[0]
    assert "1 product " in text_of(drinks) + " "
    assert "Add a subcategory to Bakery" in page  # a manager may add under each
    assert "4 of 5 categories" in text_of(page)

    archived = portal.call("GET", "/categories?status=archived", token).text
    assert tree_of(archived) == [("Old stock", [])] and "Archived" in text_of(archived)
    everything = portal.call("GET", "/categories?status=all", token).text
    assert [name for name, _ in tree_of(everything)] == ["Drinks", "Food", "Old stock"]


def test_a_search_shows_each_match_with_the_path_above_it(portal, ids, token):
    page = portal.call("GET", "/categories?q=brea", token).text
    assert tree_of(page) == [("Bread", [])]
    assert "Food › Bakery › Bread" in text_of(page) and "1 category matches" in text_of(page)
    nothing = text_of(portal.call("GET", "/categories?q=zzz", token).text)
    assert "No category matches this filter." in nothing


def test_the_tree_pages_with_a_cursor(portal, ids, token, monkeypatch):
    monkeypatch.setattr("hub.catalogue.categories.portal.PAGE_SIZE", 2)
    first = portal.call("GET", "/categories", token).text
    assert tree_of(first) == [("Drinks", []), ("Food", [])]
    after = re.search(r'href="(/categories\?[^"]*after=[^"]+)">Next page', first)[1]
    second = portal.call("GET", html.unescape(after), token).text
    assert tree_of(second) == [("Bakery", [("Bread", [])])]
    assert "Food ›" in text_of(second) and "Next page" not in second and "First page" in second


def test_an_empty_store_says_how_to_start(portal, token):
    page = text_of(portal.call("GET", "/categories", token).text)
    assert "No category yet." in page and "Add the first category" in page


def test_a_manager_adds_a_subcategory_under_the_parent_the_link_chose(hub, portal, api, ids, token):
    form = portal.call("GET", f"/categories/new?parent={ids['bakery']}", token).text
    assert selected(form, "parent_id") == ids["bakery"]
    assert "Food › Bakery › Bread" in form  # parents are listed by their path
    since = mark(hub)
    r = portal.call("POST", "/categories", token, {"name": " Cakes ", "parent_id": ids["bakery"]})
    assert r.headers["location"] == "/categories"
    assert "Category Cakes added under Food › Bakery." in text_of(flash_after(portal, r, token))
    one_audit(hub, since, "category.created", r.headers["x-request-id"])
    [cake] = [c for c in api.get("/api/v1/categories", params={"q": "Cakes"}).json()["items"]]
    assert cake["parent_id"] == ids["bakery"] and cake["path"] == ["Food", "Bakery", "Cakes"]


def test_a_refused_new_category_is_named_inline_and_keeps_what_was_typed(hub, portal, ids, token):
    since = mark(hub)
    r = portal.call("POST", "/categories", token, {"name": "bakery", "parent_id": ids["food"]})
    assert r.status_code == 409
    assert field_error(r.text, "name") == "An active category under this parent is already called 'bakery'."
    assert input_value(r.text, "name") == "bakery" and selected(r.text, "parent_id") == ids["food"]
    assert "The category was not added." in text_of(r.text) and 'href="#f-name">Name</a>' in r.text
    r = portal.call("POST", "/categories", token, {"name": "x" * 81, "parent_id": ""})
    assert r.status_code == 422 and field_error(r.text, "name") == "Is at most 80 characters."
    assert wrote_nothing(hub, since)


def test_moving_a_category_under_its_own_subcategory_is_refused_on_the_parent_field(hub, portal, api, ids, token):
    since = mark(hub)
    r = portal.call("POST", f"/categories/{ids['food']}", token,
                    {"name": "Food and more", "parent_id": ids["bread"], "sort_order": "0"})
    assert r.status_code == 422
    assert field_error(r.text, "parent_id") == \
        "'Food' cannot go under itself or one of its own subcategories."
    assert 'aria-invalid="true"' in r.text.split('name="parent_id"', 1)[1].split(">", 1)[0]
    assert input_value(r.text, "name") == "Food and more" and selected(r.text, "parent_id") == ids["bread"]
    assert field_error(r.text, "name") is None
    assert wrote_nothing(hub, since)
    assert api.get(f"/api/v1/categories/{ids['food']}").json()["name"] == "Food"

    r = portal.call("POST", f"/categories/{ids['bread']}", token,
                    {"name": "Bread", "parent_id": ids["drinks"], "sort_order": "0"})
    assert r.headers["location"] == f"/categories/{ids['bread']}"
    one_audit(hub, since, "category.moved", r.headers["x-request-id"])
    assert api.get(f"/api/v1/categories/{ids['bread']}").json()["path"] == ["Drinks", "Bread"]
    assert "Category Drinks › Bread saved." in text_of(flash_after(portal, r, token))


def test_a_rename_and_a_position_that_is_not_a_number(hub, portal, api, ids, token):
    since = mark(hub)
    r = portal.call("POST", f"/categories/{ids['drinks']}", token,
                    {"name": "Beverages", "parent_id": "", "sort_order": "first"})
    assert r.status_code == 422 and field_error(r.text, "sort_order") == "Must be a whole number, such as 0 or 10."
    assert input_value(r.text, "sort_order") == "first" and wrote_nothing(hub, since)
    r = portal.call("POST", f"/categories/{ids['drinks']}", token,
                    {"name": "Beverages", "parent_id": "", "sort_order": "-5"})
    assert r.status_code == 303
    one_audit(hub, since, "category.updated", r.headers["x-request-id"])
    row = api.get(f"/api/v1/categories/{ids['drinks']}").json()
    assert (row["name"], row["sort_order"]) == ("Beverages", -5)


def test_archiving_says_why_it_is_refused_and_restoring_under_an_archived_parent_too(
        hub, portal, api, ids, token):
    product_in(api, ids, category_id=ids["bread"])
    since = mark(hub)
    r = portal.call("POST", f"/categories/{ids['bread']}/archive", token)
    assert r.status_code == 409
    reason = html.unescape(re.search(r'id="e-active">(.*?)</p>', r.text)[1])
    assert reason == "'Bread' still holds 1 active product; move or archive them first."
    assert "The category was not archived." in text_of(r.text)
    r = portal.call("POST", f"/categories/{ids['bakery']}/archive", token)
    assert r.status_code == 409 and "still holds 1 active subcategory" in html.unescape(r.text)
    assert wrote_nothing(hub, since)

    drinks_child = category(api, "Juice", ids["drinks"])
    since = mark(hub)
    r = portal.call("POST", f"/categories/{drinks_child}/archive", token)
    assert r.headers["location"] == f"/categories/{drinks_child}"
    one_audit(hub, since, "category.archived", r.headers["x-request-id"])
    page = flash_after(portal, r, token)
    assert "Category Juice archived." in text_of(page) and ">Restore category<" in page
    assert portal.call("POST", f"/categories/{ids['drinks']}/archive", token).status_code == 303
    since = mark(hub)
    r = portal.call("POST", f"/categories/{drinks_child}/restore", token)
    assert r.status_code == 422
    assert "'Drinks' is archived; restore it first." in html.unescape(r.text.split('id="e-active">', 1)[1])
    assert wrote_nothing(hub, since)
    assert portal.call("POST", f"/categories/{ids['drinks']}/restore", token).status_code == 303
    r = portal.call("POST", f"/categories/{drinks_child}/restore", token)
    assert r.status_code == 303 and api.get(f"/api/v1/categories/{drinks_child}").json()["active"] is True


def test_an_enrolled_hub_leaves_hq_fields_read_only_and_the_position_the_stores(hub, portal, api, ids, token):
    enrol(hub.db_path)
    page = portal.call("GET", f"/categories/{ids['bakery']}", token).text
    assert is_disabled(page, "name") and is_disabled(page, "parent_id") and not is_disabled(page, "sort_order")
    assert "enrolled with HQ" in text_of(page) and "Archive category" not in page
    assert ">New category</a>" not in portal.call("GET", "/categories", token).text
    since = mark(hub)
    r = portal.call("POST", f"/categories/{ids['bakery']}", token, {"sort_order": "3"})  # disabled: not sent
    assert r.status_code == 303 and api.get(f"/api/v1/categories/{ids['bakery']}").json()["sort_order"] == 3
    one_audit(hub, since, "category.updated", r.headers["x-request-id"])
    since = mark(hub)
    r = portal.call("POST", f"/categories/{ids['bakery']}", token, {"name": "Cakes", "sort_order": "3"})
    assert r.status_code == 409 and field_error(r.text, "name").startswith("HQ owns this")
    assert wrote_nothing(hub, since)


# ---- units --------------------------------------------------------------------------------


def test_the_units_list_shows_symbol_name_decimals_and_use(portal, api, ids, token):
    product_in(api, ids, unit_id=ids["kg"])
    listed = rows(portal.call("GET", "/units", token).text)
    assert listed == ["each Each 0 (whole numbers) 0 Active", "kg Kilogram 3 (such as 1.250) 1 Active",
                      "l Litre 3 (such as 1.250) 0 Active"]
    assert [r.split()[0] for r in rows(portal.call("GET", "/units?q=litre", token).text)] == ["l"]


def test_a_unit_is_added_and_a_taken_or_malformed_symbol_is_named_inline(hub, portal, api, token):
    since = mark(hub)
    r = portal.call("POST", "/units", token, {"code": "KG", "name": "Kilo again", "decimals": "3"})
    assert r.status_code == 409 and field_error(r.text, "code") == "Another unit already has the code 'kg'."
    assert input_value(r.text, "name") == "Kilo again" and selected(r.text, "decimals") == "3"
    r = portal.call("POST", "/units", token, {"code": "2 kg", "name": "", "decimals": "7"})
    assert r.status_code == 422
    assert field_error(r.text, "code").startswith("May use only letters, digits")
    assert field_error(r.text, "name") == "Is required."
    assert field_error(r.text, "decimals") == "Must be at most 3."
    assert wrote_nothing(hub, since)

    r = portal.call("POST", "/units", token, {"code": "bag10", "name": "Bag of 10 kg", "decimals": "0"})
    assert r.headers["location"] == "/units"
    one_audit(hub, since, "unit.created", r.headers["x-request-id"])
    assert "Unit Bag of 10 kg (bag10) added." in text_of(flash_after(portal, r, token))
    [made] = api.get("/api/v1/units", params={"q": "bag10"}).json()["items"]
    assert (made["name"], made["decimals"]) == ("Bag of 10 kg", 0)


def test_a_unit_is_edited_and_archived_unless_products_are_sold_in_it(hub, portal, api, ids, token):
    product_in(api, ids, unit_id=ids["kg"])
    since = mark(hub)
    r = portal.call("POST", f"/units/{ids['kg']}", token, {"code": "kg", "name": "Kilogramme", "decimals": "3"})
    assert r.headers["location"] == f"/units/{ids['kg']}"
    one_audit(hub, since, "unit.updated", r.headers["x-request-id"])
    assert api.get(f"/api/v1/units/{ids['kg']}").json()["name"] == "Kilogramme"
    since = mark(hub)
    r = portal.call("POST", f"/units/{ids['kg']}/archive", token)
    assert r.status_code == 409
    assert "1 active products are sold in kg" in html.unescape(r.text.split('id="e-active">', 1)[1])
    assert wrote_nothing(hub, since)
    litre = next(u["id"] for u in api.get("/api/v1/units").json()["items"] if u["code"] == "l")
    r = portal.call("POST", f"/units/{litre}/archive", token)
    assert r.status_code == 303 and api.get(f"/api/v1/units/{litre}").json()["active"] is False
    assert [x.split()[0] for x in rows(portal.call("GET", "/units?status=archived", token).text)] == ["l"]
    assert portal.call("POST", f"/units/{litre}/restore", token).status_code == 303


def test_an_enrolled_hub_shows_units_read_only(hub, portal, ids, token):
    enrol(hub.db_path)
    page = portal.call("GET", f"/units/{ids['kg']}", token).text
    assert all(is_disabled(page, name) for name in ("code", "name", "decimals"))
    assert ">Save changes<" not in page and ">Archive unit<" not in page
    assert ">New unit</a>" not in portal.call("GET", "/units", token).text


# ---- suppliers ----------------------------------------------------------------------------

SUPPLIER = {"name": "Mbare Wholesale (Pvt) Ltd", "contact_name": "Tendai Moyo", "phone": "+263 77 123 4567",
            "email": "orders@mbarewholesale.co.zw", "address": "12 Jason Moyo Ave\nHarare", "tin": "2000123456",
            "payment_terms_days": "30", "lead_time_days": "3", "notes": "Orders by Wednesday noon."}


def test_a_bad_lead_time_and_email_are_named_inline_and_nothing_is_added(hub, portal, token):
    since = mark(hub)
    r = portal.call("POST", "/suppliers", token, {**SUPPLIER, "lead_time_days": "400", "email": "orders at mbare"})
    assert r.status_code == 422
    assert field_error(r.text, "lead_time_days") == "Must be at most 365."
    assert field_error(r.text, "email").startswith("Is not an e-mail address")
    assert field_error(r.text, "name") is None
    assert input_value(r.text, "lead_time_days") == "400" and input_value(r.text, "name") == SUPPLIER["name"]
    assert input_value(r.text, "address") == SUPPLIER["address"]
    assert "The supplier was not added." in text_of(r.text)
    r = portal.call("POST", "/suppliers", token, {**SUPPLIER, "lead_time_days": "two weeks", "tin": "123"})
    assert field_error(r.text, "lead_time_days") == "Must be a whole number of days, such as 7 (0 to 365)."
    assert field_error(r.text, "tin") == "Must be the 10 digits of a ZIMRA TIN."
    assert wrote_nothing(hub, since)
    assert "Mbare" not in portal.call("GET", "/suppliers", token).text


def test_a_supplier_is_added_shown_edited_and_archived(hub, portal, api, token):
    since = mark(hub)
    r = portal.call("POST", "/suppliers", token, SUPPLIER)
    supplier_id = r.headers["location"].rsplit("/", 1)[1]
    one_audit(hub, since, "supplier.created", r.headers["x-request-id"])
    page = flash_after(portal, r, token)
    shown = text_of(page)
    assert "Supplier Mbare Wholesale (Pvt) Ltd added." in shown
    for fact in ("Tendai Moyo", "+263 77 123 4567", "orders@mbarewholesale.co.zw", "2000123456",
                 "30 days after the invoice", "3 days from order to delivery", "Orders by Wednesday noon."):
        assert fact in shown, fact
    assert f'href="/products?supplier={supplier_id}"' in page
    row = api.get(f"/api/v1/suppliers/{supplier_id}").json()
    assert (row["payment_terms_days"], row["lead_time_days"], row["address"]) == (30, 3, SUPPLIER["address"])

    edit = portal.call("GET", f"/suppliers/{supplier_id}/edit", token).text
    assert input_value(edit, "lead_time_days") == "3" and input_value(edit, "notes") == SUPPLIER["notes"]
    since = mark(hub)
    r = portal.call("POST", f"/suppliers/{supplier_id}", token, {**SUPPLIER, "lead_time_days": "366"})
    assert r.status_code == 422 and field_error(r.text, "lead_time_days") == "Must be at most 365."
    assert wrote_nothing(hub, since)
    r = portal.call("POST", f"/suppliers/{supplier_id}", token, {**SUPPLIER, "lead_time_days": "5",
                                                                 "payment_terms_days": "0"})
    assert r.headers["location"] == f"/suppliers/{supplier_id}"
    one_audit(hub, since, "supplier.updated", r.headers["x-request-id"])
    assert "On delivery" in text_of(flash_after(portal, r, token))
    row = api.get(f"/api/v1/suppliers/{supplier_id}").json()
    assert (row["payment_terms_days"], row["lead_time_days"]) == (0, 5)

    since = mark(hub)
    r = portal.call("POST", f"/suppliers/{supplier_id}/archive", token)
    one_audit(hub, since, "supplier.archived", r.headers["x-request-id"])
    assert "Mbare" not in portal.call("GET", "/suppliers", token).text
    assert "Mbare" in portal.call("GET", "/suppliers?status=archived", token).text
    assert portal.call("POST", f"/suppliers/{supplier_id}/restore", token).status_code == 303
    assert api.get(f"/api/v1/suppliers/{supplier_id}").json()["active"] is True


def test_the_supplier_list_searches_and_pages_with_a_cursor(portal, api, token, monkeypatch):
    for name in ("Alpha Foods", "Beta Bakers", "Gamma Dairies", "Delta Drinks", "Alpine Water"):
        assert api.post("/api/v1/suppliers", json={"name": name, "lead_time_days": 2}).status_code == 201
    assert "No supplier matches this filter." in text_of(portal.call("GET", "/suppliers?q=zzz", token).text)
    found = rows(portal.call("GET", "/suppliers?q=alp", token).text)
    assert [r.split(" — ")[0] for r in found] == ["Alpha Foods", "Alpine Water"]
    assert "2 days" in found[0]
    monkeypatch.setattr("hub.catalogue.suppliers.portal.PAGE_SIZE", 2)
    seen, path = [], "/suppliers"
    while path:
        page = portal.call("GET", path, token).text
        seen += [r.split(" — ")[0] for r in rows(page)]
        more = re.search(r'href="([^"]*after=[^"]+)">Next page', page)
        path = html.unescape(more[1]) if more else None
    assert seen == ["Alpha Foods", "Alpine Water", "Beta Bakers", "Delta Drinks", "Gamma Dairies"]


def test_a_suppliers_page_links_to_the_products_it_supplies(portal, api, ids, token):
    product_in(api, ids, name="Dairibord fresh milk 2 l", suppliers=[{"supplier_id": ids["dairy"]}])
    product_in(api, ids, name="Baker's Inn loaf", suppliers=[{"supplier_id": ids["bakers"]}])
    page = portal.call("GET", f"/suppliers/{ids['dairy']}", token).text
    link = re.search(r'<a href="([^"]+)">Products from this supplier</a>', page)[1]
    products = text_of(portal.call("GET", html.unescape(link), token).text)
    assert "Dairibord fresh milk 2 l" in products and "Baker's Inn loaf" not in products


def test_an_empty_supplier_list_says_how_to_start(portal, token):
    page = text_of(portal.call("GET", "/suppliers", token).text)
    assert "No supplier yet." in page and "Add the first supplier" in page
