"""A fault-injecting TCP proxy on 127.0.0.1 between a hub and HQ.

    with FaultProxy(upstream_port) as proxy:
        proxy.url                      # what the hub is given as HQ's URL
        proxy.drop_responses(2)        # the next 2 requests reach HQ, their answers never come back
        proxy.reset_requests(2)        # the next 2 requests are cut (RST) before HQ sees them
        proxy.delay = 0.2              # every request waits this long on the way
        proxy.outage(True)             # a full outage: every connection is reset at once

Faults act per request (the first bytes a client sends after the last answer), so a kept-alive
connection meets them as a fresh one would. Counters say what happened.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
import time
from typing import Any


def _reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0), as a dropped link or a killed peer looks."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class FaultProxy:
    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.lock = threading.Lock()
        self.to_drop = 0
        self.to_reset = 0
        self.delay = 0.0
        self.down = False
        self.stopping = False
        self.counts = {"connections": 0, "requests": 0, "dropped": 0, "reset": 0, "refused": 0}
        self.threads: list[threading.Thread] = []
        self.open: set[socket.socket] = set()
        self.accepter = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)

    @property
    def port(self) -> int:
        return self.listener.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "FaultProxy":
        self.accepter.start()
        return self

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def stop(self) -> None:
        self.stopping = True
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            pass
        self.accepter.join(5)
        self.listener.close()
        with self.lock:
            for s in list(self.open):
                _reset(s)
        for t in self.threads:
            t.join(5)

    # -- faults --------------------------------------------------------------------------------
    def drop_responses(self, n: int) -> None:
        with self.lock:
            self.to_drop += n

    def reset_requests(self, n: int) -> None:
        with self.lock:
            self.to_reset += n

    def outage(self, down: bool) -> None:
        with self.lock:
            self.down = down
            if down:
                for s in list(self.open):
                    _reset(s)
                self.open.clear()

    # -- plumbing ------------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self.stopping:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.stopping:
                client.close()
                return
            with self.lock:
                self.counts["connections"] += 1
                if self.down:
                    self.counts["refused"] += 1
                    _reset(client)
                    continue
            t = threading.Thread(target=self._serve, args=(client,), name="fault-proxy-conn", daemon=True)
            self.threads = [x for x in self.threads if x.is_alive()]
            self.threads.append(t)
            t.start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.upstream, timeout=10)
        except OSError:
            _reset(client)
            return
        with self.lock:
            self.open.update((client, upstream))
        awaiting_answer = False  # a request went up; its answer has not started back yet
        dropping = False
        try:
            while not self.stopping:
                try:
                    ready, _, _ = select.select([client, upstream], [], [], 0.5)
                except (OSError, ValueError):
                    return
                if client in ready:
                    data = client.recv(65536)
                    if not data:
                        return
                    if not awaiting_answer:  # the first bytes of a new request
                        with self.lock:
                            self.counts["requests"] += 1
                            if self.down or self.to_reset:
                                if not self.down:
                                    self.to_reset -= 1
                                self.counts["reset"] += 1
                                return
                            if self.to_drop:
                                self.to_drop -= 1
                                self.counts["dropped"] += 1
                                dropping = True
                        if self.delay:
                            time.sleep(self.delay)
                        awaiting_answer = True
                    upstream.sendall(data)
                if upstream in ready:
                    data = upstream.recv(65536)
                    if not data:
                        return
                    if dropping:  # HQ did the work; its answer is lost on the way
                        time.sleep(0.05)
                        return
                    awaiting_answer = False
                    client.sendall(data)
        except OSError:
            return
        finally:
            with self.lock:
                self.open.discard(client)
                self.open.discard(upstream)
            _reset(client)
            try:
                upstream.close()
            except OSError:
                pass
