"""Refresh-token rotation with reuse detection, and API tokens, over real HTTP."""

from __future__ import annotations

import datetime as dt
import sqlite3

from hub.clock import parse_ts, utc_now
from tests.people import People, audit_count, audit_entries, query


def refresh(hub, token):
    return hub.client().post("/api/v1/auth/refresh", json={"refresh_token": token})


def family_of(hub, user_id):
    return {f for (f,) in query(hub, "SELECT DISTINCT family FROM tokens WHERE user_id = ?", user_id)}


def test_refresh_rotates_the_pair_within_the_same_family(hub):
    first = hub.login("cashier")
    r = refresh(hub, first["refresh_token"])
    assert r.status_code == 201, r.text
    second = r.json()
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert second["user"]["username"] == "cashier"
    assert len(family_of(hub, second["user"]["id"])) == 1
    assert hub.client(second["access_token"]).get("/api/v1/auth/me").status_code == 200
    # The rotated token is spent; the new one rotates again.
    assert refresh(hub, second["refresh_token"]).status_code == 201


def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(hub):
    first = hub.login("cashier")
    other_login = hub.login("cashier")
    second = refresh(hub, first["refresh_token"]).json()
    seq = audit_count(hub)
    stolen = refresh(hub, first["refresh_token"])
    assert stolen.status_code == 401 and stolen.json()["code"] == "refresh_token_reused"
    assert hub.client(second["access_token"]).get("/api/v1/auth/me").status_code == 401
    assert refresh(hub, second["refresh_token"]).status_code == 401
    [entry] = audit_entries(hub, seq)
    assert entry["action"] == "auth.refresh_reused"
    # Another login of the same user is a different family and keeps working.
    assert hub.client(other_login["access_token"]).get("/api/v1/auth/me").status_code == 200


def test_refresh_refuses_access_tokens_unknown_and_expired_tokens(hub):
    session = hub.login("cashier")
    count = audit_count(hub)
    for token in (session["access_token"], "shr_not-a-token"):
        r = refresh(hub, token)
        assert r.status_code == 401 and r.json()["code"] == "invalid_token"
    conn = sqlite3.connect(hub.db_path)
    with conn:
        conn.execute("UPDATE tokens SET expires_at = '2000-01-01T00:00:00.000000Z' WHERE kind = 'refresh'")
    conn.close()
    assert refresh(hub, session["refresh_token"]).status_code == 401
    assert audit_count(hub) == count


def test_a_refresh_token_does_not_authenticate_requests(hub):
    session = hub.login("cashier")
    r = hub.client(session["refresh_token"]).get("/api/v1/auth/me")
    assert r.status_code == 401


def test_an_api_token_is_shown_once_and_authenticates_until_revoked(hub):
    client = hub.as_user("supervisor")
    r = client.post("/api/v1/auth/tokens", json={"name": "stock script", "expires_in_days": 30})
    assert r.status_code == 201, r.text
    created = r.json()
    secret = created["token"]
    expires = parse_ts(created["expires_at"]) - utc_now()
    assert dt.timedelta(days=29) < expires <= dt.timedelta(days=30)
    listed = client.get("/api/v1/auth/tokens").json()
    assert [t["id"] for t in listed] == [created["id"]]
    assert secret not in client.get("/api/v1/auth/tokens").text
    api = hub.client(secret)
    assert api.get("/api/v1/auth/me").json()["username"] == "supervisor"
    assert api.get("/api/v1/users").status_code == 200  # the user's own permissions
    assert api.post("/api/v1/users", json={}).status_code == 403
    assert client.delete(f"/api/v1/auth/tokens/{created['id']}").status_code == 204
    assert api.get("/api/v1/auth/me").status_code == 401
    assert client.get("/api/v1/auth/tokens").json() == []
    assert client.delete(f"/api/v1/auth/tokens/{created['id']}").status_code == 404


def test_another_users_token_cannot_be_seen_or_revoked(hub):
    owner = hub.as_user("cashier")
    token = owner.post("/api/v1/auth/tokens", json={"name": "mine"}).json()
    admin = hub.as_user("admin")
    count = audit_count(hub)
    r = admin.delete(f"/api/v1/auth/tokens/{token['id']}")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert admin.get("/api/v1/auth/tokens").json() == []
    assert hub.client(token["token"]).get("/api/v1/auth/me").status_code == 200
    assert audit_count(hub) == count


def test_a_login_token_id_is_not_an_api_token(hub):
    session = hub.login("cashier")
    [(access_id,)] = query(hub, "SELECT id FROM tokens WHERE kind = 'access'")
    r = hub.client(session["access_token"]).delete(f"/api/v1/auth/tokens/{access_id}")
    assert r.status_code == 404


def test_an_api_token_cannot_mint_another(hub):
    secret = hub.as_user("cashier").post("/api/v1/auth/tokens", json={"name": "a"}).json()["token"]
    r = hub.client(secret).post("/api/v1/auth/tokens", json={"name": "b"})
    assert r.status_code == 403 and r.json()["code"] == "api_token_cannot_mint"


def test_api_token_input_is_bounded(hub):
    client = hub.as_user("cashier")
    for body in ({"name": ""}, {"name": "x" * 81}, {"name": "a", "expires_in_days": 0},
                 {"name": "a", "expires_in_days": 100_000}, {"name": "a", "secret": "x"}):
        r = client.post("/api/v1/auth/tokens", json=body)
        assert r.status_code == 400, body
    assert client.get("/api/v1/auth/tokens").json() == []


def test_a_deactivated_users_api_token_stops_at_once(hub):
    people = People(hub)
    user = people.new_user()
    client = people.client_as(user["username"], user["password"])
    secret = client.post("/api/v1/auth/tokens", json={"name": "x"}).json()["token"]
    assert hub.client(secret).get("/api/v1/auth/me").status_code == 200
    assert people.root.post(f"/api/v1/users/{user['id']}/deactivate").status_code == 200
    assert hub.client(secret).get("/api/v1/auth/me").status_code == 401
    assert client.get("/api/v1/auth/me").status_code == 401
