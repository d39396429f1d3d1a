"""Cold start to the first health 200, and idle memory, against a bare Litestar app.

Both apps start with their bytecode already compiled, as the Pi image ships it (and as a
second start on any machine finds it): each is started once, untimed, with a bytecode cache of
this run's own, so a machine that says PYTHONDONTWRITEBYTECODE does not make every timed start
compile the hub's few hundred modules afresh while the reference's come precompiled from
site-packages.
"""

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
    cpu_seconds: float  # user + system time of the process when health first answered 200
    rss_kib: int


@dataclass
class Result:
    runs: dict[str, list[StartRun]]
    load_average: float  # 1-minute, when the runs began: other work on the machine moves wall time


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


def _cpu_seconds(pid: int) -> float:
    # /proc/<pid>/stat: utime and stime are fields 14 and 15, after the parenthesised command name.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
            cpu = _cpu_seconds(proc.pid)
            for _ in range(IDLE_REQUESTS):
                client.get(url)
        time.sleep(IDLE_SETTLE_S)
        return StartRun(elapsed, cpu, _rss_kib(proc.pid))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def measure(runs: int = 5) -> Result:
    """Start the hub (on a demo store made beforehand) and the bare app `runs` times each, interleaved,
    after one untimed start of each that fills the bytecode cache.

    The hub runs as shipped, HTTPS included; the reference is plain HTTP, so the ratio carries
    the TLS handshake's cost too.
    """
    from hub.auth.passwords import SecretHasher
    from hub.setup import DEMO_STORE, create_database

    results: dict[str, list[StartRun]] = {"hub": [], "bare": []}
    with tempfile.TemporaryDirectory(prefix="soko-bench-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        create_database(data / "hub.db", store_name=DEMO_STORE["name"], store_code=DEMO_STORE["code"],
                        timezone=DEMO_STORE["timezone"], hasher=SecretHasher(1, 8), demo=True)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("SOKO_HUB_") and k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        env["SOKO_HUB_MDNS_INTERFACES"] = "127.0.0.1"  # the hub advertises as shipped, on loopback only

        def hub_run() -> StartRun:
            port = _free_port()
            return _run([sys.executable, "-m", "hub", "--data-dir", str(data), "serve", "--port", str(port)],
                        port, env, scheme="https")

        def bare_run() -> StartRun:
            port = _free_port()
            return _run([sys.executable, "-m", "hub.bench._bare_app", str(port)], port, env)

        hub_run(), bare_run()  # fill the bytecode cache
        load_average = os.getloadavg()[0]
        for _ in range(runs):
            results["hub"].append(hub_run())
            results["bare"].append(bare_run())
    return Result(results, load_average)


def summary(result: Result) -> str:
    return (f"{len(result.runs['hub'])} starts of each app, interleaved, bytecode compiled beforehand "
            f"(as the image ships it); the hub serves HTTPS on a demo store, the reference plain HTTP. "
            f"CPU time is the process's user + system time when health first answered, which other work "
            f"on the machine moves less than wall time. Load average {result.load_average:.1f} when it began.")


def rows(result: Result) -> list[tuple[str, str, str, str, str]]:
    results = result.runs
    hub_s = statistics.median(r.seconds for r in results["hub"])
    bare_s = statistics.median(r.seconds for r in results["bare"])
    hub_cpu = statistics.median(r.cpu_seconds for r in results["hub"])
    bare_cpu = statistics.median(r.cpu_seconds for r in results["bare"])
    hub_rss = statistics.median(r.rss_kib for r in results["hub"]) / 1024
    bare_rss = statistics.median(r.rss_kib for r in results["bare"]) / 1024
    return [
        ("cold start to first health 200 (median)", f"{hub_s:.3f} s", f"{bare_s:.3f} s",
         f"{hub_s / bare_s:.2f}", "<= 0.8 s"),
        ("CPU time to first health 200 (median)", f"{hub_cpu:.3f} s", f"{bare_cpu:.3f} s",
         f"{hub_cpu / bare_cpu:.2f}", "-"),
        (f"idle RSS after {IDLE_REQUESTS} requests (median)", f"{hub_rss:.1f} MiB", f"{bare_rss:.1f} MiB",
         f"{hub_rss / bare_rss:.2f}", "<= 80 MiB after a 1 h soak"),
    ]
