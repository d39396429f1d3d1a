"""The HTTP server around the app: uvloop and httptools where they import, pure Python otherwise."""

from __future__ import annotations

import sys

import httpx

import hub.server as server_module
from tests.hubtest import HubServer, make_demo_store


def test_the_hub_serves_on_uvloop_and_httptools_when_they_import(settings):
    make_demo_store(settings)
    running = HubServer(settings).start()
    try:
        assert (running.server.config.loop, running.server.config.http) == ("uvloop", "httptools")
        assert httpx.get(f"{running.url}/api/v1/health", timeout=10).status_code == 200
    finally:
        running.stop()


def test_the_hub_falls_back_to_asyncio_and_h11_when_they_do_not(settings, monkeypatch):
    for name in ("uvloop", "httptools"):
        monkeypatch.setitem(sys.modules, name, None)  # `import` raises ImportError, as without a wheel
    assert server_module.server_stack() == ("asyncio", "h11")
    make_demo_store(settings)
    running = HubServer(settings).start()
    try:
        assert (running.server.config.loop, running.server.config.http) == ("asyncio", "h11")
        assert httpx.get(f"{running.url}/api/v1/health", timeout=10).status_code == 200
    finally:
        running.stop()
