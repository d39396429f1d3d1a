"""The hub tells systemd it is ready and feeds the watchdog, over a real unix datagram socket."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from pathlib import Path

import httpx
import pytest

from hub import sdnotify
from tests.hubtest import HubServer, make_demo_store, make_settings


def _listener(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(10)
    return sock


def _messages(sock: socket.socket, until: str, limit: float = 10) -> list[str]:
    got, deadline = [], time.monotonic() + limit
    while time.monotonic() < deadline:
        got.append(sock.recv(4096).decode())
        if any(until in m for m in got):
            return got
    raise AssertionError(f"no {until!r} within {limit}s; got {got}")


def test_notify_sends_one_datagram_to_a_path_socket(tmp_path):
    with _listener(tmp_path / "notify") as sock:
        assert sdnotify.notify("READY=1\nSTATUS=up", {"NOTIFY_SOCKET": str(tmp_path / "notify")})
        assert sock.recv(4096) == b"READY=1\nSTATUS=up"


def test_notify_reaches_an_abstract_socket():
    name = f"soko-hub-test-{os.getpid()}-{time.monotonic_ns()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        assert sdnotify.notify("WATCHDOG=1", {"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(4096) == b"WATCHDOG=1"


def test_without_systemd_nothing_is_sent_and_nothing_fails(tmp_path):
    assert not sdnotify.notify("READY=1", {})
    assert not sdnotify.notify("READY=1", {"NOTIFY_SOCKET": "vsock:2:1234"})
    assert not sdnotify.notify("READY=1", {"NOTIFY_SOCKET": str(tmp_path / "gone")})  # logged, not raised


def test_watchdog_interval_is_half_the_timeout_and_only_for_this_process():
    pid = str(os.getpid())
    assert sdnotify.watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": pid}) == 15.0
    assert sdnotify.watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert sdnotify.watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert sdnotify.watchdog_interval({"WATCHDOG_USEC": "junk"}) is None
    assert sdnotify.watchdog_interval({}) is None


async def test_notifier_feeds_the_watchdog_until_stopping(tmp_path):
    env = {"NOTIFY_SOCKET": str(tmp_path / "notify"), "WATCHDOG_USEC": "100000"}
    with _listener(tmp_path / "notify") as sock:
        notifier = sdnotify.Notifier(env)
        notifier.ready("testing")
        got = [sock.recv(4096).decode()]
        while len(got) < 4:
            got.append(await asyncio.to_thread(sock.recv, 4096))
        await notifier.stopping()
        got = [m if isinstance(m, str) else m.decode() for m in got]
        got += _messages(sock, "STOPPING=1")
    assert got[0] == "READY=1\nSTATUS=testing"
    assert got[-1] == "STOPPING=1"
    assert set(got[1:-1]) == {"WATCHDOG=1"}  # fed every 50 ms while running


async def test_a_full_notify_queue_never_blocks_the_hub(tmp_path):
    """systemd busy (its queue full): notifications are dropped, the event loop goes on."""
    env = {"NOTIFY_SOCKET": str(tmp_path / "notify")}
    with _listener(tmp_path / "notify"):
        sent = [sdnotify.notify("WATCHDOG=1", env) for _ in range(2000)]
    assert sent[0] and not sent[-1]


def test_the_served_hub_is_ready_only_once_it_answers_and_feeds_the_watchdog(tmp_path, monkeypatch):
    path = tmp_path / "notify"
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.setenv("WATCHDOG_USEC", "200000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    settings = make_settings(tmp_path / "var")
    make_demo_store(settings)
    with _listener(path) as sock:
        server = HubServer(settings).start()
        try:
            first = _messages(sock, "READY=1")
            assert first[0].startswith("READY=1"), first  # nothing before ready
            # Ready means listening: health answers at once.
            assert httpx.get(server.url + "/api/v1/health", timeout=10).status_code == 200
            assert "WATCHDOG=1" in _messages(sock, "WATCHDOG=1")
        finally:
            server.stop()
        assert "STOPPING=1" in _messages(sock, "STOPPING=1")


@pytest.mark.parametrize("value", ["", "relative/path"])
def test_odd_notify_socket_values_are_ignored(value):
    assert not sdnotify.notify("READY=1", {"NOTIFY_SOCKET": value})
