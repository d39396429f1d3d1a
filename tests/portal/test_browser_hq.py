"""The HQ link page in headless Chromium: a manager opens it from the sidebar, a wrong code is
refused beside its field with the address kept, the store enrols with HQ's code and the page shows
the enrolled store; it fits a phone and a desktop."""

from __future__ import annotations

import pytest

from tests.bridge.fakehq import enrol_once
from tests.portal.conftest import DESKTOP, PHONE
from tests.portal.test_browser import heading, sign_in

pytestmark = pytest.mark.browser


def test_a_manager_enrols_the_store_with_hq(browse, hub):
    hub.write("UPDATE meta SET value = '0' WHERE key = 'demo'")  # the demo store refuses to enrol
    url, code, thread = enrol_once("DEMO")
    page, watch = browse()
    sign_in(page, hub, "manager")
    page.locator("#sidebar nav").get_by_role("link", name="HQ link", exact=True).click()
    page.wait_for_url(hub.url + "/hq")
    assert heading(page) == "HQ link"
    assert "Not enrolled" in page.locator("#hq-state").text_content()
    page.get_by_label("HQ address").fill(url)
    page.get_by_label("Enrolment code").fill("short")
    watch.expect_console_error(422)
    page.get_by_role("button", name="Enrol", exact=True).click()
    page.wait_for_load_state()
    assert page.locator("#e-code").is_visible()
    assert page.get_by_label("HQ address").input_value() == url
    page.get_by_label("Enrolment code").fill(code)
    page.get_by_role("button", name="Enrol", exact=True).click()
    page.wait_for_url(hub.url + "/hq")
    thread.join(10)
    assert "Enrolled with HQ" in page.get_by_role("status").text_content()
    assert "Oracle store" in page.locator("#link-title").locator("..").text_content()
    assert page.get_by_role("button", name="Leave HQ").is_visible()


@pytest.mark.parametrize("name, viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_the_hq_page_fits_the_screen(browse, hub, tmp_path, name, viewport):
    page, _ = browse(viewport)
    sign_in(page, hub, "manager")
    page.goto("/hq")
    assert page.locator("#enrol-form").is_visible()
    page.screenshot(path=str(tmp_path / f"hq-{name}.png"), full_page=True)
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"the HQ page on a {name} scrolls sideways ({width} > {inner})"
