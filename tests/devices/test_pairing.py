"""Pairing a till over real HTTP: codes, their single use and expiry, the QR payload, the rate limit."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import xml.etree.ElementTree as ET

import pytest

import hub.devices.api as devices_api
from hub.auth.ratelimit import LoginRateLimiter
from hub.clock import parse_ts
from hub.devices import service
from tests.pairing import Tills
from tests.people import audit_entries, query


@pytest.fixture
def tills(hub):
    return Tills(hub, hub.as_user("manager"))


def device_count(hub) -> int:
    return query(hub, "SELECT count(*) FROM devices")[0][0]


def test_a_code_is_short_typeable_and_expires_in_ten_minutes(hub, tills):
    r = tills.manager.post("/api/v1/devices/pairing-codes")
    assert r.status_code == 201, r.text
    body = r.json()
    assert re.fullmatch(r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}", body["code"])
    [(created_at, expires_at, code_hash)] = query(
        hub, "SELECT created_at, expires_at, code_hash FROM pairing_codes WHERE id = ?", body["id"])
    assert expires_at == body["expires_at"]
    assert parse_ts(expires_at) - parse_ts(created_at) == dt.timedelta(seconds=600)
    assert code_hash == hashlib.sha256(body["code"].replace("-", "").encode()).hexdigest()
    assert ET.fromstring(body["qr_svg"]).tag.endswith("svg")


def test_the_qr_code_carries_hub_store_code_pin_and_address(hub, tills, monkeypatch):
    seen = []
    monkeypatch.setattr(devices_api, "qr_svg", lambda payload: seen.append(payload) or "<svg/>")
    hub.server.app.state.tls_pin = "cGlubmVkLWtleS1mb3ItdGhpcy10ZXN0LW9ubHk="
    r = tills.manager.post("/api/v1/devices/pairing-codes")
    assert r.status_code == 201, r.text
    [payload] = seen
    assert payload == {
        "type": "soko-hub-pairing", "version": 1, "hub_id": hub.store.hub_id, "store_id": hub.store.store_id,
        "code": r.json()["code"], "key_pin": "cGlubmVkLWtleS1mb3ItdGhpcy10ZXN0LW9ubHk=", "scheme": "http",
        "addresses": ["127.0.0.1"], "port": hub.server.port}
    paired = tills.pair_call(r.json()["code"]).json()
    assert paired["key_pin"] == "cGlubmVkLWtleS1mb3ItdGhpcy10ZXN0LW9ubHk="


def test_a_till_pairs_and_its_token_is_shown_once_and_stored_hashed(hub, tills):
    manager_id = tills.manager.get("/api/v1/auth/me").json()["id"]
    code = tills.code()
    r = tills.pair_call(code, name="Front till", serial="SN-42")
    assert r.status_code == 201, r.text
    paired = r.json()
    assert paired["device_token"].startswith("shd_") and paired["name"] == "Front till"
    assert (paired["hub_id"], paired["store_id"]) == (hub.store.hub_id, hub.store.store_id)
    assert paired["key_pin"] == getattr(hub.server.app.state, "tls_pin", None)
    device = tills.manager.get(f"/api/v1/devices/{paired['device_id']}").json()
    assert device["paired_by"] == manager_id and device["paired_by_username"] == "manager"
    assert (device["platform"], device["app_version"], device["serial"]) == ("android", "1.4.2", "SN-42")
    assert device["last_address"] == "127.0.0.1" and device["last_seen_at"] == device["paired_at"]
    assert device["pending_uploads"] == 0 and device["revoked_at"] is None and device["kind"] == "till"
    assert "device_token" not in device and "token_hash" not in device
    [(stored,)] = query(hub, "SELECT token_hash FROM devices WHERE id = ?", paired["device_id"])
    assert stored == hashlib.sha256(paired["device_token"].encode()).hexdigest()
    [entry] = [e for e in audit_entries(hub) if e["action"] == "device.paired"]
    assert entry["device_id"] == paired["device_id"] and entry["user_id"] == manager_id
    assert entry["request_id"] == r.headers["x-request-id"]


def test_a_code_is_accepted_in_lower_case_and_without_the_dash(tills):
    code = tills.code()
    assert tills.pair_call(f"  {code.replace('-', '').lower()} ").status_code == 201


def test_a_code_pairs_once_only(hub, tills):
    code = tills.code()
    assert tills.pair_call(code).status_code == 201
    again = tills.pair_call(code)
    assert again.status_code == 410 and again.json()["code"] == "pairing_code_used"
    assert device_count(hub) == 1


@pytest.mark.parametrize("code", ["ABCD-EFGH", "hello", "0000-0000", "ABCD-EFGH-J"])
def test_an_unknown_code_is_refused(hub, tills, code):
    tills.code()
    r = tills.pair_call(code)
    assert r.status_code == 401 and r.json()["code"] == "pairing_code_invalid"
    assert device_count(hub) == 0


def test_an_expired_code_is_refused(hub, tills, monkeypatch):
    monkeypatch.setattr(service, "PAIRING_CODE_TTL_S", 0)  # expired the moment it is made
    r = tills.pair_call(tills.code())
    assert r.status_code == 410 and r.json()["code"] == "pairing_code_expired"
    assert "ask a manager for a new one" in r.json()["detail"]
    assert device_count(hub) == 0


def test_wrong_codes_are_rate_limited_per_address_and_good_pairings_do_not_count(hub):
    hub.server.app.state.pairing_limiter = LoginRateLimiter(3, 3600, clock=lambda: 0.0)
    tills = Tills.licensed(hub, hub.as_user("admin"))
    for _ in range(4):  # more than the limit, all good
        tills.pair()
    for _ in range(3):
        assert tills.pair_call("ZZZZ-ZZZZ").status_code == 401
    refused = tills.pair_call()  # even a good code, now
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) > 0
    assert device_count(hub) == 4


@pytest.mark.parametrize("field, value", [
    ("name", ""), ("name", "x" * 81), ("platform", "p" * 41), ("app_version", "v" * 41),
    ("serial", "s" * 101), ("code", "C" * 21)])
def test_pairing_input_is_bounded(tills, field, value):
    r = tills.pair_call(**{field: value})
    assert r.status_code == 400 and r.json()["code"] == "invalid_request"


def test_nothing_secret_reaches_the_audit_log_the_change_feed_or_the_log(hub, tills, caplog):
    caplog.set_level("DEBUG")
    code = tills.code()
    paired = tills.pair(code=code)
    client = tills.as_till(paired["device_token"])
    assert client.get("/api/v1/health").status_code == 200
    stored = " ".join(e["summary"] for e in audit_entries(hub))
    stored += " ".join(str(r[0]) for r in query(hub, "SELECT data FROM changes"))
    [(token_hash,)] = query(hub, "SELECT token_hash FROM devices")
    [(code_hash,)] = query(hub, "SELECT code_hash FROM pairing_codes")
    for secret in (paired["device_token"], token_hash, code, code.replace("-", ""), code_hash):
        assert secret not in stored
        assert secret not in caplog.text
