"""Test helpers: a real hub served by uvicorn on 127.0.0.1 in a thread, and signed-in clients."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from hub.auth.passwords import SecretHasher
from hub.server import build_server
from hub.settings import Settings
from hub.setup import DEMO_STORE, NewStore, create_database, load_demo_catalogue

FAST_KDF = {"kdf_time_cost": 1, "kdf_memory_kib": 8}
PLAIN_HTTP = {"tls": False}  # most tests speak plain HTTP; tests/identity covers HTTPS
# No multicast on the machine's real interface and no udev: tests/discovery and tests/drivers
# turn these on with loopback, namespaces and fakes.
NO_DISCOVERY = {"mdns": False, "scanner_autodetect": False}


def fast_hasher() -> SecretHasher:
    return SecretHasher(FAST_KDF["kdf_time_cost"], FAST_KDF["kdf_memory_kib"])


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    values = {"data_dir": str(data_dir), **FAST_KDF, **PLAIN_HTTP, **NO_DISCOVERY, **overrides}
    return Settings(**values)


def make_demo_store(settings: Settings, *, catalogue: bool = False, history: bool = False) -> NewStore:
    """The demo store; with `catalogue`, its demo catalogue too (about a second: ask only when
    a test needs 2,000 products); with `history`, the catalogue and three weeks of sales on
    three tills too (hub.sales.demo_history, a few seconds)."""
    store = create_database(settings.db_path, store_name=DEMO_STORE["name"],
                            store_code=DEMO_STORE["code"], timezone=DEMO_STORE["timezone"],
                            hasher=fast_hasher(), demo=True)
    if catalogue or history:
        load_demo_catalogue(settings.db_path)
    if history:
        from hub.sales.demo_history import load_demo_history

        load_demo_history(settings.db_path)
    return store


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HubServer:
    """uvicorn serving create_app(settings) on 127.0.0.1:<free port>, in a thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = free_port()
        self.server = build_server(settings, host="127.0.0.1", port=self.port)
        self.thread = threading.Thread(target=self.server.run, name="test-uvicorn", daemon=True)

    @property
    def url(self) -> str:
        return f"{'https' if self.settings.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> "HubServer":
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the hub did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        assert not self.thread.is_alive(), "the hub did not stop"

    @property
    def app(self):
        return self.server.config.app


class Hub:
    """A running demo hub with its credentials, for API tests."""

    def __init__(self, server: HubServer, store: NewStore) -> None:
        self.server = server
        self.store = store
        self.credentials = {u: (pw, pin) for u, _role, pw, pin in store.credentials}
        self._clients: list[httpx.Client] = []

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def db_path(self) -> Path:
        return self.server.settings.db_path

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.Client(base_url=self.url, headers=headers, timeout=10)
        self._clients.append(client)
        return client

    def login(self, username: str, password: str | None = None) -> dict[str, Any]:
        password = password if password is not None else self.credentials[username][0]
        r = self.client().post("/api/v1/auth/login", json={"username": username, "password": password})
        assert r.status_code == 201, r.text
        return r.json()

    def as_user(self, username: str) -> httpx.Client:
        return self.client(self.login(username)["access_token"])

    def write(self, sql: str, *params: Any) -> int:
        """A change behind the API's back, committed by the hub's own writer as a feature's write
        would be (so the hub hears of it at once, hub.auth.cache); returns the rows changed."""
        return self.server.app.state.db.write_sync(lambda conn: conn.execute(sql, params).rowcount)

    def close(self) -> None:
        for client in self._clients:
            client.close()
