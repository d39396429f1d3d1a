"""A real hub and the real HQ collector (tests/hqtest.py on a throwaway PostgreSQL) through the
fault-injecting proxy: facts reach HQ exactly once despite dropped answers, resets and an outage
(one log line down, one back), and a price change at HQ reaches a reference till through the
hub's own feed."""

from __future__ import annotations

import time

import httpx
import pytest

from hub.bridge import state, worker as worker_mod
from hub.bench.storeday import enrol_real_store
from hub.bridge.outbox import business_date
from hub.db.connection import connect
from reftill.till import Till as RefTill
from tests.bridge.faultproxy import FaultProxy
from tests.hqtest import HQ
from tests.hubtest import Hub, HubServer, make_demo_store, make_settings
from tests.pairing import Tills
from tests.pgcluster import pg_cluster  # noqa: F401  (the session fixture)
from tests.sales.recipes import Till


class TlsHub(Hub):
    """The hub over HTTPS (the reference till pins its key); test clients skip the check."""

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.Client(base_url=self.url, headers=headers, timeout=20, verify=False)
        self._clients.append(client)
        return client


@pytest.fixture
def fast_link(monkeypatch):
    """The worker's timing knobs shrunk: a test waits milliseconds where a store waits minutes."""
    monkeypatch.setattr(worker_mod, "IDLE_S", 0.2)
    monkeypatch.setattr(worker_mod, "BACKOFF_FIRST_S", 0.05)
    monkeypatch.setattr(worker_mod, "BACKOFF_MAX_S", 0.3)
    monkeypatch.setattr(worker_mod, "STATUS_EVERY_S", 1.0)


@pytest.fixture
def collector(pg_cluster):  # noqa: F811
    with HQ(pg_cluster) as running:
        yield running


def enrolled_hub(tmp_path, hq: HQ, url: str, code: str, *, tls: bool = False, catalogue: bool = False) -> TlsHub:
    """A store (the demo data, made a real store) enrolled with HQ at `url`, then served."""
    settings = make_settings(tmp_path / code / "var", tls=tls)
    store = make_demo_store(settings, catalogue=catalogue)
    enrol_real_store(settings.db_path, settings.data_dir, hq, url, code, actor="test")
    return TlsHub(HubServer(settings).start(), store)


def status_of(hub: Hub) -> dict:
    conn = connect(hub.db_path, readonly=True)
    try:
        return state.bridge_status(conn)
    finally:
        conn.close()


def bridge_values(hub: Hub) -> dict:
    conn = connect(hub.db_path, readonly=True)
    try:
        return state.values(conn)
    finally:
        conn.close()


def wait_for(predicate, what: str, explain=None, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}{': ' + repr(explain()) if explain else ''}")


def hub_totals(hub: Hub) -> dict[tuple[str, str], int]:
    conn = connect(hub.db_path, readonly=True)
    try:
        out: dict[tuple[str, str], int] = {}
        for r in conn.execute("SELECT occurred_at, currency, total FROM sales WHERE training = 0"):
            key = (business_date(conn, r["occurred_at"]), r["currency"])
            out[key] = out.get(key, 0) + r["total"]
        return out
    finally:
        conn.close()


def hq_totals(hq: HQ, code: str) -> dict[tuple[str, str], int]:
    rows = hq.sql("SELECT s.business_date::text, s.currency, sum(s.total) FROM sales s JOIN stores t "
                  "ON t.id = s.store_id WHERE t.code = %s GROUP BY 1, 2", code)
    return {(d, c): int(t) for d, c, t in rows}


def outbox_ids(hub: Hub) -> set[str]:
    conn = connect(hub.db_path, readonly=True)
    try:
        return {r[0] for r in conn.execute("SELECT event_id FROM bridge_outbox")}
    finally:
        conn.close()


def hq_event_ids(hq: HQ, code: str) -> list[str]:
    return [r[0] for r in hq.sql("SELECT f.event_id FROM facts f JOIN stores t ON t.id = f.store_id "
                                 "WHERE t.code = %s", code)]


@pytest.mark.faults
def test_facts_reach_hq_once_through_faults_and_an_outage(tmp_path, collector, fast_link, caplog):
    with FaultProxy(collector.port) as proxy:
        hub = enrolled_hub(tmp_path, collector, proxy.url, "S101")
        try:
            tills = Tills.licensed(hub, hub.as_user("admin"))
            till = Till(hub, paired_by=tills)
            shift = till.shift()
            proxy.drop_responses(2)
            proxy.reset_requests(2)
            for _ in range(15):
                till.sell(shift_id=shift)
            hub.server.app.state.bridge.poke()
            wait_for(lambda: status_of(hub)["state"] == "current", "the backlog to drain")
            with caplog.at_level("INFO", logger="hub.bridge"):
                caplog.clear()
                proxy.outage(True)
                for _ in range(5):
                    till.sell(shift_id=shift)
                wait_for(lambda: status_of(hub)["state"] == "unreachable", "the hub to notice the outage")
                assert status_of(hub)["backlog"] >= 5
                time.sleep(1.0)  # several failed rounds: still one line
                proxy.outage(False)
                wait_for(lambda: status_of(hub)["state"] == "current", "the backlog to drain after the outage")
            lines = [r.getMessage() for r in caplog.records if r.name == "hub.bridge"]
            assert sum("unreachable" in m for m in lines) == 1, lines
            assert sum("reachable again" in m for m in lines) == 1, lines
            held = hq_event_ids(collector, "S101")
            assert len(held) == len(set(held))  # every fact once
            assert set(held) == outbox_ids(hub)
            assert hq_totals(collector, "S101") == hub_totals(hub)
            assert proxy.counts["dropped"] == 2 and proxy.counts["reset"] >= 2
            status = status_of(hub)
            assert status["state"] == "current" and status["last_push_at"]
        finally:
            hub.close()
            hub.server.stop()


def test_an_hq_price_change_reaches_a_reference_till_through_the_hubs_feed(tmp_path, collector, fast_link):
    hub = enrolled_hub(tmp_path, collector, collector.url, "S102", tls=True, catalogue=True)
    till = None
    try:
        tills = Tills.licensed(hub, hub.as_user("admin"))
        till = RefTill.pair(tmp_path / "till", hub.url, tills.code(), name="Till A")
        till.sync.pull()
        product = next(p for p in till.store.rows("product") if p["sku"] and not p.get("sold_by_weight")
                       and (p["effective_prices"] or {}).get("USD"))
        assert product["effective_prices"]["USD"] != 4321
        r = collector.admin.put(f"/api/hq/v1/reference/product/{product['id']}", json={
            "id": product["id"], "sku": product["sku"], "name": product["name"] + " (chain)", "unit": "each",
            "tax_class": "VAT", "prices": {"USD": 4321}, "active": True})
        assert r.status_code in (200, 201), r.text
        hub.server.app.state.bridge.poke()

        def till_has_it() -> bool:
            till.sync.pull()
            found = till.store.row("product", product["id"])
            return bool(found) and (found["effective_prices"] or {}).get("USD") == 4321
        wait_for(till_has_it, "the till to receive HQ's price", lambda: (status_of(hub), bridge_values(hub)))
        assert till.store.row("product", product["id"])["name"].endswith("(chain)")
        conn = connect(hub.db_path, readonly=True)
        try:
            who = conn.execute("SELECT username FROM audit_log WHERE entity = 'product' AND entity_id = ? "
                               "ORDER BY seq DESC LIMIT 1", (product["id"],)).fetchone()[0]
        finally:
            conn.close()
        assert who == "system:hq"
    finally:
        if till is not None:
            till.close()
        hub.close()
        hub.server.stop()


def test_a_sealed_backup_is_copied_to_hq_and_marked_sent(tmp_path, collector, fast_link):
    hub = enrolled_hub(tmp_path, collector, collector.url, "S103")
    try:
        admin = hub.as_user("admin")
        assert admin.post("/api/v1/ops/recovery-key").status_code == 201
        assert admin.patch("/api/v1/ops/settings", json={"hq_copies": True}).status_code == 200
        r = admin.post("/api/v1/ops/backups")
        assert r.status_code == 201, r.text
        run = r.json()
        assert run["bundle"].endswith(".sokobak") and run["hq_status"] == "queued"
        hub.server.app.state.bridge.poke()

        def sent() -> dict | None:
            row = next(b for b in admin.get("/api/v1/ops/backups").json()["items"] if b["name"] == run["name"])
            return row if row["hq_status"] != "queued" else None
        row = wait_for(sent, "the backup to reach HQ", lambda: status_of(hub))
        assert row["hq_status"] == "sent", row
        [(name, size, digest)] = collector.sql(
            "SELECT b.name, b.size, b.sha256 FROM backups b JOIN stores t ON t.id = b.store_id WHERE t.code = %s",
            "S103")
        bundle = hub.server.settings.backup_path / run["bundle"]
        from hub.bridge.backups import sha256_of
        assert (name, size, digest) == (run["bundle"], bundle.stat().st_size, sha256_of(bundle))
        assert b"SQLite format 3" not in bundle.read_bytes()[:4096]  # HQ holds a copy it cannot open
    finally:
        hub.close()
        hub.server.stop()
