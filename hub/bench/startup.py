"""Cold start to the first health 200, and idle memory, against a bare Litestar app."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

POLL_INTERVAL_S = 0.005
START_TIMEOUT_S = 30.0
IDLE_SETTLE_S = 1.0
IDLE_REQUESTS = 50


@dataclass
class StartRun:
    seconds: float
    rss_kib: int


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def _run(argv: list[str], port: int, env: dict[str, str], scheme: str = "http") -> StartRun:
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        url = f"{scheme}://127.0.0.1:{port}/api/v1/health"
        # verify=False: the hub's certificate is self-made and pinned by tills, not CA-signed.
        with httpx.Client(timeout=1, verify=False) as client:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"{argv[2:4]} exited with {proc.returncode} before serving")
                if time.perf_counter() - started > START_TIMEOUT_S:
                    raise RuntimeError("no health 200 in time")
                try:
                    if client.get(url).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(POLL_INTERVAL_S)
            elapsed = time.perf_counter() - started
            for _ in range(IDLE_REQUESTS):
                client.get(url)
        time.sleep(IDLE_SETTLE_S)
        return StartRun(elapsed, _rss_kib(proc.pid))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def measure(runs: int = 5) -> dict[str, list[StartRun]]:
    """Start the hub (on a demo store made beforehand) and the bare app `runs` times each, interleaved.

    The hub runs as shipped, HTTPS included; the reference is plain HTTP, so the ratio carries
    the TLS handshake's cost too.
    """
    from hub.auth.passwords import SecretHasher
    from hub.setup import DEMO_STORE, create_database

    results: dict[str, list[StartRun]] = {"hub": [], "bare": []}
    with tempfile.TemporaryDirectory(prefix="soko-bench-") as tmp:
        data = Path(tmp)
        create_database(data / "hub.db", store_name=DEMO_STORE["name"], store_code=DEMO_STORE["code"],
                        timezone=DEMO_STORE["timezone"], hasher=SecretHasher(1, 8), demo=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOKO_HUB_")}
        for _ in range(runs):
            port = _free_port()
            results["hub"].append(_run([sys.executable, "-m", "hub", "--data-dir", str(data), "serve",
                                        "--port", str(port)], port, env, scheme="https"))
            port = _free_port()
            results["bare"].append(_run([sys.executable, "-m", "hub.bench._bare_app", str(port)], port, env))
    return results


def rows(results: dict[str, list[StartRun]]) -> list[tuple[str, str, str, str, str]]:
    hub_s = statistics.median(r.seconds for r in results["hub"])
    bare_s = statistics.median(r.seconds for r in results["bare"])
    hub_rss = statistics.median(r.rss_kib for r in results["hub"]) / 1024
    bare_rss = statistics.median(r.rss_kib for r in results["bare"]) / 1024
    return [
        ("cold start to first health 200 (median)", f"{hub_s:.3f} s", f"{bare_s:.3f} s",
         f"{hub_s / bare_s:.2f}", "<= 0.8 s"),
        (f"idle RSS after {IDLE_REQUESTS} requests (median)", f"{hub_rss:.1f} MiB", f"{bare_rss:.1f} MiB",
         f"{hub_rss / bare_rss:.2f}", "<= 80 MiB after a 1 h soak"),
    ]
