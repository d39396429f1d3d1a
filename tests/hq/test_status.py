"""Status (the store's health), requests for a store's data and their results, backups."""

from __future__ import annotations

import hashlib


def _hub(hq, store="S1", hub_id="hub-1"):
    enrolled = hq.enrol(store, hub_id=hub_id)
    return hq.hub_client(enrolled["token"], hub_id)


STATUS = {"hub_id": "hub-1", "epoch": "e1", "hub_time": "2026-11-26T10:00:00Z",
          "versions": {"hub": "0.9.0", "schema": 29}, "backlog": 12, "oldest_unsent_at": "2026-11-26T09:00:00Z",
          "last_error": "timeout", "cursor": "x:5",
          "fiscal": {"devices": 1, "queue": 3, "oldest_unsent_at": None, "day_status": "open"}, "tills": 2}


def test_status_is_kept_per_store_and_answers_queued_requests_once(hq):
    hub = _hub(hq)
    r = hub.post("/api/hq/v1/status", json=STATUS)
    assert r.status_code == 200 and r.json()["requests"] == []
    row = hq.sql("SELECT hub_id, backlog, body->'fiscal'->>'queue' FROM store_status")
    assert row == [("hub-1", 12, "3")]
    queued = hq.admin.post("/api/hq/v1/stores/S1/requests", json={"kind": "report", "params": {
        "name": "sales_summary", "from": "2026-11-01", "to": "2026-11-25"}})
    assert queued.status_code == 201
    request_id = queued.json()["id"]
    assert hq.analyst().post("/api/hq/v1/stores/S1/requests", json={"kind": "format_disk"}).status_code == 422
    got = hub.post("/api/hq/v1/status", json=STATUS).json()["requests"]
    assert got == [{"id": request_id, "kind": "report", "params": {"name": "sales_summary", "from": "2026-11-01",
                                                                    "to": "2026-11-25"}}]
    assert hub.post("/api/hq/v1/status", json=STATUS).json()["requests"] == []  # collected once
    r = hub.post(f"/api/hq/v1/requests/{request_id}/result", json={"status": "done", "data": {"rows": [1, 2]}})
    assert r.status_code == 200 and r.json()["status"] == "done"
    # a second answer (the first's reply was lost) changes nothing
    hub.post(f"/api/hq/v1/requests/{request_id}/result", json={"status": "failed", "error": "x"})
    shown = hq.admin.get(f"/api/hq/v1/requests/{request_id}").json()
    assert (shown["status"], shown["result"], shown["store_code"]) == ("done", {"rows": [1, 2]}, "S1")


def test_a_request_sent_but_never_answered_goes_out_again(hq):
    hub = _hub(hq)
    request_id = hq.admin.post("/api/hq/v1/stores/S1/requests", json={"kind": "doctor"}).json()["id"]
    assert len(hub.post("/api/hq/v1/status", json=STATUS).json()["requests"]) == 1
    hq.sql("UPDATE requests SET sent_at = now() - interval '1 hour'")
    assert [q["id"] for q in hub.post("/api/hq/v1/status", json=STATUS).json()["requests"]] == [request_id]


def test_a_store_cannot_answer_another_stores_request(hq):
    hub1 = _hub(hq, "S1", "hub-1")
    _hub(hq, "S2", "hub-2")
    request_id = hq.admin.post("/api/hq/v1/stores/S2/requests", json={"kind": "doctor"}).json()["id"]
    r = hub1.post(f"/api/hq/v1/requests/{request_id}/result", json={"status": "done", "data": {}})
    assert r.status_code == 404 and r.json()["code"] == "request_unknown"
    r = hub1.post(f"/api/hq/v1/requests/{request_id}/result", json={"status": "maybe"})
    assert r.status_code in (404, 422)


def test_backups_are_streamed_to_the_stores_folder_and_listed(hq):
    hub = _hub(hq)
    blob = bytes(range(256)) * 4096  # 1 MiB
    r = hub.put("/api/hq/v1/backups/hub-2026-11-26.soko-backup", content=blob,
                headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 201, r.text
    assert r.json()["sha256"] == hashlib.sha256(blob).hexdigest() and r.json()["size"] == len(blob)
    assert (hq.backups_dir / "S1" / "hub-2026-11-26.soko-backup").read_bytes() == blob
    assert [b["name"] for b in hub.get("/api/hq/v1/backups").json()["backups"]] == ["hub-2026-11-26.soko-backup"]
    assert hub.put("/api/hq/v1/backups/..%2Fescape", content=b"x").status_code in (404, 422)
    assert hub.put("/api/hq/v1/backups/.hidden", content=b"x").status_code == 422
    assert not any(p.name.endswith(".part") for p in (hq.backups_dir / "S1").iterdir())
    other = _hub(hq, "S2", "hub-2")
    assert other.get("/api/hq/v1/backups").json()["backups"] == []


def test_health_answers_without_auth(hq):
    r = hq.client().get("/api/hq/v1/health")
    assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["hq_time"].endswith("Z")
