"""The Stock pages in headless Chromium against a running hub: a manager finds low and below-zero
stock and its value at cost, follows a product to its movements, filters them by kind and user,
and the pages fit a phone."""

from __future__ import annotations

import pytest

from hub.db.audit import Actor
from hub.inventory import Source, move
from tests.catalogue.fixtures import create, new_product, reference, writing
from tests.portal.conftest import PHONE
from tests.portal.test_browser import heading, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def stock(hub):
    """Beans (plenty), Flour (low) and Paraffin (sold below zero by a till), made as the admin."""
    admin = hub.as_user("admin")
    ids = reference(admin)
    made = {
        "beans": create(admin, ids, name="Browser Beans 410g", low_stock_threshold=2000,
                        opening_stock={"quantity": 24000, "unit_cost": 95}),
        "flour": create(admin, ids, name="Browser Flour 2kg", low_stock_threshold=10000,
                        opening_stock={"quantity": 3000, "unit_cost": 210}),
        "paraffin": admin.post("/api/v1/products", json=new_product(
            ids, name="Browser Paraffin 1l", unit_id=ids["kg"], opening_stock={"quantity": 500, "unit_cost": 150})
        ).json(),
    }
    with writing(hub.db_path) as conn:
        move(conn, kind="sale", product_id=made["paraffin"]["id"], quantity=-1250, occurred_at="2024-07-01T10:00:00Z",
             actor=Actor(username="cashier", device_id="till-1"), source=Source("sale", "s-1", 0))
    return made


def test_a_manager_finds_low_stock_follows_a_product_to_its_movements_and_filters_them(browse, hub, stock):
    page, _ = browse()
    sign_in(page, hub, "manager")
    sidebar = page.locator("#sidebar nav")
    assert "Stock" in sidebar.locator("h2").all_text_contents()
    sidebar.get_by_role("link", name="Stock levels", exact=True).click()
    page.wait_for_url(hub.url + "/stock")
    assert heading(page) == "Stock levels"
    # 24 x 0.95 + 3 x 2.10 - 0.75 x 1.50 (-1.125, rounded half away from zero to -1.13)
    assert page.locator(".stock-value").text_content() == "USD 27.97"

    page.get_by_label("Search").fill("Browser")
    page.get_by_label("Low stock only").check()
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(hub.url + "/stock?q=Browser&category=&low=1")
    rows = page.locator("table.stock-levels tbody tr")
    assert rows.count() == 2
    assert "Browser Flour 2kg" in rows.nth(0).text_content() and "Low" in rows.nth(0).text_content()
    paraffin = rows.nth(1).text_content()
    assert "-0.75 kg" in paraffin and "Below zero" in paraffin

    rows.nth(1).get_by_role("link", name="Browser Paraffin 1l").click()
    page.wait_for_url(f"{hub.url}/stock/movements?sku={stock['paraffin']['sku']}")
    assert heading(page) == "Stock movements"
    assert "-0.75 on hand now" in page.locator("main").text_content()
    movements = page.locator("table.stock-movements tbody tr")
    assert movements.count() == 2
    assert "sale" in movements.nth(0).text_content() and "till-1" in movements.nth(0).text_content()
    assert "opening" in movements.nth(1).text_content() and "+0.5 kg" in movements.nth(1).text_content()

    page.get_by_label("Kind").select_option("opening")
    page.get_by_role("button", name="Filter").click()
    assert page.locator("table.stock-movements tbody tr").count() == 1
    page.get_by_role("link", name="Clear").click()
    page.wait_for_url(hub.url + "/stock/movements")
    page.get_by_label("User").select_option(label="Demo Admin (admin)")
    page.get_by_role("button", name="Filter").click()
    listed = page.locator("table.stock-movements tbody tr")
    assert listed.count() == 3 and all("opening" in t for t in listed.all_text_contents())


def test_the_stock_pages_fit_a_phone(browse, hub, stock):
    page, _ = browse(PHONE)
    sign_in(page, hub, "supervisor")
    for path, table in (("/stock", "table.stock-levels"), ("/stock/movements", "table.stock-movements")):
        page.goto(path)
        assert page.locator(table).is_visible()
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} scrolls sideways on a phone ({width}px)"
