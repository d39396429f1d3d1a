"""HQ's pages in headless Chromium, on a phone and a desktop: an analyst signs in, reads the
chain's sales per currency for one store, and asks a store for a report (a refused form first)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.hq.facts_util import batch, fact, sale
from tests.hqtest import ANALYST
from tests.portal.conftest import CHROMIUM_ARGS, DESKTOP, PHONE, chromium  # noqa: F401

pytestmark = pytest.mark.browser


def _chain(hq) -> None:
    for store, total in (("S1", 500), ("S2", 700)):
        token = hq.enrol(store, hub_id=f"hub-{store}")["token"]
        facts = [fact(1, "a", "sale", sale("a", "USD", [("p1", "c1", 1000, total, 0)])),
                 fact(2, "b", "sale", sale("b", "ZWG", [("p1", "c1", 1000, 9000, 0)]))]
        assert hq.hub_client(token, f"hub-{store}").post("/api/hq/v1/facts",
                                                         json=batch(f"hub-{store}", "e1", facts)).status_code == 200


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_analyst_reads_sales_and_requests_a_report(chromium, hq, viewport):  # noqa: F811
    _chain(hq)
    context = chromium.new_context(viewport=viewport, base_url=hq.url)
    context.set_default_timeout(10_000)
    hosts: set[str] = set()
    errors: list[str] = []
    context.on("request", lambda r: hosts.add(urlsplit(r.url).hostname or ""))
    context.route(lambda url: urlsplit(url).hostname != "127.0.0.1", lambda route: route.abort())
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "status of 4" not in m.text else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto("/?from=2026-11-20&to=2026-11-20")
        page.wait_for_url("**/login?next=**")
        page.get_by_label("Username").fill(ANALYST[0])
        page.get_by_label("Password").fill(ANALYST[1])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(hq.url + "/")
        assert page.locator("h1").text_content() == "Sales by store and day"
        page.get_by_label("From", exact=True).fill("2026-11-20")
        page.get_by_label("To", exact=True).fill("2026-11-20")
        page.get_by_label("Store", exact=True).select_option("S2")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url("**store=S2**")
        totals = page.locator(".total h2").all_text_contents()
        assert totals == ["USD", "ZWG"]
        assert "7.00" in page.locator(".total").first.text_content()
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        csv_href = page.get_by_role("link", name="CSV").get_attribute("href")
        assert "format=csv" in csv_href and "store=S2" in csv_href

        page.get_by_role("link", name="Requests").click()
        page.wait_for_url(hq.url + "/requests")
        page.get_by_label("Store", exact=True).select_option("S1")
        page.get_by_label("Kind", exact=True).select_option("report")
        page.get_by_role("button", name="Queue request").click()  # no report name, no dates
        page.wait_for_load_state()
        assert page.locator(".error-summary").is_visible()
        assert page.locator(".field-error").count() == 3
        page.get_by_label("Report name").fill("sales_summary")
        page.get_by_label("From", exact=True).fill("2026-11-01")
        page.get_by_label("To", exact=True).fill("2026-11-25")
        page.get_by_role("button", name="Queue request").click()
        page.wait_for_url("**/requests?notice=**")
        assert "Request queued for S1" in page.get_by_role("status").text_content()
        assert hq.scalar("SELECT count(*) FROM requests") == 1
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(hq.url + "/login")
    finally:
        context.close()
    assert hosts <= {"127.0.0.1"}
    assert not errors, errors
