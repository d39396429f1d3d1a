"""Portal pages over real HTTP: what each role sees, and the forms keep the services' rules."""

from __future__ import annotations

import json
import re

import pytest

from hub.portal import registry
from tests.people import ROLES, People, audit_entries, query
from tests.portal.client import Portal
from tests.test_access_matrix import ORACLE


@pytest.fixture
def portal(hub):
    return Portal(hub)


@pytest.fixture
def people(hub):
    return People(hub)


def may(role: str, rule: str) -> bool:
    return rule == "authenticated" or role in ORACLE["permissions"][rule]


def sidebar_links(html: str) -> list[str]:
    nav = html.split('<nav class="nav"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a href="([^"]+)"', nav)


def jump_paths(html: str) -> list[str]:
    data = html.split('<script type="application/json" id="jump-data">', 1)[1].split("</script>", 1)[0]
    return [entry["path"] for entry in json.loads(data)]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_and_opens_exactly_the_pages_it_may(portal, role):
    token = portal.token(role)
    allowed = [p for p in registry.all_pages() if may(role, p.rule)]
    home = portal.call("GET", "/", token)
    assert home.status_code == 200
    assert sidebar_links(home.text) == [p.path for p in allowed if p.sidebar]
    assert jump_paths(home.text) == [p.path for p in allowed]
    for page in registry.all_pages():
        r = portal.call("GET", page.path, token)
        assert r.status_code == (200 if page in allowed else 403), (role, page.path)
        if page in allowed:
            assert f"<h1>{page.title}</h1>" in r.text


def test_the_home_page_names_the_store_and_links_what_the_user_may_open(portal):
    r = portal.call("GET", "/", portal.token("supervisor"))
    assert "Soko Demo Store" in r.text and "Signed in as Demo Supervisor" in r.text
    assert 'href="/users"' in r.text and 'href="/audit"' not in r.text


def test_the_user_list_filters_by_text_role_and_status(hub, portal, people):
    gone = people.new_user(active=False)
    token = portal.token("manager")
    names = lambda r: re.findall(r'class="row-link">([^<]+)<', r.text)  # noqa: E731
    assert names(portal.call("GET", "/users?q=DEMO", token)) == [
        "Demo Admin", "Demo Cashier", "Demo Manager", "Demo Supervisor"]
    by_role = f"/users?role={people.role_id('cashier')}"
    assert names(portal.call("GET", by_role, token)) == ["Demo Cashier"]  # active ones by default
    assert names(portal.call("GET", by_role + "&status=all", token)) == ["Demo Cashier", "Throwaway"]
    r = portal.call("GET", "/users?status=inactive", token)
    assert names(r) == ["Throwaway"] and gone["username"] in r.text
    assert portal.call("GET", "/users?status=everyone", token).status_code == 400


def test_a_refused_user_form_says_why_keeps_the_values_and_writes_nothing(hub, portal, people):
    token = portal.token("manager")
    seq = audit_entries(hub)[-1]["seq"]
    form = {"username": "cashier", "display_name": "Second Cashier", "role_id": people.role_id("cashier"),
            "pin": "2580"}
    r = portal.call("POST", "/users", token, form)
    assert r.status_code == 409 and "The username &#39;cashier&#39; is taken." in r.text
    assert 'value="Second Cashier"' in r.text and "2580" not in r.text  # secrets are never echoed
    r = portal.call("POST", "/users", token, {**form, "username": "new.admin", "role_id": people.role_id("admin")})
    assert r.status_code == 403 and "holds permissions you do not hold" in r.text
    r = portal.call("POST", "/users", token, {**form, "username": "no.secret", "pin": ""})
    assert r.status_code == 422 and "Give the user a password, a PIN or both." in r.text
    assert audit_entries(hub, seq) == []


def test_a_manager_can_look_at_but_not_change_an_admin(hub, portal):
    token = portal.token("manager")
    admin_id = query(hub, "SELECT id FROM users WHERE username = 'admin'")[0][0]
    r = portal.call("GET", f"/users/{admin_id}", token)
    assert r.status_code == 200 and "so you can only look" in r.text and "Deactivate user" not in r.text
    r = portal.call("POST", f"/users/{admin_id}/deactivate", token)
    assert r.status_code == 403 and "admin holds permissions you do not hold" in r.text
    assert query(hub, "SELECT active FROM users WHERE id = ?", admin_id) == [(1,)]


def test_deactivating_a_user_from_the_portal_ends_their_sessions(hub, portal, people):
    user = people.new_user()
    their_token = portal.token(user["username"], user["password"])
    r = portal.call("POST", f"/users/{user['id']}/deactivate", portal.token("manager"))
    assert r.status_code == 303 and r.headers["location"] == f"/users/{user['id']}"
    assert portal.call("GET", "/", their_token).status_code == 303  # back to sign-in


def test_a_role_form_groups_permissions_by_area_and_refuses_escalation(hub, portal, people):
    r = portal.call("GET", "/roles/new", portal.token("admin"))
    legends = re.findall(r"<legend>([^<]+)</legend>", r.text)
    assert legends[:5] == ["Users", "Roles", "Audit log", "Store settings", "Backups"]
    role = people.new_role(["users.view"])
    r = portal.call("POST", f"/roles/{role['id']}", portal.token("admin"),
                    {"name": role["name"], "permission": ["users.view", "no.such"]})
    assert r.status_code == 422 and "unknown permissions: no.such" in r.text.lower()
    r = portal.call("POST", f"/roles/{people.role_id('admin')}", portal.token("admin"),
                    {"description": "x", "permission": ["users.view"]})
    assert r.status_code == 409 and "keeps every permission" in r.text


def test_the_settings_form_checks_what_the_api_checks(hub, portal):
    token = portal.token("manager")
    form = {"name": "Soko Demo Store", "code": "DEMO", "timezone": "Africa/Harare"}
    r = portal.call("POST", "/settings", token, {**form, "tin": "12345"})
    assert r.status_code == 422 and "TIN must be 10 digits." in r.text and 'value="12345"' in r.text
    r = portal.call("POST", "/settings", token, {**form, "address_street": "x" * 121})
    assert r.status_code == 422 and "Street is at most 120 characters." in r.text
    r = portal.call("POST", "/settings", token, {**form, "timezone": "Mars/Olympus"})
    assert r.status_code == 422 and "Unknown time zone" in r.text
    r = portal.call("POST", "/settings", token, {**form, "name": "Mbare Branch", "tin": "1234567890"})
    assert r.status_code == 303
    profile = hub.client(hub.login("manager")["access_token"]).get("/api/v1/settings/store").json()
    assert profile["name"] == "Mbare Branch" and profile["tin"] == "1234567890"
    assert "Mbare Branch" in portal.call("GET", "/", token).text


def test_a_supervisor_sees_the_settings_read_only(portal):
    r = portal.call("GET", "/settings", portal.token("supervisor"))
    assert r.status_code == 200 and "needs the settings.manage permission" in r.text
    assert "Save settings" not in r.text


def test_the_profile_refuses_a_wrong_current_password(hub, portal):
    r = portal.call("POST", "/profile/password", portal.token("cashier"), {
        "current_password": "not-it-123", "new_password": "new-password-9", "new_password_again": "new-password-9"})
    assert r.status_code == 403 and "The current password is wrong." in r.text
    r = portal.call("POST", "/profile/pin", portal.token("cashier"), {
        "current_password": hub.credentials["cashier"][0], "new_pin": "1593", "new_pin_again": "1539"})
    assert r.status_code == 422 and "New PIN and its repetition differ" in r.text


def tiny_png(width: int = 8, height: int = 4) -> bytes:
    """A valid black-and-white PNG of the given size."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_the_receipt_logo_is_uploaded_shown_and_removed_through_the_settings_form(hub, portal):
    from tests.portal.client import CSRF

    token = portal.token("admin")
    form = {"name": "Soko Demo Store", "code": "DEMO", "timezone": "Africa/Harare", "_csrf_token": CSRF}
    cookie = {"Cookie": f"soko_session={token}; soko_csrf={CSRF}"}
    png = tiny_png()
    r = portal.http.post("/settings", data=form, files={"logo": ("logo.png", png, "image/png")}, headers=cookie)
    portal.http.cookies.clear()
    assert r.status_code == 303, r.text
    assert portal.call("GET", "/settings/logo.png", token).content == png
    assert 'src="/settings/logo.png"' in portal.call("GET", "/settings", token).text
    r = portal.http.post("/settings", data=form, files={"logo": ("notes.txt", b"not a png", "text/plain")},
                         headers=cookie)
    portal.http.cookies.clear()
    assert r.status_code == 422 and "The logo must be a PNG image." in r.text
    assert portal.call("POST", "/settings", token, {**form, "remove_logo": "on"}).status_code == 303
    assert portal.call("GET", "/settings/logo.png", token).status_code == 404
