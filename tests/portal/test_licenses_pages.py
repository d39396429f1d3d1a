"""The Licenses page over real HTTP: the trial, installing a file (and every refusal in words), a
till's license, and the expiry banner on every page for those who may see licenses."""

from __future__ import annotations

import sqlite3

import pytest

from tests.licensing import DAY, Vendor, license_id_of, trust
from tests.pairing import Tills
from tests.people import audit_entries
from tests.portal.client import CSRF, Portal
from tests.portal.test_devices_pages import rows, text_of

PAST = "2001-02-03T00:00:00.000000Z"


@pytest.fixture
def portal(hub):
    return Portal(hub)


@pytest.fixture
def vendor(hub):
    vendor = Vendor()
    trust(hub, vendor)
    return vendor


@pytest.fixture
def tills(hub):
    return Tills(hub, hub.as_user("admin"))


def install(portal: Portal, token: str, text: str):
    return portal.call("POST", "/licenses", token, {"text": text})


def upload(portal: Portal, token: str, name: str, data: bytes):
    r = portal.http.post("/licenses", data={"_csrf_token": CSRF, "text": ""},
                         files={"file": (name, data, "application/octet-stream")},
                         headers={"Cookie": f"soko_session={token}; soko_csrf={CSRF}"})
    portal.http.cookies.clear()
    return r


def expire(hub, license_id: str) -> None:
    conn = sqlite3.connect(hub.db_path)
    with conn:
        conn.execute("UPDATE licenses SET expires_at = ? WHERE id = ?", (PAST, license_id))
    conn.close()


def test_with_no_license_the_page_shows_the_trial(portal):
    page = text_of(portal.call("GET", "/licenses", portal.token("manager")).text)
    assert "No license Trial: up to 2 tills 0 paired" in page and "New tills Can pair" in page
    assert "No license is installed. Trial: up to 2 tills can pair without one." in page
    assert "Install a license" in page


def test_a_license_installed_from_a_file_shows_customer_seats_features_expiry_and_status(hub, portal, vendor, tills):
    tills.pair(name="Front till")
    token = portal.token("manager")
    text = vendor.issue(seats=3, customer="Mbare Traders", features=("sales", "fiscal"), expires_in=400 * DAY)
    r = upload(portal, token, "mbare.lic", text.encode())
    assert r.status_code == 303, r.text
    lic = license_id_of(text)
    notice = portal.call("GET", "/licenses", token)
    page = text_of(notice.text)
    assert "Seats in use 1 of 3" in page
    [row, till] = rows(notice.text)[:2]
    assert row.startswith(f"Mbare Traders {lic} 1 of 3 sales fiscal") and "in 399 days Active" in row
    assert row.endswith("by manager")
    assert till.startswith("Front till")  # the trial till took a seat of the new license
    assert audit_entries(hub)[-1]["action"] == "license.installed"


@pytest.mark.parametrize("make, status, headline, code", [
    (lambda v: "Dear manager, here is your license", 422, "This is not a license file.", "license_malformed"),
    (lambda v: Vendor().issue(), 422, "This license was signed with a key this hub does not know.",
     "license_key_unknown"),
    (lambda v: v.issue().replace('"payload": "', '"payload": "AAAA'), 422,
     "The license file was changed or is not genuine.", "license_signature_invalid"),
    (lambda v: v.issue(store_id="another-store"), 422, "This license is for another store.",
     "license_wrong_store"),
    (lambda v: "   ", 422, "No license file was given.", "license_missing"),
    (lambda v: "x" * 20_000, 422, "This is too long to be a license file.", "license_too_large"),
])
def test_every_refused_file_is_explained_and_kept_in_the_form(hub, portal, vendor, make, status, headline, code):
    token = portal.token("admin")
    seq = audit_entries(hub)[-1]["seq"]
    text = make(vendor)
    r = install(portal, token, text)
    assert r.status_code == status
    error = text_of(r.text.split('role="alert">', 1)[1].split("</div>", 1)[0])
    assert error.startswith(headline) and error.endswith(f"Code for support: {code}")
    if len(text) < 1000 and text.strip():
        assert f">{text.strip()[:20]}" in r.text.replace("&#34;", '"')  # the pasted text is still there
    assert audit_entries(hub, seq) == []


def test_the_same_license_twice_and_a_binary_file_are_explained(portal, vendor):
    token = portal.token("admin")
    text = vendor.issue()
    assert install(portal, token, text).status_code == 303
    again = install(portal, token, text)
    assert again.status_code == 409 and "This license is already installed." in text_of(again.text)
    binary = upload(portal, token, "photo.jpg", b"\xff\xd8\xff\xe0 not text")
    assert binary.status_code == 422 and "This file is not a text file." in text_of(binary.text)


def test_a_manager_links_a_till_to_another_license_and_a_refusal_is_readable(hub, portal, vendor, tills):
    one, two = vendor.issue(seats=1, customer="First"), vendor.issue(seats=5, customer="Second")
    front, back = tills.pair(name="Front till")["device_id"], tills.pair(name="Back till")["device_id"]
    token = portal.token("manager")
    assert install(portal, token, one).status_code == 303  # one seat: one of the trial tills takes it
    page = text_of(portal.call("GET", "/licenses", token).text)
    assert "Seats in use 2 of 1" in page and "Back till No license seat First" in page
    full = portal.call("POST", f"/licenses/tills/{back}", token, {"license_id": license_id_of(one)})
    assert full.status_code == 409
    assert f"All 1 seats of the license {license_id_of(one)} are in use." in text_of(full.text)
    assert install(portal, token, two).status_code == 303  # the uncovered till takes a seat of it
    r = portal.call("POST", f"/licenses/tills/{front}", token, {"license_id": license_id_of(two)})
    assert r.status_code == 303
    entry = audit_entries(hub)[-1]
    assert entry["action"] == "device.license_linked" and entry["entity_id"] == front
    expire(hub, license_id_of(one))
    late = portal.call("POST", f"/licenses/tills/{back}", token, {"license_id": license_id_of(one)})
    assert late.status_code == 409 and "expired on 2001-02-03" in text_of(late.text)
    assert portal.call("POST", f"/licenses/tills/{back}", portal.token("supervisor"),
                       {"license_id": ""}).status_code == 403


def test_a_supervisor_cannot_open_licenses_and_sees_no_license_banner(portal, vendor):
    token = portal.token("admin")
    assert install(portal, token, vendor.issue(expires_in=10 * DAY)).status_code == 303
    for path in ("/", "/users", "/devices", "/about"):
        page = portal.call("GET", path, portal.token("manager")).text
        assert 'data-banner="licenses"' in page and "renew it to keep pairing new tills" in page, path
        assert '<a href="/licenses">Open Licenses</a>' in page
        assert 'data-banner' not in portal.call("GET", path, portal.token("supervisor")).text
    own = portal.call("GET", "/licenses", token).text
    assert 'data-banner="licenses"' in own and "Open Licenses" not in own  # no link to the page itself
    assert portal.call("GET", "/licenses", portal.token("supervisor")).status_code == 403


def test_an_expired_license_says_so_on_every_page_and_the_trial_applies_again(hub, portal, vendor):
    text = vendor.issue(seats=4)
    token = portal.token("manager")
    assert install(portal, token, text).status_code == 303
    assert "data-banner" not in portal.call("GET", "/", token).text  # a year left: nothing to say
    expire(hub, license_id_of(text))
    home = text_of(portal.call("GET", "/", token).text)
    assert "The license expired on 2001-02-03. Tills keep selling and syncing" in home
    page = text_of(portal.call("GET", "/licenses", token).text)
    assert "No active license Trial: up to 2 tills" in page and "Expired" in page
