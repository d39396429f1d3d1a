"""A till's device token on every call: sign-ins bound to the till, revocation, allowed tills, last seen."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest

import hub.devices.presence as presence
from hub.db.connection import connect
from tests.pairing import Tills
from tests.people import People, audit_count, audit_entries, query

OLD = "2000-01-01T00:00:00.000000Z"


@pytest.fixture
def people(hub):
    return People(hub)


@pytest.fixture
def tills(hub):
    return Tills(hub, hub.as_user("manager"))


def set_device(hub, device_id: str, **columns) -> None:
    conn = sqlite3.connect(hub.db_path)
    with conn:
        sets = ", ".join(f"{k} = ?" for k in columns)
        conn.execute(f"UPDATE devices SET {sets} WHERE id = ?", (*columns.values(), device_id))
    conn.close()


def cashier_on(hub, tills, till):
    r = tills.login(till["device_token"], "cashier", hub.credentials["cashier"][0])
    assert r.status_code == 201, r.text
    return r.json()


def test_a_sign_in_on_a_till_is_bound_to_it_and_its_actions_name_it(hub, tills):
    till = tills.pair()
    seq = audit_count(hub)
    session = cashier_on(hub, tills, till)
    kinds = query(hub, "SELECT kind, device_id FROM tokens WHERE user_id = ? AND revoked_at IS NULL",
                  session["user"]["id"])
    assert sorted(kinds) == [("access", till["device_id"]), ("refresh", till["device_id"])]
    client = tills.as_till(till["device_token"], session["access_token"])
    assert client.patch("/api/v1/auth/me", json={"display_name": "Till Cashier"}).status_code == 200
    login, update = audit_entries(hub, seq)
    assert (login["action"], login["device_id"]) == ("auth.login", till["device_id"])
    assert (update["action"], update["device_id"]) == ("user.updated", till["device_id"])
    refreshed = hub.client().post("/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert refreshed.status_code == 201, refreshed.text
    [(device_id,)] = query(hub, "SELECT device_id FROM tokens WHERE token_hash = ?",
                           hashlib.sha256(refreshed.json()["access_token"].encode()).hexdigest())
    assert device_id == till["device_id"]  # a refresh keeps the binding


def test_a_revoked_till_and_every_sign_in_made_on_it_are_refused_at_once(hub, tills):
    till = tills.pair()
    session = cashier_on(hub, tills, till)
    other = hub.login("cashier")  # a sign-in not made on the till
    set_device(hub, till["device_id"], pending_uploads=7)
    client = tills.as_till(till["device_token"], session["access_token"])
    assert client.get("/api/v1/auth/me").status_code == 200
    r = tills.manager.post(f"/api/v1/devices/{till['device_id']}/revoke")
    assert r.status_code == 200, r.text
    assert r.json()["pending_uploads"] == 7 and r.json()["revoked_tokens"] == 2 and r.json()["revoked_at"]
    refused = client.get("/api/v1/auth/me")
    assert refused.status_code == 401 and refused.json()["code"] == "device_revoked"
    alone = hub.client(session["access_token"]).get("/api/v1/auth/me")  # the cashier's token without the till
    assert alone.status_code == 401 and alone.json()["code"] == "invalid_token"
    refresh = hub.client().post("/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert refresh.status_code == 401
    again = tills.login(till["device_token"], "cashier", hub.credentials["cashier"][0])
    assert again.status_code == 401 and again.json()["code"] == "device_revoked"
    assert client.get("/api/v1/health").status_code == 200  # a public route still answers
    assert hub.client(other["access_token"]).get("/api/v1/auth/me").status_code == 200


def test_a_token_left_unrevoked_by_a_race_still_dies_with_its_till(hub, tills):
    till = tills.pair()
    session = cashier_on(hub, tills, till)
    set_device(hub, till["device_id"], revoked_at=OLD)  # revoked without its tokens
    r = hub.client(session["access_token"]).get("/api/v1/auth/me")
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"
    refresh = hub.client().post("/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert refresh.status_code == 401


def test_an_unknown_device_token_is_refused_except_on_public_routes(hub):
    client = hub.as_user("admin")
    client.headers["X-Device-Token"] = "shd_not-a-real-device-token"
    r = client.get("/api/v1/auth/me")
    assert r.status_code == 401 and r.json()["code"] == "invalid_device_token"
    assert client.get("/api/v1/health").status_code == 200
    client.headers["X-Device-Token"] = "shd_" + "x" * 500
    assert client.get("/api/v1/auth/me").json()["code"] == "invalid_device_token"


def test_a_sign_in_made_on_one_till_is_refused_on_another(hub, tills):
    first, second = tills.pair(), tills.pair()
    session = cashier_on(hub, tills, first)
    r = tills.as_till(second["device_token"], session["access_token"]).get("/api/v1/auth/me")
    assert r.status_code == 401 and r.json()["code"] == "device_mismatch"


def test_a_user_restricted_to_other_tills_cannot_sign_in_on_this_one(hub, people, tills):
    allowed, other = tills.pair(), tills.pair()
    user = people.new_user()
    r = people.root.patch(f"/api/v1/users/{user['id']}", json={"tills": [allowed["device_id"]]})
    assert r.status_code == 200, r.text
    refused = tills.login(other["device_token"], user["username"], user["password"])
    assert refused.status_code == 403 and refused.json()["code"] == "till_not_allowed"
    assert other["name"] in refused.json()["detail"]
    conn = connect(hub.db_path, readonly=True)
    try:
        last = conn.execute("SELECT action, entity_id, device_id, summary FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    assert (last[0], last[1], last[2]) == ("auth.login_failed", user["id"], other["device_id"])
    assert "till_not_allowed" in last[3]
    assert tills.login(allowed["device_token"], user["username"], user["password"]).status_code == 201
    assert people.login(user["username"], user["password"])  # the portal has no till: not restricted
    anywhere = tills.login(other["device_token"], "cashier", hub.credentials["cashier"][0])
    assert anywhere.status_code == 201  # tills = null: every till


def test_a_device_call_records_when_and_where_the_till_was_last_seen(hub, tills, monkeypatch):
    monkeypatch.setattr(presence, "LAST_SEEN_INTERVAL_S", 3600.0)
    till = tills.pair()
    set_device(hub, till["device_id"], last_seen_at=OLD, last_address="10.9.9.9")
    session = cashier_on(hub, tills, till)  # the first call of this till since the hub started
    [(seen, address, version)] = query(
        hub, "SELECT last_seen_at, last_address, version FROM devices WHERE id = ?", till["device_id"])
    assert seen > OLD and address == "127.0.0.1" and version == 1
    set_device(hub, till["device_id"], last_seen_at=OLD)
    client = tills.as_till(till["device_token"], session["access_token"])
    entries, changes = audit_count(hub), query(hub, "SELECT count(*) FROM changes")
    assert client.get("/api/v1/auth/me").status_code == 200
    assert query(hub, "SELECT last_seen_at FROM devices WHERE id = ?", till["device_id"]) == [(OLD,)]  # throttled
    monkeypatch.setattr(presence, "LAST_SEEN_INTERVAL_S", 0.0)
    assert client.get("/api/v1/auth/me").status_code == 200
    [(seen,)] = query(hub, "SELECT last_seen_at FROM devices WHERE id = ?", till["device_id"])
    assert seen > OLD
    # Telemetry: no audit entry, no change-feed row, no new version.
    assert (audit_count(hub), query(hub, "SELECT count(*) FROM changes")) == (entries, changes)
    assert json.loads(query(hub, "SELECT data FROM changes WHERE entity = 'device'")[-1][0])["version"] == 1
