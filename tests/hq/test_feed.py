"""HQ's change feed and snapshot to the hubs: batches, whole transactions, long poll, store rows."""

from __future__ import annotations

import json
import threading
import time

from tests.hq.facts_util import batch, sale_facts


def _hub(hq, store="S1", hub_id="hub-1"):
    enrolled = hq.enrol(store, hub_id=hub_id)
    return hq.hub_client(enrolled["token"], hub_id)


def _snapshot(hub):
    r = hub.get("/api/hq/v1/snapshot")
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    # httpx undoes the transport's gzip: the lines are NDJSON
    lines = [json.loads(line) for line in r.text.splitlines()]
    return lines[0], lines[1:-1], lines[-1]


def test_snapshot_then_changes_from_its_cursor(hq):
    hub = _hub(hq)
    admin = hq.admin
    assert admin.put("/api/hq/v1/reference/category/c1", json={"name": "Drinks"}).status_code == 200
    assert admin.put("/api/hq/v1/reference/product/p1", json={
        "sku": "COKE", "name": "Coke 330ml", "category_id": "c1", "prices": {"USD": 100, "ZWG": 2700},
        "barcodes": [{"code": "600100", "pack_quantity": 1000}]}).status_code == 200
    header, rows, end = _snapshot(hub)
    assert header["entities"] == ["category", "product", "exchange_rate", "promotion", "user", "setting"]
    assert end == {"end": True, "count": 2}
    assert {(r["entity"], r["id"], r["version"]) for r in rows} == {("category", "c1", 1), ("product", "p1", 1)}
    r = hub.get("/api/hq/v1/changes", params={"cursor": header["cursor"]})
    assert r.status_code == 200 and r.json()["changes"] == [] and r.json()["more"] is False
    admin.put("/api/hq/v1/reference/product/p1", json={"sku": "COKE", "name": "Coke 330ml", "category_id": "c1",
                                                       "prices": {"USD": 110, "ZWG": 2700}})
    body = hub.get("/api/hq/v1/changes", params={"cursor": header["cursor"]}).json()
    assert [(c["entity"], c["id"], c["version"], c["op"], c["data"]["prices"]["USD"]) for c in body["changes"]] == [
        ("product", "p1", 2, "upsert", 110)]
    # the same data again records nothing
    admin.put("/api/hq/v1/reference/product/p1", json={"sku": "COKE", "name": "Coke 330ml", "category_id": "c1",
                                                       "prices": {"USD": 110, "ZWG": 2700}})
    assert hub.get("/api/hq/v1/changes", params={"cursor": body["cursor"]}).json()["changes"] == []
    admin.delete("/api/hq/v1/reference/category/c1")
    last = hub.get("/api/hq/v1/changes", params={"cursor": body["cursor"]}).json()["changes"]
    assert [(c["entity"], c["op"], c["data"]) for c in last] == [("category", "delete", None)]


def test_cursor_errors(hq):
    hub = _hub(hq)
    assert hub.get("/api/hq/v1/changes").json()["code"] == "invalid_request"
    r = hub.get("/api/hq/v1/changes", params={"cursor": "nonsense"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cursor"
    r = hub.get("/api/hq/v1/changes", params={"cursor": "otherdb:0"})
    assert r.status_code == 410 and r.json()["code"] == "epoch_unknown"
    epoch = hq.scalar("SELECT value FROM meta WHERE key = 'epoch'")
    assert hub.get("/api/hq/v1/changes", params={"cursor": f"{epoch}:99"}).status_code == 410
    assert hub.get("/api/hq/v1/changes", params={"cursor": f"{epoch}:0", "limit": 0}).status_code == 400
    assert hub.get("/api/hq/v1/changes", params={"cursor": f"{epoch}:0", "wait": 31}).status_code == 400


def test_a_batch_never_ends_inside_one_transaction(hq):
    hub = _hub(hq)
    csv_text = "id,name\n" + "".join(f"c{i},Category {i}\n" for i in range(5))
    assert hq.admin.post("/api/hq/v1/import/categories", content=csv_text).json()["created"] == 5
    hq.admin.put("/api/hq/v1/reference/setting/receipt.footer", json={"value": "Thank you"})
    epoch = hq.scalar("SELECT value FROM meta WHERE key = 'epoch'")
    first = hub.get("/api/hq/v1/changes", params={"cursor": f"{epoch}:0", "limit": 3}).json()
    assert len(first["changes"]) == 5 and first["more"] is True  # the import's transaction whole
    second = hub.get("/api/hq/v1/changes", params={"cursor": first["cursor"], "limit": 3}).json()
    assert [c["id"] for c in second["changes"]] == ["receipt.footer"] and second["more"] is False
    # a limit that would cut the import: the batch stops before it
    hq.admin.put("/api/hq/v1/reference/setting/a", json={"value": 1})
    hq.admin.post("/api/hq/v1/import/categories", content="id,name\nx1,X1\nx2,X2\nx3,X3\n")
    cur = second["cursor"]
    third = hub.get("/api/hq/v1/changes", params={"cursor": cur, "limit": 2}).json()
    assert [c["id"] for c in third["changes"]] == ["a"] and third["more"] is True


def test_rows_of_another_store_are_passed_over(hq):
    hub1 = _hub(hq, "S1", "hub-1")
    hub2 = _hub(hq, "S2", "hub-2")
    hq.admin.put("/api/hq/v1/reference/user/u1", json={"username": "tino", "role": "cashier", "store_code": "S2"})
    hq.admin.put("/api/hq/v1/reference/setting/chain.name", json={"value": "Soko"})
    epoch = hq.scalar("SELECT value FROM meta WHERE key = 'epoch'")
    one = hub1.get("/api/hq/v1/changes", params={"cursor": f"{epoch}:0"}).json()
    two = hub2.get("/api/hq/v1/changes", params={"cursor": f"{epoch}:0"}).json()
    assert [c["id"] for c in one["changes"]] == ["chain.name"]
    assert [c["id"] for c in two["changes"]] == ["u1", "chain.name"]
    assert one["cursor"] == two["cursor"]
    assert [r["id"] for r in _snapshot(hub1)[1]] == ["chain.name"]
    # moving the user to S1: S2 is told to drop it
    hq.admin.put("/api/hq/v1/reference/user/u1", json={"username": "tino", "role": "cashier", "store_code": "S1"})
    assert [(c["id"], c["op"]) for c in hub2.get("/api/hq/v1/changes", params={"cursor": two["cursor"]}).json()["changes"]] \
        == [("u1", "delete")]
    assert [(c["id"], c["op"]) for c in hub1.get("/api/hq/v1/changes", params={"cursor": one["cursor"]}).json()["changes"]] \
        == [("u1", "upsert")]


def test_long_poll_returns_when_a_change_commits(hq):
    hub = _hub(hq)
    epoch = hq.scalar("SELECT value FROM meta WHERE key = 'epoch'")
    got = {}

    def poll():
        started = time.monotonic()
        got["body"] = hub.get("/api/hq/v1/changes", params={"cursor": f"{epoch}:0", "wait": 20}).json()
        got["took"] = time.monotonic() - started

    t = threading.Thread(target=poll)
    t.start()
    time.sleep(0.5)
    hq.admin.put("/api/hq/v1/reference/setting/receipt.footer", json={"value": "Hi"})
    t.join(25)
    assert [c["id"] for c in got["body"]["changes"]] == ["receipt.footer"]
    assert got["took"] < 15  # woken by the commit, not the end of the wait


def test_large_batches_come_gzip_compressed(hq):
    hub = _hub(hq)
    rows = "id,name\n" + "".join(f"c{i},A rather long category name number {i}\n" for i in range(200))
    hq.admin.post("/api/hq/v1/import/categories", content=rows)
    epoch = hq.scalar("SELECT value FROM meta WHERE key = 'epoch'")
    r = hub.get("/api/hq/v1/changes", params={"cursor": f"{epoch}:0"}, headers={"Accept-Encoding": "gzip"})
    assert r.headers.get("content-encoding") == "gzip" and len(r.json()["changes"]) == 200
    raw = hub.get("/api/hq/v1/changes", params={"cursor": f"{epoch}:0"}, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers


def test_facts_do_not_touch_the_feed(hq):
    hub = _hub(hq)
    hub.post("/api/hq/v1/facts", json=batch("hub-1", "e1", sale_facts(1, ["a"])))
    assert hq.scalar("SELECT count(*) FROM changes") == 0


def test_trimming_keeps_the_newest_row_of_each_entity_and_refuses_older_cursors(hq):
    import asyncio

    from click.testing import CliRunner

    from cloud_bridge.hq.cli import main

    hub = _hub(hq)
    epoch = hq.scalar("SELECT value FROM meta WHERE key = 'epoch'")
    for price in (100, 110, 120):
        hq.admin.put("/api/hq/v1/reference/product/p1", json={"sku": "A", "name": "Apple", "prices": {"USD": price}})
    hq.admin.put("/api/hq/v1/reference/setting/gone", json={"value": 1})
    hq.admin.delete("/api/hq/v1/reference/setting/gone")
    hq.sql("UPDATE changes SET recorded_at = now() - interval '40 days'")
    result = CliRunner().invoke(main, ["trim", "--dsn", hq.dsn, "--days", "30"])
    assert result.exit_code == 0 and "trimmed 4 rows through seq 5" in result.output
    assert hq.sql("SELECT entity, id, version FROM changes") == [("product", "p1", 3)]
    r = hub.get("/api/hq/v1/changes", params={"cursor": f"{epoch}:1"})
    assert r.status_code == 410 and r.json()["code"] == "cursor_trimmed"
    assert hub.get("/api/hq/v1/changes", params={"cursor": f"{epoch}:5"}).status_code == 200


def test_a_feed_write_by_another_hq_process_wakes_the_long_poll(hq, monkeypatch):
    from cloud_bridge.hq import feed

    monkeypatch.setattr(feed, "RECHECK", 25.0)  # only the NOTIFY can wake it in time
    hub = _hub(hq)
    epoch = hq.scalar("SELECT value FROM meta WHERE key = 'epoch'")
    got = {}

    def poll():
        started = time.monotonic()
        got["body"] = hub.get("/api/hq/v1/changes", params={"cursor": f"{epoch}:0", "wait": 20}).json()
        got["took"] = time.monotonic() - started

    t = threading.Thread(target=poll)
    t.start()
    time.sleep(1.0)
    # what another collector process writing the feed does, on its own connection
    hq.sql("WITH w AS (INSERT INTO changes (entity, id, version, op, data) VALUES"
           " ('setting', 'k', 1, 'upsert', '{\"key\": \"k\", \"value\": 1}') RETURNING seq)"
           " SELECT pg_notify('hq_feed', '') FROM w")
    t.join(30)
    assert [c["id"] for c in got["body"]["changes"]] == ["k"]
    assert got["took"] < 15
