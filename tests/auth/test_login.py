"""Login, logout and the caller's own account, over real HTTP."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest

from hub.auth.passwords import SecretHasher
from hub.clock import parse_ts
from tests.hubtest import make_settings
from tests.people import People, audit_entries, audit_count, query

ACCESS_TTL_S = 600
REFRESH_TTL_S = 7200


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path / "var", access_token_ttl_s=ACCESS_TTL_S,
                         refresh_token_ttl_s=REFRESH_TTL_S)


def login(hub, username, **secret):
    return hub.client().post("/api/v1/auth/login", json={"username": username, **secret})


def test_password_login_returns_a_token_pair_of_one_family_and_the_user(hub):
    r = login(hub, "manager", password=hub.credentials["manager"][0])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["user"]["username"] == "manager" and body["user"]["role"] == "manager"
    assert "users.manage" in body["user"]["permissions"] and "roles.manage" not in body["user"]["permissions"]
    lifetime = parse_ts(body["refresh_expires_at"]) - parse_ts(body["expires_at"])
    assert lifetime == dt.timedelta(seconds=REFRESH_TTL_S - ACCESS_TTL_S)
    families = query(hub, "SELECT kind, family, expires_at FROM tokens WHERE user_id = ?", body["user"]["id"])
    assert {k for k, _, _ in families} == {"access", "refresh"}
    assert len({f for _, f, _ in families}) == 1
    assert {e for _, _, e in families} == {body["expires_at"], body["refresh_expires_at"]}
    assert hub.client(body["access_token"]).get("/api/v1/auth/me").json()["username"] == "manager"


def test_pin_login_works_and_the_username_is_case_insensitive(hub):
    r = login(hub, "CaShIeR", pin=hub.credentials["cashier"][1])
    assert r.status_code == 201, r.text
    assert r.json()["user"]["username"] == "cashier"


def test_unknown_user_wrong_secret_and_deactivated_user_get_the_same_refusal(hub):
    people = People(hub)
    gone = people.new_user(active=False)
    answers = [
        login(hub, "nobody", password="whatever-1"),
        login(hub, "cashier", password="wrong-password"),
        login(hub, "cashier", pin="9999"),
        login(hub, gone["username"], password=gone["password"]),
    ]
    assert {r.status_code for r in answers} == {401}
    assert {r.json()["code"] for r in answers} == {"invalid_credentials"}
    assert len({r.json()["detail"] for r in answers}) == 1


def test_a_login_carries_exactly_one_of_password_and_pin(hub):
    count = audit_count(hub)
    both = login(hub, "cashier", password=hub.credentials["cashier"][0], pin=hub.credentials["cashier"][1])
    neither = login(hub, "cashier")
    assert both.status_code == neither.status_code == 422
    assert both.json()["code"] == "invalid_credentials_shape"
    unknown_field = hub.client().post("/api/v1/auth/login", json={"username": "cashier", "pasword": "x"})
    assert unknown_field.status_code == 400 and unknown_field.json()["code"] == "invalid_request"
    assert audit_count(hub) == count


def test_login_and_failed_login_are_audited_without_secrets(hub):
    seq = audit_count(hub)
    password = hub.credentials["supervisor"][0]
    assert login(hub, "supervisor", password=password).status_code == 201
    assert login(hub, "supervisor", password="not-the-password").status_code == 401
    ok, failed = audit_entries(hub, seq)
    assert ok["action"] == "auth.login" and ok["username"] == "supervisor"
    assert json.loads(ok["summary"])["detail"]["method"] == "password"
    assert failed["action"] == "auth.login_failed" and failed["entity_id"] == ok["user_id"]
    assert failed["user_id"] is None  # nobody signed in
    assert json.loads(failed["summary"])["detail"]["reason"] == "wrong_secret"
    assert password not in ok["summary"] + failed["summary"]
    assert "not-the-password" not in failed["summary"]


def test_an_expired_access_token_is_refused(hub):
    session = hub.login("cashier")
    client = hub.client(session["access_token"])
    assert client.get("/api/v1/auth/me").status_code == 200  # and its identity is cached
    hub.write("UPDATE tokens SET expires_at = '2000-01-01T00:00:00.000000Z' WHERE kind = 'access'")
    r = client.get("/api/v1/auth/me")
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"


def test_a_hash_made_with_old_costs_is_upgraded_at_login(hub):
    password = hub.credentials["cashier"][0]
    old = SecretHasher(time_cost=2, memory_kib=16).hash(password)
    conn = sqlite3.connect(hub.db_path)
    with conn:
        conn.execute("UPDATE users SET password_hash = ? WHERE username = 'cashier'", (old,))
    conn.close()
    assert login(hub, "cashier", password=password).status_code == 201
    [(stored,)] = query(hub, "SELECT password_hash FROM users WHERE username = 'cashier'")
    assert stored != old and "m=8,t=1" in stored
    assert login(hub, "cashier", password=password).status_code == 201


def test_logout_revokes_only_the_callers_login(hub):
    first, second = hub.login("cashier"), hub.login("cashier")
    r = hub.client(first["access_token"]).post("/api/v1/auth/logout")
    assert r.status_code == 204
    assert hub.client(first["access_token"]).get("/api/v1/auth/me").status_code == 401
    r = hub.client().post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"
    assert hub.client(second["access_token"]).get("/api/v1/auth/me").status_code == 200


def test_me_shows_and_renames_the_caller(hub):
    client = hub.as_user("supervisor")
    me = client.get("/api/v1/auth/me").json()
    assert me["username"] == "supervisor" and "users.view" in me["permissions"]
    assert "password_hash" not in me and "pin_hash" not in me
    r = client.patch("/api/v1/auth/me", json={"display_name": "Shift Lead"})
    assert r.status_code == 200 and r.json()["display_name"] == "Shift Lead"
    assert client.patch("/api/v1/auth/me", json={"username": "boss"}).status_code == 400
    assert client.patch("/api/v1/auth/me", json={"display_name": ""}).status_code == 400
    assert client.get("/api/v1/auth/me").json()["username"] == "supervisor"


def test_changing_the_password_keeps_this_login_and_revokes_the_others(hub):
    old = hub.credentials["manager"][0]
    other = hub.login("manager")
    this = hub.as_user("manager")
    api_token = this.post("/api/v1/auth/tokens", json={"name": "script"}).json()["token"]
    r = this.post("/api/v1/auth/me/password", json={"current_password": old, "new_password": "brand-new-pass"})
    assert r.status_code == 204, r.text
    assert this.get("/api/v1/auth/me").status_code == 200
    assert hub.client(other["access_token"]).get("/api/v1/auth/me").status_code == 401
    assert hub.client(api_token).get("/api/v1/auth/me").status_code == 401
    assert login(hub, "manager", password=old).status_code == 401
    assert login(hub, "manager", password="brand-new-pass").status_code == 201


def test_changing_the_password_needs_the_current_one_and_a_strong_new_one(hub):
    client = hub.as_user("manager")
    count = audit_count(hub)
    r = client.post("/api/v1/auth/me/password", json={"current_password": "wrong-one", "new_password": "long-enough-1"})
    assert r.status_code == 403 and r.json()["code"] == "wrong_password"
    r = client.post("/api/v1/auth/me/password",
                    json={"current_password": hub.credentials["manager"][0], "new_password": "short"})
    assert r.status_code == 422 and r.json()["code"] == "weak_password"
    assert audit_count(hub) == count
    assert login(hub, "manager", password=hub.credentials["manager"][0]).status_code == 201


def test_changing_the_pin_needs_the_current_password(hub):
    client = hub.as_user("cashier")
    password = hub.credentials["cashier"][0]
    r = client.post("/api/v1/auth/me/pin", json={"current_password": "nope-nope", "new_pin": "2468"})
    assert r.status_code == 403
    r = client.post("/api/v1/auth/me/pin", json={"current_password": password, "new_pin": "1111"})
    assert r.status_code == 422 and r.json()["code"] == "weak_pin"
    r = client.post("/api/v1/auth/me/pin", json={"current_password": password, "new_pin": "2468"})
    assert r.status_code == 204
    assert login(hub, "cashier", pin="2468").status_code == 201
    assert login(hub, "cashier", pin=hub.credentials["cashier"][1]).status_code == 401


def test_a_pin_only_cashier_changes_their_pin_with_the_current_pin(hub):
    admin = hub.as_user("admin")
    role_id = next(r["id"] for r in admin.get("/api/v1/roles").json() if r["name"] == "cashier")
    r = admin.post("/api/v1/users", json={"username": "pinonly", "display_name": "Pin Only",
                                          "role_id": role_id, "pin": "3141"})
    assert r.status_code == 201, r.text
    session = login(hub, "pinonly", pin="3141").json()
    client = hub.client(session["access_token"])
    r = client.post("/api/v1/auth/me/pin", json={"new_pin": "2718"})
    assert r.status_code == 422 and r.json()["code"] == "current_secret_required"
    r = client.post("/api/v1/auth/me/pin", json={"current_pin": "9999", "new_pin": "2718"})
    assert r.status_code == 403 and r.json()["code"] == "wrong_pin"
    r = client.post("/api/v1/auth/me/pin", json={"current_pin": "3141", "new_pin": "2718"})
    assert r.status_code == 204
    assert login(hub, "pinonly", pin="2718").status_code == 201
    assert login(hub, "pinonly", pin="3141").status_code == 401
