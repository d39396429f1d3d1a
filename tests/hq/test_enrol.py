"""Enrolment: codes single use and 24 h, store mismatch, fencing a replaced hub."""

from __future__ import annotations

from tests.hq.facts_util import batch, sale_facts


def _enrol(hq, code, store="S1", hub_id="hub-1"):
    return hq.client().post("/api/hq/v1/enrol", json={"code": code, "hub_id": hub_id, "store_code": store,
                                                      "epoch": "e1", "hub_version": "1.0", "schema_version": 28})


def test_enrolment_code_is_single_use_and_gives_a_token(hq):
    code = hq.create_store("S1")
    assert len(code) == 12 and not set(code) & set("01IO")
    r = _enrol(hq, code)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["store_code"] == "S1" and body["fence"] == 1 and len(body["token"]) >= 43
    stored = hq.scalar("SELECT encode(token_hash, 'hex') FROM hubs")
    assert body["token"] not in stored  # only the hash is kept
    again = _enrol(hq, code, hub_id="hub-2")
    assert again.status_code == 409 and again.json()["code"] == "code_used"


def test_enrolment_refusals(hq):
    code = hq.create_store("S1")
    hq.create_store("S2")
    assert _enrol(hq, "ABCDEFGHJKLM").json()["code"] == "code_unknown"
    r = _enrol(hq, code, store="S2")
    assert r.status_code == 422 and r.json()["code"] == "store_mismatch"
    hq.sql("UPDATE enrolment_codes SET expires_at = now() - interval '1 second' WHERE code = %s", code)
    r = _enrol(hq, code)
    assert r.status_code == 410 and r.json()["code"] == "code_expired"


def test_a_new_hub_fences_the_old_one(hq):
    first = _enrol(hq, hq.create_store("S1"), hub_id="hub-old").json()
    old = hq.hub_client(first["token"], "hub-old")
    assert old.post("/api/hq/v1/facts", json=batch("hub-old", "e1", sale_facts(1, ["a"]))).status_code == 200
    second = _enrol(hq, hq.enrolment_code("S1"), hub_id="hub-new").json()
    assert second["fence"] == 2
    r = old.post("/api/hq/v1/facts", json=batch("hub-old", "e1", sale_facts(2, ["b"])))
    assert r.status_code == 401 and r.json()["code"] == "hub_replaced"
    assert old.post("/api/hq/v1/status", json={"hub_id": "hub-old", "epoch": "e1"}).json()["code"] == "hub_replaced"
    new = hq.hub_client(second["token"], "hub-new")
    assert new.post("/api/hq/v1/facts", json=batch("hub-new", "e9", sale_facts(1, ["b"]))).status_code == 200
    assert hq.scalar("SELECT count(*) FROM sales") == 2


def test_calls_without_a_valid_token_are_refused(hq):
    hq.create_store("S1")
    r = hq.client().post("/api/hq/v1/facts", json=batch("h", "e1", sale_facts(1, ["a"])))
    assert r.status_code == 401 and r.json()["code"] == "unauthenticated"
    r = hq.client("not-a-token").get("/api/hq/v1/changes", params={"cursor": "x:0"})
    assert r.status_code == 401
    enrolled = hq.enrol("S3", hub_id="hub-3")
    r = hq.hub_client(enrolled["token"], "someone-else").post("/api/hq/v1/status", json={"hub_id": "x", "epoch": 1})
    assert r.status_code == 403 and r.json()["code"] == "hub_mismatch"
