"""The cache of callers (hub.auth.cache): a warm caller costs no database read, and every change to a
token, user, role, permission or till is obeyed on the very next request all the same."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time

import pytest

import hub.auth.cache as cache_module
from hub.auth.cache import CallerCache
from hub.clock import format_ts, utc_now
from hub.db.auth_generation import AuthGeneration
from hub.db.connection import Database
from tests.pairing import Tills
from tests.people import People

LOOKUP = "/api/v1/products/lookup?barcode=4000000000000"


@pytest.fixture
def people(hub):
    return People(hub)


@pytest.fixture
def tills(hub):
    return Tills(hub, hub.as_user("manager"))


@pytest.fixture
def reads(hub, monkeypatch):
    """Counts the hub's database reads from here on: on the reader pool, or on the loop (read_now)."""
    db = hub.server.app.state.db
    counted = {"n": 0}
    read, read_now = db.read, db.read_now

    async def counting(fn, /, *args, **kwargs):
        counted["n"] += 1
        return await read(fn, *args, **kwargs)

    def counting_now(fn, /, *args, **kwargs):
        counted["n"] += 1
        return read_now(fn, *args, **kwargs)

    monkeypatch.setattr(db, "read", counting)
    monkeypatch.setattr(db, "read_now", counting_now)
    return counted


def warm(client, path: str = "/api/v1/auth/me", status: int = 200) -> None:
    for _ in range(2):
        r = client.get(path)
        assert r.status_code == status, r.text


def test_a_warm_till_and_cashier_cost_no_read_before_the_lookup(hub, tills, reads):
    till = tills.pair()
    session = tills.login(till["device_token"], "cashier", hub.credentials["cashier"][0]).json()
    client = tills.as_till(till["device_token"], session["access_token"])
    assert client.get(LOOKUP).json()["code"] == "barcode_unknown"  # warms the cache
    before = reads["n"]
    for _ in range(5):
        r = client.get(LOOKUP)
        assert r.status_code == 404 and r.json()["code"] == "barcode_unknown"
    assert reads["n"] - before == 5  # the lookup's own read, nothing for the till or the cashier


def test_a_cold_till_and_cashier_are_read_in_one_hop(hub, tills, reads):
    till = tills.pair()
    session = tills.login(till["device_token"], "cashier", hub.credentials["cashier"][0]).json()
    client = tills.as_till(till["device_token"], session["access_token"])
    before = reads["n"]
    assert client.get(LOOKUP).status_code == 404
    assert reads["n"] - before == 2  # the caller (till and cashier together), then the lookup


def test_a_revoked_till_is_refused_on_its_next_request_though_cached(hub, tills):
    till = tills.pair()
    session = tills.login(till["device_token"], "cashier", hub.credentials["cashier"][0]).json()
    client = tills.as_till(till["device_token"], session["access_token"])
    warm(client)
    assert tills.manager.post(f"/api/v1/devices/{till['device_id']}/revoke").status_code == 200
    r = client.get("/api/v1/auth/me")
    assert r.status_code == 401 and r.json()["code"] == "device_revoked"


def test_a_till_revoked_without_its_tokens_is_refused_on_its_next_request(hub, tills):
    till = tills.pair()
    session = tills.login(till["device_token"], "cashier", hub.credentials["cashier"][0]).json()
    client = tills.as_till(till["device_token"], session["access_token"])
    warm(client)
    assert hub.write("UPDATE devices SET revoked_at = '2000-01-01T00:00:00.000000Z' WHERE id = ?",
                     till["device_id"]) == 1
    r = client.get("/api/v1/auth/me")
    assert r.status_code == 401 and r.json()["code"] == "device_revoked"


def test_a_deactivated_user_is_refused_on_their_next_request_though_cached(hub, people):
    user = people.new_user("supervisor")
    client = people.client_as(user["username"], user["password"])
    warm(client)
    assert people.root.post(f"/api/v1/users/{user['id']}/deactivate").status_code == 200
    r = client.get("/api/v1/auth/me")
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"


def test_a_removed_permission_is_refused_on_the_next_request_though_cached(hub, people):
    role = people.new_role(["catalogue.view"])
    user = people.root.post("/api/v1/users", json={
        "username": "cache-perm", "display_name": "Cache Perm", "role_id": role["id"],
        "password": "throwaway-pw-1"}).json()
    client = people.client_as(user["username"], "throwaway-pw-1")
    warm(client, "/api/v1/products")
    r = people.root.patch(f"/api/v1/roles/{role['id']}", json={"permissions": []})
    assert r.status_code == 200, r.text
    r = client.get("/api/v1/products")
    assert r.status_code == 403 and r.json()["permission"] == "catalogue.view"


def test_a_role_change_is_obeyed_on_the_next_request_though_cached(hub, people):
    user = people.new_user("supervisor")
    client = people.client_as(user["username"], user["password"])
    warm(client, "/api/v1/products")
    r = people.root.patch(f"/api/v1/users/{user['id']}", json={"role_id": people.role_id("cashier")})
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/products").status_code == 403
    assert client.get("/api/v1/auth/me").json()["role"] == "cashier"


def test_a_password_reset_refuses_the_old_tokens_on_their_next_request(hub, people):
    user = people.new_user("supervisor")
    client = people.client_as(user["username"], user["password"])
    warm(client)
    r = people.root.post(f"/api/v1/users/{user['id']}/password", json={"password": "another-pw-22"})
    assert r.status_code == 204, r.text
    assert client.get("/api/v1/auth/me").status_code == 401


def test_a_signed_out_session_is_refused_on_its_next_request_though_cached(hub):
    client = hub.as_user("manager")
    warm(client)
    assert client.post("/api/v1/auth/logout").status_code == 204
    r = client.get("/api/v1/auth/me")
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"


def test_a_revoked_api_token_is_refused_on_its_next_request_though_cached(hub):
    owner = hub.as_user("manager")
    made = owner.post("/api/v1/auth/tokens", json={"name": "scale"}).json()
    client = hub.client(made["token"])
    warm(client)
    assert owner.delete(f"/api/v1/auth/tokens/{made['id']}").status_code in (200, 204)
    assert client.get("/api/v1/auth/me").status_code == 401


def test_a_token_is_not_served_from_the_cache_past_its_expiry(hub, monkeypatch):
    monkeypatch.setattr(cache_module, "IDENTITY_CACHE_TTL_S", 30.0)
    session = hub.login("cashier")
    client = hub.client(session["access_token"])
    soon = utc_now() + dt.timedelta(seconds=1)
    hub.write("UPDATE tokens SET expires_at = ? WHERE kind = 'access'", format_ts(soon))
    warm(client)  # cached, for less than the 30 s the cache would keep it otherwise
    time.sleep(max(0.0, (soon - utc_now()).total_seconds()) + 0.05)
    r = client.get("/api/v1/auth/me")
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"


def test_another_process_s_change_is_seen_once_the_entry_s_lifetime_ends(hub, monkeypatch):
    monkeypatch.setattr(cache_module, "IDENTITY_CACHE_TTL_S", 0.3)
    client = hub.as_user("supervisor")
    warm(client)
    conn = sqlite3.connect(hub.db_path)  # as `soko-hub user deactivate` beside a running hub
    with conn:
        conn.execute("UPDATE users SET active = 0 WHERE username = 'supervisor'")
    conn.close()
    time.sleep(0.35)
    assert client.get("/api/v1/auth/me").status_code == 401


def test_a_refused_token_is_not_cached(hub):
    warm(hub.as_user("cashier"))
    cache = hub.server.app.state.caller_cache
    before = len(cache)
    for n in range(20):
        r = hub.client(f"sha_not-a-token-{n}").get("/api/v1/auth/me")
        assert r.status_code == 401
    assert len(cache) == before


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def watching() -> AuthGeneration:
    generation = AuthGeneration()
    generation.watching = True
    return generation


def test_the_cache_is_bounded_and_drops_expired_entries_first(monkeypatch):
    monkeypatch.setattr(cache_module, "IDENTITY_CACHE_SIZE", 8)
    clock = Clock()
    cache: CallerCache[int] = CallerCache(watching(), clock)
    for n in range(4):
        cache.put(("bearer", f"old{n}"), n, cache.mark(), lifetime=0.5)
    clock.t += 0.6
    for n in range(6):
        cache.put(("bearer", f"new{n}"), n, cache.mark())
    assert len(cache) == 6  # the four expired ones went first
    for n in range(100):
        cache.put(("bearer", f"flood{n}"), n, cache.mark())
        assert len(cache) <= 8
    assert cache.get(("bearer", "flood99")) == 99 and cache.get(("bearer", "new0")) is None


def test_an_entry_read_before_a_change_is_never_used(monkeypatch):
    generation = watching()
    cache: CallerCache[str] = CallerCache(generation, Clock())
    mark = cache.mark()
    generation.value += 1  # a change committed while the entry was being read
    cache.put("k", "stale", mark)
    assert cache.get("k") is None and len(cache) == 0
    cache.put("k", "fresh", cache.mark())
    assert cache.get("k") == "fresh"
    generation.value += 1
    assert cache.get("k") is None


def test_nothing_is_cached_until_the_writer_watches_the_tables():
    cache: CallerCache[str] = CallerCache(AuthGeneration(), Clock())
    cache.put("k", "v", cache.mark())
    assert cache.get("k") is None


def test_the_generation_moves_for_identity_changes_only(settings, demo_store):
    db = Database(settings.db_path)
    db.open()
    try:
        generation = db.auth_generation
        assert generation.watching
        device_id = db.write_sync(lambda c: c.execute(
            "INSERT INTO devices (id, name, platform, app_version, token_hash, paired_at, version,"
            " created_at, updated_at) VALUES ('d1', 'Till', 'android', '1', 'h', 'x', 1, 'x', 'x')"
        ).lastrowid)
        assert device_id is not None
        db.write_sync(lambda c: c.execute(
            "INSERT INTO tokens (id, user_id, kind, token_hash, created_at)"
            " SELECT 't1', id, 'api', 'th', 'x' FROM users LIMIT 1"))
        start = generation.value
        db.write_sync(lambda c: c.execute("UPDATE devices SET last_seen_at = 'y', last_address = 'a',"
                                          " pending_uploads = 3 WHERE id = 'd1'"))
        db.write_sync(lambda c: c.execute("UPDATE tokens SET last_used_at = 'y'"))
        db.write_sync(lambda c: c.execute("UPDATE meta SET value = value WHERE key = 'time_floor'"))
        assert generation.value == start  # telemetry and other tables leave it alone
        for sql in ("UPDATE devices SET name = 'Front' WHERE id = 'd1'",
                    "UPDATE devices SET revoked_at = 'z' WHERE id = 'd1'",
                    "UPDATE tokens SET revoked_at = 'z'",
                    "UPDATE users SET display_name = display_name",
                    "UPDATE roles SET name = name",
                    "DELETE FROM role_permissions WHERE permission = 'users.view'"):
            before = generation.value
            db.write_sync(lambda c, sql=sql: c.execute(sql))
            assert generation.value == before + 1, sql

        def fails(conn):
            conn.execute("UPDATE users SET active = 0")
            raise RuntimeError("rolled back")

        before = generation.value
        with pytest.raises(RuntimeError):
            db.write_sync(fails)
        assert generation.value == before + 1  # a rolled-back change costs a cache miss, no more
    finally:
        db.close()
