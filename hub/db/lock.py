"""One hub process per data directory: an advisory lock on <data_dir>/hub.lock.

`serve` holds it for its lifetime; `backup restore` and `migrate` take it too, so they refuse to
run under a live hub. The kernel drops the lock when the process dies, even by kill -9.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class InstanceLockedError(RuntimeError):
    """Another soko-hub process holds this data directory."""


class InstanceLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, purpose: str) -> "InstanceLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise InstanceLockedError(
                f"{self.path.parent} is in use ({holder}); stop the running hub first"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}: {purpose}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "InstanceLock":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
