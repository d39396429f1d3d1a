"""The HQ link page (/hq, hq.manage): the state, enrolment by code or file with refusals beside
their field and nothing changed, and leaving HQ."""

from __future__ import annotations

import json

import pytest

from hub.bridge import state
from hub.db.connection import connect
from tests.bridge.fakehq import enrol_once
from tests.portal.client import Portal


@pytest.fixture
def real_hub(hub):
    """The demo hub made a real store (a demo database refuses to enrol)."""
    hub.write("UPDATE meta SET value = '0' WHERE key = 'demo'")
    return hub


def link_of(hub):
    conn = connect(hub.db_path, readonly=True)
    try:
        return state.bridge_status(conn)
    finally:
        conn.close()


def test_the_page_shows_the_state_and_who_may_see_it(hub):
    portal = Portal(hub)
    r = portal.call("GET", "/hq", portal.token("manager"))
    assert r.status_code == 200
    assert "Not enrolled" in r.text and "demo store" in r.text
    assert portal.call("GET", "/hq", portal.token("cashier")).status_code == 403


def test_a_demo_hub_and_bad_input_are_refused_beside_their_field_with_the_values_kept(hub):
    portal = Portal(hub)
    token = portal.token("manager")
    r = portal.call("POST", "/hq/enrol", token, {"hq_url": "ftp://x", "code": "short"})
    assert r.status_code == 422
    assert 'id="e-hq_url"' in r.text and 'id="e-code"' in r.text and 'value="ftp://x"' in r.text
    r = portal.call("POST", "/hq/enrol", token, {"hq_url": "http://127.0.0.1:9", "code": "ABCDEFGHJKLM"})
    assert r.status_code == 409 and "demo" in r.text
    assert not link_of(hub)["enrolled"]


def test_enrol_by_code_then_leave(real_hub):
    hub = real_hub
    portal = Portal(hub)
    token = portal.token("manager")
    url, code, thread = enrol_once("DEMO")
    r = portal.call("POST", "/hq/enrol", token, {"hq_url": url, "code": code})
    assert r.status_code == 303, r.text[:500]
    thread.join(10)
    link = link_of(hub)
    assert link["enrolled"] and link["store"]["code"] == "DEMO"
    page = portal.call("GET", "/hq", token).text
    assert "Oracle store" in page and "Leave HQ" in page
    r = portal.call("POST", "/hq/leave", token)
    assert r.status_code == 303
    assert not link_of(hub)["enrolled"]
    assert portal.call("POST", "/hq/leave", token).status_code == 409  # nothing to leave


def test_enrol_by_file_and_a_file_that_is_not_hqs(real_hub):
    hub = real_hub
    portal = Portal(hub)
    token = portal.token("admin")
    url, code, thread = enrol_once("DEMO")
    files = {"file": ("soko-enrol.json", json.dumps({"hq_url": url, "code": code, "store_code": "DEMO"}),
                      "application/json")}
    r = _upload(portal, token, files)
    assert r.status_code == 303, r.text[:500]
    thread.join(10)
    assert link_of(hub)["store"]["code"] == "DEMO"
    r = _upload(portal, token, {"file": ("soko-enrol.json", "not json", "application/json")})
    assert r.status_code == 422 and 'id="e-file"' in r.text


def _upload(portal, token, files):
    from tests.portal.client import CSRF, CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE

    return portal.http.post("/hq/enrol", data={CSRF_FIELD: CSRF}, files=files, follow_redirects=False,
                            headers={"Cookie": f"{SESSION_COOKIE}={token}; {CSRF_COOKIE}={CSRF}"})
