"""A sale's receipt from the till's request to the last byte at a network printer.

A scratch demo store gets generated products and one paired till whose receipt printer is a TCP
listener on 127.0.0.1 in this process (a scripted printer: it answers DLE EOT as a ready printer
and notes when each job's last byte arrives). The hub serves the store as shipped (HTTPS, its own
certificate) in a child process, and the till sells one 15-line cash sale at a time through the
API; the hub commits the sale with its one print-job row, its print worker renders the receipt,
reads the printer's status and sends the job in one write. Measured per sale: from the 201 (the
till hears the sale is committed) to the receipt's last byte at the printer (target p99 <= 30
ms; 0 when the receipt was out before the 201 arrived); from the print-job row's stamp (taken
inside the sale's transaction, before its commit and fsync, on the listener's wall clock) to the
last byte; the request until the 201; and the request until the last byte.

The reference, in the same run and to the same listener: the same receipt's bytes, rendered
beforehand, sent over a raw socket (connect, one write, close): what the network and the
listener cost without the hub.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.bench.lookup import _free_port, _run, _stack, _start_hub, _stop, _wait_ready
from hub.bench.report import percentile
from hub.bench.sales import Till, _sign_in, _till_connection, prepare, sale_body

TARGET_P99_MS = 30.0
WARMUP_SALES = 10
GAP_S = 0.005  # between one receipt's last byte and the next sale
JOB_TIMEOUT_S = 10.0
READY = 0x12  # DLE EOT answer of a ready printer (fixed bits only)
PAPER_PRESENT = 0x00  # GS r 1 answer: paper there, not near its end


@dataclass
class Series:
    latencies_ms: list[float] = field(default_factory=list)

    def pct(self, q: float) -> float:
        return percentile(self.latencies_ms, q)


@dataclass
class Result:
    sales: int
    commit: Series
    printed: Series  # request -> last byte
    after_commit: Series  # the 201 -> last byte (0 when the receipt was out first)
    from_row: Series  # the print-job row's stamp (before the commit) -> last byte
    reference: Series
    receipt_bytes: int
    load_average: float
    stack: str


class Listener:
    """The scripted printer: answers DLE EOT n (and GS r 1) as a ready printer; each connection is a job."""

    def __init__(self) -> None:
        self.jobs: asyncio.Queue[tuple[float, float, bytes]] = asyncio.Queue()
        self.server: asyncio.AbstractServer | None = None
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        job, last, wall = bytearray(), 0.0, 0.0
        while chunk := await reader.read(65536):
            last, wall = time.perf_counter(), time.time()
            data = bytes(chunk)
            # real-time queries, answered as a ready printer with paper would: DLE EOT n and, for
            # a model with a paper sensor (the 80 mm profile's), GS r 1
            while True:
                found = [(at, q, a) for q, a in ((b"\x10\x04", READY), (b"\x1dr", PAPER_PRESENT))
                         if (at := data.find(q)) != -1 and at + 2 < len(data)]
                if not found:
                    break
                at, _query, answer = min(found)
                job += data[:at]
                writer.write(bytes([answer]))
                data = data[at + 3:]
            job += data
        writer.close()
        if job:
            await self.jobs.put((last, wall, bytes(job)))

    async def next_job(self) -> tuple[float, float, bytes]:
        return await asyncio.wait_for(self.jobs.get(), JOB_TIMEOUT_S)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


def _assign(data: Path, device_id: str, url: str) -> None:
    """The till's receipt printer is the listener, set up through the hub's own service."""
    from hub.db.audit import Actor
    from hub.db.connection import connect, transaction
    from hub.printing import service

    conn = connect(data / "hub.db")
    try:
        with transaction(conn):
            printer = service.create_printer(conn, Actor.system("bench"), {"name": "Bench printer", "address": url,
                                                                          "profile": "80mm-48"})
            service.set_assignment(conn, Actor.system("bench"), device_id, "receipt", printer["id"], True)
    finally:
        conn.close()


def _device_of(data: Path) -> str:
    from hub.db.connection import connect

    conn = connect(data / "hub.db", readonly=True)
    try:
        return conn.execute("SELECT id FROM devices ORDER BY paired_at LIMIT 1").fetchone()[0]
    finally:
        conn.close()


async def _sales(port: int, till: Till, products: list[dict[str, Any]], listener: Listener, n: int,
                 rng: random.Random) -> tuple[Series, Series, Series, dict[str, float], bytes]:
    connection = await _till_connection(port, till)
    commit, printed, after = Series(), Series(), Series()
    arrived: dict[str, float] = {}  # sale id -> wall-clock time of its receipt's last byte
    sample = b""
    try:
        for i in range(WARMUP_SALES + n):
            body = sale_body(till, products, rng)
            began = time.perf_counter()
            status, answer = await connection.post("/api/v1/sales", body)
            committed = time.perf_counter()
            if status != 201:
                raise RuntimeError(f"the sale was refused: {status} {answer[:300]!r}")
            last, wall, job = await listener.next_job()
            sample = job
            if i >= WARMUP_SALES:
                commit.latencies_ms.append((committed - began) * 1000)
                printed.latencies_ms.append((last - began) * 1000)
                after.latencies_ms.append(max(0.0, last - committed) * 1000)
                arrived[json.loads(body)["id"]] = wall
            await asyncio.sleep(GAP_S)
    finally:
        await connection.close()
    return commit, printed, after, arrived, sample


async def _reference(listener: Listener, data: bytes, n: int) -> Series:
    series = Series()
    for i in range(WARMUP_SALES + n):
        began = time.perf_counter()
        _reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        writer.write(data)
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        last, _wall, _job = await listener.next_job()
        if i >= WARMUP_SALES:
            series.latencies_ms.append((last - began) * 1000)
        await asyncio.sleep(GAP_S)
    return series


async def _measure(port: int, till: Till, products: list[dict[str, Any]], listener: Listener, sales: int,
                   rng: random.Random) -> tuple[Series, Series, Series, dict[str, float], Series, bytes]:
    commit, printed, after, arrived, sample = await _sales(port, till, products, listener, sales, rng)
    reference = await _reference(listener, sample, sales)
    return commit, printed, after, arrived, reference, sample


def _after_commit(data: Path, arrived: dict[str, float]) -> Series:
    """Each receipt's last byte after its sale's commit (the job row's stamp)."""
    from hub.clock import parse_ts
    from hub.db.connection import connect

    conn = connect(data / "hub.db", readonly=True)
    try:
        stamps = {r[0]: parse_ts(r[1]).timestamp() for r in conn.execute(
            "SELECT sale_id, created_at FROM print_jobs WHERE kind = 'receipt'")}
    finally:
        conn.close()
    missing = set(arrived) - set(stamps)
    if missing:
        raise RuntimeError(f"{len(missing)} sales have no print job")
    return Series([(wall - stamps[sale]) * 1000 for sale, wall in arrived.items()])


def measure(sales: int, products: int, seed: int) -> Result:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="soko-bench-receipt-") as tmp:
        data = Path(tmp)
        [till], sellable, password = prepare(data, products, 1, seed)

        async def run() -> tuple[Series, Series, Series, dict[str, float], Series, bytes]:
            listener = Listener()
            await listener.start()
            try:
                _assign(data, _device_of(data), f"tcp://127.0.0.1:{listener.port}")
                port = _free_port()
                base = f"https://127.0.0.1:{port}"
                proc = _start_hub(data, port)
                try:
                    await asyncio.to_thread(_wait_ready, proc, base)
                    await asyncio.to_thread(_sign_in, base, [till], password)
                    return await _measure(port, till, sellable, listener, sales, rng)
                finally:
                    _stop(proc)
            finally:
                await listener.stop()

        load_average = os.getloadavg()[0]
        commit, printed, after, arrived, reference, sample = _run(run())
        from_row = _after_commit(data, arrived)
    return Result(sales, commit, printed, after, from_row, reference, len(sample), load_average, _stack())


def _ms(value: float) -> str:
    return f"{value:.1f} ms"


def rows(result: Result) -> list[tuple[str, str, str, str, str]]:
    ref = result.reference
    out = []
    for label, series, target in (
        ("sale committed (its 201) -> receipt's last byte", result.after_commit, f"p99 <= {TARGET_P99_MS:g} ms"),
        ("print-job row written (before the commit) -> last byte", result.from_row, ""),
        ("sale request -> receipt's last byte", result.printed, ""),
    ):
        for q, name in ((0.5, "p50"), (0.99, "p99")):
            hub, base = series.pct(q), ref.pct(q)
            out.append((f"{label}, {name}", _ms(hub), _ms(base), f"{hub / base:.1f}" if base else "-",
                        target if name == "p99" else ""))
    out.append(("sale request -> 201 (commit), p99", _ms(result.commit.pct(0.99)), "-", "-", ""))
    return out


def summary(result: Result) -> str:
    met = result.after_commit.pct(0.99) <= TARGET_P99_MS
    return (f"{result.sales} sales of 15 lines paid in cash, one at a time, from one paired till over HTTPS; its "
            f"receipt printer a TCP listener on 127.0.0.1 answering DLE EOT and GS r 1 (ready, paper present). Each receipt "
            f"{result.receipt_bytes} bytes with a drawer kick, a QR code and a cut. Reference: the same bytes, "
            f"pre-rendered, over a raw socket to the same listener. Mean commit "
            f"{statistics.fmean(result.commit.latencies_ms):.1f} ms. Target p99 <= {TARGET_P99_MS:g} ms from the "
            f"commit: {'met' if met else 'NOT met'}. Load average at the start {result.load_average:.2f}; "
            f"{result.stack}.")
