"""A stand-in for the privileged helper's socket that runs the image's real helper script: each
connection's line goes to image/overlay/usr/lib/soko-hub/helper in dry-run mode
(SOKO_HELPER_DRYRUN=1, files under SOKO_HELPER_ROOT: it validates and prints what it would run),
its answer line goes back. The hub's one client (hub.ops.helper) is pointed at `path`."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from pathlib import Path

HELPER = Path(__file__).resolve().parents[1] / "image" / "overlay" / "usr" / "lib" / "soko-hub" / "helper"


class FakeHelper:
    """Listens where the helper's socket would be. `silent=True`: takes each request and never
    answers (until closed), as a helper stuck on a command would."""

    def __init__(self, tmp: Path, *, silent: bool = False) -> None:
        self.root = tmp / "root"
        self.root.mkdir(exist_ok=True)
        self.path = str(tmp / ("silent.sock" if silent else "helper.sock"))
        self.silent = silent
        self.requests: list[str] = []
        self.commands: list[str] = []  # what the helper would have run
        self.answers: list[str] = []
        self.closed = threading.Event()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(4)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                line = conn.makefile("rb").readline()
                self.requests.append(line.decode(errors="replace").rstrip("\n"))
                if self.silent:
                    self.closed.wait(30)
                    continue
                env = {**os.environ, "SOKO_HELPER_DRYRUN": "1", "SOKO_HELPER_ROOT": str(self.root)}
                out = subprocess.run(["bash", str(HELPER)], input=line, capture_output=True, env=env,
                                     timeout=30).stdout.decode()
                lines = out.splitlines()
                self.commands += [ln for ln in lines if ln.startswith("run ")]
                answer = next((ln for ln in reversed(lines) if ln.startswith(("ok", "error"))), "error none")
                self.answers.append(answer)
                conn.sendall(answer.encode() + b"\n")

    def close(self) -> None:
        self.closed.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes accept()
        except OSError:
            pass
        self.sock.close()
        self.thread.join(5)
