"""systemd's readiness and watchdog protocol (sd_notify), without a dependency.

The image runs the hub as `Type=notify` with `WatchdogSec=`: systemd passes NOTIFY_SOCKET (a
unix datagram socket: a path, or an abstract name written with a leading "@") and, when the
watchdog is on, WATCHDOG_USEC (and WATCHDOG_PID, the process it means). The hub sends
"READY=1" once HTTP listens, "WATCHDOG=1" from a task on the event loop at half the watchdog
interval, and "STOPPING=1" when it shuts down. A hub whose event loop is stuck stops feeding
the watchdog, and systemd kills and restarts it (Restart=on-failure). Outside systemd (no
NOTIFY_SOCKET) every call here does nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from typing import Mapping

log = logging.getLogger(__name__)


def notify(state: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send one notification ("READY=1", "WATCHDOG=1", "STATUS=...", newline-separated); True
    if it was sent, False when there is no systemd to tell or the socket is gone."""
    env = os.environ if environ is None else environ
    address = env.get("NOTIFY_SOCKET", "")
    if address.startswith("@"):
        address = "\0" + address[1:]  # abstract namespace
    elif not address.startswith("/"):
        return False  # unset, or a kind of address (vsock) the hub never runs under
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.send(state.encode(), socket.MSG_DONTWAIT)  # never block the event loop
    except OSError as err:  # gone, refused, or its queue full (EAGAIN): dropped, never waited on
        log.warning("systemd notification %r not sent: %s", state.split("\n")[0], err)
        return False
    return True


def watchdog_interval(environ: Mapping[str, str] | None = None) -> float | None:
    """Seconds between watchdog pings (half of WATCHDOG_USEC), or None when the watchdog is off
    or meant for another process."""
    env = os.environ if environ is None else environ
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    pid = env.get("WATCHDOG_PID", "")
    if usec <= 0 or (pid and pid != str(os.getpid())):
        return None
    return usec / 2_000_000


class Notifier:
    """The server's side: ready once listening, the watchdog fed while the loop runs, stopping."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = dict(os.environ if environ is None else environ)
        self._watchdog: asyncio.Task | None = None

    def ready(self, status: str = "") -> None:
        sent = notify("READY=1" + (f"\nSTATUS={status}" if status else ""), self.environ)
        interval = watchdog_interval(self.environ)
        if sent and interval:
            self._watchdog = asyncio.create_task(self._feed(interval), name="sd-watchdog")

    async def _feed(self, interval: float) -> None:
        while True:
            notify("WATCHDOG=1", self.environ)
            await asyncio.sleep(interval)

    async def stopping(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            try:
                await self._watchdog
            except asyncio.CancelledError:
                pass
            self._watchdog = None
        notify("STOPPING=1", self.environ)
