"""The portal in headless Chromium against a running hub: sign in, every page, Jump to, the sidebar
filter, a user created, a role edited, a name changed, all of it found in the audit log; refusals
(wrong password, no CSRF token, a cashier on an admin page); sign-out; the layout on a phone.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest

from hub.auth.identity import SESSION_COOKIE
from tests.portal.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

ADMIN_PAGES = {"Home": "/", "Users": "/users", "Roles": "/roles", "Settings": "/settings",
               "Devices": "/devices", "Licenses": "/licenses", "Audit log": "/audit", "About": "/about"}


def sign_in(page, hub, username: str, password: str | None = None, path: str = "/login") -> None:
    page.goto(path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password or hub.credentials[username][0])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def heading(page) -> str:
    return page.locator("main#main").evaluate("m => m.closest('.page').querySelector('h1').textContent")


def test_an_admin_signs_in_and_opens_every_page_from_the_sidebar(browse, hub):
    page, _ = browse()
    page.goto("/users")  # not signed in: the sign-in page, keeping where we were going
    assert page.url.startswith(hub.url + "/login?next=/users")
    sign_in(page, hub, "admin", path=page.url)
    assert page.url == hub.url + "/users"
    sidebar = page.locator("#sidebar nav")
    assert sidebar.locator("h2").all_text_contents() == ["Home", "Sales", "Catalogue", "Stock", "Reports",
                                                          "People", "Store", "Records", "Help"]
    for title, path in ADMIN_PAGES.items():
        sidebar.get_by_role("link", name=title, exact=True).click()
        page.wait_for_url(hub.url + path)
        assert heading(page) == title
        assert sidebar.locator("[aria-current=page]").text_content() == title
    assert "Soko POS support" in page.locator("main").text_content()  # About shows the support line


def test_jump_to_and_the_sidebar_filter_find_pages(browse, hub):
    page, _ = browse()
    sign_in(page, hub, "admin")
    jump = page.get_by_role("combobox", name="Jump to a page")
    page.keyboard.press("/")  # the shortcut focuses Jump to
    page.keyboard.type("rol")
    options = page.locator("#jump-list [role=option]")
    assert options.first.text_content().startswith("Roles")
    jump.press("Enter")
    page.wait_for_url(hub.url + "/roles")
    jump.fill("new user")  # "new us" also finds New adjustment
    assert options.all_text_contents() == ["New userPeople"]
    jump.press("ArrowDown")  # wraps around to the only match
    jump.press("Enter")
    page.wait_for_url(hub.url + "/users/new")
    jump.fill("zzz")
    assert page.locator("#jump-list").text_content() == "No page matches"
    jump.press("Escape")

    menu = page.get_by_label("Filter menu")
    menu.fill("aud")
    visible = page.locator("#sidebar nav a:visible")
    assert visible.all_text_contents() == ["Audit log"]
    assert page.locator("#sidebar .nav-group:visible h2").all_text_contents() == ["Records"]
    menu.fill("nothing like this")
    assert page.locator(".nav-empty").is_visible()
    menu.fill("store")  # a group's name matches its pages too
    assert "Settings" in visible.all_text_contents()
    menu.fill("about")
    menu.press("Enter")
    page.wait_for_url(hub.url + "/about")


def test_changes_made_in_the_portal_show_in_the_audit_log(browse, hub):
    page, _ = browse()
    sign_in(page, hub, "admin")

    page.goto("/users/new")
    page.get_by_label("Username").fill("Rudo.K")
    page.get_by_label("Display name").fill("Rudo Kambarami")
    page.get_by_label("Role").select_option(label="supervisor")
    page.get_by_label("Password", exact=True).fill("rudo-password-1")
    page.get_by_label("Till PIN").fill("4826")
    page.get_by_role("button", name="Create user").click()
    page.wait_for_url(re.compile(r".*/users/[0-9a-f-]+$"))
    assert page.get_by_role("status").text_content() == "User rudo.k created."
    page.goto("/users?q=rudo")
    rows = page.locator("table tbody tr")
    assert rows.count() == 1 and "Rudo Kambarami" in rows.first.text_content()

    page.goto("/roles/new")
    page.get_by_label("Name", exact=True).fill("Stock clerk")
    page.get_by_label("See users and their roles").check()
    page.get_by_role("button", name="Create role").click()
    page.wait_for_url(re.compile(r".*/roles/[0-9a-f-]+$"))
    page.get_by_label("Description").fill("Counts stock")
    page.get_by_label("Read the audit log").check()
    page.get_by_role("button", name="Save changes").click()
    assert page.get_by_role("status").text_content() == "Changes saved."
    assert page.get_by_label("Read the audit log").is_checked()

    page.locator(".profile-menu summary").click()
    page.get_by_role("link", name="Profile").click()
    page.get_by_label("Display name").fill("Store Owner")
    page.get_by_role("button", name="Save name").click()
    assert page.get_by_role("status").text_content() == "Your display name is saved."
    assert page.locator(".profile-name").text_content() == "Store Owner"

    page.goto("/audit")
    page.get_by_label("Action").select_option("user.created")
    page.get_by_role("button", name="Filter").click()
    entries = page.locator("table.audit tbody tr")
    assert "username: rudo.k" in entries.first.text_content()
    assert all("user.created" in t for t in entries.all_text_contents())

    today = dt.datetime.now(zoneinfo.ZoneInfo("Africa/Harare")).date().isoformat()
    page.goto("/audit")
    page.get_by_label("User", exact=True).select_option(label="Store Owner (admin)")
    page.get_by_label("From", exact=True).fill(today)
    page.get_by_label("To", exact=True).fill(today)
    page.get_by_role("button", name="Filter").click()
    actions = page.locator("table.audit tbody tr td[data-label=Action] code").all_text_contents()
    assert actions[:4] == ["user.updated", "role.updated", "role.created", "user.created"]
    assert "display_name: Demo Admin → Store Owner" in entries.first.text_content()
    assert "description: (empty) → Counts stock" in entries.nth(1).text_content()
    yesterday = (dt.date.fromisoformat(today) - dt.timedelta(days=1)).isoformat()
    page.get_by_label("From", exact=True).fill(yesterday)
    page.get_by_label("To", exact=True).fill(yesterday)
    page.get_by_role("button", name="Filter").click()
    assert page.locator(".empty").text_content().startswith("No entry matches these filters")


def test_a_wrong_password_shows_a_readable_error(browse, hub):
    page, watch = browse()
    watch.expect_console_error(401)
    sign_in(page, hub, "manager", "not-the-password")
    assert page.get_by_role("alert").text_content() == (
        "The username, password or PIN is wrong, or the account is deactivated.")
    assert page.get_by_label("Username").input_value() == "manager"
    assert page.get_by_label("Password").input_value() == ""


def test_a_form_without_its_csrf_token_is_refused(browse, hub):
    page, watch = browse()
    sign_in(page, hub, "admin")
    page.goto("/profile")
    page.locator("form[action='/profile'] input[name=_csrf_token]").evaluate("input => input.remove()")
    page.get_by_label("Display name").fill("Forged Name")
    watch.expect_console_error(403)
    page.get_by_role("button", name="Save name").click()
    page.wait_for_load_state()
    assert page.locator("h1").text_content() == "The form could not be accepted"
    assert "403 csrf_failed" in page.locator(".error-facts").text_content()
    page.goto("/profile")
    assert page.get_by_label("Display name").input_value() == "Demo Admin"


def test_a_cashier_sees_no_admin_pages_and_gets_the_403_page_by_url(browse, hub):
    page, watch = browse()
    sign_in(page, hub, "cashier")
    # Counting stock is a cashier's job too (inventory.count), and looking customers up (customers.view).
    assert page.locator("#sidebar nav a").all_text_contents() == ["Home", "Stock takes", "Customers",
                                                                 "Credit accounts", "Vouchers", "About"]
    page.get_by_role("combobox", name="Jump to a page").fill("user")
    assert page.locator("#jump-list").text_content() == "No page matches"
    watch.expect_console_error(403)
    response = page.goto("/users")
    assert response.status == 403
    assert page.locator("h1").text_content() == "You do not have access to this page"
    facts = page.locator(".error-facts").text_content()
    assert "403 forbidden" in facts and response.headers["x-request-id"] in facts


def test_signing_out_returns_to_the_login_page_and_the_old_cookie_is_dead(browse, hub):
    page, _ = browse()
    sign_in(page, hub, "manager")
    old = next(c for c in page.context.cookies() if c["name"] == SESSION_COOKIE)
    assert old["httpOnly"] and old["sameSite"] == "Strict"
    page.locator(".profile-menu summary").click()
    page.locator(".profile-menu").get_by_role("button", name="Sign out").click()
    page.wait_for_url(hub.url + "/login")
    assert page.get_by_role("status").text_content() == "You are signed out."
    assert SESSION_COOKIE not in {c["name"] for c in page.context.cookies()}
    page.context.add_cookies([old])
    page.goto("/users")
    assert page.url.startswith(hub.url + "/login?next=/users")
    assert page.get_by_role("alert").text_content() == "Your session has ended. Sign in again to continue."


@pytest.mark.parametrize("name, viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_the_users_page_fits_the_screen(browse, hub, tmp_path, name, viewport):
    page, _ = browse(viewport)
    sign_in(page, hub, "admin")
    page.goto("/users")
    page.screenshot(path=str(tmp_path / f"users-{name}.png"), full_page=True)
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{name}: the page scrolls sideways ({width} > {inner})"
    sidebar = page.locator("#sidebar")
    toggle = page.get_by_role("button", name="Open menu")
    if name == "phone":
        assert not sidebar.is_visible() and toggle.is_visible()
        toggle.click()
        assert sidebar.is_visible() and toggle.get_attribute("aria-expanded") == "true"
        page.keyboard.press("Escape")
        assert not sidebar.is_visible()
    else:
        assert sidebar.is_visible() and not toggle.is_visible()


def test_the_watch_catches_a_request_to_another_host_and_stops_it(browse):
    page, watch = browse()
    page.set_content('<img src="http://192.0.2.7/logo.png" alt="">')  # TEST-NET-1: never routed
    page.wait_for_load_state()
    assert "192.0.2.7" in watch.hosts
    assert any("Failed to load resource" in e for e in watch.errors)  # aborted in the browser
    watch.hosts.clear()
    watch.errors.clear()
