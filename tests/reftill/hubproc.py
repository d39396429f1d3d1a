"""Test helpers for the fault tests: a real hub in its own process (so it can be killed with
SIGKILL and restored from a backup), and a TCP proxy on 127.0.0.1 that can drop a response."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

from hub.cli import main
from tests.hubtest import FAST_KDF, free_port, make_demo_store, make_settings

START_TIMEOUT_S = 30
START_RETRIES = 10
STOP_TIMEOUT_S = 3  # then SIGKILL: a stop is not what these tests look at


class HubProcess:
    """`python -m hub serve` on 127.0.0.1 over HTTPS, with a demo store and its catalogue."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.settings = make_settings(directory / "var", tls=True)
        self.config = directory / "hub.toml"
        self.config.write_text(f'data_dir = "{self.settings.data_dir}"\ntls = true\n'
                               f'kdf_time_cost = {FAST_KDF["kdf_time_cost"]}\n'
                               f'kdf_memory_kib = {FAST_KDF["kdf_memory_kib"]}\n')
        self.store = make_demo_store(self.settings, catalogue=True)
        self.credentials = {u: (pw, pin) for u, _role, pw, pin in self.store.credentials}
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log = directory / "hub.log"

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def db_path(self) -> Path:
        return self.settings.db_path

    def start(self) -> "HubProcess":
        """Serve and wait for the health check. The port is the same at every start (the tills
        know the hub by it); one still held by the last process's sockets is waited for."""
        for _ in range(START_RETRIES):
            if self._start_once():
                return self
            time.sleep(0.5)
        raise RuntimeError(f"the hub could not take port {self.port}: {self._log_since(0)[-2000:]}")

    def _log_since(self, offset: int) -> str:
        return self.log.read_bytes()[offset:].decode(errors="replace")

    def _start_once(self) -> bool:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOKO_HUB_")}
        env["SOKO_HUB_CONFIG"] = str(self.config)
        offset = self.log.stat().st_size if self.log.exists() else 0
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "hub", "serve", "--host", "127.0.0.1", "--port",
                                          str(self.port)], stdout=log, stderr=subprocess.STDOUT, env=env,
                                         cwd=Path(__file__).parent.parent.parent)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                said = self._log_since(offset)
                self.proc = None
                if "address already in use" in said.lower():
                    return False
                raise RuntimeError(f"the hub exited: {said[-3000:]}")
            try:
                if httpx.get(f"{self.url}/api/v1/health", verify=False, timeout=1).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the hub did not start: {self._log_since(offset)[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush beyond what SQLite already committed."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(15)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)
            self.proc = None

    def cli(self, *args: str) -> str:
        result = CliRunner().invoke(main, ["--config", str(self.config), *args])
        assert result.exit_code == 0, result.output
        return result.output

    def client(self, username: str | None = None) -> httpx.Client:
        client = httpx.Client(base_url=self.url, verify=False, timeout=30)
        if username:
            r = client.post("/api/v1/auth/login", json={"username": username,
                                                         "password": self.credentials[username][0]})
            assert r.status_code == 201, r.text
            client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        return client

    def pairing_code(self) -> str:
        manager = self.client("manager")
        try:
            r = manager.post("/api/v1/devices/pairing-codes")
            assert r.status_code == 201, r.text
            return r.json()["code"]
        finally:
            manager.close()

    def query(self, sql: str, *params) -> list[tuple]:
        """A read of the hub's database beside it (WAL: readers never block the hub)."""
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


class Proxy:
    """A TCP proxy 127.0.0.1:<port> -> the hub, as a flaky Wi-Fi link. TLS passes through untouched
    (the till still sees the hub's key), so the proxy knows requests only by size: an upload is a
    client->hub burst of at least `BIG_REQUEST` bytes, far above a TLS handshake's or a poll's.

    - `drop_next_response()`: the next big request goes through, and the hub's answer to it (sent
      after its commit) is swallowed and both sides cut;
    - `on_big_request`: called (in the proxy's thread) as a big request passes, e.g. to SIGKILL
      the hub while it takes the batch."""

    BIG_REQUEST = 1200

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._drop = 0
        self.dropped = 0
        self.on_big_request = None
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._accepter = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)
        self._accepter.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def drop_next_response(self, n: int = 1) -> None:
        with self._lock:
            self._drop += n

    def _take_drop(self) -> bool:
        with self._lock:
            if self._drop:
                self._drop -= 1
                return True
            return False

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self._closed:
                client.close()
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            self._sockets += [client, upstream]
            link = {"drop_answer": False}
            for src, dst, back in ((client, upstream, False), (upstream, client, True)):
                t = threading.Thread(target=self._pump, args=(src, dst, back, link), name="fault-proxy-pump",
                                     daemon=True)
                self._threads.append(t)
                t.start()

    def _pump(self, src: socket.socket, dst: socket.socket, back: bool, link: dict) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if back and link["drop_answer"]:
                    self.dropped += 1
                    break  # the hub answered; the till never hears it
                if not back and len(data) >= self.BIG_REQUEST:
                    if not link["drop_answer"] and self._take_drop():  # one request comes in many chunks
                        link["drop_answer"] = True
                    if self.on_big_request is not None:
                        self.on_big_request()
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self._closed = True
        try:  # closing a listening socket does not wake a thread blocked in accept(); a connection does
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            pass
        self.listener.close()
        for s in self._sockets:
            try:
                s.close()
            except OSError:
                pass
        for t in self._threads + [self._accepter]:
            t.join(2)
