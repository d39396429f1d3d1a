"""A scripted network printer for tests: a TCP listener on 127.0.0.1 that answers DLE EOT n like
a printer in `state` ("ready", "paper_out", "cover_open", ...) and keeps what each connection sent."""

from __future__ import annotations

import socket
import threading
import time

from drivers.printers.status import answer_byte


class FakePrinter:
    def __init__(self, state: str = "ready", *, answers: bool = True, sensor: str | None = None) -> None:
        self.state = state
        self.sensor = sensor  # what GS r 1 reports ("paper_out", "paper_low", "ready"); None: DLE EOT's state
        self.answers = answers  # False: a printer that never reports its status
        self.jobs: list[bytes] = []  # per connection, without the status queries
        self.queries: list[int] = []
        self.last_byte_at = 0.0  # time.perf_counter() of the last job byte received
        self.received = threading.Event()  # set whenever a connection sent job bytes
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.05)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="fake-printer", daemon=True)

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def __enter__(self) -> "FakePrinter":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self._sock.close()

    def wait_for_jobs(self, count: int, timeout: float = 10.0) -> list[bytes]:
        deadline = time.monotonic() + timeout
        while len(self.jobs) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"the printer got {len(self.jobs)} jobs, not {count}")
            self.received.wait(0.05)
            self.received.clear()
        return self.jobs

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                self._serve_one(conn)

    def _serve_one(self, conn: socket.socket) -> None:
        conn.settimeout(0.05)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pending = b""
        job = bytearray()
        while not self._stop.is_set():
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not chunk:
                break
            pending += chunk
            while (gs := pending.find(b"\x1dr")) != -1 and gs + 2 < len(pending):
                job += pending[:gs]
                self.queries.append(("GS r", pending[gs + 2]))  # type: ignore[arg-type]
                sensor = self.sensor or self.state
                conn.sendall(bytes([{"paper_out": 0x0C, "paper_low": 0x03}.get(sensor, 0)]))
                pending = pending[gs + 3:]
            while pending:
                at = pending.find(b"\x10\x04")
                if at == -1 or at + 2 >= len(pending):
                    keep = 2 if pending.endswith(b"\x10\x04") else (1 if pending.endswith(b"\x10") else 0)
                    job += pending[:len(pending) - keep] if at == -1 else pending[:at]
                    pending = pending[len(pending) - keep:] if at == -1 else pending[at:]
                    break
                job += pending[:at]
                n = pending[at + 2]
                pending = pending[at + 3:]
                self.queries.append(n)
                if self.answers:
                    conn.sendall(bytes([answer_byte(self.state)[n]]))
            if job:
                self.last_byte_at = time.perf_counter()
        if job:
            self.jobs.append(bytes(job))
            self.received.set()
