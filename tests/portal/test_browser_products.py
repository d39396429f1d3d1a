"""Products in headless Chromium against a hub holding the 2,000-product demo catalogue: a manager
searches it, creates a product with a price that has too many decimals, sees the error beside the
price, fixes it, schedules a price change, archives the product and finds it under the archived
filter; the list, a product and its forms fit a phone and a desktop.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from hub.catalogue.barcodes import with_check_digit
from tests.hubtest import Hub, HubServer, make_demo_store
from tests.portal.conftest import DESKTOP, PHONE
from tests.portal.test_browser import heading, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def hub(settings) -> Iterator[Hub]:
    """The demo hub with its demo catalogue (the `browse` fixture opens pages on it)."""
    store = make_demo_store(settings, catalogue=True)
    server = HubServer(settings).start()
    running = Hub(server, store)
    try:
        yield running
    finally:
        running.close()
        server.stop()


def fits(page) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{page.url}: the page scrolls sideways ({width} > {inner})"


def test_a_manager_creates_prices_schedules_archives_and_finds_a_product(browse, hub):
    page, watch = browse()
    sign_in(page, hub, "manager")
    page.locator("#sidebar nav").get_by_role("link", name="Products", exact=True).click()
    page.wait_for_url(hub.url + "/products")
    assert heading(page) == "Products"
    assert page.locator("table.products tbody tr").count() == 50
    page.get_by_label("Name, SKU or barcode").fill("mazoe orange")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r".*/products\?q=mazoe\+orange"))
    names = page.locator("table.products td.name a").all_text_contents()
    assert names and all("Mazoe Orange" in n for n in names)

    page.get_by_role("link", name="New product").click()
    page.wait_for_url(hub.url + "/products/new")
    barcode = with_check_digit("600999000111")
    page.get_by_label("Name", exact=True).fill("Mazoe Orange Crush 5L")
    page.get_by_label("SKU").fill("BEV-MZ-5L")
    page.get_by_label("Price in USD").fill("12.505")
    page.get_by_label("Barcode 1", exact=True).fill(barcode)
    page.get_by_label("Opening stock (optional)", exact=True).fill("24")
    watch.expect_console_error(422)
    page.get_by_role("button", name="Create product").click()
    page.wait_for_load_state()
    price = page.get_by_label("Price in USD")
    assert price.input_value() == "12.505" and price.get_attribute("aria-invalid") == "true"
    assert page.locator(".field-error").first.text_content() == "USD amounts have at most 2 decimals (such as 12.50)."
    assert "The product was not created" in page.get_by_role("alert").first.text_content()
    assert page.get_by_label("Name", exact=True).input_value() == "Mazoe Orange Crush 5L"
    assert page.get_by_label("Barcode 1", exact=True).input_value() == barcode

    price.fill("12.50")
    page.get_by_role("button", name="Create product").click()
    page.wait_for_url(re.compile(r".*/products/[0-9a-f-]{36}$"))
    product_path = page.url.removeprefix(hub.url)
    assert heading(page) == "Mazoe Orange Crush 5L"
    assert page.get_by_role("status").text_content() == "Product BEV-MZ-5L (Mazoe Orange Crush 5L) created."
    assert page.locator(".stock-line").first.text_content() == "On hand: 24 each from the stock ledger"
    assert "12.50" in page.locator("section[aria-labelledby=h-prices] table").text_content()

    page.get_by_label("New price").fill("13.25")
    page.get_by_label("From (CAT)").fill("2031-06-01T08:00")
    page.get_by_role("button", name="Schedule price change").click()
    page.wait_for_url(hub.url + product_path)
    assert page.get_by_role("status").text_content() == "Price change scheduled: USD 13.25 from 01 Jun 2031 08:00."
    assert "Pending" in page.locator("table.schedules tbody tr").first.text_content()

    page.once("dialog", lambda dialog: dialog.accept())  # "Archive Mazoe Orange Crush 5L? ..."
    page.get_by_role("button", name="Archive product").click()
    page.wait_for_url(hub.url + product_path)
    assert page.get_by_role("status").text_content().startswith("Mazoe Orange Crush 5L is archived")
    assert page.locator(".summary-line .badge").text_content() == "Archived"

    page.goto("/products?q=BEV-MZ-5L")
    assert page.locator("table.products").count() == 0 and "No product matches" in page.locator(".empty").text_content()
    page.locator(".more-filters summary").click()
    page.get_by_label("Status").select_option("archived")  # submits itself
    page.wait_for_url(re.compile(r".*status=archived"))
    row = page.locator("table.products tbody tr")
    assert row.count() == 1 and "Archived" in row.text_content() and "BEV-MZ-5L" in row.text_content()
    row.get_by_role("link", name="Mazoe Orange Crush 5L").click()
    page.wait_for_url(hub.url + product_path)
    assert page.get_by_role("button", name="Restore product").is_visible()


def test_the_product_list_is_usable_on_a_phone(browse, hub):
    page, _ = browse(PHONE)
    sign_in(page, hub, "manager")
    page.goto("/products")
    fits(page)
    first = page.locator("table.products tbody tr").first
    box = first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] and box["height"] < 160  # a compact card
    page.get_by_label("Name, SKU or barcode").fill("mazoe")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r".*q=mazoe"))
    name = page.locator("table.products td.name a").first
    usd = page.locator("table.products tbody tr").first.locator("td[data-label=USD]")
    assert name.is_visible() and usd.is_visible() and re.fullmatch(r"\s*\d+\.\d\d\s*", usd.text_content())
    page.goto("/products")
    page.locator(".more-filters summary").click()
    page.get_by_label("Stock").select_option("no")
    page.wait_for_url(re.compile(r".*tracked=no"))
    fits(page)
    untracked = page.locator("table.products td.name").all_text_contents()
    assert untracked and all("no stock tracking" in n for n in untracked)
    page.goto("/products?q=mazoe")
    page.locator("table.products td.name a").first.click()
    page.wait_for_url(re.compile(r".*/products/[0-9a-f-]{36}$"))
    fits(page)
    assert page.get_by_role("button", name="Schedule price change").is_visible()


@pytest.mark.parametrize("name, viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_the_product_pages_fit_the_screen(browse, hub, tmp_path, name, viewport):
    page, _ = browse(viewport)
    sign_in(page, hub, "manager")
    page.goto("/products?q=mazoe")
    product_path = page.locator("table.products td.name a").first.get_attribute("href")
    for shot, path in {"list": "/products", "product": product_path, "edit": product_path + "/edit",
                       "new": "/products/new"}.items():
        page.goto(path)
        page.screenshot(path=str(tmp_path / f"{shot}-{name}.png"), full_page=True)
        fits(page)
