"""The worker against a small HQ on a real socket (tests/bridge/fakehq.py): enrolment, pushing
in ordered batches, retries with backoff and Retry-After, sequence gaps, new epochs, fencing,
and HQ's reference data pulled into the hub's tables and its own change feed."""

from __future__ import annotations

import os
import random
import stat

import pytest

from hub.bridge import enrol as enrolment, state
from hub.bridge.worker import BACKOFF_MAX_S, ConnStore
from hub.db import meta
from hub.db.audit import Actor
from hub.db.connection import transaction
from hub.errors import DemoDatabaseError
from hub.ids import new_id
from tests.bridge.kit import drain, enrolled, make_worker, sell
from tests.sales.build import till_store


def test_enrolment_keeps_the_token_in_a_private_file_and_not_in_the_database(store, hq):
    conn, ids, data_dir = store
    status = enrolled(conn, data_dir, hq)
    assert status["enrolled"] and status["store"]["code"] == "HRE1" and status["fence"] == 1
    creds = data_dir / "hq" / "credentials.json"
    assert stat.S_IMODE(os.stat(creds).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(data_dir / "hq").st_mode) == 0o700
    token = state.read_credentials(data_dir)["token"]
    dump = "\n".join(conn.iterdump())
    assert token not in dump
    assert meta.get(conn, "hq_enrolled") == "1"
    [entry] = conn.execute("SELECT action, summary FROM audit_log WHERE action = 'hq.enrolled'").fetchall()
    assert token not in entry[1]


def test_a_demo_database_and_a_bad_code_are_refused(store, hq):
    conn, ids, data_dir = store
    with transaction(conn):
        meta.put(conn, "demo", "1")
    s = ConnStore(conn)
    _sid, code = hq.store("HRE1")
    with pytest.raises(DemoDatabaseError):
        enrolment.enrol(s.read, s.write, data_dir, Actor.system("test"), url=hq.url, code=code)
    assert not any(path == "/enrol" for _m, path, _s in hq.log)  # refused before calling HQ
    with transaction(conn):
        meta.put(conn, "demo", "0")
    with pytest.raises(enrolment.EnrolmentRefused) as refused:
        enrolment.enrol(s.read, s.write, data_dir, Actor.system("test"), url=hq.url, code="ABCDEFGHJKLM")
    assert refused.value.code == "code_unknown"
    assert not state.bridge_status(conn)["enrolled"]


def test_the_worker_pushes_everything_once_in_order_and_retries_with_backoff(store, hq):
    conn, ids, data_dir = store
    sell(conn, ids, 1200)
    enrolled(conn, data_dir, hq)
    worker = make_worker(conn, data_dir, rng=random.Random(1))
    hq.fail_next(3, 503)
    delays = [worker.cycle() for _ in range(3)]
    assert all(0 <= d <= 2 * 2 ** i for i, d in enumerate(delays))
    assert state.bridge_status(conn)["last_error"]
    hq.fail_next(1, 429, "slow_down", retry_after=120)
    assert worker.cycle() >= 120  # Retry-After honoured
    drain(worker)
    status = state.bridge_status(conn)
    assert status["backlog"] == 0 and status["state"] == "current"
    store_id = "st-HRE1"
    facts = hq.facts_of(store_id)
    outbox_ids = {r[0] for r in conn.execute("SELECT event_id FROM bridge_outbox")}
    assert {f["event_id"] for f in facts} == outbox_ids
    assert sum(f["data"]["total"] for f in facts if f["kind"] == "sale") == conn.execute(
        "SELECT sum(total) FROM sales").fetchone()[0]
    assert hq.statuses and hq.statuses[-1]["backlog"] == 0


def test_backoff_grows_to_five_minutes_with_full_jitter(store, hq):
    conn, ids, data_dir = store
    worker = make_worker(conn, data_dir, rng=random.Random(7))
    caps = []
    for n in range(12):
        worker.failures = n
        caps.append(max(worker.backoff() for _ in range(200)))
    assert caps[0] <= 2 and caps[-1] <= BACKOFF_MAX_S and caps[-1] > 200
    assert min(worker.backoff() for _ in range(200)) < 10  # full jitter: near zero too


def test_unreachable_then_back_logs_one_line_each(store, hq, caplog):
    conn, ids, data_dir = store
    enrolled(conn, data_dir, hq)
    sell(conn, ids, 5)
    worker = make_worker(conn, data_dir, rng=random.Random(3))
    with transaction(conn):
        state.put(conn, "hq_url", "http://127.0.0.1:9")  # nothing listens there
    with caplog.at_level("INFO", logger="hub.bridge"):
        for _ in range(4):
            assert worker.cycle() > 0
        assert state.bridge_status(conn)["state"] == "unreachable"
        with transaction(conn):
            state.put(conn, "hq_url", hq.url)
        drain(worker)
    lines = [r.getMessage() for r in caplog.records if r.name == "hub.bridge"]
    assert sum("unreachable" in m for m in lines) == 1
    assert sum("reachable again" in m for m in lines) == 1
    assert state.bridge_status(conn)["backlog"] == 0


def test_a_sequence_gap_resends_from_where_hq_says_and_a_new_epoch_resends_all_without_duplicates(store, hq):
    conn, ids, data_dir = store
    enrolled(conn, data_dir, hq)
    sell(conn, ids, 20)
    worker = make_worker(conn, data_dir)
    drain(worker)
    # The hub believes HQ holds more than it does (HQ restored from an older backup).
    key = next(iter(hq.acked))
    hq.acked[key] = 5
    with transaction(conn):
        state.put(conn, "acked_through", 22)
    sell(conn, ids, 3, start=100)
    drain(worker)
    held = len(hq.facts)
    assert held == conn.execute("SELECT count(*) FROM bridge_outbox").fetchone()[0]
    # Restored from a backup: a new epoch pushes the whole outbox; HQ keeps each fact once.
    with transaction(conn):
        meta.new_epoch(conn)
    assert state.bridge_status(conn)["backlog"] == held
    drain(worker)
    assert len(hq.facts) == held and hq.duplicates >= held
    assert state.bridge_status(conn)["backlog"] == 0


def test_a_replaced_hub_is_fenced_and_stops(store, hq, tmp_path):
    conn, ids, data_dir = store
    enrolled(conn, data_dir, hq)
    worker = make_worker(conn, data_dir)
    drain(worker)
    code = hq.store("HRE1")[1]  # HQ enrols a new hub for the same store
    other, other_ids = till_store(tmp_path / "other.db")
    with transaction(other):
        meta.put(other, "hub_id", new_id())
        meta.put(other, "epoch", new_id())
    s = ConnStore(other)
    enrolment.enrol(s.read, s.write, tmp_path / "other", Actor.system("test"), url=hq.url, code=code)
    sell(conn, ids, 2)
    worker.cycle()
    status = state.bridge_status(conn)
    assert status["replaced"] and status["state"] == "replaced"
    calls = len(hq.log)
    worker.cycle()
    assert len(hq.log) == calls  # it does not retry with that token
    other.close()


def test_hq_requests_are_collected_with_the_status_and_answered(store, hq):
    conn, ids, data_dir = store
    enrolled(conn, data_dir, hq)
    sell(conn, ids, 4)
    worker = make_worker(conn, data_dir)
    drain(worker)
    hq.requests = [{"id": "r1", "kind": "resend", "params": {"from_seq": 2}},
                   {"id": "r2", "kind": "report", "params": {"name": "sales-by-day", "from": "2026-11-01",
                                                            "to": "2026-11-20"}},
                   {"id": "r3", "kind": "doctor", "params": {}},
                   {"id": "r4", "kind": "nonsense", "params": {}}]
    worker.last_status = None
    drain(worker)
    assert hq.results["r1"]["status"] == "done"
    assert hq.results["r2"]["status"] == "done", hq.results["r2"]
    assert hq.results["r3"]["status"] == "done"
    assert hq.results["r4"]["status"] == "failed"
    assert state.bridge_status(conn)["backlog"] == 0


class Switch:
    """A link to HQ that a test can cut: while `down`, every call fails as an unreachable HQ does."""

    down = False

    def __init__(self, *args, **kwargs) -> None:
        from cloud_bridge.link import Link

        self.link = Link(*args, **kwargs)

    def __getattr__(self, name):
        from cloud_bridge.link import HQUnreachable

        attr = getattr(self.link, name)
        if name != "close" and Switch.down:
            def cut(*args, **kwargs):
                raise HQUnreachable("ConnectError: [Errno 111] Connection refused")
            return cut
        return attr


def test_a_three_day_outage_in_virtual_time_backs_off_within_bounds_then_sends_everything(store, hq, caplog):
    """Three days of trading while HQ is out of reach, run in virtual time: the worker's delays
    are summed instead of slept. It never waits more than five minutes, logs the outage once,
    and sends every fact once HQ answers again."""
    conn, ids, data_dir = store
    enrolled(conn, data_dir, hq)
    worker = make_worker(conn, data_dir, rng=random.Random(5), link_factory=Switch)
    drain(worker)
    Switch.down = True
    virtual, rounds, hour, delays = 0.0, 0, 0, []
    try:
        with caplog.at_level("INFO", logger="hub.bridge"):
            while virtual < 3 * 24 * 3600:
                if virtual >= hour * 3600:  # a sale every hour of the outage
                    sell(conn, ids, 1, start=1000 + hour)
                    hour += 1
                delay = worker.cycle()
                delays.append(delay)
                virtual += max(delay, 0.001)
                rounds += 1
            assert state.bridge_status(conn)["state"] == "unreachable"
            assert state.bridge_status(conn)["backlog"] == hour
            Switch.down = False
            drain(worker)
    finally:
        Switch.down = False
    assert max(delays) <= BACKOFF_MAX_S and rounds > 3 * 24 * 3600 / BACKOFF_MAX_S
    lines = [r.getMessage() for r in caplog.records if r.name == "hub.bridge"]
    assert sum("unreachable" in m for m in lines) == 1 and sum("reachable again" in m for m in lines) == 1
    assert state.bridge_status(conn)["backlog"] == 0
    held = {f["event_id"] for f in hq.facts_of("st-HRE1")}
    assert held == {r[0] for r in conn.execute("SELECT event_id FROM bridge_outbox")}
