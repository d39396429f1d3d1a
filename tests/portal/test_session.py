"""Portal sessions over real HTTP: the sign-in form, its cookies, `next`, sign-out, and the line
between cookie-authenticated pages and bearer-only API paths.
"""

from __future__ import annotations

import types

import pytest

from hub.auth.identity import SESSION_COOKIE
from hub.portal.session import CSRF_COOKIE, safe_next, session_cookie
from tests.people import audit_entries
from tests.portal.client import CSRF, Portal, csrf_from, set_cookies

ACCESS_TTL_S = 900


@pytest.fixture
def settings(tmp_path):
    from tests.hubtest import make_settings

    return make_settings(tmp_path / "var", access_token_ttl_s=ACCESS_TTL_S, login_attempts=3)


@pytest.fixture
def portal(hub):
    return Portal(hub)


def sign_in(portal, username, password, next_page="/"):
    return portal.call("POST", "/login", form={"username": username, "password": password, "next": next_page})


def test_the_sign_in_page_hands_out_a_csrf_cookie_its_form_repeats(portal):
    r = portal.call("GET", "/login", csrf=None)
    assert r.status_code == 200
    cookie = set_cookies(r)[CSRF_COOKIE]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age" not in cookie
    assert cookie.split(";")[0] == f"{CSRF_COOKIE}={csrf_from(r.text)}"


def test_signing_in_sets_a_strict_http_only_session_cookie_for_the_access_token_lifetime(hub, portal):
    seq = audit_entries(hub)[-1]["seq"]
    r = sign_in(portal, "manager", hub.credentials["manager"][0], "/users?status=all")
    assert r.status_code == 303 and r.headers["location"] == "/users?status=all"
    cookies = set_cookies(r)
    session = cookies[SESSION_COOKIE]
    for flag in ("HttpOnly", "SameSite=strict", f"Max-Age={ACCESS_TTL_S}", "Path=/"):
        assert flag in session
    assert "Secure" not in session  # plain-HTTP test hub; see the HTTPS case below
    assert cookies[CSRF_COOKIE].split(";")[0] != f"{CSRF_COOKIE}={CSRF}"  # a new token per session
    [entry] = audit_entries(hub, seq)
    assert entry["action"] == "auth.login" and entry["request_id"] == r.headers["x-request-id"]
    token = session.split(";")[0].split("=", 1)[1]
    assert portal.call("GET", "/users", token).status_code == 200


def test_the_session_cookie_is_secure_when_the_hub_serves_https():
    request = types.SimpleNamespace(url=types.SimpleNamespace(scheme="https"), app=types.SimpleNamespace(
        state=types.SimpleNamespace(settings=types.SimpleNamespace(access_token_ttl_s=60))))
    cookie = session_cookie(request, "sha_x")
    assert cookie.secure and cookie.httponly and cookie.samesite == "strict" and cookie.max_age == 60


@pytest.mark.parametrize("value, expected", [
    ("/users?status=all", "/users?status=all"),
    ("/roles/abc#top", "/roles/abc#top"),
    (None, "/"),
    ("", "/"),
    ("users", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("https://evil.example/users", "/"),
    ("javascript:alert(1)", "/"),
    ("/api/v1/users", "/"),
    ("/login?next=/users", "/"),
    ("/users\r\nSet-Cookie: x=1", "/"),
    ("/" + "a" * 2001, "/"),
])
def test_next_accepts_only_local_portal_paths(value, expected):
    assert safe_next(value) == expected


def test_a_next_pointing_elsewhere_lands_on_home(hub, portal):
    r = sign_in(portal, "admin", hub.credentials["admin"][0], "https://evil.example/")
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_an_anonymous_page_view_is_sent_to_sign_in_keeping_the_page(portal):
    r = portal.call("GET", "/audit?action=user.created")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/audit%3Faction%3Duser.created"
    assert "sign_in_required" in r.text and r.headers["x-request-id"] in r.text


def test_a_wrong_password_renders_the_form_again_and_is_audited_like_the_api(hub, portal):
    seq = audit_entries(hub)[-1]["seq"]
    r = sign_in(portal, "cashier", "wrong-password-1")
    assert r.status_code == 401 and SESSION_COOKIE not in set_cookies(r)
    assert "The username, password or PIN is wrong" in r.text and 'value="cashier"' in r.text
    [entry] = audit_entries(hub, seq)
    assert entry["action"] == "auth.login_failed" and "wrong-password-1" not in entry["summary"]


def test_the_portal_and_the_api_share_one_login_rate_limit(hub, portal):
    api = hub.client()
    for _ in range(2):
        api.post("/api/v1/auth/login", json={"username": "supervisor", "password": "guess-123"})
    sign_in(portal, "supervisor", "guess-456")  # the third failure in the window
    r = sign_in(portal, "supervisor", hub.credentials["supervisor"][0])
    assert r.status_code == 429 and "Too many failed attempts. Try again in" in r.text
    r = api.post("/api/v1/auth/login", json={"username": "supervisor",
                                             "password": hub.credentials["supervisor"][0]})
    assert r.status_code == 429


def test_signing_out_revokes_the_session_and_clears_the_cookie(hub, portal):
    token = portal.token("manager")
    seq = audit_entries(hub)[-1]["seq"]
    r = portal.call("POST", "/logout", token)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert "Max-Age=0" in set_cookies(r)[SESSION_COOKIE]
    assert [e["action"] for e in audit_entries(hub, seq)] == ["auth.logout"]
    r = portal.call("GET", "/", token)  # the old cookie, sent again
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    assert "Max-Age=0" in set_cookies(r)[SESSION_COOKIE]  # the dead cookie is dropped
    assert hub.client(token).get("/api/v1/auth/me").status_code == 401  # the token itself is dead


def test_a_signed_in_visit_to_the_sign_in_page_goes_on_to_next(hub, portal):
    r = portal.call("GET", "/login?next=/roles", portal.token("admin"))
    assert r.status_code == 303 and r.headers["location"] == "/roles"


def test_api_paths_ignore_the_session_cookie_and_pages_ignore_bearer_tokens(hub, portal):
    token = portal.token("admin")
    r = portal.call("GET", "/api/v1/auth/me", token)  # cookie only
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    r = hub.client(token).get("/users", follow_redirects=False)  # bearer only
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
