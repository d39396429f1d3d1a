"""Advertising the hub over mDNS (`_soko-hub._tcp.local.`), and the zeroconf instance it shares.

The hub starts this once HTTP listens (hub.server) and stops it before HTTP closes, so a till
never finds a hub that does not answer; stopping sends goodbye packets (TTL 0, RFC 6762
section 10.1). Every ADDRESS_POLL_S the addresses of the chosen interfaces are read again; when
they changed (a new DHCP lease, a cable moved), zeroconf is rebuilt on the new ones and the
service re-announced with them. One zeroconf instance per process (python-zeroconf's rule)
serves the advert and the printer browser.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import socket
from typing import Any, Callable

from discovery.addresses import interfaces_for
from discovery.matchers import HUB_TYPE, HubAdvert

log = logging.getLogger(__name__)

ADDRESS_POLL_S = 3.0


class HubAdvertiser:
    """Runs zeroconf on `interfaces` ("lan" or IPv4 addresses), advertises `advert` (None: browse
    only), and with `on_printers` browses for network printers."""

    def __init__(self, advert: HubAdvert | None, interfaces: str = "lan", *,
                 on_printers: Callable[[list[dict[str, str]]], None] | None = None,
                 addresses: Callable[[str], list[str]] = interfaces_for) -> None:
        self.advert = advert
        self.interfaces = interfaces
        self.on_printers = on_printers
        self._addresses = addresses
        self.azc: Any = None
        self.info: Any = None
        self.current: list[str] = []
        self.browser: Any = None
        self._poll: asyncio.Task | None = None
        self.announcements = 0  # how many times the service was (re-)registered

    async def start(self) -> None:
        # zeroconf's import takes a few hundred milliseconds on a Pi: never on the event loop.
        await asyncio.to_thread(importlib.import_module, "zeroconf.asyncio")
        self.current = await asyncio.to_thread(self._addresses, self.interfaces)
        await self._up()
        self._poll = asyncio.create_task(self._follow(), name="mdns-address-poll")

    async def _up(self) -> None:
        if not self.current:
            log.warning("mDNS: no address on %s to advertise on; waiting for one", self.interfaces)
            return
        from zeroconf import IPVersion, ServiceInfo
        from zeroconf.asyncio import AsyncZeroconf

        self.azc = AsyncZeroconf(interfaces=list(self.current), ip_version=IPVersion.V4Only)
        if self.advert is not None:
            a = self.advert
            self.info = ServiceInfo(HUB_TYPE, a.name,
                                    addresses=[socket.inet_aton(ip) for ip in self.current], port=a.port,
                                    properties=a.txt(), server=a.host)
            await (await self.azc.async_register_service(self.info, allow_name_change=True))
            self.announcements += 1
            log.info("mDNS: advertising %s on %s port %d", self.info.name, ", ".join(self.current), a.port)
        if self.on_printers is not None:
            from discovery.browse import PrinterBrowser

            self.browser = PrinterBrowser(self.on_printers)
            await self.browser.start(self.azc)

    async def _down(self) -> None:
        if self.browser is not None:
            await self.browser.stop()
            self.browser = None
        if self.azc is not None:
            if self.info is not None:
                with contextlib.suppress(Exception):  # goodbyes are best effort on a vanished interface
                    await (await self.azc.async_unregister_service(self.info))
                self.info = None
            await self.azc.async_close()
            self.azc = None

    async def _follow(self) -> None:
        while True:
            await asyncio.sleep(ADDRESS_POLL_S)
            try:
                now = await asyncio.to_thread(self._addresses, self.interfaces)
                if now != self.current:
                    log.info("mDNS: addresses changed from %s to %s; announcing again", self.current, now)
                    await self._down()
                    self.current = now
                    await self._up()
            except Exception:  # one failed check must not end the watch
                log.exception("mDNS: following address changes failed")

    async def stop(self) -> None:
        if self._poll is not None:
            self._poll.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poll
            self._poll = None
        await self._down()
