"""Scanners (serial and USB HID, hot-plug), started and stopped by the app's lifespan (filled by
the scanner feature)."""

from __future__ import annotations

from typing import Any


class ScannerSubsystem:
    name = "scanners"

    async def start(self, state: Any) -> None:
        pass

    async def stop(self) -> None:
        pass
