"""The operations API and the scheduler, through a served hub."""

from __future__ import annotations

import time

from hub.db import audit
from hub.db.connection import connect
from tests.hubtest import Hub, HubServer, make_demo_store

WAIT_S = 60  # an upper bound on waiting for the scheduler; never reached when all is well


def test_settings_are_read_changed_and_refused_field_by_field(ops_hub):
    manager, supervisor = ops_hub.as_user("manager"), ops_hub.as_user("supervisor")
    assert supervisor.get("/api/v1/ops/settings").json()["backup_times"] == ["13:00", "22:00"]

    r = manager.patch("/api/v1/ops/settings", json={"backup_times": ["12:00"], "keep_daily": 3, "usb_path": "/media/usb"})
    assert r.status_code == 200, r.text
    assert (r.json()["backup_times"], r.json()["keep_daily"], r.json()["usb_path"]) == (["12:00"], 3, "/media/usb")

    bad = manager.patch("/api/v1/ops/settings", json={"usb_path": "relative/dir", "trading_hours": "9-5",
                                                      "ups": "serial:/dev/ttyS0"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"usb_path", "trading_hours", "ups"}
    assert manager.patch("/api/v1/ops/settings", json={"keep_daily": 0}).status_code == 400
    assert supervisor.patch("/api/v1/ops/settings", json={"keep_daily": 5}).status_code == 403
    assert manager.get("/api/v1/ops/settings").json()["usb_path"] == "/media/usb"


def test_a_backup_taken_through_the_api_is_sealed_to_the_new_key_and_listed(ops_hub):
    admin = ops_hub.as_user("admin")
    made = admin.post("/api/v1/ops/recovery-key")
    assert made.status_code == 201
    key_id = made.json()["key_id"]
    assert admin.get("/api/v1/ops/settings").json()["key_id"] == key_id
    assert made.json()["key"] not in admin.get("/api/v1/ops/settings").text

    r = admin.post("/api/v1/ops/backups")

    assert r.status_code == 201, r.text
    run = r.json()
    assert run["verified"] and run["key_id"] == key_id and run["bundle"].endswith(".sokobak")
    assert run["hq_status"] == "queued"
    assert [x["name"] for x in admin.get("/api/v1/ops/backups").json()["items"]] == [run["name"]]
    conn = connect(ops_hub.db_path, readonly=True)
    try:
        entries = audit.list_entries(conn, action="backup.recovery_key_created")
    finally:
        conn.close()
    assert made.json()["key"] not in str(entries)


def test_the_doctor_answers_with_findings(ops_hub):
    r = ops_hub.as_user("supervisor").get("/api/v1/ops/doctor")

    assert r.status_code == 200
    findings = {f["key"]: f for f in r.json()["findings"]}
    assert findings["database"]["severity"] == "ok"
    assert findings["scanners"]["detail"] != "known only while the hub runs"
    assert findings["backups"]["severity"] == "warning" and findings["backups"]["fix"]


def test_the_scheduler_takes_a_due_backup_while_the_hub_runs(settings, monkeypatch):
    from hub.ops import subsystem

    monkeypatch.setattr(subsystem, "FIRST_BACKUP_DELAY_S", 0.1)
    monkeypatch.setattr(subsystem, "BACKUP_TICK_S", 0.2)
    store = make_demo_store(settings)  # never backed up: the latest time of day is due
    server = HubServer(settings).start()
    hub = Hub(server, store)
    try:
        deadline = time.monotonic() + WAIT_S
        runs: list = []
        while time.monotonic() < deadline and not runs:
            runs = hub.as_user("admin").get("/api/v1/ops/backups").json()["items"]
            time.sleep(0.2)
        time.sleep(1.0)  # further ticks find nothing due
        runs = hub.as_user("admin").get("/api/v1/ops/backups").json()["items"]
    finally:
        hub.close()
        server.stop()
    assert [(r["trigger"], r["status"], r["verified"]) for r in runs] == [("scheduled", "ok", True)]
