"""The dashboard and the reports in headless Chromium against a running hub: a manager reads
today's sales per currency and the week's chart on the home page, opens a report from the
sidebar, changes its period, sees a refused custom period beside its field, downloads the CSV;
on a phone the dashboard and a report fit the screen and the chart stays readable."""

from __future__ import annotations

import pytest

from tests.portal.conftest import PHONE
from tests.portal.test_browser import heading, sign_in
from tests.sales.build import cash, line
from tests.sales.recipes import Till

pytestmark = pytest.mark.browser


@pytest.fixture
def sold(hub):
    till = Till(hub)
    shift = till.shift()
    till.sell(till.body(lines=[line(250, 2000, tax_rate_bp=0)], shift_id=shift))
    till.sell(till.body(lines=[line(13250, tax_rate_bp=0)], tenders=[cash(13250, "ZWG")], currency="ZWG",
                        shift_id=shift))
    return hub


def test_a_manager_reads_the_dashboard_and_a_report_and_downloads_it(browse, hub, sold):
    page, watch = browse()
    sign_in(page, hub, "manager")
    page.goto("/")
    today = page.locator(".today-sales")
    assert "USD 5.00" in today.text_content() and "ZWG 132.50" in today.text_content()
    assert page.locator("figure.chart-card").count() == 2  # one chart per currency
    assert page.locator("figure.chart-card[data-currency=USD] g.chart-bar").count() == 7

    sidebar = page.locator("#sidebar nav")
    assert "Reports" in sidebar.locator("h2").all_text_contents()
    sidebar.get_by_role("link", name="Sales by day", exact=True).click()
    page.wait_for_url(hub.url + "/reports/sales-by-day")
    assert heading(page) == "Sales by day"
    rows = page.locator("table.report-table").first.locator("tbody tr")
    assert rows.count() == 2

    page.get_by_label("Period", exact=True).select_option("month")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(hub.url + "/reports/sales-by-day?period=month&from=&to=")
    assert page.locator("table.report-table").first.locator("tbody tr").count() == 2

    page.get_by_label("Period", exact=True).select_option("custom")
    page.get_by_label("From (custom dates)").fill("2026-03-02")
    page.get_by_label("To (custom dates)").fill("2026-03-01")
    watch.expect_console_error(422)
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    assert page.locator("#e-to").is_visible() and "on or after" in page.locator("#e-to").text_content()
    assert page.get_by_label("From (custom dates)").input_value() == "2026-03-02"

    page.goto("/reports/sales-by-currency")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    text = open(download.value.path()).read()
    assert text.startswith("Currency,Sales,Total,Tax") and "converted at recorded rates" in text


def test_the_dashboard_and_a_report_fit_a_phone(browse, hub, sold):
    page, _ = browse(PHONE)
    sign_in(page, hub, "manager")
    for path in ("/", "/reports/sales-by-day", "/reports/sales-by-product"):
        page.goto(path)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} scrolls sideways on a phone ({width}px)"
    page.goto("/")
    chart = page.locator("figure.chart-card[data-currency=USD] svg")
    box = chart.bounding_box()
    assert box and box["width"] <= PHONE["width"] and box["height"] >= 120  # drawn, not squashed
    label = page.locator("figure.chart-card[data-currency=USD] text.chart-label").first
    assert label.bounding_box()["height"] >= 9  # the day under a bar stays legible
