"""Sales and the exception queue in headless Chromium against a running hub: two paired tills
record a day of USD and ZWG sales through the API; a manager sees the totals per currency, filters
the history, opens a receipt paid in ZWG for a USD total with the till's rate and USD change,
prints it, follows the banner to the exception queue, resolves a price exception and dismisses
another after the missing note is shown beside its input; the pages fit a phone."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.catalogue.fixtures import create, reference
from tests.portal.conftest import PHONE
from tests.portal.test_browser import heading, sign_in
from tests.sales.build import cash, line
from tests.sales.recipes import ZWG_RATE, Till

pytestmark = pytest.mark.browser


def on_time(hub, who: str = "cashier") -> Till:
    till = Till(hub, who)
    hub.write("UPDATE devices SET clock_skew_ms = 0 WHERE id = ?", till.device_id)
    return till


@pytest.fixture
def day(hub):
    """Today's sales at two tills: USD cash, USD card, ZWG cash, and USD paid in ZWG with USD change;
    one sold a product below the catalogue price, one an unknown code."""
    admin = hub.as_user("admin")
    ids = reference(admin)
    tea = create(admin, ids, name="Tanganda tea 100 bags", prices={"USD": 350}, stock_tracked=False)
    now = dt.datetime.now(dt.timezone.utc)
    front, back = on_time(hub), on_time(hub, "supervisor")
    shift = front.shift()
    usd = front.sell(front.body([line(350, product_id=tea["id"], tax_rate_bp=0)], shift_id=shift, clock=now))
    card = front.sell(front.body([line(300, product_id=tea["id"], tax_rate_bp=0, name="Tea (cheap)")], tenders=[
        {"method": "card", "currency": "USD", "amount": 300, "provider": "CBZ", "reference": "AUTH-1"}],
        shift_id=shift, clock=now))
    zwg = back.sell(back.body([line(5000, code="600123", name="Loose sweets", tax_rate_bp=0)],
                              tenders=[cash(5000, "ZWG")], currency="ZWG", clock=now))
    mixed = front.sell(front.body([line(350, 2000, product_id=tea["id"], tax_rate_bp=0, name="Tea x2")],
                                  tenders=[cash(30000, "ZWG")], rates=[ZWG_RATE],
                                  change=[{"currency": "USD", "amount": 432}], shift_id=shift, clock=now))
    return {"usd": usd, "card": card, "zwg": zwg, "mixed": mixed, "back": back}


def test_a_manager_reads_the_day_prints_a_receipt_and_clears_exceptions(browse, hub, day):
    page, watch = browse()
    sign_in(page, hub, "manager")
    page.locator("#sidebar nav").get_by_role("link", name="Sales history", exact=True).click()
    page.wait_for_url(hub.url + "/sales")
    assert heading(page) == "Sales history"
    usd = page.locator(".sales-totals .stat[data-currency=USD]").text_content()
    zwg = page.locator(".sales-totals .stat[data-currency=ZWG]").text_content()
    assert "USD 13.50" in usd and "3 sales" in usd  # 3.50 + 3.00 + 7.00
    assert "ZWG 50.00" in zwg and "1 sale" in zwg
    assert page.locator("table.sales-history tbody tr").count() == 4

    # Filter: USD cash sales at the front till.
    page.get_by_label("Currency", exact=True).select_option("USD")
    page.get_by_label("Tender").select_option(label="Cash")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**currency=USD**")
    rows = page.locator("table.sales-history tbody tr")
    assert rows.count() == 2
    assert page.locator(".sales-totals .stat[data-currency=ZWG]").count() == 0
    assert "USD 10.50" in page.locator(".sales-totals .stat[data-currency=USD]").text_content()
    page.get_by_role("link", name=day["mixed"]["invoice_number"]).click()
    page.wait_for_url(hub.url + f"/sales/{day['mixed']['id']}")
    tenders = page.locator("table.receipt-tenders").text_content()
    assert "ZWG 300.00" in tenders and "at 1 USD = 26.5 ZWG, the till's rate" in tenders
    assert "Change given" in tenders and "USD 4.32" in tenders
    assert "2 each" in page.locator("table.receipt-lines").text_content()

    # The printable view: a plain page, no shell.
    page.get_by_role("link", name="Printable view").click()
    page.wait_for_url(hub.url + f"/sales/{day['mixed']['id']}/print")
    assert page.locator("body.print-doc").count() == 1 and page.locator("#sidebar").count() == 0
    assert day["mixed"]["invoice_number"] in page.locator("h1").text_content()
    page.get_by_role("link", name=f"Back to receipt {day['mixed']['invoice_number']}").click()
    page.wait_for_url(hub.url + f"/sales/{day['mixed']['id']}")

    # The banner leads to the queue; the price exception is resolved.
    banner = page.locator(".banner[data-banner=exceptions]")
    assert "open exceptions from sales wait for a manager" in banner.text_content()
    page.get_by_role("link", name="Open the exception queue").click()
    page.wait_for_url(hub.url + "/exceptions")
    page.get_by_label("Kind").select_option(label="Price differs from the catalogue")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**kind=price_mismatch**")
    row = page.locator("table.exception-queue tbody tr")
    assert row.count() == 1
    assert "was charged USD 3.00 a unit; the catalogue price was USD 3.50" in row.text_content()
    row.get_by_role("link", name="Price differs from the catalogue").click()
    page.wait_for_url(hub.url + "/exceptions/*")
    page.get_by_label("What was done").fill("Shelf label was old; reprinted")
    page.get_by_role("button", name="Resolve").click()
    page.wait_for_url(hub.url + "/exceptions/*")
    assert "The exception was resolved." in page.locator(".notice:not(.banner)").first.text_content()
    assert "Shelf label was old; reprinted" in page.locator(".exception-note").text_content()

    # The unknown code is dismissed: first without a note, refused beside it.
    page.goto("/exceptions?kind=unknown_product&status=open")
    row = page.locator("table.exception-queue tbody tr")
    assert row.count() == 1 and "the till sold the code 600123" in row.text_content()
    row.get_by_role("link", name=day["zwg"]["invoice_number"]).is_visible()
    row.get_by_role("link", name="Unknown product").click()
    page.wait_for_url(hub.url + "/exceptions/*")
    detail = page.url
    watch.expect_console_error(422)
    page.get_by_role("button", name="Dismiss").click()
    assert "a note is required" in page.locator("#e-dismiss-note").text_content()
    assert page.get_by_label("Why it is dismissed").get_attribute("aria-invalid") == "true"
    page.get_by_label("Why it is dismissed").fill("Sweets are sold loose by weight, no code")
    page.get_by_role("button", name="Dismiss").click()
    page.wait_for_url(detail)
    assert "The exception was dismissed." in page.locator(".notice:not(.banner)").first.text_content()

    page.goto("/exceptions?status=open")
    assert page.locator("table.exception-queue tbody tr").count() >= 1  # the unknown shifts stay open
    page.goto("/exceptions?status=dismissed")
    assert page.locator("table.exception-queue tbody tr").count() == 1


def test_the_sales_pages_fit_a_phone(browse, hub, day):
    page, _ = browse(PHONE)
    sign_in(page, hub, "manager")
    exception = day["zwg"]["exceptions"][0]["id"]
    for path in ("/sales", f"/sales/{day['mixed']['id']}", f"/sales/{day['mixed']['id']}/print", "/exceptions",
                 f"/exceptions/{exception}"):
        page.goto(path)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} scrolls sideways on a phone ({width}px)"
    page.goto("/sales")
    card = page.locator("table.sales-history tbody tr").first
    assert card.locator("td[data-label=Total]").is_visible()
    assert page.locator(".sales-totals .stat").count() == 2
