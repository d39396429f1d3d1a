"""Shared fixtures and safety nets: no thread or server left running after a test."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hubtest import Hub, HubServer, make_demo_store, make_settings

# A hub that tests start as a process (`soko-hub serve`) never multicasts on the machine's real
# interface nor reads udev (tests/discovery runs mDNS on loopback and in namespaces it makes).
os.environ.setdefault("SOKO_HUB_MDNS", "false")
os.environ.setdefault("SOKO_HUB_SCANNER_AUTODETECT", "false")


@pytest.fixture
def settings(tmp_path: Path):
    return make_settings(tmp_path / "var")


@pytest.fixture
def demo_store(settings):
    """A freshly created demo store in `settings`' data directory (not served)."""
    return make_demo_store(settings)


@pytest.fixture
def hub(settings) -> Iterator[Hub]:
    """A demo hub served over real HTTP on 127.0.0.1."""
    store = make_demo_store(settings)
    server = HubServer(settings).start()
    running = Hub(server, store)
    try:
        yield running
    finally:
        running.close()
        server.stop()


@pytest.fixture
def sim(tmp_path: Path):
    """A local FDMS (tests/fiscal/fdms_sim.py: HTTPS with client certificates on 127.0.0.1),
    started for the test and stopped after it."""
    from tests.fiscal.fdms_sim import FdmsSim

    s = FdmsSim(tmp_path / "sim").start()
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def no_leftover_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    leftover = [t for t in threading.enumerate()
                if t not in before and t.is_alive() and not t.name.startswith(("asyncio_", "ThreadPoolExecutor"))]
    for t in leftover:
        t.join(2)
    leftover = [t for t in leftover if t.is_alive()]
    assert not leftover, f"threads left running: {[t.name for t in leftover]}"
