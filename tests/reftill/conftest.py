"""A demo hub over HTTPS for the reference till (its key is what the till pins)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.hubtest import Hub, HubServer, make_demo_store, make_settings


class TlsHub(Hub):
    """A Hub whose test-side clients skip certificate checks (the till itself pins the key)."""

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.Client(base_url=self.url, headers=headers, timeout=10, verify=False)
        self._clients.append(client)
        return client


@pytest.fixture
def tls_hub(tmp_path) -> Iterator[TlsHub]:
    settings = make_settings(tmp_path / "var", tls=True)
    store = make_demo_store(settings, catalogue=True)
    server = HubServer(settings).start()
    running = TlsHub(server, store)
    try:
        yield running
    finally:
        running.close()
        server.stop()
