"""The sync monitor in headless Chromium against a running hub: a manager finds a till's sync
state (its clock far off, what it reported, its last error), rejects one quarantined fact
(a blank reason refused beside its form first) and accepts another, which is applied; the page
fits a phone and a desktop."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.people import query
from tests.portal.conftest import DESKTOP, PHONE
from tests.portal.test_browser import heading, sign_in
from tests.sync.up_recipes import STATUS, SyncTill, revoked_till

pytestmark = pytest.mark.browser


def _store(hub) -> tuple[SyncTill, SyncTill, list[dict]]:
    """A live till three hours ahead that reported an error, and a revoked till's two quarantined facts."""
    live = SyncTill(hub)
    live.upload([live.event("sale", live.sale_payload())],
                device_time=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=3))
    r = live.http.post(STATUS, json={"queue_depth": 2, "app_version": "1.7.2", "protocol_version": "1",
                                     "last_failed_request": "POST /api/v1/sync/events",
                                     "last_error": "timed out after 30 s"})
    assert r.status_code == 200, r.text
    gone = revoked_till(hub)
    sale = gone.sale_payload()
    got = gone.upload([gone.event("sale", sale), gone.event("lp.no_sale", {"reason": "Change for a customer"})])
    return live, gone, [sale, *got["results"]]


def test_a_manager_reads_the_monitor_and_decides_quarantined_facts(browse, hub):
    live, gone, (sale, sale_result, drawer_result) = _store(hub)
    page, watch = browse()
    sign_in(page, hub, "manager")
    page.locator("#sidebar nav").get_by_role("link", name="Sync monitor", exact=True).click()
    page.wait_for_url(hub.url + "/sync")
    assert heading(page) == "Sync monitor"
    row = page.locator(f"tr[data-device='{live.device_id}']")
    assert "3 h 0 min ahead" in row.locator(".skew-mark").text_content()
    assert "timed out after 30 s" in row.text_content() and "1.7.2" in row.text_content()
    assert page.locator(".quarantined-fact").count() == 2

    drawer = page.locator(f"#q-{drawer_result['quarantine_id']}")
    drawer.get_by_label("Why it is rejected").fill("   ")
    watch.expect_console_error(422)  # the refused form comes back with its status
    drawer.get_by_role("button", name="Reject").click()
    page.wait_for_load_state()
    drawer = page.locator(f"#q-{drawer_result['quarantine_id']}")
    assert drawer.locator(".field-error").is_visible()
    assert "It was not rejected" in page.locator(".form-summary").text_content()
    drawer.get_by_label("Why it is rejected").fill("A test of the drawer")
    drawer.get_by_role("button", name="Reject").click()
    page.wait_for_url(hub.url + "/sync")
    assert "was rejected" in page.get_by_role("status").text_content()

    held = page.locator(f"#q-{sale_result['quarantine_id']}")
    held.get_by_label("Note (optional)").fill("Sold before the till was revoked")
    held.get_by_role("button", name="Accept and apply").click()
    page.wait_for_url(hub.url + "/sync")
    assert "was applied" in page.get_by_role("status").text_content()
    assert page.locator(".quarantined-fact").count() == 0
    assert query(hub, "SELECT count(*) FROM sales WHERE id = ?", sale["id"]) == [(1,)]
    page.get_by_label("Show").select_option("all")
    page.wait_for_url(hub.url + "/sync?show=all")
    assert page.locator(".quarantined-fact[data-status=accepted]").count() == 1
    assert page.locator(".quarantined-fact[data-status=rejected]").count() == 1


@pytest.mark.parametrize("name, viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_the_sync_monitor_fits_the_screen(browse, hub, tmp_path, name, viewport):
    _store(hub)
    page, _ = browse(viewport)
    sign_in(page, hub, "manager")
    page.goto("/sync")
    assert page.locator(".quarantined-fact").count() == 2
    page.screenshot(path=str(tmp_path / f"sync-{name}.png"), full_page=True)
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"the sync monitor on a {name} scrolls sideways ({width} > {inner})"
