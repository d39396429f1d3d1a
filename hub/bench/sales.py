"""Sale commits through the real API: latency at a store's load, and the rate under a 30-till burst.

A scratch demo store gets generated products and `tills` paired tills, each with the demo
cashier signed in and a shift open (all through the hub's own services and API, as a store would
have them). The hub serves it as shipped (HTTPS, its own certificate) in a child process on
127.0.0.1. Each sale is one header with 15 lines of stock-tracked products at their catalogue
prices, paid in cash, so it commits what a real sale commits: the sale, its lines and tender,
15 stock movements and levels, and an audit entry, acknowledged only once durable.

Two phases:
- **store load**: sales arrive at a constant rate spread over the tills (open loop: each is due
  at its own moment and its latency counts from that moment, so time waiting for its till's
  previous sale counts too); the target is p99 <= 10 ms at 150 sales/s (DESIGN.md section 9).
- **burst**: every till sends its next sale the moment the last is answered, for the phase's
  length: the sustained rate the hub reaches, and the latency each till sees meanwhile.

The reference is raw sqlite3 in this process committing the same sale rows (a header, 15 lines
and a tender, one transaction per sale) with the hub's pragmas (WAL, synchronous=FULL) into a
scratch file on the same disk: its one-at-a-time rate and latency. The target for the burst is a
sustained rate of at least 60% of that.

`fsync_ms` runs the hub and the reference (then in a child process) under the slow-fsync shim
(hub.bench.slowsync): every fsync returns that much later, as on a Raspberry Pi's SD card, which is
where sharing one fsync among the sales waiting at once (group commit) is meant to pay.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from hub.bench.lookup import _Connection, _free_port, _run, _stack, _start_hub, _stop, _wait_ready
from hub.bench.report import percentile

LINES_PER_SALE = 15
TARGET_RATE = 150  # sales a second, DESIGN.md section 9
TARGET_P99_MS = 10.0
TARGET_SHARE = 0.60  # of raw SQLite's rate, under the burst
REFERENCE_SALES = 600
OPENING_STOCK = 10_000_000  # thousandths: 10,000 of each product
WARMUP_SALES = 2  # per till, before either phase: first requests pay for connection set-up
ALONE_SALES = 60  # one till selling on an otherwise idle hub: the floor under every latency


@dataclass
class Phase:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    wall_s: float = 0.0
    first_error: str = ""
    written: int = 0  # bytes the process sent to storage during the phase (/proc/<pid>/io), 0 if unknown

    def pct(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.wall_s if self.wall_s else 0.0


@dataclass
class Result:
    tills: int
    rate: int
    seconds: float
    load: Phase
    burst: Phase
    reference: Phase
    load_average: float = 0.0
    stack: str = ""
    products: int = 0
    hub_written: int = 0  # bytes the hub process sent to storage over both phases (/proc/<pid>/io)
    fsync_ms: float = 0.0  # added to every fsync of the hub and the reference (hub.bench.slowsync)
    alone: Phase = field(default_factory=Phase)  # one till, one sale at a time, nothing else running

    @property
    def timed(self) -> int:
        """Sales acknowledged in the timed phases (the warm-up's are not)."""
        return sum(len(p.latencies_ms) for p in (self.alone, self.load, self.burst))


@dataclass
class Till:
    device_token: str
    access_token: str = ""
    shift_id: str = ""
    sequence: int = 0


def prepare(data: Path, products: int, tills: int, seed: int) -> tuple[list[Till], list[dict[str, Any]], str]:
    """A demo store with generated products and `tills` paired tills (a demo store pairs without
    license seats); returns the tills, the products a sale may name (id, USD price, tax) and the
    cashier's password."""
    from hub.auth.passwords import SecretHasher
    from hub.catalogue import demo
    from hub.catalogue.demo_install import install
    from hub.db.audit import Actor
    from hub.db.connection import connect, transaction
    from hub.devices import service as devices
    from hub.db.pricing import load_catalogue
    from hub.inventory import Source, move
    from hub.pricing.prices import unit_price
    from hub.setup import DEMO_STORE, create_database

    store = create_database(data / "hub.db", store_name=DEMO_STORE["name"], store_code=DEMO_STORE["code"],
                            timezone=DEMO_STORE["timezone"], hasher=SecretHasher(1, 8), demo=True)
    generated = demo.generate(products, seed)
    conn = connect(data / "hub.db")
    try:
        with transaction(conn):
            install(conn, demo.DemoCatalogue(products=generated), Actor.system("bench"), publish=False)
        admin = conn.execute("SELECT id, username FROM users WHERE username = 'admin'").fetchone()
        manager = Actor(user_id=admin["id"], username=admin["username"])
        paired = []
        for n in range(tills):
            with transaction(conn):
                code = devices.normalise_code(devices.create_pairing_code(conn, manager)["code"])
                got = devices.pair(conn, code, name=f"Bench till {n + 1}", platform="android", app_version="bench",
                                   serial=None, address="127.0.0.1", request_id=None, demo_seatless=True)
            paired.append(Till(got["device_token"]))
        rows = conn.execute(
            "SELECT p.id, p.name, p.tax_class_id,"
            " (SELECT rate_bp FROM tax_rates r WHERE r.tax_class_id = p.tax_class_id"
            "  ORDER BY effective_from DESC LIMIT 1) AS rate_bp"
            " FROM products p"
            " WHERE p.stock_tracked = 1 AND p.active = 1 ORDER BY p.sku").fetchall()
        ids = [r["id"] for r in rows]
        catalogue = load_catalogue(conn, ids, at=conn.stamp())
        sellable = []
        for r in rows:
            price = unit_price(catalogue, catalogue["products"][r["id"]], "USD", None)
            if price:
                # the receipt's tax letter, as the demo history's tills print it
                sellable.append({"id": r["id"], "name": r["name"], "price": price,
                                 "tax_code": "A" if r["rate_bp"] else "B",
                                 "tax_class_id": r["tax_class_id"], "rate_bp": r["rate_bp"] or 0})
        with transaction(conn):  # stock on the shelves, so no sale runs a product below zero
            for n, item in enumerate(sellable):
                move(conn, kind="receipt", product_id=item["id"], quantity=OPENING_STOCK, unit_cost=100,
                     actor=Actor.system("bench"), source=Source("goods_receipt", "bench-opening", n))
        conn.execute("PRAGMA optimize")
    finally:
        conn.close()
    password = next(pw for user, _role, pw, _pin in store.credentials if user == "cashier")
    return paired, sellable, password


def _div_round(a: int, b: int) -> int:
    """Half-up integer division of a non-negative `a` (the till's rounding)."""
    return (2 * a + b) // (2 * b)


def sale_body(till: Till, products: list[dict[str, Any]], rng: random.Random) -> bytes:
    """One sale as a till sends it: 15 lines at catalogue prices, VAT included, paid exactly in cash."""
    till.sequence += 1
    lines = []
    for item in rng.sample(products, LINES_PER_SALE):
        quantity = 1000 * rng.randint(1, 3)
        total = _div_round(quantity * item["price"], 1000)
        tax = _div_round(total * item["rate_bp"], 10000 + item["rate_bp"])
        lines.append({"product_id": item["id"], "code": "", "name": item["name"], "quantity": quantity,
                      "unit_price": item["price"], "total": total, "discounts": [],
                      "tax_class_id": item["tax_class_id"], "tax_code": item["tax_code"],
                      "tax_rate_bp": item["rate_bp"], "tax_amount": tax})
    subtotal = sum(ln["total"] for ln in lines)
    body = {"id": str(_uuid7(rng)), "sequence": till.sequence, "currency": "USD",
            "device_clock": dt.datetime.now(dt.timezone.utc).isoformat(), "lines": lines,
            "tenders": [{"method": "cash", "currency": "USD", "amount": subtotal}], "subtotal": subtotal,
            "discount_total": 0, "tax_total": sum(ln["tax_amount"] for ln in lines), "rounding": 0,
            "total": subtotal, "shift_id": till.shift_id}
    return json.dumps(body, separators=(",", ":")).encode()


def _uuid7(rng: random.Random) -> uuid.UUID:
    ms = time.time_ns() // 1_000_000
    value = (ms << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64) | (0b10 << 62) | rng.getrandbits(62)
    return uuid.UUID(int=value)


async def _till_connection(port: int, till: Till) -> _Connection:
    """A keep-alive connection carrying the till's device token and its cashier's sign-in."""
    return await _Connection.open(port, {"Authorization": f"Bearer {till.access_token}",
                                         "X-Device-Token": till.device_token})


async def _send(connection: _Connection, till: Till, products: list[dict[str, Any]], rng: random.Random,
                phase: Phase, since: float) -> None:
    try:
        status, answer = await connection.post("/api/v1/sales", sale_body(till, products, rng))
    except (OSError, asyncio.IncompleteReadError, ValueError) as err:
        status, answer = 0, str(err).encode()
    if status == 201:
        phase.latencies_ms.append((time.perf_counter() - since) * 1000)
    else:
        phase.errors += 1
        phase.first_error = phase.first_error or f"{status} {answer[:600].decode(errors='replace')}"


async def run_phases(port: int, tills: list[Till], products: list[dict[str, Any]], rate: int, seconds: float,
                     rng: random.Random) -> tuple[Phase, Phase, Phase]:
    connections = [await _till_connection(port, till) for till in tills]
    try:
        warm = Phase()
        for _ in range(WARMUP_SALES):
            await asyncio.gather(*(_send(c, t, products, rng, warm, time.perf_counter())
                                   for c, t in zip(connections, tills)))
        alone = Phase()
        began = time.perf_counter()
        for _ in range(ALONE_SALES):
            await _send(connections[0], tills[0], products, rng, alone, time.perf_counter())
        alone.wall_s = time.perf_counter() - began
        load = await _open_loop(connections, tills, products, rate, seconds, rng)
        burst = await _burst(connections, tills, products, seconds, rng)
    finally:
        for connection in connections:
            await connection.close()
    return alone, load, burst


async def _open_loop(connections: list[_Connection], tills: list[Till], products: list[dict[str, Any]],
                     rate: int, seconds: float, rng: random.Random) -> Phase:
    """`rate` sales a second, sale i at till i mod N, each due at its own moment; a till sends
    its sales one after another, and a sale's latency counts from its moment."""
    phase = Phase()
    queues: list[asyncio.Queue[float | None]] = [asyncio.Queue() for _ in tills]

    async def till_worker(n: int) -> None:
        while (due := await queues[n].get()) is not None:
            await _send(connections[n], tills[n], products, rng, phase, due)

    async def schedule() -> None:
        count = max(1, int(rate * seconds))
        start = time.perf_counter() + 0.05
        for i in range(count):
            moment = start + i / rate
            await asyncio.sleep(max(0.0, moment - time.perf_counter()))
            queues[i % len(tills)].put_nowait(moment)
        for q in queues:
            q.put_nowait(None)

    began = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(schedule(), *(till_worker(n) for n in range(len(tills)))),
                           timeout=seconds + 120)
    phase.wall_s = time.perf_counter() - began
    return phase


async def _burst(connections: list[_Connection], tills: list[Till], products: list[dict[str, Any]],
                 seconds: float, rng: random.Random) -> Phase:
    """Every till sends its next sale as soon as the last is answered, for `seconds`."""
    phase = Phase()
    end = time.perf_counter() + seconds

    async def till_worker(n: int) -> None:
        while time.perf_counter() < end:
            await _send(connections[n], tills[n], products, rng, phase, time.perf_counter())

    began = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(till_worker(n) for n in range(len(tills)))), timeout=seconds + 120)
    phase.wall_s = time.perf_counter() - began
    return phase


REFERENCE_SCHEMA = (
    "CREATE TABLE sales (id TEXT PRIMARY KEY, sequence INTEGER NOT NULL, currency TEXT NOT NULL,"
    " device_clock TEXT NOT NULL, subtotal INTEGER NOT NULL, tax_total INTEGER NOT NULL, total INTEGER NOT NULL,"
    " shift_id TEXT, recorded_at TEXT NOT NULL)",
    "CREATE TABLE sale_lines (sale_id TEXT NOT NULL REFERENCES sales (id), line_no INTEGER NOT NULL,"
    " product_id TEXT, name TEXT NOT NULL, quantity INTEGER NOT NULL, unit_price INTEGER NOT NULL,"
    " total INTEGER NOT NULL, tax_code TEXT NOT NULL, tax_rate_bp INTEGER NOT NULL, tax_amount INTEGER NOT NULL,"
    " PRIMARY KEY (sale_id, line_no)) WITHOUT ROWID",
    "CREATE TABLE sale_tenders (sale_id TEXT NOT NULL REFERENCES sales (id), seq INTEGER NOT NULL,"
    " method TEXT NOT NULL, currency TEXT NOT NULL, amount INTEGER NOT NULL, PRIMARY KEY (sale_id, seq))"
    " WITHOUT ROWID",
)


def written_bytes(pid: int | str = "self") -> int:
    """Bytes the process has caused to be sent to storage (the kernel's per-process I/O
    accounting: the WAL, checkpoints, logs); 0 where /proc does not say."""
    try:
        with open(f"/proc/{pid}/io") as io:
            for line in io:
                if line.startswith("write_bytes:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def reference(directory: Path, products: list[dict[str, Any]], rng: random.Random) -> Phase:
    """Raw sqlite3 committing the same sale rows one sale per transaction, as fast as it can,
    with the hub's pragmas, into a scratch file beside the hub's."""
    path = directory / "reference.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    for statement in REFERENCE_SCHEMA:
        conn.execute(statement)
    till = Till("reference", shift_id=str(uuid.uuid4()))
    bodies = [json.loads(sale_body(till, products, rng)) for _ in range(REFERENCE_SALES)]
    phase = Phase()
    began = time.perf_counter()
    written = written_bytes()
    try:
        for body in bodies:
            since = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO sales VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (body["id"], body["sequence"], body["currency"], body["device_clock"], body["subtotal"],
                          body["tax_total"], body["total"], body["shift_id"],
                          dt.datetime.now(dt.timezone.utc).isoformat()))
            conn.executemany("INSERT INTO sale_lines VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                (body["id"], n, ln["product_id"], ln["name"], ln["quantity"], ln["unit_price"], ln["total"],
                 ln["tax_code"], ln["tax_rate_bp"], ln["tax_amount"]) for n, ln in enumerate(body["lines"])])
            conn.executemany("INSERT INTO sale_tenders VALUES (?, ?, ?, ?, ?)", [
                (body["id"], n, t["method"], t["currency"], t["amount"]) for n, t in enumerate(body["tenders"])])
            conn.execute("COMMIT")
            phase.latencies_ms.append((time.perf_counter() - since) * 1000)
    finally:
        conn.close()
    phase.wall_s = time.perf_counter() - began
    phase.written = written_bytes() - written
    return phase


def _sign_in(base: str, tills: list[Till], password: str) -> None:
    """Each till signs the demo cashier in and opens (or resumes) her shift there, through the API."""
    with httpx.Client(base_url=base, verify=False, timeout=30) as client:
        for till in tills:
            headers = {"X-Device-Token": till.device_token}
            r = client.post("/api/v1/auth/login", json={"username": "cashier", "password": password},
                            headers=headers)
            r.raise_for_status()
            till.access_token = r.json()["access_token"]
            headers["Authorization"] = f"Bearer {till.access_token}"
            r = client.post("/api/v1/shifts", json={"floats": [{"currency": "USD", "amount": 5000}]},
                            headers=headers)
            r.raise_for_status()
            till.shift_id = r.json()["id"]


def _checked(data: Path) -> tuple[int, int, list[Any]]:
    """The sales the hub holds, the exceptions they raised, and the stock ledger's differences."""
    from hub.db.connection import connect
    from hub.inventory import ledger

    conn = connect(data / "hub.db", readonly=True)
    try:
        sales = conn.execute("SELECT count(*) FROM sales").fetchone()[0]
        raised = conn.execute("SELECT count(*) FROM exceptions").fetchone()[0]
        return sales, raised, ledger.check(conn)
    finally:
        conn.close()


def _reference_in_child(directory: Path, products: list[dict[str, Any]], seed: int, env: dict[str, str]) -> Phase:
    """`reference` in a child process started with `env` (the slow-fsync shim must be loaded when
    a process starts, and this one is not under it)."""
    given = directory / "reference-products.json"
    given.write_text(json.dumps(products))
    done = subprocess.run([sys.executable, "-m", "hub.bench.sales", str(directory), str(given), str(seed)],
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"the reference run failed: {done.stderr[-2000:]}")
    got = json.loads(done.stdout)
    return Phase(latencies_ms=got["latencies_ms"], wall_s=got["wall_s"], written=got["written"])


def measure(products: int, tills: int, seconds: float, rate: int, seed: int, fsync_ms: float = 0.0) -> Result:
    rng = random.Random(seed)
    slow: dict[str, str] = {}
    if fsync_ms:
        from hub.bench import slowsync

        library = slowsync.build()
        slowsync.self_test(library, fsync_ms)
        slow = slowsync.env(library, fsync_ms)
    with tempfile.TemporaryDirectory(prefix="soko-bench-sales-") as tmp:
        data = Path(tmp)
        paired, sellable, password = prepare(data, products, tills, seed)
        if len(sellable) < LINES_PER_SALE:
            raise RuntimeError(f"only {len(sellable)} priced stock-tracked products; a sale needs {LINES_PER_SALE}")
        port = _free_port()
        base = f"https://127.0.0.1:{port}"
        proc = _start_hub(data, port, slow)
        try:
            _wait_ready(proc, base)
            _sign_in(base, paired, password)
            load_average = os.getloadavg()[0]
            written = written_bytes(proc.pid)
            alone, load, burst = _run(run_phases(port, paired, sellable, rate, seconds, rng))
            hub_written = written_bytes(proc.pid) - written
        finally:
            _stop(proc)
        ref = _reference_in_child(data, sellable, seed, slow) if slow else reference(data, sellable, rng)
        sent = len(alone.latencies_ms) + len(load.latencies_ms) + len(burst.latencies_ms) + tills * WARMUP_SALES
        held, raised, differences = _checked(data)
        if held != sent or differences:
            raise RuntimeError(f"the hub holds {held} sales of the {sent} it acknowledged, "
                               f"{len(differences)} stock levels differ from the ledger")
        if raised:
            raise RuntimeError(f"the bench's sales raised {raised} exceptions: they should be clean sales")
    return Result(tills, rate, seconds, load, burst, ref, load_average, _stack(), products, hub_written, fsync_ms,
                  alone)


def rows(result: Result) -> list[tuple[str, str, str, str, str]]:
    ref = result.reference
    out = []
    for name, q in (("p50", 0.50), ("p99", 0.99)):  # the floor: what one sale costs with nothing queued
        h, r = result.alone.pct(q), ref.pct(q)
        out.append((f"sale commit {name}, one till alone", f"{h:.2f} ms", f"{r:.2f} ms", f"{h / r:.1f}", "-"))
    for label, phase in ((f"at {result.rate} sales/s", result.load), (f"{result.tills}-till burst", result.burst)):
        for name, q in (("p50", 0.50), ("p99", 0.99), ("p999", 0.999)):
            h, r = phase.pct(q), ref.pct(q)
            target = f"<= {TARGET_P99_MS:g} ms" if phase is result.load and name == "p99" else "-"
            out.append((f"sale commit {name}, {label}", f"{h:.2f} ms", f"{r:.2f} ms", f"{h / r:.1f}", target))
    out.append((f"sales answered at {result.rate}/s", f"{result.load.rate:.0f}/s", "-", "-",
                f"{result.rate}/s"))
    share = result.burst.rate / ref.rate if ref.rate else float("nan")
    out.append((f"sustained sales/s, {result.tills}-till burst", f"{result.burst.rate:.0f}/s", f"{ref.rate:.0f}/s",
                f"{share:.2f}", f">= {TARGET_SHARE:.2f}"))
    if result.hub_written and ref.written and ref.latencies_ms:
        # what an SD card wears and waits for: the WAL's frames and the checkpoints that copy them back
        hub_kib = result.hub_written / (result.timed + result.tills * WARMUP_SALES) / 1024
        ref_kib = ref.written / len(ref.latencies_ms) / 1024
        out.append(("disk written per sale", f"{hub_kib:.0f} KiB", f"{ref_kib:.0f} KiB", f"{hub_kib / ref_kib:.1f}",
                    "-"))
    errors = result.alone.errors + result.load.errors + result.burst.errors
    out.append(("sales acknowledged (errors)", f"{result.timed} ({errors})", "-", "-", "0 errors"))
    return out


def summary(result: Result) -> str:
    median = statistics.median(result.reference.latencies_ms or [0.0])
    first = result.alone.first_error or result.load.first_error or result.burst.first_error
    return (f"{result.tills} paired tills, each with the demo cashier signed in and a shift open; each sale 1 "
            f"header + {LINES_PER_SALE} lines of stock-tracked products ({result.products} generated), paid in "
            f"cash, over HTTPS on 127.0.0.1; first {ALONE_SALES} sales from one till, one at a time, on an "
            f"otherwise idle hub; then {result.seconds:g} s at {result.rate} sales/s open loop, then "
            f"{result.seconds:g} s with every till sending its next sale as soon as the last was answered. "
            f"Every acknowledged sale was found in the database afterwards, once, and the stock ledger "
            f"checked clean. Reference: raw sqlite3 committing the same sale rows (header, lines, tender) "
            f"one sale per transaction, WAL and synchronous=FULL, on the same disk (median "
            f"{median:.2f} ms). "
            + (f"Both ran with every fsync {result.fsync_ms:g} ms slower than this disk's (the slow-fsync "
               f"shim: an SD card's, emulated). " if result.fsync_ms else "")
            + f"Load average {result.load_average:.1f} when it began; {result.stack}."
            + (f" First error: {first}" if first else ""))


if __name__ == "__main__":  # the reference in a child process: `_reference_in_child`
    _phase = reference(Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text()), random.Random(int(sys.argv[3])))
    print(json.dumps({"latencies_ms": _phase.latencies_ms, "wall_s": _phase.wall_s, "written": _phase.written}))
