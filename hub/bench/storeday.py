"""The store-day simulation (`soko-hub bench storeday`): a compressed trading day of a whole store.

A scratch store (the demo catalogue, made a real store) is served by `python -m hub serve` on
127.0.0.1 in its own process (plain HTTP, a fast password KDF, the HQ link's waits shrunk to
seconds), enrolled with a real HQ collector (cloud_bridge on a throwaway PostgreSQL cluster,
hub.bench.hqcollector) through a fault proxy (hub.bench.faultproxy). Then, for the day:

- reference tills (reftill, the client a till is) each open a shift, sell baskets arriving at a
  constant rate (open loop: a till that falls behind sells the arrivals it owes at once), hand over
  to a second shift half-way through the day, void a few sales and refund one (the supervisor signs
  in for it),
  and upload and pull every second; every fifth till is offline for a spell and uploads later;
- a manager runs the reports through the API over and over (their latency is measured);
- the catalogue changes at HQ (which owns it once the hub is enrolled): a price, a new product, a
  product taken out (while the link is down, so it arrives after); every till must receive all;
- a stock take is counted and posted;
- the HQ link goes down and comes back.

At the end, with the hub stopped: every sale a till made is held exactly once at the hub and at
HQ with the same totals per currency, stock equals the ledger, each stock-tracked line moved
once, the audit chain verifies, no till holds an unacknowledged fact, every till's change feed is
caught up, and the HQ outbox is drained. crash.verify is the hub-side oracle.
"""

from __future__ import annotations

import os
import random
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from hub.bench import crash
from hub.bench.report import percentile

STORE_CODE = "SD01"
UPLOAD_EVERY_S = 1.0
OFFLINE_EVERY = 5  # every fifth till has an offline spell
OFFLINE_SPELL = (0.2, 0.45)  # of the day
HQ_DOWN = (0.3, 0.6)  # of the day
EVENTS = {"price": 0.1, "new_product": 0.2, "archive": 0.4, "stock_take": 0.5}  # archive: while HQ is down
VOID_SHARE = 0.02
VOID_NTH = 5  # each till also voids its fifth sale, so every day has voids
REFUND_AT = (12, 2)  # when a till rings up its 12th sale, the supervisor refunds its 2nd (uploaded by then)
SETTLE_TIMEOUT_S = 120
# The HQ link's waits in the served hub (hub.bridge.worker), shrunk as the link tests shrink them:
# a store waits minutes between attempts, a compressed day cannot.
LINK_KNOBS = {"IDLE_S": 0.5, "BACKOFF_FIRST_S": 0.2, "BACKOFF_MAX_S": 1.5, "STATUS_EVERY_S": 2.0}


@dataclass
class Result:
    tills: int = 0
    seconds: float = 0.0
    rate: float = 0.0
    made: int = 0
    voids: int = 0
    refunds: int = 0
    shifts: int = 0
    offline_tills: int = 0
    reports_run: int = 0
    report_ms: list[float] = field(default_factory=list)
    report_errors: list[str] = field(default_factory=list)
    catalogue_changes: list[str] = field(default_factory=list)  # what was changed
    catalogue_missing: list[str] = field(default_factory=list)  # till: change it did not receive
    stock_take: str = ""  # posted, or why not
    hq_outages: int = 0
    hq_refused: int = 0  # connections the proxy reset while HQ was down
    hq_sales: int = 0
    hq_doubled: list[str] = field(default_factory=list)
    hq_missing: list[str] = field(default_factory=list)
    hq_foreign: list[str] = field(default_factory=list)
    documents_differ: list[str] = field(default_factory=list)  # voids and refunds, hub against HQ
    hub_totals: dict[str, int] = field(default_factory=dict)
    hq_totals: dict[str, int] = field(default_factory=dict)
    hq_backlog: int = -1
    unacked: int = 0
    feeds_behind: list[str] = field(default_factory=list)
    till_errors: list[str] = field(default_factory=list)
    refund_errors: list[str] = field(default_factory=list)
    hub: crash.Result = field(default_factory=crash.Result)  # the hub-side oracle
    wall_s: float = 0.0
    load_average: float = 0.0

    def problems(self) -> list[str]:
        out = list(self.hub.problems())
        if self.hq_missing or self.hq_doubled or self.hq_foreign:
            out.append(f"HQ: {len(self.hq_missing)} sales missing, {len(self.hq_doubled)} doubled, "
                       f"{len(self.hq_foreign)} unknown")
        out += [f"HQ: {d}" for d in self.documents_differ]
        if self.hub_totals != self.hq_totals:
            out.append(f"totals differ: hub {self.hub_totals}, HQ {self.hq_totals}")
        if self.hq_backlog != 0:
            out.append(f"the HQ outbox holds {self.hq_backlog} facts")
        if self.unacked:
            out.append(f"tills hold {self.unacked} unacknowledged facts")
        if self.feeds_behind:
            out.append(f"feeds behind: {', '.join(self.feeds_behind[:5])}")
        if self.catalogue_missing:
            out.append(f"catalogue changes not at the tills: {', '.join(self.catalogue_missing[:5])}")
        if self.stock_take != "posted":
            out.append(f"stock take: {self.stock_take}")
        if self.report_errors:
            out.append(f"reports refused: {', '.join(self.report_errors[:3])}")
        if not self.made:
            out.append("no sale was made")
        if self.refund_errors:
            out.append(f"refunds refused: {', '.join(self.refund_errors[:3])}")
        return out

    @property
    def ok(self) -> bool:
        return not self.problems()


class StoreHub(crash.HubRunner):
    """crash's hub process, with the HQ link's waits shrunk (LINK_KNOBS) before it serves."""

    def launch(self, extra_env: dict[str, str] | None = None) -> None:
        import subprocess
        import sys

        knobs = "; ".join(f"w.{k} = {v!r}" for k, v in LINK_KNOBS.items())
        code = (f"import sys; import hub.bridge.worker as w; {knobs}; import hub.cli; "
                "hub.cli.main(sys.argv[1:], prog_name='soko-hub')")
        with open(self.log, "ab") as log:
            self.launched_at = time.perf_counter()
            self.proc = subprocess.Popen([sys.executable, "-c", code, *self._argv()], stdout=log,
                                         stderr=subprocess.STDOUT, env=self._env(extra_env), cwd=crash._ROOT)
        self.pid = self.proc.pid


def prepare(where: Path) -> dict[str, tuple[str, str]]:
    """The demo store with its catalogue: {username: (password, PIN)}."""
    from hub.auth.passwords import SecretHasher
    from hub.setup import DEMO_STORE, create_database, load_demo_catalogue

    data = where / "var"
    data.mkdir(parents=True, exist_ok=True)
    store = create_database(data / "hub.db", store_name=DEMO_STORE["name"], store_code=DEMO_STORE["code"],
                            timezone=DEMO_STORE["timezone"], hasher=SecretHasher(1, 8), demo=True)
    load_demo_catalogue(data / "hub.db")
    return {u: (pw, pin) for u, _role, pw, pin in store.credentials}


def hq_body(hub: crash.HubRunner, product_id: str) -> dict[str, Any]:
    """A hub product as HQ's reference data writes it (cloud_bridge's product schema)."""
    [(sku, name, receipt, category, unit, tax, hs)] = hub.query(
        "SELECT p.sku, p.name, p.receipt_name, p.category_id, u.code, t.code, p.hs_code FROM products p"
        " JOIN units u ON u.id = p.unit_id JOIN tax_classes t ON t.id = p.tax_class_id WHERE p.id = ?", product_id)
    prices = {c: int(p) for c, p in hub.query(
        "SELECT currency, price FROM product_prices WHERE product_id = ? AND price IS NOT NULL", product_id)}
    barcodes = [{"code": c, "pack_quantity": q} for c, q in hub.query(
        "SELECT code, pack_quantity FROM barcodes WHERE product_id = ? ORDER BY code", product_id)]
    body = {"id": product_id, "sku": sku, "name": name, "unit": unit, "tax_class": tax, "prices": prices,
            "barcodes": barcodes, "active": True, "hs_code": hs or ""}
    if receipt:
        body["short_name"] = receipt
    if category:
        body["category_id"] = category
    return body


def hq_put(hq: Any, body: dict[str, Any]) -> None:
    r = hq.admin.put(f"/api/hq/v1/reference/product/{body['id']}", json=body)
    if r.status_code not in (200, 201):
        raise RuntimeError(f"HQ refused the product {body['id']}: {r.status_code} {r.text[:300]}")


def make_real_and_enrol(hub: StoreHub, hq: Any, url: str) -> None:
    """The demo store made a real one (its tills are already paired) and enrolled with HQ at `url`."""
    enrol_real_store(hub.db_path, hub.data, hq, url, STORE_CODE)


def enrol_real_store(db_path: Path, data_dir: Path, hq: Any, url: str, code: str, *, actor: str = "bench") -> None:
    """A demo store's database made a real store's (a demo hub refuses enrolment) with the store
    code `code`, and enrolled as that store with the HQ collector `hq` reached at `url`."""
    from hub.bridge import enrol as enrolment
    from hub.bridge.worker import ConnStore
    from hub.db.audit import Actor
    from hub.db.connection import connect, transaction

    conn = connect(db_path)
    try:
        with transaction(conn):
            conn.execute("UPDATE meta SET value = '0' WHERE key = 'demo'")
            conn.execute("UPDATE settings SET value = ? WHERE key = 'store.code'", (f'"{code}"',))
        s = ConnStore(conn)
        enrolment.enrol(s.read, s.write, data_dir, Actor.system(actor), url=url, code=hq.create_store(code))
    finally:
        conn.close()


class Manager:
    """The manager at the portal's API: reports, catalogue changes, a stock take."""

    def __init__(self, url: str, password: str, result: Result) -> None:
        import httpx

        self.result = result
        self.http = httpx.Client(base_url=url, timeout=60)
        r = self.http.post("/api/v1/auth/login", json={"username": "manager", "password": password})
        r.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        self.reports = [r["name"] for r in self.call("GET", "/api/v1/reports")]

    def call(self, method: str, path: str, **kw: Any) -> Any:
        r = self.http.request(method, path, **kw)
        if r.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {r.status_code} {r.text[:300]}")
        return r.json() if r.content else None

    def run_reports(self, stop: threading.Event, pause_s: float) -> None:
        while not stop.is_set():
            for name in self.reports:
                if stop.is_set():
                    return
                began = time.perf_counter()
                r = self.http.get(f"/api/v1/reports/{name}", params={"period": "today"})
                self.result.report_ms.append((time.perf_counter() - began) * 1000)
                self.result.reports_run += 1
                if r.status_code != 200:
                    self.result.report_errors.append(f"{name}: {r.status_code}")
                stop.wait(pause_s)

    def change_price(self, hq: Any, body: dict[str, Any]) -> tuple[str, int]:
        """HQ changes a price (HQ owns prices once the hub is enrolled)."""
        price = int(body["prices"]["USD"]) + 7
        hq_put(hq, {**body, "prices": {**body["prices"], "USD": price}})
        return body["id"], price

    def new_product(self, hq: Any, like: dict[str, Any]) -> str:
        """HQ adds a product to the chain's catalogue."""
        from hub.ids import new_id

        body = {"id": new_id(), "sku": "SD-NEW-1", "name": "Store-day new product", "unit": like["unit"],
                "tax_class": like["tax_class"], "prices": {"USD": 199}, "active": True}
        hq_put(hq, body)
        return body["id"]

    def archive(self, hq: Any, body: dict[str, Any]) -> str:
        """HQ takes a product out of the catalogue (inactive at the hub and the tills)."""
        hq_put(hq, {**body, "active": False})
        return body["id"]

    def stock_take(self, product_ids: list[str]) -> str:
        takes = "/api/v1/inventory/stock-takes"
        take = self.call("POST", takes, json={"name": "Store-day shelf count"})["id"]
        lines = [{"product_id": p, "quantity": 1000 * (5 + i)} for i, p in enumerate(product_ids)]
        self.call("POST", f"{takes}/{take}/lines", json={"lines": lines})
        self.call("POST", f"{takes}/{take}/review")
        r = self.http.post(f"{takes}/{take}/post")
        if r.status_code == 409:  # the variance needs approving first
            self.call("POST", f"{takes}/{take}/approve")
            r = self.http.post(f"{takes}/{take}/post")
        if r.status_code != 200:
            return f"refused: {r.status_code} {r.text[:200]}"
        return r.json()["stock_take"]["status"]

    def close(self) -> None:
        self.http.close()


class DayTill:
    """One reference till's day, in its own thread."""

    def __init__(self, worker: crash.TillWorker, creds: dict[str, tuple[str, str]], rate: float, seconds: float,
                 offline: bool, day_start: float) -> None:
        self.w = worker
        self.creds = creds
        self.rate = rate
        self.seconds = seconds
        self.offline = offline
        self.day_start = day_start
        self.sales = 0
        self.voids = 0
        self.refunds = 0
        self.voided: set[str] = set()
        self.shifts = 1
        self.errors: list[str] = []

    def _login(self, who: str) -> None:
        if self.w.till.login(who, self.creds[who][1]) != "online":
            self.w.till.login_offline(who, self.creds[who][1])

    def _void(self, sale_id: str) -> None:
        self._login("supervisor")
        try:
            self.w.till.void(sale_id, "customer changed their mind")
            self.voids += 1
            self.voided.add(sale_id)
        finally:
            self._login(crash.CASHIER)

    def _refund(self, sale: dict[str, Any]) -> None:
        """The supervisor refunds a sale's first line at the till, online (POST /api/v1/sales/{id}/refunds)."""
        from reftill.facts import uuid7
        from reftill.http import HubRefusedError, HubUnreachableError
        from reftill.sync import stamp

        till = self.w.till
        self._login("supervisor")
        try:
            body = {"id": uuid7(), "device_clock": stamp(till.clock()), "reason": "damaged packaging",
                    "lines": [{"line_no": 0, "quantity": sale["lines"][0]["quantity"]}], "shift_id": till.shift_id}
            till.client.call("POST", f"/api/v1/sales/{sale['id']}/refunds", json_body=body)
            self.refunds += 1
        except (HubRefusedError, HubUnreachableError) as err:
            self.errors.append(f"refund: {err}"[:300])
        finally:
            self._login(crash.CASHIER)

    def run(self) -> None:
        try:
            self._day()
        except Exception as err:  # reported, not hidden; the other tills go on
            self.errors.append(f"{type(err).__name__}: {err}")

    def _online(self, at: float) -> bool:
        share = at / self.seconds
        return not (self.offline and OFFLINE_SPELL[0] <= share < OFFLINE_SPELL[1])

    def _sync(self) -> None:
        from reftill.http import HubRefusedError, HubUnreachableError

        self.w.deliver()
        try:
            self.w.till.sync.pull()
        except (HubUnreachableError, HubRefusedError) as err:
            self.errors.append(f"pull: {err}"[:200])

    def _day(self) -> None:
        till, rng = self.w.till, self.w.rng
        next_sale = self.day_start + rng.expovariate(self.rate)
        last_sync = time.monotonic()
        handed_over = False
        last_sale: str | None = None
        made: list[dict[str, Any]] = []
        while True:
            now = time.monotonic()
            at = now - self.day_start
            if at >= self.seconds:
                break
            if not handed_over and at >= self.seconds / 2:
                handed_over = True
                till.close_shift()
                till.open_shift({"USD": 5000})
                self.shifts += 1
            while next_sale <= now:  # open loop: every arrival is served, late or not
                codes = self._codes()
                basket = [(rng.choice(codes), None) for _ in range(rng.randint(1, 4))]
                sale = till.sell(basket, method=rng.choice(["cash", "cash", "card", "mobile_money"]))
                self.sales += 1
                if last_sale and (self.sales == VOID_NTH or rng.random() < VOID_SHARE):
                    self._void(last_sale)
                last_sale = sale["id"]
                made.append(sale)
                if self.sales == REFUND_AT[0] and self._online(at):
                    self.w.deliver()
                    self._refund(next(m for m in made[REFUND_AT[1] - 1:] if m["id"] not in self.voided))
                next_sale += rng.expovariate(self.rate)
            if now - last_sync >= UPLOAD_EVERY_S and self._online(at):
                last_sync = now
                self._sync()
            time.sleep(max(0.0, min(next_sale, last_sync + UPLOAD_EVERY_S) - time.monotonic()))
        till.close_shift()
        self.w.finish(attempts=50)
        self._sync()

    def _codes(self) -> list[str]:
        """What the till can sell now: priced, not archived (its catalogue changes during the day)."""
        store = self.w.till.store
        if getattr(self, "_cursor", None) != store.get("cursor"):
            self._cursor = store.get("cursor")
            self._cached = crash._sellable(self.w.till)
        return self._cached


def _open(hub: StoreHub, creds: dict[str, tuple[str, str]], count: int, seed: int) -> list[crash.TillWorker]:
    from reftill.till import Till

    workers = []
    for n in range(count):
        till = Till(hub.directory / f"till-{n + 1}")
        till.sync.pull()
        if till.login(crash.CASHIER, creds[crash.CASHIER][1]) != "online":
            raise RuntimeError("the cashier could not sign in at the hub")
        till.open_shift({"USD": 5000})
        worker = crash.TillWorker(till, direct=False, rng=random.Random(seed + n), pace_s=0)
        worker.finish()
        workers.append(worker)
    return workers


def _wait(predicate: Callable[[], Any], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


def _feed_head(hub: StoreHub) -> tuple[str, int]:
    """The hub's change feed: its epoch and the last seq it issued."""
    from hub.db.connection import connect
    from hub.sync import feed

    conn = connect(hub.db_path, readonly=True)
    try:
        return feed.epoch_of(conn), feed.issued_through(conn)
    finally:
        conn.close()


def _bridge(hub: StoreHub) -> dict[str, Any]:
    from hub.bridge import state
    from hub.db.connection import connect

    conn = connect(hub.db_path, readonly=True)
    try:
        return state.bridge_status(conn)
    finally:
        conn.close()


def measure(tills: int = 30, seconds: float = 60.0, rate: float = 0.5, seed: int = 1, report_pause_s: float = 0.5,
            directory: Path | None = None, progress: Callable[[str], None] | None = None) -> Result:
    """One compressed day of `seconds`; `rate` sales per second per till (open loop)."""
    from hub.bench.faultproxy import FaultProxy
    from hub.bench.hqcollector import HQ
    from hub.bench.pgcluster import PgCluster

    say = progress or (lambda _m: None)
    result = Result(tills=tills, seconds=seconds, rate=rate, load_average=os.getloadavg()[0])
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="soko-bench-storeday-") as scratch, PgCluster() as pg, HQ(pg) as hq, \
            FaultProxy(hq.port) as proxy:
        where = directory or Path(scratch)
        creds = prepare(where)
        hub = StoreHub(where)
        crash.pair_tills(hub, tills)
        make_real_and_enrol(hub, hq, proxy.url)
        workers: list[crash.TillWorker] = []
        manager = None
        stop = threading.Event()
        try:
            hub.start()
            say(f"hub up, enrolled with HQ; opening {tills} tills")
            workers = _open(hub, creds, tills, seed)
            manager = Manager(hub.url, creds["manager"][0], result)
            sample = workers[0].till.store.rows("product")
            sellable = set(crash._sellable(workers[0].till))
            priced = [p for p in sample if p.get("sku") in sellable and not p.get("sold_by_weight")]
            to_price, to_archive = priced[0], priced[1]
            tracked = [p["id"] for p in priced[2:8]]
            day_start = time.monotonic() + 0.5
            days = [DayTill(w, creds, rate, seconds, offline=(n % OFFLINE_EVERY == OFFLINE_EVERY - 1),
                            day_start=day_start) for n, w in enumerate(workers)]
            result.offline_tills = sum(d.offline for d in days)
            threads = [threading.Thread(target=d.run, name=f"storeday-till-{n}", daemon=True)
                       for n, d in enumerate(days)]
            threads.append(threading.Thread(target=manager.run_reports, args=(stop, report_pause_s),
                                            name="storeday-reports", daemon=True))
            for t in threads:
                t.start()
            expected: dict[str, Callable[[Any], bool]] = {}
            plan = sorted([(EVENTS["price"], "price"), (EVENTS["new_product"], "new_product"),
                           (EVENTS["archive"], "archive"), (EVENTS["stock_take"], "stock_take"),
                           (HQ_DOWN[0], "hq_down"), (HQ_DOWN[1], "hq_up")])
            for share, what in plan:
                time.sleep(max(0.0, day_start + share * seconds - time.monotonic()))
                say(f"{share:.0%} of the day: {what}")
                if what == "price":
                    pid, price = manager.change_price(hq, hq_body(hub, to_price["id"]))
                    result.catalogue_changes.append("price")
                    expected["price"] = lambda s, pid=pid, price=price: (
                        (s.row("product", pid) or {}).get("effective_prices", {}).get("USD") == price)
                elif what == "new_product":
                    new_id = manager.new_product(hq, hq_body(hub, to_price["id"]))
                    result.catalogue_changes.append("new product")
                    expected["new product"] = lambda s, new_id=new_id: s.row("product", new_id) is not None
                elif what == "archive":
                    gone = manager.archive(hq, hq_body(hub, to_archive["id"]))
                    result.catalogue_changes.append("archived product")
                    expected["archived product"] = lambda s, gone=gone: (
                        s.row("product", gone) is None or not s.row("product", gone).get("active", True)
                        or bool(s.row("product", gone).get("archived_at")))
                elif what == "stock_take":
                    result.stock_take = manager.stock_take(tracked)
                elif what == "hq_down":
                    proxy.outage(True)
                    result.hq_outages += 1
                else:
                    proxy.outage(False)
            for t in threads[:-1]:
                t.join(seconds + SETTLE_TIMEOUT_S)
            stop.set()
            threads[-1].join(60)
            say("the day is over; waiting for HQ to catch up")
            result.hq_refused = proxy.counts["refused"] + proxy.counts["reset"]
            _wait(lambda: _bridge(hub)["backlog"] == 0, SETTLE_TIMEOUT_S)
            result.hq_backlog = _bridge(hub)["backlog"]
            for d in days:
                result.made += d.sales
                result.voids += d.voids
                result.refunds += d.refunds
                result.shifts += d.shifts
                result.till_errors += [f"{d.w.till.store.get('device_name')}: {e}" for e in d.errors]
                result.refund_errors += [e for e in d.errors if e.startswith("refund:")]
            epoch, head = _feed_head(hub)
            for w in workers:  # every till's feed reaches the hub's head once the store is quiet, holding each change
                name = w.till.store.get("device_name")
                try:
                    w.till.sync.pull()
                except Exception as err:  # noqa: BLE001  (named below as behind)
                    result.till_errors.append(f"{name}: final pull: {err}"[:200])
                cursor = str(w.till.store.get("cursor") or "")
                at_epoch, _, seq = cursor.rpartition(":")
                if at_epoch != epoch or not seq.isdigit() or int(seq) < head:
                    result.feeds_behind.append(f"{name} at {cursor!r}, the hub at {epoch}:{head}")
                result.catalogue_missing += [f"{name}: {what}" for what, has in expected.items()
                                             if not has(w.till.store)]
                result.unacked += w.till.store.unacked()[0]
            hub.stop()
            crash.verify(hub, workers, result.hub)
            _compare_hq(hub, hq, workers, result)
        finally:
            stop.set()
            if manager is not None:
                manager.close()
            hub.close()
            for w in workers:
                w.till.close()
    result.wall_s = time.perf_counter() - began
    return result


def _compare_hq(hub: StoreHub, hq: Any, workers: list[crash.TillWorker], result: Result) -> None:
    made = {s["id"] for w in workers for s in w.till.sales()}
    at_hq = Counter(r[0] for r in hq.sql("SELECT s.sale_id FROM sales s JOIN stores t ON t.id = s.store_id "
                                         "WHERE t.code = %s", STORE_CODE))
    result.hq_sales = sum(at_hq.values())
    result.hq_doubled = sorted(s for s, n in at_hq.items() if n > 1)
    result.hq_missing = sorted(made - set(at_hq))
    result.hq_foreign = sorted(set(at_hq) - made)
    for what, hub_sql, hq_sql in (
            ("voided sales", "SELECT sale_id FROM sale_voids", "SELECT v.sale_id FROM voids v"),
            ("refunds", "SELECT id FROM sale_refunds", "SELECT v.refund_id FROM refunds v")):
        here = {r[0] for r in hub.query(hub_sql)}
        there = {r[0] for r in hq.sql(hq_sql + " JOIN stores t ON t.id = v.store_id WHERE t.code = %s", STORE_CODE)}
        if here != there:
            result.documents_differ.append(f"{what}: {len(here - there)} not at HQ, {len(there - here)} only at HQ")
    result.hub_totals = {c: int(t) for c, t in hub.query(
        "SELECT currency, sum(total) FROM sales WHERE training = 0 GROUP BY currency")}
    result.hq_totals = {c: int(t) for c, t in hq.sql(
        "SELECT s.currency, sum(s.total) FROM sales s JOIN stores t ON t.id = s.store_id WHERE t.code = %s "
        "GROUP BY 1", STORE_CODE)}


def rows(result: Result) -> list[tuple[str, str, str, str, str]]:
    h = result.hub
    p99 = percentile(result.report_ms, 0.99)
    return [
        ("sales made / held at the hub / at HQ", f"{result.made} / {h.held} / {result.hq_sales}", "-", "-",
         "all, once"),
        ("tills (of them offline for a spell), shifts, voids, refunds",
         f"{result.tills} ({result.offline_tills}), {result.shifts}, {result.voids}, {result.refunds}", "-", "-",
         "-"),
        ("sales lost / doubled at the hub", f"{len(h.lost)} / {len(h.doubled)}", "-", "-", "0 / 0"),
        ("sales missing / doubled at HQ", f"{len(result.hq_missing)} / {len(result.hq_doubled)}", "-", "-",
         "0 / 0"),
        ("totals per currency, hub = HQ", "equal" if result.hub_totals == result.hq_totals else
         f"{result.hub_totals} vs {result.hq_totals}", "-", "-", "equal"),
        ("voids and refunds, hub = HQ", "equal" if not result.documents_differ else
         "; ".join(result.documents_differ), "-", "-", "equal"),
        ("reports run during the day, p50 / p99", f"{result.reports_run}, "
         f"{percentile(result.report_ms, 0.5):.0f} / {p99:.0f} ms", "-", "-", "p99 <= 1000 ms"),
        ("catalogue changes at every till", f"{len(result.catalogue_changes)} made, "
         f"{len(result.catalogue_missing)} missing", "-", "-", "0 missing"),
        ("stock take", result.stock_take or "-", "-", "-", "posted"),
        ("HQ outages (connections refused meanwhile), outbox after", f"{result.hq_outages} "
         f"({result.hq_refused}), {result.hq_backlog}", "-", "-", "0 left"),
        ("stock ledger differences, each line moved once", f"{h.ledger_differences}, "
         f"{'yes' if h.stock_moves_ok else 'NO'}", "-", "-", "0, yes"),
        ("audit chain", f"{'verifies' if h.audit_ok else 'BROKEN'} ({h.audit_entries} entries)", "-", "-",
         "verifies"),
        ("unacknowledged facts at tills, feeds behind", f"{result.unacked}, {len(result.feeds_behind)}", "-", "-",
         "0, 0"),
    ]


def summary(result: Result) -> str:
    problems = result.problems()
    return (f"A compressed store day of {result.seconds:g} s: `python -m hub serve` (plain HTTP) enrolled with "
            f"a real HQ collector on PostgreSQL through a fault proxy, {result.tills} reference tills selling "
            f"{result.rate:g} sales/s each (open loop), a shift handover half-way, voids and refunds by the supervisor, "
            f"{result.offline_tills} tills offline for {OFFLINE_SPELL[0]:.0%}-{OFFLINE_SPELL[1]:.0%} of the day; "
            f"the manager running every report through the API and posting a stock take; HQ changing a price, adding "
            f"a product and taking one out; HQ unreachable for {HQ_DOWN[0]:.0%}-{HQ_DOWN[1]:.0%} of the day. "
            f"{result.wall_s:.0f} s in all; load average {result.load_average:.1f} when it began. "
            + ("All checks passed." if not problems else "FAILED: " + "; ".join(problems))
            + (f" Till errors met (retried): {len(result.till_errors)}." if result.till_errors else ""))
