"""The scheduled-price subsystem: applies due price changes at start and every INTERVAL_S.

It reads first (is anything due?) and takes the writer only when something is, so an idle hub
does not write every minute. "Now" never goes back past the hub's time floor (hub.clock): a Pi
that booted with a stale clock does not re-open a price window that already passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from hub.catalogue.products.prices import apply_due_prices, due_now
from hub.clock import format_ts, utc_now

log = logging.getLogger(__name__)

INTERVAL_S = 60.0  # read at each wait, so tests can shrink it


class ScheduledPriceSubsystem:
    name = "scheduled-prices"

    def __init__(self) -> None:
        self._task: asyncio.Task | None = None
        self.db: Any = None

    async def start(self, state: Any) -> None:
        self.db = state.db
        await self._run_logged()
        self._task = asyncio.create_task(self._loop(), name="scheduled-prices")

    def now(self) -> str:
        return max(format_ts(utc_now()), self.db.floor.value or "")

    async def run_once(self) -> int:
        """Apply what is due now; returns how many scheduled changes were applied."""
        moment = self.now()
        if not await self.db.read(due_now, moment):
            return 0
        applied = await self.db.write(apply_due_prices, moment)
        if applied:
            log.info("applied %d scheduled price change(s)", len(applied))
        return len(applied)

    async def _run_logged(self) -> None:
        try:
            await self.run_once()
        except Exception:  # a failed run must not stop the hub or the next run
            log.exception("applying scheduled prices failed")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(INTERVAL_S)
            await self._run_logged()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
