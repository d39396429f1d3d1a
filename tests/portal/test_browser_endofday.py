"""The End-of-day page in headless Chromium against a running hub: a manager opens it from the
sidebar on a day with two tills, one shift still open and exceptions unresolved, is refused
closing with the blocking steps listed, follows a step's link, records deposits (a wrong amount
refused beside its input), backs up, closes the day and prints its summary; on a phone the
checklist and the deposit form fit the screen."""

from __future__ import annotations

import pytest

from tests.endofday import recipes
from tests.portal.conftest import PHONE
from tests.portal.test_browser import heading, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def day(hub):
    """Two tills with a sale each; the first till's shift closed, the second's open."""
    admin = hub.as_user("admin")
    till_a, shift_a = recipes.open_till(hub, "cashier")
    till_b, shift_b = recipes.open_till(hub, "supervisor")
    recipes.sell(till_a, shift_a, 150)
    recipes.sell(till_b, shift_b, 300)
    recipes.close_shift(admin, shift_a, {"USD": 5150, "ZWG": 20000})
    return {"admin": admin, "open": shift_b, "date": recipes.today(admin)}


def state(page, key: str) -> str:
    return page.locator(f"li[data-step={key}]").get_attribute("data-state")


def test_a_manager_walks_through_the_day_and_closes_it(browse, hub, day):
    page, watch = browse()
    sign_in(page, hub, "manager")
    sidebar = page.locator("#sidebar nav")
    sidebar.get_by_role("link", name="End of day", exact=True).click()
    page.wait_for_url(hub.url + "/end-of-day")
    assert heading(page) == "End of day" and f"Trading day {day['date']}" in page.locator(".eod-status").text_content()
    assert state(page, "shifts") == "needs_action" and state(page, "fiscal") == "not_applicable"
    assert "Not applicable" in page.locator("li[data-step=fiscal]").text_content()
    assert "not set up on this hub" in page.locator("li[data-step=fiscal]").text_content()

    watch.expect_console_error(409)
    page.get_by_role("button", name="Close the day").click()
    refused = page.locator(".eod-close-refused")
    assert "The day was not closed" in refused.text_content()
    assert "Every shift closed" in refused.text_content() and "Exception queue reviewed" in refused.text_content()
    assert "Fiscal" not in refused.text_content()  # not applicable: never a blocker, never a success

    # the open shift is named and linked; put the day right behind the page
    link = page.locator("li[data-step=shifts] .eod-items a")
    assert link.get_attribute("href") == f"/shifts/{day['open']}"
    recipes.close_shift(day["admin"], day["open"], {"USD": 5250, "ZWG": 20000})
    recipes.resolve_all(day["admin"])
    page.goto("/end-of-day")
    assert state(page, "shifts") == "done" and state(page, "exceptions") == "done"
    usd = page.locator("table.eod-cash tr[data-currency=USD]")
    assert "USD 104.50" in usd.locator("td[data-label=Expected]").text_content()
    assert "USD 104.00" in usd.locator("td[data-label=Counted]").text_content()
    assert "USD -0.50" in usd.locator(".variance").text_content() and "Short" in usd.text_content()

    page.get_by_label("Amount").fill("104.005")
    page.get_by_label("Bank", exact=True).fill("CBZ Bank")
    page.get_by_label("Slip number or reference").fill("SLIP-1")
    page.get_by_label("Deposited by").fill("Tendai Moyo")
    page.get_by_label("Deposited at").fill(f"{day['date']}T00:05")
    watch.expect_console_error(422)
    page.get_by_role("button", name="Record deposit").click()
    assert page.locator("#e-amount").text_content() == "Has at most 2 decimals."
    assert page.get_by_label("Amount").input_value() == "104.005"
    assert page.get_by_label("Slip number or reference").input_value() == "SLIP-1"
    page.get_by_label("Amount").fill("104.00")
    page.get_by_role("button", name="Record deposit").click()
    page.wait_for_url(f"{hub.url}/end-of-day?date={day['date']}#deposits")
    assert "Deposit of USD recorded." in page.locator("main").text_content()
    page.get_by_label("Currency").select_option("ZWG")
    page.get_by_label("Amount").fill("400.00")
    page.get_by_label("Bank", exact=True).fill("CBZ Bank")
    page.get_by_label("Slip number or reference").fill("SLIP-2")
    page.get_by_label("Deposited by").fill("Tendai Moyo")
    page.get_by_role("button", name="Record deposit").click()
    page.wait_for_url(f"{hub.url}/end-of-day?date={day['date']}#deposits")
    assert state(page, "deposit") == "done" and state(page, "backup") == "needs_action"

    page.get_by_role("button", name="Back up now").click()
    page.wait_for_url(f"{hub.url}/end-of-day?date={day['date']}")
    assert "made." in page.locator("main").text_content() and state(page, "backup") == "done"
    assert "Every step is done" in page.locator(".eod-status").text_content()
    page.get_by_role("button", name="Close the day").click()
    page.wait_for_url(f"{hub.url}/end-of-day?date={day['date']}")
    assert f"{day['date']} is closed." in page.locator("main").text_content()
    assert page.get_by_role("button", name="Close the day").count() == 0

    page.get_by_role("link", name="Printable day summary").click()
    page.wait_for_url(f"{hub.url}/end-of-day/summary?date={day['date']}")
    assert f"Day summary · {day['date']}" in page.locator("h1").text_content()
    assert "SLIP-2" in page.locator("table.eod-summary-deposits").text_content()


def test_the_end_of_day_page_fits_a_phone(browse, hub, day):
    page, _ = browse(PHONE)
    sign_in(page, hub, "manager")
    page.goto("/end-of-day")
    assert page.locator("ol.eod-steps").is_visible() and page.locator("#deposit-form").is_visible()
    assert page.locator("li[data-step=shifts]").get_by_role("link", name="Open shifts").is_visible()
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"the end-of-day page scrolls sideways on a phone ({width}px)"
    page.goto(f"/end-of-day/summary?date={day['date']}")
    assert page.locator("h1").is_visible() and page.locator("table.eod-summary-cash").is_visible()
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"the day summary scrolls sideways on a phone ({width}px)"
