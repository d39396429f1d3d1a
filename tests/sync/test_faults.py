"""Fault tests of till sync (issue 8): the reference till against a real hub process on 127.0.0.1,
through a proxy that can drop an answer, a hub killed with SIGKILL mid-batch, a hub restored from
an older backup, duplicated and reordered batches, and tills whose clocks are days off. After
each: every sale the tills made exists exactly once at the hub, and stock equals the ledger.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterator

import pytest

from reftill.http import HubRefusedError, HubUnreachableError
from reftill.sync import EVENTS_PATH, stamp
from reftill.till import Till, utc_now
from tests.reftill.hubproc import HubProcess, Proxy
from tests.reftill.sales import hub_sales

pytestmark = pytest.mark.faults


@pytest.fixture
def hub_proc(tmp_path) -> Iterator[HubProcess]:
    hub = HubProcess(tmp_path / "hub").start()
    try:
        yield hub
    finally:
        hub.stop()


@pytest.fixture
def proxy(hub_proc) -> Iterator[Proxy]:
    p = Proxy(hub_proc.port)
    try:
        yield p
    finally:
        p.close()


def ready_till(hub: HubProcess, where, url: str | None = None, clock=utc_now) -> Till:
    """A till paired (through `url`, default the hub), its catalogue loaded, the cashier signed in
    and a shift open."""
    till = Till.pair(where, url or hub.url, hub.pairing_code(), name=f"Till {where.name}", clock=clock)
    till.sync.pull()
    assert till.login("cashier", hub.credentials["cashier"][1]) == "online"
    till.open_shift({"USD": 5000})
    return till


def codes(till: Till, n: int) -> list[str]:
    found = [p["sku"] for p in till.store.rows("product")
             if (p.get("effective_prices") or {}).get("USD") and p.get("stock_tracked") and p.get("sku")]
    return found[:n]


def sell(till: Till, n: int, start: int = 0) -> list[dict]:
    items = codes(till, 40)
    return [till.sell([(items[(start + i) % len(items)], None), (items[(start + 3 * i + 1) % len(items)], 2000)],
                      method="cash" if i % 2 else "card") for i in range(n)]


def assert_exactly_once_and_stock_agrees(hub: HubProcess, tills: list[Till]) -> None:
    made = [s["id"] for t in tills for s in t.sales()]
    manager = hub.client("manager")
    try:
        held = Counter(hub_sales(None, manager))
    finally:
        manager.close()
    assert sorted(held) == sorted(made), "the hub holds other sales than the tills made"
    assert set(held.values()) == {1}, "a sale is held twice"
    assert all(t.store.unacked()[0] == 0 for t in tills), "a fact was never acknowledged"
    hub.cli("stock", "check")
    moved = dict(hub.query("SELECT source_id, count(*) FROM stock_movements WHERE kind = 'sale' GROUP BY source_id"))
    lines = dict(hub.query("SELECT l.sale_id, count(*) FROM sale_lines l JOIN products p ON p.id = l.product_id"
                           " WHERE p.stock_tracked = 1 GROUP BY l.sale_id"))
    # every sale moved each stock-tracked line once; a basket of untracked goods (airtime) moves none
    assert moved == lines and set(moved) <= set(made), "a sale's stock moved other than once per line"


def test_an_answer_lost_after_the_commit_is_retried_and_each_sale_is_held_once(hub_proc, proxy, tmp_path):
    till = ready_till(hub_proc, tmp_path / "t1", proxy.url)
    try:
        sell(till, 5)
        till.sync.report_status()  # a warm connection: the next big request is the upload
        proxy.drop_next_response()
        with pytest.raises(HubUnreachableError):
            till.sync.upload()
        assert proxy.dropped == 1
        assert till.store.unacked()[0] == 6  # the hub committed them, the till cannot know
        assert hub_proc.query("SELECT count(*) FROM sales")[0][0] == 5
        sell(till, 3, start=5)
        assert till.sync.upload() == 9
        assert till.sync.counts["duplicates"] == 6 and till.sync.counts["applied"] == 3
        assert_exactly_once_and_stock_agrees(hub_proc, [till])
    finally:
        till.close()


def test_duplicated_and_reordered_batches_apply_each_fact_once(hub_proc, tmp_path):
    till = ready_till(hub_proc, tmp_path / "t1")
    try:
        sell(till, 9)
        facts = till.store.facts_from(1, 100)
        assert [f["device_seq"] for f in facts] == list(range(1, 11))
        batches = [facts[0:4], facts[4:7], facts[7:10]]

        def send(batch):
            body = {"device_time": stamp(utc_now()), "events": [till.sync._envelope(f) for f in batch]}
            return till.client.call("POST", EVENTS_PATH, json_body=body)[1]

        with pytest.raises(HubRefusedError) as gap:  # the second batch first: a gap
            send(batches[1])
        assert gap.value.status == 409 and gap.value.code == "sequence_gap"
        assert gap.value.problem["resend_from"] == 1
        assert send(batches[0])["acked_through"] == 4
        answers = []
        threads = [threading.Thread(target=lambda: answers.append(send(batches[1]))) for _ in range(2)]
        for t in threads:  # the same batch twice at once: one applies it, the other finds it held
            t.start()
        for t in threads:
            t.join()
        assert sorted(r["status"] for a in answers for r in a["results"]) == ["applied"] * 3 + ["duplicate"] * 3
        assert [r["status"] for r in send(batches[0])["results"]] == ["duplicate"] * 4  # an old batch again
        mixed = send(facts[5:10])  # overlapping the held tail and the new
        assert [r["status"] for r in mixed["results"]] == ["duplicate", "duplicate", "applied", "applied", "applied"]
        assert mixed["acked_through"] == 10
        assert till.sync.upload() == 10  # the till's own upload: all covered, nothing re-applied
        assert till.sync.counts["duplicates"] == 10
        assert_exactly_once_and_stock_agrees(hub_proc, [till])
    finally:
        till.close()


def test_a_hub_killed_mid_batch_keeps_what_it_acknowledged_and_takes_the_rest_again(hub_proc, proxy, tmp_path):
    till = ready_till(hub_proc, tmp_path / "t1", proxy.url)
    try:
        sell(till, 6)
        assert till.sync.upload() == 7  # acknowledged before the crashes
        held = 6
        outcomes = []
        for delay_s in (0.0, 0.05, 0.2):  # SIGKILL as the batch arrives, while it is taken, after
            sell(till, 60, start=held)
            killed = threading.Event()

            def kill_soon(delay_s=delay_s, killed=killed) -> None:
                proxy.on_big_request = None
                threading.Timer(delay_s, lambda: (hub_proc.kill(), killed.set())).start()

            proxy.on_big_request = kill_soon
            try:
                till.sync.upload()  # the answer may beat the later kills on a fast machine
            except HubUnreachableError:
                pass
            assert killed.wait(10)
            at_crash = hub_proc.query("SELECT count(*) FROM sales")[0][0]
            assert at_crash in (held, held + 60)  # the batch committed whole or not at all, never half
            outcomes.append(at_crash - held)
            till.logout()
            assert till.login("cashier", hub_proc.credentials["cashier"][1]) == "offline"  # the verifier
            sell(till, 2, start=held + 60)  # the hub is down: the till keeps selling
            with pytest.raises(HubUnreachableError):
                till.sync.upload()
            hub_proc.start()
            till.sync.upload()
            assert till.store.unacked()[0] == 0
            held += 62
            assert_exactly_once_and_stock_agrees(hub_proc, [till])
    finally:
        till.close()


def test_a_hub_restored_from_an_older_backup_gets_every_lost_fact_again(hub_proc, tmp_path):
    pulling = ready_till(hub_proc, tmp_path / "t1")  # learns of the restore from the feed
    selling = ready_till(hub_proc, tmp_path / "t2")  # learns of it from its next upload
    try:
        for till in (pulling, selling):
            sell(till, 4)
            assert till.sync.upload() == 5
        hub_proc.cli("backup", "create")
        for till in (pulling, selling):
            sell(till, 5, start=4)
            assert till.sync.upload() == 5
        epoch = pulling.store.get("epoch")
        assert hub_proc.query("SELECT count(*) FROM sales")[0][0] == 18
        hub_proc.stop()
        [backup] = sorted(hub_proc.settings.backup_path.glob("hub-*.db"))
        out = hub_proc.cli("backup", "restore", "--yes", str(backup))
        assert "new epoch" in out
        hub_proc.start()
        assert hub_proc.query("SELECT count(*) FROM sales")[0][0] == 8  # the restored hub lacks 10

        pulling.sync.pull()  # 410 epoch_unknown -> snapshot -> everything offered again
        assert pulling.store.get("epoch") != epoch and pulling.sync.counts["new_epochs"] == 1
        assert pulling.sync.upload() == 10  # all it holds: 5 duplicates, 5 applied again
        assert pulling.sync.counts["duplicates"] == 5
        sell(selling, 1, start=9)
        selling.sync.upload()  # starts past what the hub holds: 409 resend_from, then the lost ones
        assert selling.sync.counts["sequence_gaps"] == 1
        assert_exactly_once_and_stock_agrees(hub_proc, [pulling, selling])
    finally:
        pulling.close()
        selling.close()


def test_tills_days_off_in_either_direction_count_and_order_their_sales_as_the_hub_does(hub_proc, tmp_path):
    ahead = ready_till(hub_proc, tmp_path / "ahead", clock=lambda: utc_now() + dt.timedelta(days=3, hours=5))
    behind = ready_till(hub_proc, tmp_path / "behind", clock=lambda: utc_now() - dt.timedelta(days=9))
    try:
        for till in (ahead, behind):
            sell(till, 4)
        behind.sync.upload()
        ahead.sync.upload()
        assert abs(ahead.sync.skew_ms - (3 * 86400 + 5 * 3600) * 1000) < 60_000
        assert abs(behind.sync.skew_ms + 9 * 86400 * 1000) < 60_000
        hub_now = utc_now()
        manager = hub_proc.client("manager")
        try:
            for till in (ahead, behind):
                got = [manager.get(f"/api/v1/sales/{s['id']}").json() for s in till.sales()]
                moments = [dt.datetime.fromisoformat(s["occurred_at"].replace("Z", "+00:00")) for s in got]
                assert all(abs((m - hub_now).total_seconds()) < 300 for m in moments), moments
                assert moments == sorted(moments)  # in the till's order, on the hub's clock
                assert [s["sequence"] for s in got] == [1, 2, 3, 4]
        finally:
            manager.close()
        assert_exactly_once_and_stock_agrees(hub_proc, [ahead, behind])
    finally:
        ahead.close()
        behind.close()


def test_two_tills_selling_at_once_through_a_link_that_loses_answers_lose_and_double_nothing(
        hub_proc, proxy, tmp_path):
    from reftill.sim import SimConfig, simulate

    config = SimConfig(hub=proxy.url, cashier="cashier", cashier_pin=hub_proc.credentials["cashier"][1], tills=2,
                       seconds=3, directory=tmp_path / "sim", manager="manager",
                       manager_password=hub_proc.credentials["manager"][0], seed=11)
    proxy.drop_next_response(4)  # the answers to the first four uploads, whichever till sent them
    reports = simulate(config)
    assert proxy.dropped == 4
    assert all(r.unacked == 0 and r.sales > 0 for r in reports), reports
    assert sum(r.duplicates for r in reports) >= 4  # each lost answer's facts came back as duplicates
    tills = [Till(tmp_path / "sim" / f"till-{i}") for i in (1, 2)]
    try:
        assert_exactly_once_and_stock_agrees(hub_proc, tills)
    finally:
        for till in tills:
            till.close()
