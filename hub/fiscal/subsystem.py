"""The fiscal worker: submits queued fiscal receipts in ascending global number with retry and
backoff (hub.fiscal.service.submit_queue) and pings FDMS at the `reportingFrequency` it returns.

It wakes every few seconds, and does nothing (one small read) while no receipt is due and no
device is registered. FDMS calls run in a thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

log = logging.getLogger(__name__)

OPERATIONS_EVERY = 30.0  # seconds between rounds of the scheduled fiscal operations
DUE_SQL = """SELECT
  (SELECT count(*) FROM fiscal_receipts r JOIN fiscal_devices d ON d.id = r.fiscal_device_id
    WHERE r.status = 'queued' AND d.status = 'registered' AND (r.next_attempt_at IS NULL OR r.next_attempt_at <= ?)),
  (SELECT group_concat(id) FROM fiscal_devices WHERE status = 'registered'
    AND (last_ping_at IS NULL OR last_ping_at <= strftime('%Y-%m-%dT%H:%M:%fZ', ?, '-' || coalesce(reporting_frequency, 5) || ' minutes')))"""


class FiscalSubsystem:
    name = "fiscal"

    def __init__(self, interval: float = 3.0) -> None:
        self.interval = interval
        self.task: asyncio.Task | None = None
        self.state: Any = None

    async def start(self, state: Any) -> None:
        self.state = state
        self.task = asyncio.create_task(self._run(), name="fiscal-worker")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except (asyncio.CancelledError, Exception):
                pass
            self.task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.interval)
            try:
                await loop.run_in_executor(None, self.tick)
                await self._operations(loop)
            except asyncio.CancelledError:
                raise
            except Exception:  # the worker must survive anything one round meets
                log.exception("fiscal worker round failed")

    _operations_at = 0.0

    async def _operations(self, loop: asyncio.AbstractEventLoop) -> None:
        """The day schedule, day-end warnings, certificate renewal and daily getConfig
        (hub.fiscal.dayjobs), every OPERATIONS_EVERY seconds; their alerts go on the event bus."""
        if loop.time() - self._operations_at < OPERATIONS_EVERY:
            return
        self._operations_at = loop.time()
        from hub.events.bus import publish
        from hub.fiscal import dayjobs

        events = await loop.run_in_executor(None, dayjobs.run, self.state.db, self.state.settings.data_path)
        for kind, data in events:
            publish(self.state, kind, data)

    def tick(self) -> None:
        from hub.clock import format_ts, utc_now
        from hub.fiscal import service

        db = self.state.db
        from hub.fiscal import recovery

        try:  # sign what waited (the clock trusted again); in recovery after a restore, read FDMS
            recovery.worker_round(db)
        except Exception:  # noqa: BLE001 (the queue below must still be submitted)
            log.exception("fiscal resume/recovery round failed")
        at = format_ts(utc_now())
        due, ping = db.write_sync(lambda c: c.execute(DUE_SQL, (at, at)).fetchone())
        if due:
            service.submit_queue(db)
        for device_id in (ping or "").split(","):
            if device_id:
                try:
                    service.ping(db, device_id)
                except Exception as err:  # noqa: BLE001 (not configured yet: nothing to ping)
                    log.debug("fiscal ping of %s: %s", device_id, err)
