"""Browsing for network printers (`_pdl-datastream._tcp`, `_printer._tcp`) on a shared zeroconf.

Found printers are keyed by their host, so a printer advertising both services is offered once
(with its raw-print port), and rediscovery updates its entry instead of adding one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any, Callable

from discovery.matchers import PRINTER_TYPES, printer_entry

log = logging.getLogger(__name__)

RESOLVE_TIMEOUT_MS = 3000


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class PrinterBrowser:
    """Keeps `printers` (list of dicts: name, address, found_at, service) and calls `on_change(list)`."""

    def __init__(self, on_change: Callable[[list[dict[str, str]]], None]) -> None:
        self.on_change = on_change
        self._found: dict[str, dict[str, str]] = {}  # "host:service-type" -> entry
        self._names: dict[str, str] = {}  # service name -> key
        self._browser: Any = None
        self._tasks: set[asyncio.Task] = set()

    @property
    def printers(self) -> list[dict[str, str]]:
        best: dict[str, dict[str, str]] = {}
        for key, entry in sorted(self._found.items()):
            host = key.rsplit("|", 1)[0]
            if host not in best or entry["service"] == "_pdl-datastream":
                best[host] = entry
        return sorted(best.values(), key=lambda e: e["name"])

    async def start(self, azc: Any) -> None:
        from zeroconf.asyncio import AsyncServiceBrowser

        def handler(zeroconf: Any, service_type: str, name: str, state_change: Any) -> None:
            task = asyncio.ensure_future(self._changed(azc, service_type, name, state_change.name))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        self._browser = AsyncServiceBrowser(azc.zeroconf, list(PRINTER_TYPES), handlers=[handler])

    async def _changed(self, azc: Any, service_type: str, name: str, change: str) -> None:
        from zeroconf.asyncio import AsyncServiceInfo

        if change == "Removed":
            key = self._names.pop(name, None)
            if key is not None and self._found.pop(key, None) is not None:
                self.on_change(self.printers)
            return
        info = AsyncServiceInfo(service_type, name)
        if not await info.async_request(azc.zeroconf, RESOLVE_TIMEOUT_MS):
            return
        addresses = info.parsed_addresses()
        if not addresses or info.port is None:
            return
        instance = name[: -len(service_type) - 1] if name.endswith("." + service_type) else name
        entry = printer_entry(service_type, instance, addresses[0], info.port, _now())
        key = f"{(info.server or addresses[0]).lower()}|{service_type}"
        self._names[name] = key
        old = self._found.get(key)
        self._found[key] = entry if old is None or old["address"] != entry["address"] else {**old, "name": entry["name"]}
        self.on_change(self.printers)

    async def stop(self) -> None:
        if self._browser is not None:
            await self._browser.async_cancel()
            self._browser = None
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()
