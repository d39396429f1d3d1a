"""The production default ("lan": every LAN IPv4 interface) inside a network namespace, found from
another namespace over a veth pair (ENVIRONMENT.md): no traffic touches the machine's own network."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.hubtest import FAST_KDF, free_port, make_demo_store, make_settings

ROOT = Path(__file__).resolve().parents[2]

FIND = r"""
import json, sys, time
from zeroconf import IPVersion, ServiceBrowser, ServiceStateChange, Zeroconf
from discovery.addresses import lan_ipv4
from discovery.matchers import HUB_TYPE, decode_txt
zc = Zeroconf(interfaces=lan_ipv4(), ip_version=IPVersion.V4Only)
names = []
browser = ServiceBrowser(zc, HUB_TYPE, handlers=[lambda zeroconf, service_type, name, state_change:
                         names.append(name) if state_change is ServiceStateChange.Added else None])
deadline, found = time.monotonic() + float(sys.argv[1]), None
while time.monotonic() < deadline and found is None:
    for name in list(names):
        info = zc.get_service_info(HUB_TYPE, name, timeout=1000)
        if info is not None:
            found = {"addresses": info.parsed_addresses(), "port": info.port, "txt": decode_txt(info.properties),
                     "mine": lan_ipv4()}
    time.sleep(0.05)
browser.cancel(); zc.close()
print(json.dumps(found))
"""


RESOLVE = r"""
import json, sys
from discovery.resolver import HubResolver
hub = HubResolver(pin=sys.argv[1]).resolve(mdns_timeout=10)  # the till's default: every LAN interface
print(json.dumps({"source": hub.source, "host": hub.host, "port": hub.port, "hub_id": hub.hub_id}))
"""


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


@pytest.fixture
def two_hosts():
    """Namespaces A and B joined by a veth pair, each with a 10.99.N.0/24 address; deleted after."""
    n = os.getpid() % 200 + 20
    a, b = f"sokoA{os.getpid()}", f"sokoB{os.getpid()}"
    probe = _ip("netns", "add", a, check=False)
    if probe.returncode != 0:
        pytest.skip(f"`ip netns add` is not permitted here: {probe.stderr.strip()}")
    try:
        _ip("netns", "add", b)
        va, vb = f"va{n}{os.getpid() % 1000}"[:15], f"vb{n}{os.getpid() % 1000}"[:15]
        _ip("link", "add", va, "type", "veth", "peer", "name", vb)
        _ip("link", "set", va, "netns", a)
        _ip("link", "set", vb, "netns", b)
        for ns, dev, host in ((a, va, 1), (b, vb, 2)):
            _ip("-n", ns, "addr", "add", f"10.99.{n}.{host}/24", "dev", dev)
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "link", "set", dev, "up")
        yield a, b, f"10.99.{n}.1", f"10.99.{n}.2"
    finally:
        for ns in (a, b):
            _ip("netns", "del", ns, check=False)
    assert a not in _ip("netns", "list").stdout


@contextmanager
def hub_in(namespace: str, tmp_path: Path) -> Iterator[tuple[int, dict[str, str], list[str]]]:
    """`soko-hub serve` with the production mDNS default inside `namespace`: (port, env, output)."""
    settings = make_settings(tmp_path / "var")
    make_demo_store(settings)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOKO_HUB_")}
    env.update({"SOKO_HUB_CONFIG": "/nonexistent/hub.toml", "SOKO_HUB_SCANNER_AUTODETECT": "false",
                "SOKO_HUB_KDF_TIME_COST": str(FAST_KDF["kdf_time_cost"]),
                "SOKO_HUB_KDF_MEMORY_KIB": str(FAST_KDF["kdf_memory_kib"]), "PYTHONPATH": str(ROOT)})
    hub = subprocess.Popen(["ip", "netns", "exec", namespace, sys.executable, "-m", "hub", "--data-dir",
                            str(settings.data_path), "serve", "--host", "0.0.0.0", "--port", str(port)],
                           cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    try:
        yield port, env, output
    finally:
        hub.send_signal(signal.SIGTERM)
        try:
            out, _ = hub.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            hub.kill()
            out, _ = hub.communicate()
        output.append(out)


def test_the_default_interfaces_advertise_on_the_lan_and_are_found_from_another_host(tmp_path, two_hosts):
    a, b, address_a, address_b = two_hosts
    with hub_in(a, tmp_path) as (port, env, out):
        find = subprocess.run(["ip", "netns", "exec", b, sys.executable, "-c", FIND, "30"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
        assert find.returncode == 0, find.stderr
        found = json.loads(find.stdout)
        assert found is not None, "the hub in namespace A was not found from namespace B"
        health = subprocess.run(["ip", "netns", "exec", b, "curl", "-sk", "--max-time", "5",
                                 f"https://{address_a}:{port}/api/v1/health"],
                                capture_output=True, text=True, timeout=30)
        resolve = subprocess.run(["ip", "netns", "exec", b, sys.executable, "-c", RESOLVE, found["txt"]["pin"]],
                                 cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert found["mine"] == [address_b]
    assert found["addresses"] == [address_a] and found["port"] == port  # the LAN address, never loopback
    assert found["txt"]["store"] and found["txt"]["pin"] and found["txt"]["api"] == "/api/v1"
    assert json.loads(health.stdout)["tls"]["key_pin"] == found["txt"]["pin"], out
    assert resolve.returncode == 0, resolve.stderr
    assert json.loads(resolve.stdout) == {"source": "mdns", "host": address_a, "port": port,
                                          "hub_id": found["txt"]["id"]}


AVAHI_CONF = """[server]
use-ipv4=yes
use-ipv6=no
allow-interfaces={interface}
enable-dbus=yes
[publish]
disable-publishing=yes
"""
BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path={socket}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_type="method_call"/>
<allow send_destination="*"/><allow receive_sender="*"/></policy></busconfig>
"""


def test_avahi_on_another_host_sees_the_hub_with_its_txt(tmp_path, two_hosts):
    """An independent mDNS stack (avahi-daemon in namespace B, on a private D-Bus) resolves the hub."""
    import shutil

    if not all(shutil.which(t) for t in ("avahi-daemon", "avahi-browse", "dbus-daemon")):
        pytest.skip("avahi-daemon, avahi-utils and dbus are not installed (apt-get install avahi-daemon avahi-utils dbus)")
    if Path("/run/avahi-daemon/pid").exists():
        pytest.skip("another avahi-daemon runs on this machine (its pid file is in /run/avahi-daemon)")
    a, b, address_a, _ = two_hosts
    interface = _ip("-n", b, "-o", "link", "show", "type", "veth").stdout.split(":")[1].strip().split("@")[0]
    work = tmp_path / "avahi"
    work.mkdir()
    bus = work / "bus"
    (work / "bus.conf").write_text(BUS_CONF.format(socket=bus))
    (work / "avahi.conf").write_text(AVAHI_CONF.format(interface=interface))
    env = {**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={bus}"}
    dbus = subprocess.run(["dbus-daemon", f"--config-file={work / 'bus.conf'}", "--fork", "--print-pid"],
                          capture_output=True, text=True, check=True)
    dbus_pid = int(dbus.stdout.split()[0])
    avahi = subprocess.Popen(["ip", "netns", "exec", b, "avahi-daemon", "--no-drop-root", "--no-chroot",
                              "--no-rlimits", "-f", str(work / "avahi.conf")], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with hub_in(a, tmp_path) as (port, _, out):
            line = None
            deadline = time.monotonic() + 40
            while line is None and time.monotonic() < deadline:
                browse = subprocess.run(["avahi-browse", "-r", "-t", "-p", "_soko-hub._tcp"], env=env,
                                        capture_output=True, text=True, timeout=30)
                line = next((l for l in browse.stdout.splitlines() if l.startswith("=;")), None)
                if line is None:
                    time.sleep(0.5)
    finally:
        avahi.terminate()
        avahi.wait(10)
        os.kill(dbus_pid, signal.SIGTERM)
    assert line is not None, f"avahi did not resolve the hub: {out}"
    fields = line.split(";")
    assert fields[3].replace("\\032", " ").startswith("Soko Hub ") and fields[7] == address_a and int(fields[8]) == port
    assert '"api=/api/v1"' in fields[9] and '"pin=' in fields[9] and '"v=1"' in fields[9]
