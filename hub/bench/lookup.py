"""Barcode lookup latency through the real API, with and without a writer committing sales.

A scratch demo store gets `n` generated products (hub.catalogue.demo.generate); the hub serves
it as shipped (HTTPS, its own certificate) in a child process on 127.0.0.1. Lookups of random
barcodes of those products arrive at a constant rate (open loop: each request is sent at its
scheduled moment whatever the others are doing, and its latency counts from that moment, so a
stall is not hidden by requests that were never sent; only a timer's own lateness of up to
TIMER_SLACK_S is forgiven). Three phases: no write load; slow commits, the condition of the
target (DESIGN.md section 9): another process committing sale-sized transactions (a header and
15 lines, synchronous=FULL) into the same file nonstop, each holding the write lock
SLOW_COMMIT_MS as a slow SD card would; and the same writer committing as fast as this machine's
disk allows, which is no store's load (thousands of sales a second, a whole core of CPU taken
from the hub on a 2-core machine) and is reported for information. The reference is the same
lookup statement run on a raw sqlite3 connection in this process, under the same conditions. The load generator runs on uvloop
when it imports, so that its own cost, paid on the same machine as the hub, stays small beside
what it measures.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from hub.bench.report import percentile

START_TIMEOUT_S = 60.0
POLL_INTERVAL_S = 0.05
WARMUP_REQUESTS = 50
MAX_CONNECTIONS = 16  # tills keep a connection each; a store has a few dozen at most
REFERENCE_LOOKUPS = 2000
TARGET_P99_MS = 5.0
# Lookups sent, and not counted, between the hub's start and the first round: its workers' first
# passes (fiscal, HQ link, backups, clocks) and a cold page cache belong to the start-up bench,
# not to the steady state a till meets all day.
SETTLE_S = 3.0
ROUNDS = 3  # each phase runs this many times, the phases taking turns
# How long each commit of the "slow commits" phase holds the write lock: an SD card's fsync of
# a sale's pages takes milliseconds to tens of milliseconds.
SLOW_COMMIT_MS = 10.0
# (key, label, writer's hold in ms or None for no writer, whether the target applies)
PHASES = (
    ("idle", "no write load", None, False),
    ("slow", f"commits slowed to {SLOW_COMMIT_MS:g} ms", SLOW_COMMIT_MS, True),
    ("writing", "writer committing nonstop", 0.0, False),
)
# Event loop timers wake on whole milliseconds (libuv, epoll), so a request is sent up to a
# millisecond or so after its moment through no fault of the hub: latency counts from the send
# when it was at most this late, else from this long after the moment.
TIMER_SLACK_S = 0.002


@dataclass
class Phase:
    latencies_ms: list[float]
    errors: int = 0
    commits: int = 0  # the writer's, while the phase ran
    seconds: float = 0.0  # of scheduled lookups
    wall_s: float = 0.0  # the whole phase with its warm-up, over which `commits` are counted
    rounds_p99: list[float] = field(default_factory=list)  # each round's own p99

    def pct(self, q: float) -> float:
        return percentile(self.latencies_ms, q)


@dataclass
class Result:
    products: int
    rate: int
    seconds: float
    load_s: float
    hub: dict[str, Phase]
    reference: dict[str, Phase]
    load_average: float = 0.0  # of the machine when the lookups began: other work skews them
    stack: str = ""  # the hub's event loop and HTTP parser, and the load generator's loop
    rounds: int = 1


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(data: Path, products: int, seed: int) -> tuple[list[str], str, float]:
    """A demo store with `products` generated products; returns its barcodes, the cashier's
    password and how long loading took."""
    from hub.auth.passwords import SecretHasher
    from hub.catalogue import demo
    from hub.catalogue.demo_install import install
    from hub.db.audit import Actor
    from hub.db.connection import connect, transaction
    from hub.setup import DEMO_STORE, create_database

    started = time.perf_counter()
    store = create_database(data / "hub.db", store_name=DEMO_STORE["name"], store_code=DEMO_STORE["code"],
                            timezone=DEMO_STORE["timezone"], hasher=SecretHasher(1, 8), demo=True)
    generated = demo.generate(products, seed)
    conn = connect(data / "hub.db")
    try:
        with transaction(conn):
            # No change rows: no till will ever sync this scratch store.
            install(conn, demo.DemoCatalogue(products=generated), Actor.system("bench"), publish=False)
        conn.execute("PRAGMA optimize")
    finally:
        conn.close()
    codes = [code for p in generated for code, _ in p.barcodes]
    password = next(pw for user, _role, pw, _pin in store.credentials if user == "cashier")
    return codes, password, time.perf_counter() - started


def _start_hub(data: Path, port: int, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOKO_HUB_")} | (extra_env or {})
    env["SOKO_HUB_LOG_LEVEL"] = "warning"
    env["SOKO_HUB_MDNS_INTERFACES"] = "127.0.0.1"  # never multicast on the machine's own network
    return subprocess.Popen([sys.executable, "-m", "hub", "--data-dir", str(data), "serve", "--host",
                             "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(proc: subprocess.Popen, base: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    with httpx.Client(verify=False, timeout=2) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the hub exited with {proc.returncode} before serving")
            try:
                if client.get(f"{base}/api/v1/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(POLL_INTERVAL_S)
    raise RuntimeError("the hub did not answer in time")


class _Connection:
    """One keep-alive HTTP/1.1 connection over TLS, as plain as a till's: the load generator must
    cost far less than what it measures (httpx's async client added milliseconds per request).
    `headers` go with every request (a bearer token; a till's device token)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str,
                 headers: dict[str, str]) -> None:
        self.reader, self.writer = reader, writer
        self.head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": host, **headers, "Accept": "application/json"}.items())

    @classmethod
    async def open(cls, port: int, headers: dict[str, str]) -> "_Connection":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the hub's own certificate; tills pin its key instead
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context)
        return cls(reader, writer, f"127.0.0.1:{port}", headers)

    async def get(self, path: str) -> int:
        """Send a GET, read the whole response; returns its status."""
        self.writer.write(f"GET {path} HTTP/1.1\r\n{self.head}\r\n".encode())
        return (await self._answer())[0]

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        """Send a JSON POST, read the whole response; returns its status and body."""
        self.writer.write(f"POST {path} HTTP/1.1\r\n{self.head}Content-Type: application/json\r\n"
                          f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        return await self._answer()

    async def _answer(self) -> tuple[int, bytes]:
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return int(head[9:12]), await self.reader.readexactly(length)

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ssl.SSLError, ConnectionError):
            pass


async def open_loop(port: int, token: str, codes: list[str], rate: int, seconds: float,
                    rng: random.Random) -> Phase:
    """`rate` lookups a second for `seconds`, each due at its own moment; its latency counts from
    that moment (see TIMER_SLACK_S), so time spent waiting for a free connection is counted too
    (no coordinated omission). Times come from perf_counter: uvloop's clock ticks in milliseconds."""
    clock = time.perf_counter
    phase = Phase(latencies_ms=[], seconds=seconds)
    connections = [await _Connection.open(port, {"Authorization": f"Bearer {token}"})
                   for _ in range(MAX_CONNECTIONS)]
    try:
        for i, code in enumerate(rng.sample(codes, min(WARMUP_REQUESTS, len(codes)))):
            await connections[i % len(connections)].get(_lookup_path(code))
        count = max(1, int(rate * seconds))
        start = clock() + 0.05
        due: asyncio.Queue[tuple[float, str] | None] = asyncio.Queue()

        async def worker(connection: _Connection) -> None:
            while (item := await due.get()) is not None:
                since, code = item
                try:
                    ok = await connection.get(_lookup_path(code)) == 200
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    ok = False
                if ok:
                    phase.latencies_ms.append((clock() - since) * 1000)
                else:
                    phase.errors += 1

        async def schedule() -> None:
            for i in range(count):
                scheduled = start + i / rate
                await asyncio.sleep(max(0.0, scheduled - clock()))
                due.put_nowait((min(clock(), scheduled + TIMER_SLACK_S), rng.choice(codes)))
            for _ in connections:
                due.put_nowait(None)

        await asyncio.wait_for(asyncio.gather(schedule(), *(worker(c) for c in connections)),
                               timeout=seconds + 60)
    finally:
        for connection in connections:
            await connection.close()
    return phase


def _lookup_path(code: str) -> str:
    return f"/api/v1/products/lookup?barcode={code}"


def reference(db_path: Path, codes: list[str], rng: random.Random) -> Phase:
    """The same lookup statement on a raw sqlite3 connection in this process (one at a time)."""
    from hub.db.products import LOOKUP_SQL

    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        phase = Phase(latencies_ms=[])
        for code in rng.sample(codes, min(REFERENCE_LOOKUPS, len(codes))):
            started = time.perf_counter()
            row = conn.execute(LOOKUP_SQL, {"code": code, "plu": None, "typed": code}).fetchone()
            phase.latencies_ms.append((time.perf_counter() - started) * 1000)
            if row is None:
                phase.errors += 1
        return phase
    finally:
        conn.close()


class Writer:
    """hub.bench._writer in a child process: sale-sized commits into the same file, nonstop."""

    def __init__(self, db_path: Path, counter: Path, hold_ms: float = 0.0) -> None:
        self.counter = counter
        self.proc = subprocess.Popen([sys.executable, "-m", "hub.bench._writer", str(db_path), str(counter),
                                      str(hold_ms)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def commits(self) -> int:
        try:
            return int(self.counter.read_text() or 0)
        except (OSError, ValueError):
            return 0

    def wait_started(self) -> None:
        deadline = time.monotonic() + 30
        while self.commits() == 0:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the writer exited: {self.proc.stderr.read().decode()[-500:]}")
            if time.monotonic() > deadline:
                raise RuntimeError("the writer committed nothing")
            time.sleep(0.02)

    def stop(self) -> None:
        _stop(self.proc)


def _run(coro: Any) -> Any:
    """Run the load generator on uvloop when it imports (asyncio otherwise)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


def _stack() -> str:
    from hub.server import server_stack

    loop, http = server_stack()  # the hub's child process imports what this one does
    return f"hub on uvicorn with {loop} and {http}, load generator on {loop}"


def _merge(into: Phase | None, more: Phase) -> Phase:
    if into is None:
        more.rounds_p99 = [more.pct(0.99)]
        return more
    into.latencies_ms += more.latencies_ms
    into.errors += more.errors
    into.commits += more.commits
    into.seconds += more.seconds
    into.wall_s += more.wall_s
    into.rounds_p99.append(more.pct(0.99))
    return into


def measure(products: int, seconds: float, rate: int, seed: int, rounds: int = ROUNDS) -> Result:
    """Each phase runs `rounds` times, the phases taking turns (idle, slow, nonstop, idle, ...),
    so that a burst of other work on the machine falls on every phase alike instead of on
    whichever ran at that moment; a phase's figures pool its rounds."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="soko-bench-lookup-") as tmp:
        data = Path(tmp)
        codes, password, load_s = prepare(data, products, seed)
        db_path = data / "hub.db"
        port = _free_port()
        base = f"https://127.0.0.1:{port}"
        proc = _start_hub(data, port)
        writer: Writer | None = None
        try:
            _wait_ready(proc, base)
            with httpx.Client(base_url=base, verify=False, timeout=10) as client:
                r = client.post("/api/v1/auth/login", json={"username": "cashier", "password": password})
                r.raise_for_status()
                token = r.json()["access_token"]
            _run(open_loop(port, token, codes, rate, SETTLE_S, rng))
            load_average = os.getloadavg()[0]
            hub: dict[str, Phase] = {}
            ref: dict[str, Phase] = {}
            for round_no in range(rounds):
                for key, _label, hold_ms, _target in PHASES:
                    if hold_ms is not None:
                        writer = Writer(db_path, data / f"commits-{key}-{round_no}", hold_ms)
                        writer.wait_started()
                        before = writer.commits()
                    began = time.perf_counter()
                    got = _run(open_loop(port, token, codes, rate, seconds, rng))
                    got.wall_s = time.perf_counter() - began
                    if writer is not None:
                        got.commits = writer.commits() - before
                    hub[key] = _merge(hub.get(key), got)
                    ref[key] = _merge(ref.get(key), reference(db_path, codes, rng))
                    if writer is not None:
                        writer.stop()
                        writer = None
        finally:
            if writer is not None:
                writer.stop()
            _stop(proc)
    return Result(products, rate, seconds, load_s, hub, ref, load_average, _stack(), rounds)


def rows(result: Result) -> list[tuple[str, str, str, str, str]]:
    out = []
    for key, label, _hold, targeted in PHASES:
        hub, ref = result.hub[key], result.reference[key]
        for name, q in (("p50", 0.50), ("p99", 0.99)):
            h, r = hub.pct(q), ref.pct(q)
            target = f"<= {TARGET_P99_MS:g} ms" if targeted and name == "p99" else "-"
            out.append((f"lookup {name}, {label}", f"{h:.2f} ms", f"{r:.3f} ms", f"{h / r:.1f}", target))
    idle = result.hub["idle"]
    for key, label, hold, _targeted in PHASES:
        if hold is None:
            continue
        phase = result.hub[key]
        out.append((f"lookup p99 {label} / no write load", f"{phase.pct(0.99):.2f} ms",
                    f"{idle.pct(0.99):.2f} ms", f"{phase.pct(0.99) / idle.pct(0.99):.2f}", "-"))
        out.append((f"writer commits, {label}", f"{phase.commits / phase.wall_s:.0f}/s", "-", "-", "-"))
    if result.rounds > 1:
        for key, label, _hold, _targeted in PHASES:
            each = " / ".join(f"{p:.2f}" for p in result.hub[key].rounds_p99)
            out.append((f"lookup p99 of each round, {label}", f"{each} ms", "-", "-", "-"))
    phases = list(result.hub.values())
    out.append(("lookups answered (errors)", f"{sum(len(p.latencies_ms) for p in phases)} "
                f"({sum(p.errors for p in phases)})", "-", "-", "0 errors"))
    return out


def summary(result: Result) -> str:
    median = statistics.median(result.reference["idle"].latencies_ms or [0.0])
    return (f"{result.products} products (loaded in {result.load_s:.1f} s), {result.rate} lookups/s "
            f"open loop for {result.seconds:g} s per phase and round, {result.rounds} rounds with the "
            f"phases taking turns (after {SETTLE_S:g} s of uncounted lookups once the hub is up), "
            f"over HTTPS on 127.0.0.1, "
            f"{MAX_CONNECTIONS} connections; reference: the lookup statement on raw sqlite3 "
            f"(median {median:.3f} ms). Load average {result.load_average:.1f} when it began; "
            f"{result.stack}.")
