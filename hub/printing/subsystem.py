"""The print worker, started and stopped by the app's lifespan (filled by the printing feature)."""

from __future__ import annotations

from typing import Any


class PrintSubsystem:
    name = "printing"

    async def start(self, state: Any) -> None:
        pass

    async def stop(self) -> None:
        pass
