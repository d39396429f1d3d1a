"""Promotions, pricing tiers and "Try a basket" in headless Chromium against a hub with the demo
catalogue: a manager makes a "3 for 5.00" multi-buy on a demo product (first forgetting the
quantity, which the form names beside its input), prices a basket of three of it and then, in a
new 10 % staff tier, a basket with another product too, each total worked out by hand here, and
ends the promotion; on a desktop and on a phone, never scrolling sideways.
"""

from __future__ import annotations

import re

import pytest

from tests.hubtest import Hub, HubServer, make_demo_store
from tests.portal.conftest import DESKTOP, PHONE
from tests.portal.test_browser import heading, sign_in

pytestmark = pytest.mark.browser

PEANUT_BUTTER = "Black Cat Peanut Butter Smooth 750g"
TEA = "Joko Tea Leaves 250g"


@pytest.fixture
def hub(settings):
    """A demo hub with the demo catalogue (about 2,000 products, tiers and promotions)."""
    store = make_demo_store(settings, catalogue=True)
    server = HubServer(settings).start()
    running = Hub(server, store)
    try:
        yield running
    finally:
        running.close()
        server.stop()


def div_round(a: int, b: int) -> int:
    """docs/pricing.md: half away from zero (the amounts here are positive)."""
    return (2 * a + b) // (2 * b)


def demo_product(api, name: str) -> dict:
    """The demo product called `name`, with its price in USD and the VAT rate of its class now."""
    found = api.get("/api/v1/products", params={"q": name}).json()["items"]
    [product] = [p for p in found if p["name"] == name]
    rate = api.get(f"/api/v1/tax-classes/{product['tax_class_id']}/rates/current").json()["rate_bp"]
    return {"sku": product["sku"], "price": product["effective_prices"]["USD"], "rate": rate}


def money(cents: int) -> str:
    return f"{cents // 100:,}.{cents % 100:02d}"


def open_page(page, name: str) -> None:
    """Open a sidebar entry as a person would: on a phone, through the menu button first."""
    toggle = page.get_by_role("button", name="Open menu")
    if toggle.is_visible():
        toggle.click()
    # Wait for the page to load, so its script has wired the filters before a test uses them.
    with page.expect_navigation():
        page.locator("#sidebar nav").get_by_role("link", name=name, exact=True).click()


def fits(page, what: str) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{what}: the page scrolls sideways ({width} > {inner})"


def price_basket(page, lines: list[tuple[str, str]]) -> None:
    for index, (code, quantity) in enumerate(lines, start=1):
        page.get_by_label(f"Line {index}: SKU or barcode").fill(code)
        page.get_by_label(f"Line {index}: Quantity").fill(quantity)
    page.get_by_role("button", name="Price the basket").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("name, viewport", [("desktop", DESKTOP), ("phone", PHONE)])
def test_a_manager_makes_a_multi_buy_tries_baskets_with_a_staff_tier_and_ends_it(browse, hub, name,
                                                                                  viewport):
    api = hub.as_user("manager")
    assert api.get("/api/v1/settings/pricing").json()["tax_mode"] == "inclusive"
    butter, tea = demo_product(api, PEANUT_BUTTER), demo_product(api, TEA)
    assert 3 * butter["price"] > 500 * 1.2  # the deal takes something off, in the tier too
    page, watch = browse(viewport)
    page.on("dialog", lambda dialog: dialog.accept())  # "End ... now?"
    sign_in(page, hub, "manager")

    open_page(page, "Promotions")
    page.wait_for_url(hub.url + "/promotions")
    assert heading(page) == "Promotions" and page.locator("table.promotions tbody tr").count() >= 5
    page.get_by_role("link", name="New promotion").click()
    page.wait_for_url(hub.url + "/promotions/new")
    page.get_by_label("Kind of promotion").select_option(label="Multi-buy (3 for 5.00)")
    page.wait_for_url(hub.url + "/promotions/new?kind=multi_buy")
    page.get_by_label("Name", exact=True).fill("Peanut butter: 3 for 5.00")
    page.get_by_label("Products: SKU or barcode, one a line").fill(butter["sku"])
    page.get_by_label("Price in USD").fill("5.00")
    fits(page, "the new promotion form")
    watch.expect_console_error(422)
    page.get_by_role("button", name="Create promotion").click()
    page.wait_for_load_state()
    quantity = page.get_by_label("Units in a group")
    assert quantity.get_attribute("aria-invalid") == "true"
    assert page.locator("#e-quantity").text_content() == "A multi-buy promotion needs quantity"
    assert page.locator("#e-quantity").is_visible()
    assert "1 field to fix; nothing was saved." in page.get_by_role("alert").first.text_content()
    assert page.get_by_label("Name", exact=True).input_value() == "Peanut butter: 3 for 5.00"
    assert page.get_by_label("Price in USD").input_value() == "5.00"
    quantity.fill("3")
    page.get_by_role("button", name="Create promotion").click()
    page.wait_for_url(re.compile(r".*/promotions/[0-9a-f-]+$"))
    promotion_url = page.url
    assert page.get_by_role("status").text_content() == "Promotion Peanut butter: 3 for 5.00 created."
    assert f"3 for USD 5.00: {PEANUT_BUTTER}" in page.locator("dl.facts").text_content()

    jump = page.get_by_role("combobox", name="Jump to a page")
    jump.fill("try a bask")
    jump.press("Enter")
    page.wait_for_url(hub.url + "/promotions/try")
    price_basket(page, [(butter["sku"], "3")])
    # By hand: 3 at the shelf price, "3 for 5.00" takes the rest off; VAT is inside the 5.00.
    discount = 3 * butter["price"] - 500
    tax = div_round(500 * butter["rate"], 10_000 + butter["rate"])
    result = page.locator(".pricing-result")
    assert result.locator("#result-title").text_content() == "The price: USD 5.00"
    line = result.locator("table.pricing-quote tbody tr")
    assert line.count() == 1
    given = f"Peanut butter: 3 for 5.00: −{money(discount)}"
    assert line.locator("td[data-label=Discounts]").text_content() == given
    assert line.locator("td[data-label=Net]").text_content() == "5.00"
    assert result.locator(".pricing-given").text_content().strip() == given
    assert result.locator("table.pricing-tax td[data-label=Tax]").text_content() == money(tax)
    totals = result.locator(".pricing-totals")
    assert totals.locator("dt").all_text_contents() == ["Subtotal", "Discounts", "Tax included", "Total"]
    assert totals.locator("dd").all_text_contents() == [
        money(3 * butter["price"]), f"−{money(discount)}", money(tax), "USD 5.00"]
    fits(page, "the priced basket")

    open_page(page, "Pricing tiers")
    page.wait_for_url(hub.url + "/pricing-tiers")
    page.get_by_role("link", name="New pricing tier").click()
    page.get_by_label("Name", exact=True).fill("Staff discount")
    page.get_by_label("Percent off the normal price").fill("10")
    page.get_by_role("button", name="Create tier").click()
    page.wait_for_url(re.compile(r".*/pricing-tiers/[0-9a-f-]+$"))
    assert page.get_by_role("status").text_content() == "Pricing tier Staff discount created."
    assert heading(page) == "Staff discount"
    assert "10 % off the normal price" in page.locator(".summary-line").text_content()
    fits(page, "the tier")
    page.get_by_role("link", name="Try a basket in this tier").click()
    page.wait_for_url(re.compile(r".*/promotions/try\?tier=.+"))
    chosen = page.get_by_label("Tier", exact=True).locator("option:checked")
    assert chosen.text_content() == "Staff discount"
    price_basket(page, [(butter["sku"], "3"), (tea["sku"], "1")])
    # By hand: each unit 10 % off (rounded half away from zero); the multi-buy still makes 3 cost 5.00.
    butter_staff = butter["price"] - div_round(butter["price"] * 1000, 10_000)
    tea_staff = tea["price"] - div_round(tea["price"] * 1000, 10_000)
    lines = page.locator(".pricing-result table.pricing-quote tbody tr")
    assert lines.nth(0).locator("td[data-label='Unit price']").text_content() == money(butter_staff)
    assert lines.nth(1).locator("td[data-label='Unit price']").text_content() == money(tea_staff)
    assert lines.nth(0).locator("td[data-label=Discounts]").text_content() == \
        f"Peanut butter: 3 for 5.00: −{money(3 * butter_staff - 500)}"
    assert page.locator(".pricing-result").locator("#result-title").text_content() == \
        f"The price: USD {money(500 + tea_staff)}"
    assert "tier Staff discount" in page.locator(".pricing-result").text_content()
    fits(page, "the basket in the tier")

    page.goto(promotion_url)
    page.get_by_role("button", name="End promotion now").click()
    page.wait_for_url(promotion_url)
    assert page.get_by_role("status").text_content() == \
        "Promotion Peanut butter: 3 for 5.00 ended: the tills stop giving it now."
    assert page.locator(".summary-line .badge").text_content() == "Ended"
    assert page.get_by_role("button", name="End promotion now").count() == 0
    page.goto(f"/promotions/try?code={butter['sku']}&qty=3&go=1")
    assert "No promotion applies to this basket." in page.locator(".pricing-result").text_content()
    open_page(page, "Promotions")
    page.get_by_label("Status").select_option(label="Ended")
    page.wait_for_url(re.compile(r".*/promotions\?.*status=ended.*"))
    assert page.locator("table.promotions tbody tr").first.text_content().strip().startswith(
        "Peanut butter: 3 for 5.00")
    fits(page, "the ended promotions")
