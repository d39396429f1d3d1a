"""/api/v1/licenses over real HTTP: installing files, seats and the trial at pairing, expiry, linking."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.licensing import DAY, Vendor, license_id_of, trust
from tests.pairing import Tills
from tests.people import audit_entries, query

PAST = "2001-02-03T00:00:00.000000Z"


@pytest.fixture
def vendor(hub):
    vendor = Vendor()
    trust(hub, vendor)
    return vendor


@pytest.fixture
def admin(hub):
    return hub.as_user("admin")


@pytest.fixture
def tills(hub, admin):
    return Tills(hub, admin)


def install(admin, text):
    return admin.post("/api/v1/licenses", json={"text": text})


def overview(admin):
    r = admin.get("/api/v1/licenses")
    assert r.status_code == 200, r.text
    return r.json()


def expire(hub, license_id):
    conn = sqlite3.connect(hub.db_path)
    with conn:
        conn.execute("UPDATE licenses SET expires_at = ? WHERE id = ?", (PAST, license_id))
    conn.close()


def test_an_installed_license_shows_seats_features_and_expiry_and_never_its_file(hub, admin, vendor):
    text = vendor.issue(seats=3, store_id=hub.store.store_id, features=("sales", "fiscal"))
    r = install(admin, text)
    assert r.status_code == 201, r.text
    lic = r.json()
    assert (lic["id"], lic["seats"], lic["used_seats"]) == (license_id_of(text), 3, 0)
    assert lic["features"] == ["sales", "fiscal"] and lic["status"] == "active"
    assert lic["installed_by_username"] == "admin" and lic["store_id"] == hub.store.store_id
    entry = audit_entries(hub)[-1]
    assert entry["action"] == "license.installed" and entry["entity_id"] == lic["id"]
    view = overview(hub.as_user("manager"))
    assert view["licenses"] == [lic]
    assert view["summary"] == {"active_seats": 3, "devices_in_use": 0, "trial_seats": 0,
                               "can_pair": True, "pairing_refused": None}
    assert view["banner"] is None
    signature = json.loads(text)["signature"]
    assert signature not in r.text + json.dumps(view) + entry["summary"]


@pytest.mark.parametrize("make, code", [
    (lambda hub, v: Vendor().issue(), "license_key_unknown"),
    (lambda hub, v: v.issue(store_id="another-store"), "license_wrong_store"),
    (lambda hub, v: v.issue().replace('"payload": "', '"payload": "AAAA'), "license_signature_invalid"),
    (lambda hub, v: "Dear manager, here is your license", "license_malformed"),
])
def test_a_file_that_is_not_a_genuine_license_for_this_store_is_refused(hub, admin, vendor, make, code):
    r = install(admin, make(hub, vendor))
    assert r.status_code == 422 and r.json()["code"] == code, r.text
    assert overview(admin)["licenses"] == []


def test_the_same_license_twice_is_a_conflict(admin, vendor):
    text = vendor.issue()
    assert install(admin, text).status_code == 201
    again = install(admin, text)
    assert again.status_code == 409 and again.json()["code"] == "license_duplicate"


def test_the_trial_pairs_two_tills_and_refuses_a_third_in_words_a_manager_understands(admin, tills):
    first, _ = tills.pair(), tills.pair()
    r = tills.pair_call()
    assert r.status_code == 403 and r.json()["code"] == "license_seats_exhausted"
    assert "trial allows 2 tills" in r.json()["detail"] and "2 are paired" in r.json()["detail"]
    summary = overview(admin)["summary"]
    assert summary["trial_seats"] == 2 and summary["devices_in_use"] == 2 and not summary["can_pair"]
    assert summary["pairing_refused"] == r.json()["detail"]
    assert admin.post(f"/api/v1/devices/{first['device_id']}/revoke").status_code == 200
    assert tills.pair_call().status_code == 201


def test_a_refused_pairing_keeps_its_code_for_after_the_license_arrives(admin, vendor, tills):
    tills.pair(), tills.pair()
    code = tills.code()
    assert tills.pair_call(code).status_code == 403
    assert install(admin, vendor.issue(seats=5)).status_code == 201
    assert tills.pair_call(code).status_code == 201


def test_seats_are_counted_across_active_licenses_and_new_tills_take_a_free_one(hub, admin, vendor, tills):
    small, big = vendor.issue(seats=1, expires_in=100 * DAY), vendor.issue(seats=2, expires_in=300 * DAY)
    assert install(admin, small).status_code == install(admin, big).status_code == 201
    paired = [tills.pair() for _ in range(3)]
    assert [p["license_id"] for p in paired] == [license_id_of(big)] * 2 + [license_id_of(small)]
    r = tills.pair_call()
    assert r.status_code == 403 and r.json()["code"] == "license_seats_exhausted"
    assert "All 3 seats" in r.json()["detail"] and "3 tills paired" in r.json()["detail"]
    assert {lic["id"]: lic["used_seats"] for lic in overview(admin)["licenses"]} == {
        license_id_of(small): 1, license_id_of(big): 2}


def test_tills_paired_on_trial_take_the_seats_of_a_new_license(admin, vendor, tills):
    trial = [tills.pair()["device_id"] for _ in range(2)]
    assert install(admin, vendor.issue(seats=1)).json()["used_seats"] == 1
    devices = {d["id"]: d["license_id"] for d in admin.get("/api/v1/devices").json()["items"]}
    assert sorted(v is not None for v in devices.values()) == [False, True] and set(devices) == set(trial)


def test_an_expired_license_blocks_new_tills_but_paired_tills_keep_working(hub, admin, vendor, tills):
    text = vendor.issue(seats=3)
    assert install(admin, text).status_code == 201
    paired = [tills.pair() for _ in range(3)]
    expire(hub, license_id_of(text))
    r = tills.pair_call()
    assert r.status_code == 403 and r.json()["code"] == "license_expired"
    assert "expired on 2001-02-03" in r.json()["detail"] and "keep selling" in r.json()["detail"]
    session = tills.login(paired[0]["device_token"], "cashier", hub.credentials["cashier"][0])
    assert session.status_code == 201, session.text
    client = tills.as_till(paired[0]["device_token"], session.json()["access_token"])
    assert client.get("/api/v1/auth/me").status_code == 200
    view = overview(admin)
    assert view["licenses"][0]["status"] == "expired" and view["summary"]["trial_seats"] == 2
    assert "expired on 2001-02-03" in view["banner"] and "keep selling" in view["banner"]


def test_a_license_close_to_expiry_shows_a_banner(admin, vendor):
    assert install(admin, vendor.issue(expires_in=10 * DAY)).status_code == 201
    assert "expires on" in overview(admin)["banner"]


def test_a_manager_moves_a_till_between_licenses_within_their_seats(hub, admin, vendor, tills):
    short, long = vendor.issue(seats=1, expires_in=100 * DAY), vendor.issue(seats=2, expires_in=300 * DAY)
    install(admin, short), install(admin, long)
    short_id, long_id = license_id_of(short), license_id_of(long)
    d1, d2, d3 = (tills.pair()["device_id"] for _ in range(3))

    def link(device_id, license_id):
        return hub.as_user("manager").post(f"/api/v1/devices/{device_id}/license", json={"license_id": license_id})

    full = link(d3, long_id)
    assert full.status_code == 409 and full.json()["code"] == "license_seats_exhausted"
    off = link(d1, None)
    assert off.status_code == 200 and off.json()["license_id"] is None
    entry = audit_entries(hub)[-1]
    assert entry["action"] == "device.license_linked" and entry["entity_id"] == d1
    assert json.loads(entry["summary"])["before"] == {"license_id": long_id}
    assert link(d3, long_id).json()["license_id"] == long_id
    assert link(d1, short_id).json()["license_id"] == short_id
    assert {lic["id"]: lic["used_seats"] for lic in overview(admin)["licenses"]} == {short_id: 1, long_id: 2}
    assert link(d2, "no-such-license").status_code == 404
    expire(hub, short_id)
    expired = link(d2, short_id)
    assert expired.status_code == 409 and expired.json()["code"] == "license_expired"
    assert admin.post(f"/api/v1/devices/{d2}/revoke").status_code == 200
    revoked = link(d2, None)
    assert revoked.status_code == 409 and revoked.json()["code"] == "device_revoked"
    assert query(hub, "SELECT license_id FROM devices WHERE id = ?", d2) == [(long_id,)]
