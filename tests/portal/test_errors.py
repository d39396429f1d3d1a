"""Portal refusals as pages: CSRF, 403, 404, 500 each show the code, request id and time; API
paths keep their problem documents; the sign-in and About pages show the support line.
"""

from __future__ import annotations

import re

import pytest

from hub.portal import about
from hub.portal.support import SUPPORT_CONTACT
from tests.people import audit_entries, query
from tests.portal.client import CSRF, Portal


@pytest.fixture
def portal(hub):
    return Portal(hub)


def assert_error_page(r, status: int, code: str) -> None:
    assert r.status_code == status
    assert r.headers["content-type"].startswith("text/html")
    assert f"{status} {code}" in r.text
    assert r.headers["x-request-id"] in r.text
    assert re.search(r"\d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \w+", r.text), "no time on the page"
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC", r.text), "no UTC time on the page"


@pytest.mark.parametrize("form_token", [None, "", "another-token-0123456789abcdefABCDEF"])
def test_a_form_post_without_the_matching_csrf_token_is_refused_and_changes_nothing(hub, portal, form_token):
    token = portal.token("admin")
    seq = audit_entries(hub)[-1]["seq"]
    form = {"display_name": "Forged"}
    if form_token is not None:
        form["_csrf_token"] = form_token
    r = portal.call("POST", "/profile", token, form, csrf=CSRF if form_token is not None else None)
    assert_error_page(r, 403, "csrf_failed")
    assert "reload the page and try again" in r.text
    assert audit_entries(hub, seq) == []
    assert query(hub, "SELECT display_name FROM users WHERE username = 'admin'") == [("Demo Admin",)]


def test_a_script_may_send_the_csrf_token_in_a_header(hub, portal):
    r = portal.call("POST", "/profile", portal.token("admin"), {"display_name": "By Header",
                                                                "_csrf_token": "ignored"},
                    headers={"X-CSRF-Token": CSRF})
    assert r.status_code == 303


def test_the_api_needs_no_csrf_token(hub):
    token = hub.login("manager")["access_token"]
    r = hub.client(token).post("/api/v1/auth/logout", headers={"Cookie": "soko_csrf=x"})
    assert r.status_code == 204


def test_a_page_the_role_lacks_gets_the_403_page(portal):
    r = portal.call("GET", "/roles", portal.token("cashier"))
    assert_error_page(r, 403, "forbidden")
    assert "You do not have access to this page" in r.text and "roles.view" in r.text


def test_an_unknown_page_gets_the_404_page_and_an_unknown_api_path_a_problem(hub, portal):
    assert_error_page(portal.call("GET", "/no/such/page"), 404, "not_found")
    r = hub.client().get("/api/v1/no/such/thing")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["request_id"] == r.headers["x-request-id"]


def test_an_unknown_record_gets_the_404_page(portal):
    r = portal.call("GET", "/users/01a2-no-such-user", portal.token("admin"))
    assert_error_page(r, 404, "not_found")


def test_an_unexpected_failure_gets_the_500_page_without_its_details(portal, monkeypatch, caplog):
    def broken() -> str:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(about.platform, "python_version", broken)  # the hub runs in this process
    r = portal.call("GET", "/about", portal.token("admin"))
    assert_error_page(r, 500, "internal_error")
    assert "secret internals" not in r.text and "call support" in r.text
    assert any("secret internals" in str(rec.exc_info) for rec in caplog.records if rec.exc_info)


def test_the_sign_in_and_about_pages_show_the_support_line(portal):
    for r in (portal.call("GET", "/login"), portal.call("GET", "/about", portal.token("cashier"))):
        assert r.status_code == 200
        for text in (SUPPORT_CONTACT.name, SUPPORT_CONTACT.phone, SUPPORT_CONTACT.email):
            assert text in r.text


def test_the_about_page_names_the_hub(hub, portal):
    r = portal.call("GET", "/about", portal.token("supervisor"))
    assert hub.store.hub_id in r.text and hub.store.store_id in r.text and hub.store.epoch in r.text
    pin = getattr(hub.server.app.state, "tls_pin", None)
    assert pin and pin in r.text


def test_pages_forbid_framing_and_foreign_scripts(portal):
    r = portal.call("GET", "/", portal.token("admin"))
    policy = r.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert r.headers["x-frame-options"] == "DENY"
