"""Devices and licenses in headless Chromium against a running hub: a manager pairs a till with the
page's code (the till is an HTTP client here), revokes it, and finds both in the audit log; the
pages fit a phone and a desktop.
"""

from __future__ import annotations

import re
import sqlite3

import pytest

from tests.licensing import DAY, Vendor, trust
from tests.pairing import Tills
from tests.portal.conftest import DESKTOP, PHONE
from tests.portal.test_browser import heading, sign_in

pytestmark = pytest.mark.browser


def set_pending(hub, device_id: str, count: int) -> None:
    conn = sqlite3.connect(hub.db_path)
    with conn:
        conn.execute("UPDATE devices SET pending_uploads = ? WHERE id = ?", (count, device_id))
    conn.close()


def test_a_manager_pairs_a_till_with_the_pages_code_revokes_it_and_finds_both_in_the_audit_log(browse, hub):
    page, _ = browse()
    sign_in(page, hub, "manager")
    page.locator("#sidebar nav").get_by_role("link", name="Devices", exact=True).click()
    page.wait_for_url(hub.url + "/devices")
    assert heading(page) == "Devices" and "No till is paired yet." in page.locator("main").text_content()
    jump = page.get_by_role("combobox", name="Jump to a page")
    jump.fill("licen")
    jump.press("Enter")
    page.wait_for_url(hub.url + "/licenses")
    assert "Trial: up to 2 tills" in page.locator(".stats").text_content()
    jump.fill("pair")
    assert page.locator("#jump-list [role=option]").first.text_content() == "Pair a tillStore"
    jump.press("Enter")
    page.wait_for_url(hub.url + "/devices/pair")

    page.get_by_role("button", name="Make a pairing code").click()
    page.wait_for_url(hub.url + "/devices/pair")
    assert page.get_by_role("img", name="QR code of the pairing code").is_visible()
    code = page.locator(".pair-code code").text_content()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    clock = page.locator("[data-countdown-s]")
    first = clock.text_content()
    page.wait_for_function("t => document.querySelector('[data-countdown-s]').textContent !== t", arg=first)
    assert re.fullmatch(r"9:5\d", clock.text_content())  # counting down from 10 minutes

    till = hub.client()  # the till, over real HTTP
    r = till.post("/api/v1/devices/pair", json={"code": code, "name": "Front till", "platform": "android",
                                                "app_version": "1.4.2"})
    assert r.status_code == 201, r.text
    device_id, token = r.json()["device_id"], r.json()["device_token"]
    set_pending(hub, device_id, 3)
    page.reload()
    assert "Front till paired with the code" in page.locator("main").text_content()
    page.get_by_role("link", name="See tills").click()
    page.wait_for_url(hub.url + "/devices")
    row = page.locator("table.devices tbody tr")
    assert row.count() == 1 and "Front till" in row.text_content() and "Active" in row.text_content()

    row.get_by_role("link", name="Front till").click()
    page.get_by_role("link", name="Revoke this till…").click()
    page.wait_for_url(hub.url + f"/devices/{device_id}/revoke")
    assert "This till may still hold 3 sales or other records" in page.locator(".pending-uploads").text_content()
    page.get_by_role("button", name="Revoke Front till").click()
    page.wait_for_url(hub.url + f"/devices/{device_id}")
    assert page.get_by_role("status").text_content().startswith("Front till is revoked")
    assert page.locator(".summary-line .badge").text_content() == "Revoked"
    refused = till.get("/api/v1/auth/me", headers={"X-Device-Token": token})
    assert refused.status_code == 401 and refused.json()["code"] == "device_revoked"

    page.goto("/devices?status=all")
    assert "Revoked" in page.locator("table.devices tbody tr").text_content()
    page.goto("/audit")
    actions = page.locator("table.audit tbody td[data-label=Action] code").all_text_contents()
    assert actions[:3] == ["device.revoked", "device.paired", "device.pairing_code_created"]
    page.locator("table.audit tbody tr").first.get_by_role("link", name="open device").click()
    page.wait_for_url(hub.url + f"/devices/{device_id}")
    assert heading(page) == "Front till"


def test_the_code_counts_down_and_says_when_it_has_expired(browse, hub, monkeypatch):
    monkeypatch.setattr("hub.devices.service.PAIRING_CODE_TTL_S", 3)
    page, _ = browse(PHONE)
    sign_in(page, hub, "admin")
    page.goto("/devices/pair")
    page.get_by_role("button", name="Make a pairing code").click()
    expired = page.get_by_text("This code has expired. Make a new one.")
    assert not expired.is_visible()
    expired.wait_for(state="visible", timeout=6000)
    assert page.locator("[data-countdown-s]").text_content() == "0:00"
    assert "is-expired" in page.locator(".pairing").get_attribute("class")


@pytest.mark.parametrize("name, viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_the_devices_pairing_and_licenses_pages_fit_the_screen(browse, hub, tmp_path, name, viewport):
    tills = Tills(hub, hub.as_user("manager"))
    vendor = Vendor()
    trust(hub, vendor)
    soon = vendor.issue(seats=5, customer="Mbare Traders (Pvt) Ltd", expires_in=10 * DAY,
                        features=("sales", "fiscal", "loyalty"))
    assert tills.manager.post("/api/v1/licenses", json={"text": soon}).status_code == 201
    front = tills.pair(name="Front till", serial="SN-0042-7781")
    tills.pair(name="Butchery till with a rather long name")
    set_pending(hub, front["device_id"], 12)
    page, _ = browse(viewport)
    sign_in(page, hub, "manager")
    shots = {"devices": "/devices", "till": f"/devices/{front['device_id']}",
             "revoke": f"/devices/{front['device_id']}/revoke", "licenses": "/licenses", "pairing": "/devices/pair"}
    for shot, path in shots.items():
        page.goto(path)
        if shot == "pairing":
            page.get_by_role("button", name="Make a pairing code").click()
            page.wait_for_url(hub.url + path)
            assert page.get_by_role("img", name="QR code of the pairing code").is_visible()
        assert "renew it to keep pairing new tills" in page.locator(".banner").text_content()
        page.screenshot(path=str(tmp_path / f"{shot}-{name}.png"), full_page=True)
        width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= inner, f"{shot} on a {name}: the page scrolls sideways ({width} > {inner})"
    qr = page.get_by_role("img", name="QR code of the pairing code").bounding_box()
    assert qr["width"] >= 200 and qr["x"] >= 0 and qr["x"] + qr["width"] <= viewport["width"]
