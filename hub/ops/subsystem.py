"""the backup scheduler and clock keeper (slot: starts nothing yet)."""

from __future__ import annotations

from typing import Any


class OpsSubsystem:
    name = "operations"

    async def start(self, state: Any) -> None:
        pass

    async def stop(self) -> None:
        pass
