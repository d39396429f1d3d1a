"""Scanners (serial and USB HID, hot-plug) as an app subsystem: every scan goes on the event bus.

The scanners are the settings' `scanners` URLs plus, with `scanner_autodetect`, what udev finds
and reports as plugged in or out. Readers are threads; each scan is handed to the event loop and
published there as a "scan" event. `state.scanners` is the manager: `.devices()` lists every
scanner (kind, connector, address, identity, status, last_error, last_scan_at) for the
Peripherals page. udev is set up in a thread once the hub has answered its first request
(hub.subsystems.after_first_answer), so it costs start-up nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Callable

log = logging.getLogger(__name__)


def _udev_source() -> Any:
    from drivers.scanners.hotplug import UdevSource

    return UdevSource()


class ScannerSubsystem:
    name = "scanners"

    def __init__(self, source_factory: Callable[[], Any] | None = None, *, grab: bool = True) -> None:
        self.source_factory = source_factory  # None: udev when the setting asks and pyudev imports
        self.grab = grab
        self.manager: Any = None
        self._follow: asyncio.Future | None = None
        self._following = False  # udev is being (or was) looked at in a thread

    async def start(self, state: Any) -> None:
        from drivers.scanners.manager import ScannerManager
        from hub.events.bus import bus_for, publish

        settings = state.settings
        loop = asyncio.get_running_loop()
        bus_for(state)

        def on_scan(scan: dict[str, Any]) -> None:  # called from a reader thread
            loop.call_soon_threadsafe(publish, state, "scan", scan)

        self.manager = ScannerManager(on_scan, grab=self.grab)
        state.scanners = self.manager
        for url in (u.strip() for u in settings.scanners.split(",")):
            if url:
                try:
                    self.manager.add_url(url)
                except ValueError as err:
                    log.error("scanner setting: %s", err)
        factory = self.source_factory
        if factory is None and settings.scanner_autodetect:
            factory = _udev_source
        if factory is not None:
            self._following = False
            self._follow = asyncio.ensure_future(self._follow_later(state, factory))

    async def _follow_later(self, state: Any, factory: Callable[[], Any]) -> None:
        from hub.subsystems import after_first_answer

        await after_first_answer(state)  # udev's import and first look do not hold up the first answer
        self._following = True
        await asyncio.get_running_loop().run_in_executor(None, self._follow_source, factory)

    def _follow_source(self, factory: Callable[[], Any]) -> None:
        try:
            source = factory()
        except ImportError:
            log.info("pyudev is not installed: USB scanners are not found automatically")
            return
        except Exception:  # no udev here (a container): configured scanners still work
            log.exception("udev is not available: USB scanners are not found automatically")
            return
        self.manager.follow(source)

    async def stop(self) -> None:
        if self._follow is not None:
            if not self._following:  # still waiting for the first answer
                self._follow.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._follow
            self._follow = None
        if self.manager is not None:
            await asyncio.to_thread(self.manager.stop)
