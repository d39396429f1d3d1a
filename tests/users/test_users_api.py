"""/api/v1/users over real HTTP: creation, edits, (de)activation, resets and who may do what."""

from __future__ import annotations

import pytest

from tests.people import People, audit_count, query


@pytest.fixture
def people(hub):
    return People(hub)


def login(hub, username, password):
    return hub.client().post("/api/v1/auth/login", json={"username": username, "password": password})


def user_count(hub):
    return query(hub, "SELECT count(*) FROM users")[0][0]


def test_a_manager_creates_a_cashier_who_can_sign_in(hub, people):
    manager = hub.as_user("manager")
    r = manager.post("/api/v1/users", json={
        "username": "Tendai.M", "display_name": "Tendai M", "role_id": people.role_id("cashier"),
        "password": "till-password-1", "pin": "4826", "tills": ["till-1", "till-2", "till-1"]})
    assert r.status_code == 201, r.text
    user = r.json()
    assert user["username"] == "tendai.m"
    assert user["has_password"] and user["has_pin"] and user["active"]
    assert user["tills"] == ["till-1", "till-2"]
    assert not {"password", "pin", "password_hash", "pin_hash"} & set(user)
    assert "till-password-1" not in r.text and "4826" not in r.text
    assert manager.get(f"/api/v1/users/{user['id']}").json() == user
    assert login(hub, "TENDAI.M", "till-password-1").status_code == 201


def test_usernames_are_unique_case_insensitively(hub, people):
    count, entries = user_count(hub), audit_count(hub)
    r = people.root.post("/api/v1/users", json={
        "username": "MANAGER", "display_name": "x", "role_id": people.role_id("cashier"), "pin": "2580"})
    assert r.status_code == 409 and r.json()["code"] == "username_taken"
    assert (user_count(hub), audit_count(hub)) == (count, entries)


@pytest.mark.parametrize("body, status, code", [
    ({"username": "ab"}, 400, "invalid_request"),
    ({"username": "x" * 33}, 400, "invalid_request"),
    ({"username": "has space"}, 400, "invalid_request"),
    ({"username": "émile"}, 400, "invalid_request"),
    ({"display_name": ""}, 400, "invalid_request"),
    ({"tills": ["t"] * 201}, 400, "invalid_request"),
    ({"password": None, "pin": None}, 422, "no_secret"),
    ({"password": "short"}, 422, "weak_password"),
    ({"pin": "12"}, 422, "weak_pin"),
    ({"pin": "123456789"}, 400, "invalid_request"),
    ({"pin": "7777"}, 422, "weak_pin"),
    ({"pin": "12ab"}, 422, "weak_pin"),
    ({"role_id": "no-such-role"}, 422, "unknown_role"),
    ({"is_admin": True}, 400, "invalid_request"),
])
def test_bad_new_users_are_refused_with_a_code_and_nothing_changes(hub, people, body, status, code):
    count, entries = user_count(hub), audit_count(hub)
    data = {"username": "newbie", "display_name": "New", "role_id": people.role_id("cashier"),
            "password": "good-password-1", **body}
    r = people.root.post("/api/v1/users", json=data)
    assert (r.status_code, r.json()["code"]) == (status, code), r.text
    assert (user_count(hub), audit_count(hub)) == (count, entries)


def test_nobody_grants_a_role_with_permissions_they_lack(hub, people):
    manager = hub.as_user("manager")
    count, entries = user_count(hub), audit_count(hub)
    r = manager.post("/api/v1/users", json={"username": "sneaky", "display_name": "S",
                                            "role_id": people.role_id("admin"), "password": "pass-pass-1"})
    assert r.status_code == 403 and r.json()["code"] == "privilege_escalation"
    assert "roles.manage" in r.json()["missing"]
    cashier = people.new_user("cashier")
    entries = audit_count(hub)
    r = manager.patch(f"/api/v1/users/{cashier['id']}", json={"role_id": people.role_id("admin")})
    assert r.status_code == 403 and r.json()["code"] == "privilege_escalation"
    manager_id = manager.get("/api/v1/auth/me").json()["id"]
    r = manager.patch(f"/api/v1/users/{manager_id}", json={"role_id": people.role_id("admin")})
    assert r.status_code == 403
    assert user_count(hub) == count + 1 and audit_count(hub) == entries
    assert people.root.get(f"/api/v1/users/{cashier['id']}").json()["role"] == "cashier"


def test_a_manager_cannot_touch_an_admin(hub, people):
    manager = hub.as_user("manager")
    admin_id = hub.login("admin")["user"]["id"]
    entries = audit_count(hub)
    calls = [
        ("PATCH", f"/api/v1/users/{admin_id}", {"display_name": "Demoted"}),
        ("POST", f"/api/v1/users/{admin_id}/deactivate", None),
        ("POST", f"/api/v1/users/{admin_id}/activate", None),
        ("POST", f"/api/v1/users/{admin_id}/password", {"password": "taken-over-1"}),
        ("POST", f"/api/v1/users/{admin_id}/pin", {"pin": "1234"}),
    ]
    for method, path, body in calls:
        r = manager.request(method, path, json=body)
        assert r.status_code == 403 and r.json()["code"] == "privilege_escalation", (path, r.text)
    assert audit_count(hub) == entries
    assert login(hub, "admin", hub.credentials["admin"][0]).status_code == 201


def test_patch_changes_only_the_given_fields(hub, people):
    user = people.new_user()
    manager = hub.as_user("manager")
    r = manager.patch(f"/api/v1/users/{user['id']}", json={"tills": ["till-9"]})
    assert r.status_code == 200 and r.json()["tills"] == ["till-9"]
    r = manager.patch(f"/api/v1/users/{user['id']}", json={"display_name": "Renamed"})
    assert r.json()["tills"] == ["till-9"] and r.json()["display_name"] == "Renamed"
    r = manager.patch(f"/api/v1/users/{user['id']}", json={"tills": None, "role_id": people.role_id("supervisor")})
    assert r.json()["tills"] is None and r.json()["role"] == "supervisor"
    assert r.json()["version"] == user["version"] + 3
    assert manager.patch(f"/api/v1/users/{user['id']}", json={"username": "x"}).status_code == 400
    assert manager.patch("/api/v1/users/no-such-user", json={"display_name": "x"}).status_code == 404


def test_a_deactivated_user_is_refused_at_once_and_can_be_activated_again(hub, people):
    user = people.new_user()
    session = hub.login(user["username"], user["password"])
    client = hub.client(session["access_token"])
    assert client.get("/api/v1/auth/me").status_code == 200
    manager = hub.as_user("manager")
    r = manager.post(f"/api/v1/users/{user['id']}/deactivate")
    assert r.status_code == 200 and r.json()["active"] is False
    r = client.get("/api/v1/auth/me")
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"
    assert hub.client().post("/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code == 401
    assert login(hub, user["username"], user["password"]).status_code == 401
    assert query(hub, "SELECT count(*) FROM tokens WHERE user_id = ? AND revoked_at IS NULL", user["id"]) == [(0,)]
    r = manager.post(f"/api/v1/users/{user['id']}/activate")
    assert r.status_code == 200 and r.json()["active"] is True
    assert client.get("/api/v1/auth/me").status_code == 401  # old tokens stay revoked
    assert login(hub, user["username"], user["password"]).status_code == 201


def test_nobody_deactivates_themselves(hub, people):
    manager = hub.as_user("manager")
    me = manager.get("/api/v1/auth/me").json()
    r = manager.post(f"/api/v1/users/{me['id']}/deactivate")
    assert r.status_code == 409 and r.json()["code"] == "self_deactivation"
    assert manager.get("/api/v1/auth/me").status_code == 200


def test_the_last_active_role_manager_cannot_be_demoted_or_deactivated(hub, people):
    root_id = people.root.get("/api/v1/auth/me").json()["id"]
    admin = hub.as_user("admin")
    admin_id = admin.get("/api/v1/auth/me").json()["id"]
    # Two admins: root may demote the demo admin...
    r = people.root.patch(f"/api/v1/users/{admin_id}", json={"role_id": people.role_id("manager")})
    assert r.status_code == 200, r.text
    # ...but not then demote itself, the last one.
    entries = audit_count(hub)
    r = people.root.patch(f"/api/v1/users/{root_id}", json={"role_id": people.role_id("manager")})
    assert r.status_code == 409 and r.json()["code"] == "last_admin"
    assert people.root.get("/api/v1/auth/me").json()["role"] == "admin"
    assert audit_count(hub) == entries


def test_a_password_reset_revokes_the_users_tokens(hub, people):
    user = people.new_user()
    client = people.client_as(user["username"], user["password"])
    manager = hub.as_user("manager")
    r = manager.post(f"/api/v1/users/{user['id']}/password", json={"password": "reset-by-boss"})
    assert r.status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401
    assert login(hub, user["username"], user["password"]).status_code == 401
    assert login(hub, user["username"], "reset-by-boss").status_code == 201
    r = manager.post(f"/api/v1/users/{user['id']}/password", json={"password": "short"})
    assert r.status_code == 422 and r.json()["code"] == "weak_password"


def test_a_pin_reset_changes_the_pin_and_keeps_sessions(hub, people):
    user = people.new_user()
    client = people.client_as(user["username"], user["password"])
    r = hub.as_user("manager").post(f"/api/v1/users/{user['id']}/pin", json={"pin": "8642"})
    assert r.status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 200
    pin_login = hub.client().post("/api/v1/auth/login", json={"username": user["username"], "pin": "8642"})
    assert pin_login.status_code == 201


def test_own_secrets_are_not_reset_through_the_users_route(hub, people):
    manager = hub.as_user("manager")
    me = manager.get("/api/v1/auth/me").json()
    r = manager.post(f"/api/v1/users/{me['id']}/password", json={"password": "no-current-needed"})
    assert r.status_code == 409 and r.json()["code"] == "self_reset"


def test_users_are_listed_by_username_a_page_at_a_time(hub, people):
    for _ in range(3):
        people.new_user()
    people.new_user(active=False)
    supervisor = hub.as_user("supervisor")
    seen, after = [], None
    while True:
        params = {"limit": 2, **({"after": after} if after else {})}
        page = supervisor.get("/api/v1/users", params=params).json()
        seen += [u["username"] for u in page["items"]]
        assert len(page["items"]) <= 2
        after = page["next_after"]
        if after is None:
            break
    everyone = [u for (u,) in query(hub, "SELECT username FROM users ORDER BY username")]
    assert seen == everyone and len(seen) == 9
    active = supervisor.get("/api/v1/users", params={"include_inactive": "false"}).json()["items"]
    assert len(active) == 8
    for limit in (0, 201, "x"):
        assert supervisor.get("/api/v1/users", params={"limit": limit}).status_code == 400
    assert supervisor.get("/api/v1/users/nobody").status_code == 404
