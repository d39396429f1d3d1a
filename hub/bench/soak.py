"""Memory after a soak: the hub's resident set while tills sell at a constant rate, beside a bare
Litestar app answering the same number of requests.

The sale bench's store (generated products, paired tills, each with the demo cashier signed in
and a shift open) is served by the hub as shipped (HTTPS, its own process). Sales arrive at a
constant rate spread over the tills (open loop, as `soko-hub bench sales` sends them) for the
soak's length, while the hub's RSS is read every second. The reference is hub.bench._bare_app
answering as many health requests a second for as long, in its own process. The target is the
hub's RSS after an hour's soak (DESIGN.md section 9: <= 80 MiB); the short mode (a minute)
shows the trend: what the hub holds after warming up, and how much it grew meanwhile.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from hub.bench.lookup import _free_port, _run, _stack, _start_hub, _stop, _wait_ready
from hub.bench.sales import LINES_PER_SALE, Phase, _open_loop, _sign_in, _till_connection, prepare
from hub.bench.startup import _rss_kib

TARGET_RSS_MIB = 80
SAMPLE_S = 1.0


@dataclass
class Samples:
    rss_kib: list[int] = field(default_factory=list)
    # Read once the first health request was answered, before any till signed in.
    started_kib: int = 0

    def sample_while(self, pid: int, stop: threading.Event) -> None:
        while not stop.wait(SAMPLE_S):
            try:
                self.rss_kib.append(_rss_kib(pid))
            except (OSError, RuntimeError):
                return

    @property
    def started_mib(self) -> float:
        return self.started_kib / 1024

    @property
    def first_mib(self) -> float:
        return self.rss_kib[0] / 1024 if self.rss_kib else 0.0

    @property
    def last_mib(self) -> float:
        return self.rss_kib[-1] / 1024 if self.rss_kib else 0.0

    @property
    def peak_mib(self) -> float:
        return max(self.rss_kib, default=0) / 1024

    def growth_mib_per_min(self) -> float:
        """Least-squares slope of the second half (after the warm-up), in MiB a minute."""
        half = self.rss_kib[len(self.rss_kib) // 2:]
        if len(half) < 2:
            return 0.0
        xs = [i * SAMPLE_S / 60 for i in range(len(half))]
        return statistics.linear_regression(xs, [k / 1024 for k in half]).slope


@dataclass
class Result:
    seconds: float
    rate: int
    tills: int
    hub: Samples
    bare: Samples
    sales: Phase
    bare_requests: int = 0
    load_average: float = 0.0
    stack: str = ""


def _bare_soak(seconds: float, rate: int) -> tuple[Samples, int]:
    """The bare app answering `rate` health requests a second for `seconds`, its RSS sampled."""
    import httpx

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOKO_HUB_")}
    proc = subprocess.Popen([sys.executable, "-m", "hub.bench._bare_app", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples, stop, sent = Samples(), threading.Event(), 0
    try:
        _wait_ready(proc, f"http://127.0.0.1:{port}")
        samples.started_kib = _rss_kib(proc.pid)
        sampler = threading.Thread(target=samples.sample_while, args=(proc.pid, stop), daemon=True)
        sampler.start()
        start = time.perf_counter()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            while (now := time.perf_counter()) - start < seconds:
                due = start + sent / rate
                if due > now:
                    time.sleep(due - now)
                client.get("/api/v1/health")
                sent += 1
        stop.set()
        sampler.join(5)
    finally:
        stop.set()
        _stop(proc)
    return samples, sent


def measure(seconds: float, rate: int = 20, tills: int = 4, products: int = 2000, seed: int = 263) -> Result:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="soko-bench-soak-") as tmp:
        data = Path(tmp)
        paired, sellable, password = prepare(data, products, tills, seed)
        if len(sellable) < LINES_PER_SALE:
            raise RuntimeError(f"only {len(sellable)} priced stock-tracked products; a sale needs {LINES_PER_SALE}")
        port = _free_port()
        proc = _start_hub(data, port)
        samples, stop = Samples(), threading.Event()
        try:
            _wait_ready(proc, f"https://127.0.0.1:{port}")
            samples.started_kib = _rss_kib(proc.pid)
            _sign_in(f"https://127.0.0.1:{port}", paired, password)
            load_average = os.getloadavg()[0]
            sampler = threading.Thread(target=samples.sample_while, args=(proc.pid, stop), daemon=True)
            sampler.start()

            async def soak() -> Phase:
                connections = [await _till_connection(port, till) for till in paired]
                try:
                    return await _open_loop(connections, paired, sellable, rate, seconds, rng)
                finally:
                    for connection in connections:
                        await connection.close()

            sales = _run(soak())
            stop.set()
            sampler.join(5)
        finally:
            stop.set()
            _stop(proc)
    bare, sent = _bare_soak(seconds, rate)
    return Result(seconds, rate, tills, samples, bare, sales, sent, load_average, _stack())


def rows(result: Result) -> list[tuple[str, str, str, str, str]]:
    hub, bare = result.hub, result.bare

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}" if b else "-"

    return [
        (f"RSS after a {result.seconds:g} s soak", f"{hub.last_mib:.1f} MiB", f"{bare.last_mib:.1f} MiB",
         ratio(hub.last_mib, bare.last_mib), f"<= {TARGET_RSS_MIB} MiB after 1 h"),
        ("RSS at start-up (first health 200)", f"{hub.started_mib:.1f} MiB", f"{bare.started_mib:.1f} MiB",
         ratio(hub.started_mib, bare.started_mib), "-"),
        ("RSS at the first sample (tills signed in)", f"{hub.first_mib:.1f} MiB", f"{bare.first_mib:.1f} MiB",
         ratio(hub.first_mib, bare.first_mib), "-"),
        ("RSS peak", f"{hub.peak_mib:.1f} MiB", f"{bare.peak_mib:.1f} MiB", ratio(hub.peak_mib, bare.peak_mib), "-"),
        ("RSS growth, second half", f"{hub.growth_mib_per_min():+.2f} MiB/min",
         f"{bare.growth_mib_per_min():+.2f} MiB/min", "-", "-"),
        (f"sales at {result.rate}/s: p50 / p99", f"{result.sales.pct(0.5):.1f} / {result.sales.pct(0.99):.1f} ms",
         "-", "-", "-"),
        ("requests answered (errors)", f"{len(result.sales.latencies_ms)} ({result.sales.errors})",
         f"{result.bare_requests}", "-", "0 errors"),
    ]


def summary(result: Result) -> str:
    first = result.sales.first_error
    return (f"{result.tills} paired tills selling {result.rate} sales/s between them (1 header + {LINES_PER_SALE} "
            f"lines, open loop over HTTPS on 127.0.0.1) for {result.seconds:g} s, the hub's RSS (VmRSS of its "
            f"own process, not the load generator's; current, not peak) read once it first answered health, "
            f"then every {SAMPLE_S:g} s once the tills had signed in; reference: a bare Litestar app on uvicorn "
            f"answering {result.rate} health requests a second for as long. Load average "
            f"{result.load_average:.1f} when it began; {result.stack}."
            + (f" First error: {first}" if first else ""))
