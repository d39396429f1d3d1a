"""Tax, Currencies and Exchange rates in headless Chromium against a running hub, at desktop and
phone width: a manager records a USD -> ZWG rate with a typo, sees the inline error, corrects it
and finds it in force and in the history, then switches the store's tax mode; the store's admin
(the built-in role that holds taxes.manage) schedules a VAT rate for next month and meets the
refusal of a rate in the past. The pages fit the screen.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from tests.portal.conftest import DESKTOP, PHONE
from tests.portal.test_browser import heading, sign_in

pytestmark = pytest.mark.browser

VIEWPORTS = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]
HARARE = zoneinfo.ZoneInfo("Africa/Harare")


def open_from_sidebar(page, name: str) -> None:
    """Click a sidebar entry, opening the menu first on a phone."""
    toggle = page.get_by_role("button", name="Open menu")
    if toggle.is_visible():
        toggle.click()
    page.locator("#sidebar nav").get_by_role("link", name=name, exact=True).click()


def next_month() -> dt.datetime:
    """Midnight in Harare on the first day of next month."""
    today = dt.datetime.now(HARARE)
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return dt.datetime(year, month, 1, tzinfo=HARARE)


def fits(page) -> None:
    """Nothing scrolls sideways, and no table cell hides part of what it holds."""
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{page.url}: the page scrolls sideways ({width} > {inner})"
    clipped = page.evaluate("Array.from(document.querySelectorAll('main td'))"
                            ".filter(td => td.scrollWidth > td.clientWidth + 1).map(td => td.textContent.trim())")
    assert not clipped, f"{page.url}: cells cut off: {clipped}"


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_manager_records_an_exchange_rate_after_a_typo_and_switches_the_tax_mode(browse, hub, viewport):
    page, watch = browse(viewport)
    sign_in(page, hub, "manager")
    open_from_sidebar(page, "Currencies")
    page.wait_for_url(hub.url + "/currencies")
    assert heading(page) == "Currencies"
    usd = page.locator("table.currencies tbody tr").first
    assert "USD" in usd.text_content() and usd.locator(".badge", has_text="Base").is_visible()
    fits(page)

    page.get_by_role("link", name="Exchange rates").click()
    page.wait_for_url(hub.url + "/currencies/rates")
    assert "No exchange rate is in force yet." in page.locator("main").text_content()
    form = page.locator("form.rate-form")
    form.get_by_label("From", exact=True).select_option("USD")
    form.get_by_label("To", exact=True).select_option("ZWG")
    form.get_by_label("Rate", exact=True).fill("27.O5")  # a letter O for a zero
    form.get_by_label("Source", exact=True).select_option("official")
    watch.expect_console_error(422)
    form.get_by_role("button", name="Record rate").click()
    page.wait_for_load_state()
    rate = page.locator("form.rate-form").get_by_label("Rate", exact=True)
    assert rate.get_attribute("aria-invalid") == "true"
    assert page.locator("#e-r-rate_text").text_content() == \
        'Rate must be a decimal number with a dot, such as "26.7834".'
    assert rate.input_value() == "27.O5" and page.get_by_label("Source").input_value() == "official"
    assert page.get_by_role("alert").filter(has_text="Nothing was saved").is_visible()
    fits(page)

    rate.fill("27.05")
    page.locator("form.rate-form").get_by_role("button", name="Record rate").click()
    page.wait_for_url(hub.url + "/currencies/rates?pair=USD-ZWG")
    assert page.get_by_role("status").text_content() == "1 USD = 27.05 ZWG, in force now."
    in_force = page.locator("table.rates-now tbody tr")
    assert in_force.count() == 1 and "1 USD = 27.05 ZWG" in in_force.text_content()
    history = page.locator("table.rate-history tbody tr")
    assert history.count() == 1
    assert [history.locator(f"td[data-label='{c}']").text_content().strip() for c in ("Rate", "Status", "Source")] \
        == ["27.05", "In force", "Official"]
    assert history.locator("td[data-label='Set by']").text_content().startswith("manager")
    api = hub.as_user("manager").get("/api/v1/exchange-rates/current", params={"quote": "ZWG"}).json()
    assert api["rate_text"] == "27.05" and api["source"] == "official"
    fits(page)

    page.get_by_role("link", name="All currencies").click()
    page.wait_for_url(hub.url + "/currencies")
    assert "1 USD = 27.05 ZWG" in page.locator("table.currencies tbody tr").nth(1).text_content()

    open_from_sidebar(page, "Tax")
    page.wait_for_url(hub.url + "/taxes")
    assert heading(page) == "Tax"
    vat = page.locator("table.tax-classes tbody tr", has_text="VAT standard rate")
    assert "15.5%" in vat.text_content() and "Not mapped yet" in vat.text_content()
    assert page.get_by_role("link", name="New tax class").count() == 0  # taxes.manage is the admin's
    assert page.get_by_label("Prices include tax").is_checked()
    page.get_by_label("Tax is added at the till").check()
    page.get_by_role("button", name="Save tax mode").click()
    page.wait_for_url(hub.url + "/taxes")
    assert page.get_by_role("status").text_content() == "Tax mode saved: tax is added at the till."
    assert page.get_by_label("Tax is added at the till").is_checked()
    assert hub.as_user("manager").get("/api/v1/settings/pricing").json()["tax_mode"] == "exclusive"
    fits(page)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_admin_schedules_vat_for_next_month_and_a_rate_in_the_past_is_refused(browse, hub, viewport):
    page, watch = browse(viewport)
    sign_in(page, hub, "admin")
    jump = page.get_by_role("combobox", name="Jump to a page")
    jump.fill("vat")  # a keyword of the Tax page
    assert page.locator("#jump-list [role=option]").first.text_content() == "TaxCatalogue"
    jump.press("Enter")
    page.wait_for_url(hub.url + "/taxes")
    page.get_by_role("link", name="VAT", exact=True).click()
    page.wait_for_url(lambda url: "/taxes/" in url)
    assert heading(page) == "VAT: VAT standard rate"
    assert "ZIMRA tax id: not mapped yet" in page.locator(".summary-line").text_content()
    class_url = page.url

    add = page.locator("#add-rate")
    add.get_by_label("New rate (%)").fill("16")
    add.get_by_label("Starts (Africa/Harare)").fill("2024-01-01T00:00")
    watch.expect_console_error(422)
    add.get_by_role("button", name="Add rate").click()
    page.wait_for_load_state()
    refusal = page.locator("#e-effective_from")
    assert refusal.text_content().startswith("Starts is in the past: sales since then were taxed")
    assert page.locator("#add-rate").get_by_label("New rate (%)").input_value() == "16"
    assert page.locator("table.tax-rates tbody tr").count() == 2  # nothing added
    fits(page)

    start = next_month()
    add = page.locator("#add-rate")
    add.get_by_label("New rate (%)").fill("15.75")
    add.get_by_label("Starts (Africa/Harare)").fill(start.strftime("%Y-%m-%dT%H:%M"))
    add.get_by_role("button", name="Add rate").click()
    page.wait_for_url(class_url)
    assert page.get_by_role("status").text_content() == \
        f"Rate of 15.75% added, from {start.strftime('%d %b %Y 00:00')}."
    newest = page.locator("table.tax-rates tbody tr").first
    assert newest.locator("td[data-label='Rate']").text_content() == "15.75%"
    assert newest.locator("td[data-label='From']").text_content() == start.strftime("%d %b %Y 00:00")
    assert newest.locator("td[data-label='Status']").text_content() == "Scheduled"
    assert "Rate in force: 15.5%" in page.locator(".summary-line").text_content()
    stored = hub.as_user("admin").get(page.url.replace(hub.url + "/taxes", "/api/v1/tax-classes")).json()
    assert stored["rates"][-1]["effective_from"] == start.astimezone(dt.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")

    page.get_by_role("link", name="All tax classes").click()
    page.wait_for_url(hub.url + "/taxes")
    vat = page.locator("table.tax-classes tbody tr", has_text="VAT standard rate")
    assert f"15.75% from {start.strftime('%d %b %Y 00:00')}" in vat.text_content()
    fits(page)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_tax_and_currency_pages_fit_the_screen(browse, hub, tmp_path, viewport):
    manager = hub.as_user("manager")
    for day, text in enumerate(("26.7834", "27.05", "1234567.123456"), start=1):
        r = manager.post("/api/v1/exchange-rates", json={
            "quote": "ZWG", "rate_text": text, "note": "RBZ interbank mid-rate of the day, published at noon",
            "effective_from": f"2026-0{day}-01T00:00:00+02:00"})
        assert r.status_code == 201, r.text
    page, _ = browse(viewport)
    sign_in(page, hub, "admin")
    vat = hub.as_user("admin").get("/api/v1/tax-classes", params={"q": "VAT"}).json()["items"][0]["id"]
    name = "phone" if viewport == PHONE else "desktop"
    for shot, path in {"taxes": "/taxes", "tax-class": f"/taxes/{vat}", "new-tax-class": "/taxes/new",
                       "currencies": "/currencies", "currency": "/currencies/ZWG", "new-currency": "/currencies/new",
                       "rates": "/currencies/rates"}.items():
        page.goto(path)
        assert page.locator("main h2, main table, main form").first.is_visible()
        page.screenshot(path=str(tmp_path / f"{shot}-{name}.png"), full_page=True)
        fits(page)
