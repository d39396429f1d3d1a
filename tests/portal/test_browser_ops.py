"""The Backups and Health pages in headless Chromium against a running hub: a manager sets up the
recovery key (shown once), backs up, downloads the sealed copy, asks for a restore with the store
code, fixes a refused settings form; the Health page lists the doctor's findings and gives the
support bundle; both pages fit a phone."""

from __future__ import annotations

import re

import pytest

from tests.portal.conftest import PHONE
from tests.portal.test_browser import heading, sign_in

pytestmark = pytest.mark.browser
KEY = re.compile(r"^[A-Z2-7]{4}(-[A-Z2-7]{4}){7}$")


def test_a_manager_makes_the_key_backs_up_downloads_and_asks_for_a_restore(browse, hub):
    page, watch = browse()
    sign_in(page, hub, "manager")
    page.locator("#sidebar nav").get_by_role("link", name="Backups", exact=True).click()
    page.wait_for_url(hub.url + "/backups")
    assert heading(page) == "Backups"
    assert "Not set up" in page.locator(".ops-stats").text_content()

    page.get_by_role("button", name="Set up a recovery key").click()
    page.wait_for_url(re.compile(r".*/backups/recovery-kit/.+"))
    kit_url = page.url
    key = page.locator("#recovery-key").text_content()
    assert KEY.match(key)
    key_id = page.locator(".kit-key-id").text_content()
    page.goto(kit_url)  # shown once: a second look goes back to Backups
    page.wait_for_url(hub.url + "/backups")
    assert "shown only once" in page.locator(".notice").first.text_content()
    assert key not in page.content() and key_id in page.locator(".ops-stats").text_content()

    page.get_by_role("button", name="Back up now").click()
    page.wait_for_url(hub.url + "/backups")
    assert "made and verified" in page.locator(".notice").first.text_content()
    row = page.locator("tr.ops-run").first
    assert "Verified" in row.text_content() and "Sealed" in row.text_content()
    name = row.get_attribute("data-name")
    with page.expect_download() as download:
        row.get_by_role("link", name="Download").click()
    assert download.value.suggested_filename == name.removesuffix(".db") + ".sokobak"

    row.get_by_role("link", name="Restore…").click()
    page.wait_for_url(f"{hub.url}/backups/{name}/restore")
    watch.expect_console_error(422)
    page.get_by_label(re.compile("Type the store code")).fill("NOPE")
    page.get_by_role("button", name="Restore at the next start").click()
    assert "Type the store code DEMO to confirm" in page.locator(".field-error").text_content()
    page.get_by_label(re.compile("Type the store code")).fill("demo")
    page.get_by_role("button", name="Restore at the next start").click()
    page.wait_for_url(hub.url + "/backups")
    assert "will be restored when the hub next starts" in page.locator(".notice").first.text_content()

    watch.expect_console_error(422)
    page.get_by_label("Backup times").fill("13:00, 25:00")
    page.get_by_role("button", name="Save settings").click()
    assert "HH:MM" in page.locator("#e-backup_times").text_content()
    assert page.get_by_label("Backup times").input_value() == "13:00, 25:00"  # typed values kept
    page.get_by_label("Backup times").fill("12:30, 21:45")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_url(hub.url + "/backups")
    assert "12:30, 21:45" in page.locator(".ops-stats").text_content()


def test_the_health_page_lists_findings_and_gives_the_support_bundle(browse, hub):
    page, _ = browse()
    sign_in(page, hub, "admin")
    page.locator("#sidebar nav").get_by_role("link", name="Health", exact=True).click()
    page.wait_for_url(hub.url + "/health")
    assert heading(page) == "Health"
    keys = page.locator("tr.ops-finding").evaluate_all("rows => rows.map(r => r.dataset.key)")
    assert {"database", "disk", "clock", "printers", "backups", "recovery_key", "power"} <= set(keys)
    backups = page.locator("tr.ops-finding[data-key=backups]")
    assert "Warning" in backups.text_content() and "Backups page" in backups.text_content()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the support bundle").click()
    assert download.value.suggested_filename.endswith(".tar.gz")


def test_the_operations_pages_fit_a_phone(browse, hub):
    admin = hub.as_user("admin")
    assert admin.post("/api/v1/ops/recovery-key").status_code == 201
    assert admin.post("/api/v1/ops/backups").status_code == 201
    page, _ = browse(PHONE)
    sign_in(page, hub, "manager")
    for path, table in (("/backups", "table.ops-runs"), ("/backups", "form.ops-settings"),
                        ("/health", "table.ops-findings")):
        page.goto(path)
        assert page.locator(table).is_visible()
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} scrolls sideways on a phone ({width}px)"
