"""The TLS identity as an app subsystem: publishes the key pin, follows address changes.

Every ADDRESS_CHECK_INTERVAL_S the hub compares its names and addresses with those in its
certificate; when a DHCP lease moves it, the certificate is re-issued with the same key and the
running server's SSL context loads it, so new connections see the new certificate at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from pathlib import Path
from typing import Any

from hub.identity import addresses, tls

log = logging.getLogger(__name__)

ADDRESS_CHECK_INTERVAL_S = 30.0


def current_identity(directory: Path) -> tls.TlsIdentity:
    """Make or refresh the key and certificate for this machine's names and addresses now."""
    return tls.ensure_identity(directory, addresses.hostnames(), addresses.lan_addresses())


class TlsSubsystem:
    name = "tls"

    def __init__(self, directory: Path, ssl_context: ssl.SSLContext | None = None) -> None:
        self.directory = directory
        self.ssl_context = ssl_context  # the server's context, reloaded on re-issue (None: plain HTTP)
        self._task: asyncio.Task | None = None
        self.state: Any = None

    async def start(self, state: Any) -> None:
        self.state = state
        identity = await asyncio.to_thread(current_identity, self.directory)
        self._publish(identity)
        self._task = asyncio.create_task(self._watch(), name="tls-address-watch")

    def _publish(self, identity: tls.TlsIdentity) -> None:
        self.state.tls = identity
        self.state.tls_pin = identity.pin
        self.state.tls_enabled = self.ssl_context is not None

    async def check_now(self) -> bool:
        """Re-check names and addresses; returns True when the certificate was re-issued."""
        identity = await asyncio.to_thread(current_identity, self.directory)
        self._publish(identity)
        if identity.reissued:
            log.info("addresses changed to %s: certificate re-issued with the same key (pin %s)",
                     ", ".join(identity.addresses), identity.pin)
            if self.ssl_context is not None:
                self.ssl_context.load_cert_chain(identity.cert_path, identity.key_path)
        return identity.reissued

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(ADDRESS_CHECK_INTERVAL_S)
            try:
                await self.check_now()
            except Exception:  # a failed check must not stop the next one
                log.exception("checking the hub's addresses failed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
