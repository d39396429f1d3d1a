"""How long a fresh till-side resolver takes to find a hub that has just started, beside a bare
python-zeroconf service started the same way, on loopback only.

Each run starts the service's process and, the moment it is up (the hub: its first health 200,
when HTTP listens; the reference: the line it prints just before registering), starts a fresh
resolver (a new zeroconf instance, as a till that has just booted) and times it until it holds
the address. For the hub the time includes everything after HTTP listens: zeroconf's import,
its probes (RFC 6762 section 8.1: three, 250 ms apart) and the announcement, and then the
resolver's TLS handshake that checks the key pin. The reference registers with the same probes,
so the ratio shows what the hub adds.
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

START_TIMEOUT_S = 60.0
FIND_TIMEOUT_S = 10.0
LOOPBACK = ["127.0.0.1"]

DUMMY = r"""
import socket, sys, time
from zeroconf import IPVersion, ServiceInfo, Zeroconf
port = int(sys.argv[1])
zc = Zeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
info = ServiceInfo("_soko-hub._tcp.local.", f"Bench dummy {port}._soko-hub._tcp.local.",
                   addresses=[socket.inet_aton("127.0.0.1")], port=port,
                   properties={"id": "dummy", "pin": f"dummy-{port}"}, server=f"bench-dummy-{port}.local.")
print("up", flush=True)
zc.register_service(info)
try:
    time.sleep(60)
finally:
    zc.close()
"""


@dataclass
class Result:
    hub: list[float]  # seconds from health 200 to the resolver holding a pin-checked address
    hub_mdns: list[float]  # of which: until the advert was seen
    dummy: list[float]  # seconds from "up" to the advert seen
    load_average: float


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _hub_run(data: Path, env: dict[str, str]) -> tuple[float, float]:
    from discovery.resolver import HubResolver, find_by_mdns

    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "hub", "--data-dir", str(data), "serve", "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the hub did not start")
            try:
                r = httpx.get(f"https://127.0.0.1:{port}/api/v1/health", verify=False, timeout=1)
                if r.status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.005)
        up = time.perf_counter()
        pin = r.json()["tls"]["key_pin"]
        hub = HubResolver(pin=pin, interfaces=LOOPBACK).resolve(mdns_timeout=FIND_TIMEOUT_S)
        total = time.perf_counter() - up
        if hub.source != "mdns" or hub.port != port:
            raise RuntimeError(f"the resolver found {hub} instead of the hub on port {port}")
        # the advert alone (already announced: a second fresh resolver sees it from the first answer)
        started = time.perf_counter()
        find_by_mdns(LOOPBACK, FIND_TIMEOUT_S, pin=pin)
        return total, time.perf_counter() - started
    finally:
        _stop(proc)


def _dummy_run(env: dict[str, str]) -> float:
    from discovery.resolver import find_by_mdns

    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-c", DUMMY, str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env, text=True)
    try:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "up":
            raise RuntimeError("the dummy service did not start")
        up = time.perf_counter()
        found = find_by_mdns(LOOPBACK, FIND_TIMEOUT_S, pin=f"dummy-{port}")  # this run's, not another's
        if not any(f["port"] == port for f in found):
            raise RuntimeError("the dummy service was not found")
        return time.perf_counter() - up
    finally:
        _stop(proc)


def measure(runs: int) -> Result:
    from hub.auth.passwords import SecretHasher
    from hub.setup import DEMO_STORE, create_database

    result = Result([], [], [], os.getloadavg()[0])
    with tempfile.TemporaryDirectory(prefix="soko-bench-mdns-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        create_database(data / "hub.db", store_name=DEMO_STORE["name"], store_code=DEMO_STORE["code"],
                        timezone=DEMO_STORE["timezone"], hasher=SecretHasher(1, 8), demo=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOKO_HUB_")}
        env.update({"SOKO_HUB_LOG_LEVEL": "warning", "SOKO_HUB_MDNS_INTERFACES": "127.0.0.1",
                    "SOKO_HUB_SCANNER_AUTODETECT": "false", "SOKO_HUB_CONFIG": str(Path(tmp) / "none.toml")})
        for _ in range(runs):
            total, seen = _hub_run(data, env)
            result.hub.append(total)
            result.hub_mdns.append(seen)
            result.dummy.append(_dummy_run(env))
    return result


def summary(result: Result) -> str:
    return (f"{len(result.hub)} runs of each, interleaved, on loopback (127.0.0.1). The hub: from its first "
            f"health 200 (HTTP listening) until a fresh resolver holds its address with the key pin checked by "
            f"a TLS handshake. The reference: a bare python-zeroconf service, from the moment its process is up "
            f"until a fresh resolver sees its advert (both register with the standard probes). "
            f"Load average {result.load_average:.1f} when it began.")


def rows(result: Result) -> list[tuple[str, str, str, str, str]]:
    hub = statistics.median(result.hub)
    dummy = statistics.median(result.dummy)
    seen = statistics.median(result.hub_mdns)
    return [
        ("fresh resolver finds a just-started hub (median)", f"{hub:.3f} s", f"{dummy:.3f} s",
         f"{hub / dummy:.2f}", "<= 1.5 s"),
        ("fresh resolver finds a just-started hub (worst)", f"{max(result.hub):.3f} s",
         f"{max(result.dummy):.3f} s", f"{max(result.hub) / max(result.dummy):.2f}", "-"),
        ("an announced hub's advert seen by a fresh resolver (median)", f"{seen:.3f} s", "-", "-", "-"),
    ]
