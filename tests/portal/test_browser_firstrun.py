"""The first-run wizard in headless Chromium, at desktop and phone width: a technician enters the
setup code, fixes a refused store code, names the first administrator, keeps the network, notes
the key pin, finishes, and signs in to the new store's dashboard on the same hub."""

from __future__ import annotations

import pytest

from tests.firstrun.conftest import SetupHub
from tests.helpertest import FakeHelper
from tests.portal.conftest import DESKTOP, PHONE, Watch, leaves_the_machine
from tests.portal.test_browser import heading

pytestmark = pytest.mark.browser


def fits(page, step: str) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{step}: the page scrolls sideways ({width} > {inner})"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_from_setup_code_to_a_signed_in_admin_on_the_dashboard(chromium, tmp_path, viewport):
    helper = FakeHelper(tmp_path)
    hub = SetupHub(tmp_path, helper).start()
    context = chromium.new_context(viewport=viewport, base_url=hub.url)
    context.set_default_timeout(15_000)
    watch = Watch()
    context.on("request", watch.on_request)
    context.route(leaves_the_machine, lambda route: route.abort())
    try:
        page = context.new_page()
        page.on("console", watch.on_console)
        page.on("pageerror", watch.on_page_error)

        page.goto("/")
        page.wait_for_url(hub.url + "/setup")
        fits(page, "code")
        watch.expect_console_error(401)
        page.get_by_label("Setup code").fill("wxyz-wxyz-wxyz")
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
        assert "not this hub's setup code" in page.locator("#e-code").text_content()
        page.get_by_label("Setup code").fill(hub.code)
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(hub.url + "/setup/store")

        fits(page, "store")
        assert page.get_by_label("Time zone").input_value() == "Africa/Harare"
        page.get_by_label("Store name").fill("Chitungwiza Mart")
        page.get_by_label("Store code").fill("C-1")
        watch.expect_console_error(422)
        page.get_by_role("button", name="Next").click()
        page.wait_for_load_state()
        assert page.locator("#e-code").is_visible()
        assert page.get_by_label("Store name").input_value() == "Chitungwiza Mart"  # kept
        fits(page, "store refused")
        page.get_by_label("Store code").fill("CHM")
        page.get_by_label("Base currency").select_option("USD")
        page.get_by_role("button", name="Next").click()
        page.wait_for_url(hub.url + "/setup/admin")

        fits(page, "admin")
        page.get_by_label("Username").fill("rudo")
        page.get_by_label("Password", exact=True).fill("rudo's long passphrase")
        page.get_by_label("Password again").fill("rudo's long passphrase")
        page.get_by_role("button", name="Next").click()
        page.wait_for_url(hub.url + "/setup/network")

        fits(page, "network")
        assert page.get_by_label("Keep Ethernet by DHCP (as now)").is_checked()
        page.get_by_role("button", name="Next").click()
        page.wait_for_url(hub.url + "/setup/summary")

        fits(page, "summary")
        assert "Chitungwiza Mart (CHM)" in page.locator(".setup-summary").text_content()
        assert page.locator("#hostname").text_content()
        page.get_by_role("button", name="Finish").click()
        page.wait_for_url(hub.url + "/login")
        assert "Chitungwiza Mart is set up" in page.locator(".notice").first.text_content()

        page.get_by_label("Username").fill("rudo")
        page.get_by_label("Password").fill("rudo's long passphrase")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(hub.url + "/")
        assert heading(page)
        fits(page, "dashboard")
        assert hub.settings.db_path.exists() and helper.requests == []
        assert "Chitungwiza Mart" in page.title()
    finally:
        context.close()
        hub.stop()
        helper.close()
    foreign = sorted(h for h in watch.hosts if h != "127.0.0.1")
    assert not foreign, foreign
    assert not watch.unexpected(), watch.unexpected()
