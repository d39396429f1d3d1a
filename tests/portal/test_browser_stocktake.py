"""Stock takes in headless Chromium against a running hub: a manager starts a category count,
counts three products (a mistyped SKU refused beside its input), reviews the variances and their
value, posts, and finds the new levels on Stock levels and the counts on Stock movements; and
the pages fit a phone."""

from __future__ import annotations

import pytest

from tests.catalogue.fixtures import create, reference
from tests.inventory.test_stocktake_moment import ledger_clean
from tests.portal.conftest import PHONE
from tests.portal.test_browser import heading, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def bakery(hub):
    """Three breads with stock (Bread is under Bakery under Food) and a drink outside the count."""
    admin = hub.as_user("admin")
    ids = reference(admin)
    made = {name: create(admin, ids, name=f"Count {name}", category_id=ids["bread"],
                         opening_stock={"quantity": quantity, "unit_cost": cost})
            for name, quantity, cost in (("Brown loaf", 20000, 90), ("Rolls 6", 10000, 150),
                                         ("White loaf", 15000, 100))}
    made["juice"] = create(admin, ids, name="Count Juice", category_id=ids["drinks"],
                           opening_stock={"quantity": 5000, "unit_cost": 200})
    return made


def test_a_manager_counts_a_category_reviews_the_variances_and_posts(browse, hub, bakery):
    page, watch = browse()
    sign_in(page, hub, "manager")
    page.locator("#sidebar nav").get_by_role("link", name="Stock takes", exact=True).click()
    page.wait_for_url(hub.url + "/stock/takes")
    assert heading(page) == "Stock takes"
    page.get_by_role("link", name="New stock take").click()
    page.get_by_label("Name").fill("Bakery month end")
    page.get_by_label("What to count").select_option("category")
    page.get_by_label("Category").select_option(label="Food / Bakery")
    page.get_by_role("button", name="Start counting").click()
    page.wait_for_url(hub.url + "/stock/takes/*")
    assert heading(page) == "Bakery month end"

    def count(code: str, quantity: str) -> None:
        page.get_by_label("Barcode or SKU").fill(code)
        page.get_by_label("Quantity").fill(quantity)
        page.get_by_role("button", name="Add count").click()
        page.wait_for_load_state()

    count(bakery["Brown loaf"]["sku"], "18")
    watch.expect_console_error(422)
    count(bakery["Rolls 6"]["sku"] + "9", "10")  # a typo
    error = page.locator("#e-code")
    assert error.is_visible() and "No product has the barcode or SKU" in error.text_content()
    assert page.get_by_label("Barcode or SKU").input_value() == bakery["Rolls 6"]["sku"] + "9"
    assert page.get_by_label("Barcode or SKU").get_attribute("aria-invalid") == "true"
    count(bakery["Rolls 6"]["sku"], "10")
    count(bakery["White loaf"]["barcodes"][0]["code"], "16")
    products = page.locator("table.take-products tbody tr")
    assert products.count() == 3

    page.get_by_role("button", name="Finish counting and review").click()
    page.wait_for_load_state()
    assert page.locator(".take-status").text_content() == "In review"
    rows = {r.split("SKU-")[0].strip(): r for r in page.locator("table.take-products tbody tr").all_text_contents()}
    assert "-2" in rows["Count Brown loaf"] and "USD -1.80" in rows["Count Brown loaf"]
    assert "+1" in rows["Count White loaf"] and "USD 1.00" in rows["Count White loaf"]
    assert page.locator(".take-variance").text_content() == "USD -0.80"
    page.get_by_role("button", name="Post counts to stock").click()
    page.wait_for_load_state()
    assert page.locator(".take-status").text_content() == "Posted"
    ledger_clean(hub)

    page.goto("/stock?q=Count")
    levels = {r.split("SKU-")[0].strip(): r for r in page.locator("table.stock-levels tbody tr").all_text_contents()}
    assert "18 each" in levels["Count Brown loaf"] and "16 each" in levels["Count White loaf"]
    assert "5 each" in levels["Count Juice"]  # another category: not counted, not touched
    page.goto("/stock/movements")
    page.get_by_label("Kind").select_option("count")
    page.get_by_role("button", name="Filter").click()
    movements = page.locator("table.stock-movements tbody tr")
    assert movements.count() == 3
    assert all("count" in t for t in movements.all_text_contents())


def test_the_stock_take_pages_fit_a_phone(browse, hub, bakery):
    page, _ = browse(PHONE)
    sign_in(page, hub, "manager")
    page.goto("/stock/takes/new")
    page.get_by_label("Name").fill("Phone count")
    page.get_by_role("button", name="Start counting").click()
    page.wait_for_url(hub.url + "/stock/takes/*")
    page.get_by_label("Barcode or SKU").fill(bakery["Rolls 6"]["sku"])
    page.get_by_label("Quantity").fill("9")
    page.get_by_role("button", name="Add count").click()
    page.wait_for_load_state()
    session = page.url
    for path in ("/stock/takes", "/stock/takes/new", session):
        page.goto(path)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} scrolls sideways on a phone ({width}px)"
    assert page.locator("table.take-products").is_visible()
