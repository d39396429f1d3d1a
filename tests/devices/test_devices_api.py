"""/api/v1/devices for the back office: list and page, read, rename, revoke; the change feed."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.pairing import Tills
from tests.people import audit_entries, query


@pytest.fixture
def tills(hub):
    return Tills.licensed(hub, hub.as_user("admin"))


def feed(hub, device_id: str) -> list[dict]:
    rows = query(hub, "SELECT version, data FROM changes WHERE entity = 'device' AND entity_id = ? ORDER BY seq",
                 device_id)
    return [{"version": v, **json.loads(d)} for v, d in rows]


def test_the_list_leaves_out_revoked_tills_unless_asked_and_pages_in_pairing_order(hub, tills):
    first, second, third = tills.pair(), tills.pair(), tills.pair()
    assert tills.manager.post(f"/api/v1/devices/{second['device_id']}/revoke").status_code == 200
    supervisor = hub.as_user("supervisor")
    live = supervisor.get("/api/v1/devices").json()
    assert [d["id"] for d in live["items"]] == [first["device_id"], third["device_id"]]
    assert live["next_after"] is None
    page = supervisor.get("/api/v1/devices", params={"include_revoked": True, "limit": 2}).json()
    assert [d["id"] for d in page["items"]] == [first["device_id"], second["device_id"]]
    assert page["items"][1]["revoked_at"] is not None
    rest = supervisor.get("/api/v1/devices", params={"include_revoked": True, "after": page["next_after"]})
    assert [d["id"] for d in rest.json()["items"]] == [third["device_id"]]


def test_an_unknown_device_is_not_found(tills):
    for r in (tills.manager.get("/api/v1/devices/no-such-device"),
              tills.manager.patch("/api/v1/devices/no-such-device", json={"name": "x"}),
              tills.manager.post("/api/v1/devices/no-such-device/revoke")):
        assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_renaming_bumps_the_version_publishes_the_change_and_is_audited(hub, tills):
    till = tills.pair(name="Till 1")
    r = tills.manager.patch(f"/api/v1/devices/{till['device_id']}", json={"name": "Butchery till"})
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["version"]) == ("Butchery till", 2)
    changes = feed(hub, till["device_id"])
    assert [(c["version"], c["name"]) for c in changes] == [(1, "Till 1"), (2, "Butchery till")]
    assert all("token_hash" not in c and "device_token" not in c for c in changes)
    entry = audit_entries(hub)[-1]
    assert entry["action"] == "device.updated" and json.loads(entry["summary"])["after"] == {"name": "Butchery till"}
    bad = tills.manager.patch(f"/api/v1/devices/{till['device_id']}", json={"name": "x" * 81})
    assert bad.status_code == 400
    blank = tills.manager.patch(f"/api/v1/devices/{till['device_id']}", json={"name": "   "})
    assert blank.status_code == 422 and blank.json()["code"] == "invalid_name"
    assert tills.pair_call(name=" ").json()["code"] == "invalid_name"


def test_revoking_says_what_the_till_may_still_hold_and_twice_is_a_conflict(hub, tills):
    till = tills.pair()
    conn = sqlite3.connect(hub.db_path)
    with conn:  # as till sync will, when the till reports its queue
        conn.execute("UPDATE devices SET pending_uploads = 12 WHERE id = ?", (till["device_id"],))
    conn.close()
    r = tills.manager.post(f"/api/v1/devices/{till['device_id']}/revoke")
    assert r.status_code == 200, r.text
    assert r.json()["pending_uploads"] == 12 and r.json()["revoked_by"] is not None
    entry = audit_entries(hub)[-1]
    assert entry["action"] == "device.revoked"
    assert json.loads(entry["summary"])["detail"] == {"revoked_tokens": 0, "pending_uploads": 12}
    assert feed(hub, till["device_id"])[-1]["revoked_at"] == r.json()["revoked_at"]
    again = tills.manager.post(f"/api/v1/devices/{till['device_id']}/revoke")
    assert again.status_code == 409 and again.json()["code"] == "device_already_revoked"
