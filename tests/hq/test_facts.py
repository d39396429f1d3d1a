"""Facts: dedupe (also under concurrent duplicate batches), epochs, gaps, batch rules, limits."""

from __future__ import annotations

import gzip
import json
import threading

import pytest

from cloud_bridge.hq.settings import MAX_FACTS
from tests.hq.facts_util import batch, fact, sale, sale_facts


@pytest.fixture
def hub(hq):
    enrolled = hq.enrol("S1", hub_id="hub-1")
    return hq.hub_client(enrolled["token"], "hub-1")


def test_a_batch_is_stored_once_and_answered_as_duplicates_again(hq, hub):
    facts = sale_facts(1, ["a", "b", "c"])
    r = hub.post("/api/hq/v1/facts", json=batch("hub-1", "e1", facts))
    assert r.status_code == 200, r.text
    assert r.json() | {"hq_time": None} == {"acked_through": 3, "stored": 3, "duplicates": 0, "hq_time": None}
    again = hub.post("/api/hq/v1/facts", json=batch("hub-1", "e1", facts)).json()
    assert (again["acked_through"], again["stored"], again["duplicates"]) == (3, 0, 3)
    assert hq.scalar("SELECT count(*) FROM facts") == 3
    assert hq.scalar("SELECT count(*) FROM sales") == 3
    assert hq.scalar("SELECT count(*) FROM sale_lines") == 3


def test_concurrent_duplicate_batches_store_each_fact_once(hq, hub):
    facts = sale_facts(1, [f"s{i}" for i in range(200)])
    answers: list[dict] = []
    errors: list[str] = []

    def push(client):
        r = client.post("/api/hq/v1/facts", json=batch("hub-1", "e1", facts))
        (answers if r.status_code == 200 else errors).append(r.json() if r.status_code == 200 else r.text)

    token = hub.headers["Authorization"][7:]
    clients = [hq.hub_client(token, "hub-1") for _ in range(6)]
    # and the same facts under another epoch (a restored hub) at the same time
    threads = [threading.Thread(target=push, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sum(a["stored"] for a in answers) == 200
    assert sum(a["duplicates"] for a in answers) == 200 * 5
    assert hq.scalar("SELECT count(*) FROM facts") == 200
    assert hq.scalar("SELECT count(*) FROM sales") == 200
    assert hq.scalar("SELECT sum(total) FROM sales") == 200 * 300


def test_a_new_epoch_starts_anywhere_and_its_resent_facts_are_duplicates(hq, hub):
    hub.post("/api/hq/v1/facts", json=batch("hub-1", "e1", sale_facts(1, ["a", "b", "c"])))
    # restored from a backup holding a and b, then it sold d: its outbox is resent from the start
    facts = sale_facts(1, ["a", "b"]) + [fact(3, "d", "sale", sale("d"))]
    r = hub.post("/api/hq/v1/facts", json=batch("hub-1", "e2", facts[1:]))
    assert r.status_code == 200 and r.json()["acked_through"] == 3
    assert (r.json()["stored"], r.json()["duplicates"]) == (1, 1)
    assert hq.sql("SELECT epoch, acked_through FROM hub_epochs ORDER BY epoch") == [("e1", 3), ("e2", 3)]
    assert hq.scalar("SELECT count(*) FROM sales") == 4


def test_a_gap_is_refused_with_where_to_resend_from(hq, hub):
    hub.post("/api/hq/v1/facts", json=batch("hub-1", "e1", sale_facts(1, ["a", "b"])))
    r = hub.post("/api/hq/v1/facts", json=batch("hub-1", "e1", sale_facts(5, ["e"])))
    assert r.status_code == 409
    assert (r.json()["code"], r.json()["resend_from"], r.json()["acked_through"]) == ("sequence_gap", 3, 2)
    assert hq.scalar("SELECT count(*) FROM facts") == 2
    # a batch overlapping what HQ holds fills the gap
    r = hub.post("/api/hq/v1/facts", json=batch("hub-1", "e1", sale_facts(2, ["b", "c", "d", "e"])))
    assert r.status_code == 200 and r.json()["acked_through"] == 5 and r.json()["stored"] == 3


def test_a_hash_mismatch_stores_nothing_of_the_batch(hq, hub):
    facts = sale_facts(1, ["a", "b", "c"])
    facts[1]["data"]["total"] = 1
    r = hub.post("/api/hq/v1/facts", json=batch("hub-1", "e1", facts))
    assert r.status_code == 422 and r.json()["code"] == "payload_hash_mismatch" and r.json()["event_id"] == "b"
    assert hq.scalar("SELECT count(*) FROM fact_ids") == 0
    assert hq.scalar("SELECT count(*) FROM hub_epochs") == 0


def test_batch_rules(hq, hub):
    facts = sale_facts(1, ["a", "b"])
    facts[1]["seq"] = 3
    r = hub.post("/api/hq/v1/facts", json=batch("hub-1", "e1", facts))
    assert r.status_code == 422 and r.json()["code"] == "batch_not_contiguous"
    r = hub.post("/api/hq/v1/facts", json=batch("hub-2", "e1", sale_facts(1, ["a"])))
    assert r.status_code == 403 and r.json()["code"] == "hub_mismatch"
    too_many = [fact(i + 1, f"x{i}", "note", {"i": i}) for i in range(MAX_FACTS + 1)]
    r = hub.post("/api/hq/v1/facts", json=batch("hub-1", "e1", too_many))
    assert r.status_code == 413 and r.json()["code"] == "batch_too_large"
    big = json.dumps(batch("hub-1", "e1", [fact(1, "big", "note", {"pad": "x" * (9 * 1024 * 1024)})])).encode()
    r = hub.post("/api/hq/v1/facts", content=gzip.compress(big),
                 headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert r.status_code == 413
    assert hq.scalar("SELECT count(*) FROM facts") == 0


def test_a_gzip_batch_is_read(hq, hub):
    body = gzip.compress(json.dumps(batch("hub-1", "e1", sale_facts(1, ["a", "b"]))).encode())
    r = hub.post("/api/hq/v1/facts", content=body, headers={"Content-Encoding": "gzip",
                                                            "Content-Type": "application/json"})
    assert r.status_code == 200 and r.json()["stored"] == 2


def test_overloaded_collector_answers_429_with_retry_after(pg_cluster):
    from tests.hqtest import HQ

    with HQ(pg_cluster, max_batches=0, retry_after=7) as hq:
        enrolled = hq.enrol("S1")
        r = hq.hub_client(enrolled["token"], "hub-1").post("/api/hq/v1/facts",
                                                           json=batch("hub-1", "e1", sale_facts(1, ["a"])))
        assert r.status_code == 429 and r.headers["Retry-After"] == "7"
        assert hq.scalar("SELECT count(*) FROM facts") == 0


def test_facts_land_in_monthly_partitions(hq, hub):
    facts = [fact(1, "a", "sale", sale("a"), occurred_at="2026-10-31T23:00:00Z"),
             fact(2, "b", "sale", sale("b"), occurred_at="2026-11-01T01:00:00Z"),
             fact(3, "c", "note", {"n": 1}, occurred_at="2027-01-05T10:00:00+02:00")]
    assert hub.post("/api/hq/v1/facts", json=batch("hub-1", "e1", facts)).status_code == 200
    parts = {r[0] for r in hq.sql("SELECT tableoid::regclass::text FROM facts")}
    assert parts == {"facts_y2026m10", "facts_y2026m11", "facts_y2027m01"}
    # the business date is the store's (Africa/Harare, UTC+2): a's is 1 November
    assert hq.sql("SELECT sale_id, business_date::text FROM sales ORDER BY sale_id") == [
        ("a", "2026-11-01"), ("b", "2026-11-01")]


def test_two_stores_needing_a_new_month_at_once_both_store(hq):
    hubs = []
    for store in ("S1", "S2", "S3"):
        enrolled = hq.enrol(store, hub_id=f"hub-{store}")
        hubs.append((hq.hub_client(enrolled["token"], f"hub-{store}"), f"hub-{store}"))
    results: list[int] = []
    facts = [fact(i + 1, f"x{i}", "sale", sale(f"x{i}"), occurred_at=f"2027-0{i % 3 + 3}-01T10:00:00Z")
             for i in range(30)]

    def push(client, hub_id):
        results.append(client.post("/api/hq/v1/facts", json=batch(hub_id, "e1", facts)).status_code)

    threads = [threading.Thread(target=push, args=h) for h in hubs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [200, 200, 200]
    assert hq.scalar("SELECT count(*) FROM facts") == 90
    assert {r[0] for r in hq.sql("SELECT tableoid::regclass::text FROM facts")} == {
        "facts_y2027m03", "facts_y2027m04", "facts_y2027m05"}


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b'{"hub_id": 1}', b'{"hub_id": "hub-1", "epoch": "e", "facts": [{}]}',
                                  b'{"hub_id": "hub-1", "epoch": "e", "facts": [{"seq": 99999999999999999999, '
                                  b'"event_id": "a", "kind": "sale", "occurred_at": "x", "hash": "0", "data": {}}]}'])
def test_junk_batches_are_refused_without_a_server_error(hq, hub, body):
    r = hub.post("/api/hq/v1/facts", content=body, headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500 and r.headers["content-type"].startswith("application/problem+json")
    r = hub.post("/api/hq/v1/facts", content=body, headers={"Content-Encoding": "gzip"})
    assert 400 <= r.status_code < 500
