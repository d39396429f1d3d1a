"""The Devices pages over real HTTP: the list, pairing a till with the page's code, renaming, revoking."""

from __future__ import annotations

import datetime as dt
import html
import re
import sqlite3

import pytest

from hub.clock import format_ts, utc_now
from hub.devices._pairing_portal import PAIRING_COOKIE
from hub.portal.session import CSRF_COOKIE
from tests.pairing import Tills
from tests.people import audit_entries
from tests.portal.client import CSRF, Portal, set_cookies


@pytest.fixture
def portal(hub):
    return Portal(hub)


@pytest.fixture
def tills(hub):
    return Tills(hub, hub.as_user("manager"))


def set_device(hub, device_id: str, **columns) -> None:
    conn = sqlite3.connect(hub.db_path)
    with conn:
        sets = ", ".join(f"{k} = ?" for k in columns)
        conn.execute(f"UPDATE devices SET {sets} WHERE id = ?", (*columns.values(), device_id))
    conn.close()


def text_of(page: str) -> str:
    """The page's text without tags, whitespace folded: what a reader sees."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def rows(page: str) -> list[str]:
    """The text of each body row of every table on the page."""
    bodies = [part.split("</tbody>", 1)[0] for part in page.split("<tbody>")[1:]]
    return [text_of(row) for body in bodies for row in body.split("</tr>")[:-1]]


def pairing_page(portal: Portal, token: str, cookie: str | None) -> str:
    jar = f"soko_session={token}; {CSRF_COOKIE}={CSRF}" + (f"; {PAIRING_COOKIE}={cookie}" if cookie else "")
    r = portal.http.get("/devices/pair", headers={"Cookie": jar})
    portal.http.cookies.clear()
    assert r.status_code == 200, r.text
    return r.text


def new_code(portal: Portal, token: str) -> str:
    """Make a code through the page's form; the value of the cookie that shows it."""
    r = portal.call("POST", "/devices/pair", token)
    assert r.status_code == 303 and r.headers["location"] == "/devices/pair", r.text
    line = set_cookies(r)[PAIRING_COOKIE]
    assert "HttpOnly" in line and "SameSite=strict" in line and "Path=/devices/pair" in line
    assert "Max-Age=600" in line
    return line.split(";", 1)[0].split("=", 1)[1]


def test_the_pairing_page_shows_a_code_and_qr_that_a_till_then_pairs_with(hub, portal, tills):
    token = portal.token("manager")
    before = text_of(pairing_page(portal, token, None))
    assert "Make a pairing code" in before and "Trial: up to 2 tills without a license; 0 paired" in before
    cookie = new_code(portal, token)
    page = pairing_page(portal, token, cookie)
    code = re.search(r'<p class="pair-code"><code>([A-Z0-9]{4}-[A-Z0-9]{4})</code></p>', page)[1]
    assert '<svg role="img" aria-label="QR code of the pairing code"' in page
    assert re.search(r'data-countdown-s="(59\d|600)">(9:5\d|10:00)<', page)
    figure = page.split('<figure class="qr">')[1].split("</figure>")[0]
    assert "<path d=" in figure and "src=" not in figure and "href" not in figure  # inline: nothing to fetch
    assert "Scan this QR code" in text_of(page)

    r = tills.pair_call(code, name="Front till")  # the till, over real HTTP
    assert r.status_code == 201, r.text
    after = text_of(pairing_page(portal, token, cookie))
    assert f"Front till paired with the code {code} just now." in after and "Pair another till" in after
    assert tills.pair_call(code).json()["code"] == "pairing_code_used"


def test_a_code_is_shown_only_to_the_user_who_made_it(portal):
    cookie = new_code(portal, portal.token("manager"))
    page = pairing_page(portal, portal.token("admin"), cookie)
    assert "pair-code" not in page and "Make a pairing code" in page


def test_the_pairing_page_says_when_the_licenses_refuse_another_till(portal, tills):
    tills.pair(), tills.pair()
    page = text_of(pairing_page(portal, portal.token("manager"), None))
    assert "The trial allows 2 tills without a license, and 2 are paired." in page


def test_the_list_shows_each_till_with_last_seen_uploads_and_license_and_hides_the_revoked(hub, portal, tills):
    front, back = tills.pair(name="Front till"), tills.pair(name="Back till")
    seen = format_ts(utc_now() - dt.timedelta(minutes=3, seconds=5))
    set_device(hub, front["device_id"], pending_uploads=4, last_seen_at=seen, last_address="192.168.8.21")
    assert tills.manager.post(f"/api/v1/devices/{back['device_id']}/revoke").status_code == 200
    token = portal.token("supervisor")
    r = portal.call("GET", "/devices", token)
    [row] = rows(r.text)
    assert row.startswith("Front till android app 1.4.2")
    assert "by manager" in row and "3 minutes ago from 192.168.8.21 4 Trial Active" in row
    assert "1 of 2 tills · 1 revoked" in text_of(r.text)
    assert "Pair a till" not in r.text  # a supervisor may look, not pair
    everything = rows(portal.call("GET", "/devices?status=all", token).text)
    assert [t.split(" android")[0] for t in everything] == ["Front till", "Back till"]
    assert everything[1].endswith("Revoked")
    assert [t.split(" android")[0] for t in rows(portal.call("GET", "/devices?status=revoked", token).text)] == [
        "Back till"]


def test_a_till_is_renamed_and_a_blank_name_is_refused(hub, portal, tills):
    till = tills.pair(name="Till 1")
    token = portal.token("manager")
    r = portal.call("POST", f"/devices/{till['device_id']}", token, {"name": "Butchery till"})
    assert r.status_code == 303 and r.headers["location"] == f"/devices/{till['device_id']}"
    assert "<h1>Butchery till</h1>" in portal.call("GET", r.headers["location"], token).text
    seq = audit_entries(hub)[-1]["seq"]
    r = portal.call("POST", f"/devices/{till['device_id']}", token, {"name": "   "})
    assert r.status_code == 422 and "Name is required." in r.text
    assert audit_entries(hub, seq) == []
    assert portal.call("GET", "/devices/no-such-till", token).status_code == 404


def test_the_revoke_page_states_the_pending_uploads_and_revoking_refuses_the_till(hub, portal, tills):
    till = tills.pair(name="Front till")
    set_device(hub, till["device_id"], pending_uploads=7)
    token = portal.token("manager")
    page = text_of(portal.call("GET", f"/devices/{till['device_id']}/revoke", token).text)
    assert "This till may still hold 7 sales or other records it has not uploaded" in page
    assert "Once revoked it cannot send them to the hub." in page
    assert "everyone signed in on it is signed out" in page and "cannot be undone" in page
    assert portal.call("GET", f"/devices/{till['device_id']}/revoke", portal.token("supervisor")).status_code == 403

    r = portal.call("POST", f"/devices/{till['device_id']}/revoke", token)
    assert r.status_code == 303 and r.headers["location"] == f"/devices/{till['device_id']}"
    refused = tills.as_till(till["device_token"]).get("/api/v1/auth/me")
    assert refused.status_code == 401 and refused.json()["code"] == "device_revoked"
    shown = text_of(portal.call("GET", r.headers["location"], token).text)
    assert "Revoked" in shown and "by manager" in shown and "Revoke this till" not in shown
    again = portal.call("POST", f"/devices/{till['device_id']}/revoke", token)
    assert again.status_code == 409 and "was revoked on" in text_of(again.text)


def test_no_pending_uploads_is_said_plainly(portal, tills):
    till = tills.pair()
    page = text_of(portal.call("GET", f"/devices/{till['device_id']}/revoke", portal.token("admin")).text)
    assert "This till had nothing left to upload (0 pending uploads) when last seen, just now." in page
