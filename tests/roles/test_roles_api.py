"""/api/v1/roles and /api/v1/permissions over real HTTP."""

from __future__ import annotations

import pytest

from hub.auth.permissions import PERMISSIONS
from tests.people import People, audit_count, query


@pytest.fixture
def people(hub):
    return People(hub)


def role_count(hub):
    return query(hub, "SELECT count(*) FROM roles")[0][0]


def test_permissions_are_listed_with_descriptions(hub):
    r = hub.as_user("supervisor").get("/api/v1/permissions")
    assert r.status_code == 200
    assert {p["name"]: p["description"] for p in r.json()} == PERMISSIONS


def test_roles_are_listed_built_in_first_and_read_one_by_one(hub):
    client = hub.as_user("supervisor")
    roles = client.get("/api/v1/roles").json()
    assert [r["name"] for r in roles] == ["admin", "cashier", "manager", "supervisor"]
    assert all(r["builtin"] for r in roles)
    manager = next(r for r in roles if r["name"] == "manager")
    assert client.get(f"/api/v1/roles/{manager['id']}").json() == manager
    assert client.get("/api/v1/roles/no-such-role").status_code == 404


def test_an_admin_creates_edits_and_deletes_a_custom_role(hub, people):
    admin = hub.as_user("admin")
    r = admin.post("/api/v1/roles", json={"name": "Stock Clerk", "description": "Counts stock",
                                          "permissions": ["users.view", "users.view"]})
    assert r.status_code == 201, r.text
    role = r.json()
    assert role["permissions"] == ["users.view"] and role["builtin"] is False
    r = admin.patch(f"/api/v1/roles/{role['id']}", json={"name": "Stock Lead",
                                                         "permissions": ["users.view", "roles.view"]})
    assert r.status_code == 200
    assert r.json()["name"] == "Stock Lead" and r.json()["permissions"] == ["roles.view", "users.view"]
    assert r.json()["description"] == "Counts stock" and r.json()["version"] == 2
    assert admin.delete(f"/api/v1/roles/{role['id']}").status_code == 204
    assert admin.get(f"/api/v1/roles/{role['id']}").status_code == 404


@pytest.mark.parametrize("body, status, code", [
    ({"permissions": ["sales.teleport"]}, 422, "unknown_permission"),
    ({"name": ""}, 400, "invalid_request"),
    ({"name": " padded "}, 400, "invalid_request"),
    ({"name": "x" * 41}, 400, "invalid_request"),
    ({"description": "x" * 201}, 400, "invalid_request"),
    ({"name": "MANAGER"}, 409, "role_name_taken"),
    ({"builtin": True}, 400, "invalid_request"),
])
def test_bad_new_roles_are_refused_and_nothing_changes(hub, body, status, code):
    admin = hub.as_user("admin")
    count, entries = role_count(hub), audit_count(hub)
    r = admin.post("/api/v1/roles", json={"name": "Helper", **body})
    assert (r.status_code, r.json()["code"]) == (status, code), r.text
    assert (role_count(hub), audit_count(hub)) == (count, entries)


def test_built_in_roles_keep_their_names_and_admin_keeps_every_permission(hub, people):
    admin = hub.as_user("admin")
    entries = audit_count(hub)
    r = admin.patch(f"/api/v1/roles/{people.role_id('manager')}", json={"name": "Boss"})
    assert r.status_code == 409 and r.json()["code"] == "builtin_role"
    r = admin.patch(f"/api/v1/roles/{people.role_id('admin')}", json={"permissions": ["users.view"]})
    assert r.status_code == 409 and r.json()["code"] == "builtin_role"
    assert audit_count(hub) == entries
    r = admin.patch(f"/api/v1/roles/{people.role_id('admin')}", json={"description": "The owner"})
    assert r.status_code == 200
    r = admin.patch(f"/api/v1/roles/{people.role_id('cashier')}", json={"permissions": ["users.view"]})
    assert r.status_code == 200 and r.json()["permissions"] == ["users.view"]
    cashier = hub.as_user("cashier")
    assert cashier.get("/api/v1/users").status_code == 200


def test_built_in_and_used_roles_are_not_deleted(hub, people):
    admin = hub.as_user("admin")
    r = admin.delete(f"/api/v1/roles/{people.role_id('cashier')}")
    assert r.status_code == 409 and r.json()["code"] == "builtin_role"
    role = people.new_role(["users.view"])
    r = admin.post("/api/v1/users", json={"username": "holder", "display_name": "H", "role_id": role["id"],
                                          "pin": "2580"})
    assert r.status_code == 201
    r = admin.delete(f"/api/v1/roles/{role['id']}")
    assert r.status_code == 409 and r.json()["code"] == "role_in_use"
    assert admin.get(f"/api/v1/roles/{role['id']}").status_code == 200


def test_a_role_manager_cannot_reach_beyond_their_own_permissions(hub, people):
    ops = people.new_role(["roles.manage", "roles.view", "users.view"])
    user = people.new_user()
    assert people.root.patch(f"/api/v1/users/{user['id']}", json={"role_id": ops["id"]}).status_code == 200
    client = people.client_as(user["username"], user["password"])
    count, entries = role_count(hub), audit_count(hub)
    refusals = [
        client.post("/api/v1/roles", json={"name": "Backup Op", "permissions": ["backups.manage"]}),
        client.patch(f"/api/v1/roles/{ops['id']}", json={"permissions": [*ops["permissions"], "settings.manage"]}),
        client.patch(f"/api/v1/roles/{people.role_id('manager')}", json={"description": "less"}),
        client.patch(f"/api/v1/roles/{people.role_id('supervisor')}", json={"permissions": ["audit.view"]}),
    ]
    for r in refusals:
        assert r.status_code == 403 and r.json()["code"] == "privilege_escalation", r.text
    spare = people.new_role(["audit.view"])
    count, entries = role_count(hub), audit_count(hub)
    r = client.delete(f"/api/v1/roles/{spare['id']}")
    assert r.status_code == 403 and r.json()["code"] == "privilege_escalation"
    assert (role_count(hub), audit_count(hub)) == (count, entries)
    # Within their own permissions they may act.
    r = client.post("/api/v1/roles", json={"name": "Viewer", "permissions": ["users.view"]})
    assert r.status_code == 201


def test_a_role_edit_cannot_leave_no_active_role_manager(hub, people):
    boss = people.new_role(sorted(PERMISSIONS))
    user = people.new_user()
    assert people.root.patch(f"/api/v1/users/{user['id']}", json={"role_id": boss["id"]}).status_code == 200
    client = people.client_as(user["username"], user["password"])
    # Leave `user` as the only active holder of roles.manage.
    for name in ("admin", "matrix-root"):
        uid = query(hub, "SELECT id FROM users WHERE username = ?", name)[0][0]
        r = client.patch(f"/api/v1/users/{uid}", json={"role_id": people.role_id("manager")})
        assert r.status_code == 200, r.text
    entries = audit_count(hub)
    r = client.patch(f"/api/v1/roles/{boss['id']}", json={"permissions": ["users.view", "users.manage"]})
    assert r.status_code == 409 and r.json()["code"] == "last_admin"
    assert audit_count(hub) == entries
    assert client.get(f"/api/v1/roles/{boss['id']}").json()["permissions"] == sorted(PERMISSIONS)
