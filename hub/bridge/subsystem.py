"""the HQ link worker (slot: starts nothing yet)."""

from __future__ import annotations

from typing import Any


class BridgeSubsystem:
    name = "bridge"

    async def start(self, state: Any) -> None:
        pass

    async def stop(self) -> None:
        pass
