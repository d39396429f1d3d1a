"""The operations subsystem: scheduled backups, time from the tills, the UPS watch, the
clean-shutdown marker (docs/operations.md).

Three loops on the event loop, each doing its blocking work in a thread (a backup's in a child
process, hub.ops.backup_child, so its memory never stays with the hub): a backup loop that
checks every BACKUP_TICK_S (from FIRST_BACKUP_DELAY_S after start, so a booting hub settles
first) whether a scheduled backup is due; a clock loop (hub.ops.clock) that notices the tills'
clock readings and, while network time is not synchronised, sets the clock to their median; and
a UPS loop (hub.ops.power) when a UPS is configured; the clock and UPS loops begin once the hub
has answered its first request (hub.subsystems.after_first_answer). `backup_now` is the same run
on demand; a lock keeps two backups from overlapping.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

log = logging.getLogger(__name__)

FIRST_BACKUP_DELAY_S = 120.0
BACKUP_TICK_S = 30.0
CLOCK_RETRY_S = 300.0  # after a failed attempt to set the clock (no helper, helper refused)
POWEROFF_TIMEOUT_S = 10.0


def _poweroff(reason: str) -> None:
    from hub.ops import helper

    log.critical("%s: shutting down cleanly", reason)
    try:
        helper.ask("poweroff", timeout=POWEROFF_TIMEOUT_S)
    except helper.HelperError as err:
        log.critical("the system helper could not power off: %s", err)


class OpsSubsystem:
    name = "operations"

    def __init__(self, clock_setter: Any = None, shutdown: Callable[[str], None] | None = None) -> None:
        self.state: Any = None
        self.tasks: list[asyncio.Task] = []
        self.lock = asyncio.Lock()
        self.clock_setter = clock_setter
        self.shutdown = shutdown or _poweroff
        self.keeper: Any = None
        self.ups: Any = None
        self.last_error: str = ""
        self.shutdowns: dict[str, Any] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.clock_failed_at: float | None = None
        self.clock_error = ""

    def call_threadsafe(self, coro: Any, timeout: float = 60.0) -> Any:
        """Run a coroutine of this subsystem on the hub's loop from another thread (the CLI, tests)."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def start(self, state: Any) -> None:
        from hub.ops import shutdowns
        from hub.ops.clock import TillClockKeeper

        self.state = state
        self.loop = asyncio.get_running_loop()
        state.ops = self
        self.keeper = TillClockKeeper(self.clock_setter)
        self.shutdowns = await asyncio.to_thread(shutdowns.started, state.settings.data_path)
        self.tasks = [asyncio.create_task(self._backups(), name="ops-backups"),
                      asyncio.create_task(self._clock(), name="ops-clock"),
                      asyncio.create_task(self._ups(), name="ops-ups")]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        self.tasks = []
        if self.state is not None:
            from hub.ops import shutdowns

            await asyncio.to_thread(shutdowns.stopped, self.state.settings.data_path)
            self.state = None

    async def _config(self) -> tuple[dict[str, Any], Any, str | None]:
        from hub.db import ops as rows
        from hub.ops import config

        def read(conn):
            return config.load(conn), config.store_zone(conn), rows.last_scheduled(conn)

        return await self.state.db.read(read)

    async def backup_now(self, actor: Any, trigger: str = "manual") -> Any:
        """Take one backup (waiting for a running one) in a child process; the Run, recorded and audited."""
        from hub.ops import backup_child, backups

        async with self.lock:
            cfg, zone, _last = await self._config()
            run = await backup_child.run(self.state.settings, cfg, zone, trigger)
            await self.state.db.write(backups.record_run, actor, run)
            if run.status != "ok":
                log.error("backup %s failed: %s", run.name, run.error)
            return run

    async def _backups(self) -> None:
        await asyncio.sleep(FIRST_BACKUP_DELAY_S)
        from hub.db.audit import Actor
        from hub.ops import backups

        while True:
            try:
                cfg, zone, last = await self._config()
                if backups.next_due(cfg, zone, last) is not None and not self.lock.locked():
                    await self.backup_now(Actor.system("scheduler"), trigger="scheduled")
            except asyncio.CancelledError:
                raise
            except Exception as err:  # the loop must survive anything one round meets
                self.last_error = str(err)
                log.exception("scheduled backup round failed")
            await asyncio.sleep(BACKUP_TICK_S)

    async def clock_round(self) -> dict[str, Any] | None:
        """One round of the clock keeper; the audit entry when it set the clock."""
        from hub import clock_sync
        from hub.ops import clock
        from hub.ops.helper import HelperError

        cfg, _zone, _last = await self._config()
        if not cfg["clock_from_tills"]:
            return None
        self.keeper.poll(await self.state.db.read(clock.readings))
        sync = clock_sync.for_state(self.state)
        status = await asyncio.to_thread(sync.status)
        if status.synchronised:
            return None
        proposal = self.keeper.propose()
        if proposal is None:
            return None
        import time

        if self.clock_failed_at is not None and time.monotonic() - self.clock_failed_at < CLOCK_RETRY_S:
            return None
        floor = self.state.db.floor.value
        try:
            done = await asyncio.to_thread(self.keeper.apply, proposal, floor)
        except (OSError, HelperError) as err:
            self.clock_failed_at, self.clock_error = time.monotonic(), str(err)
            log.warning("could not set the clock from the tills' median (%s); trying again in %.0f s",
                        err, CLOCK_RETRY_S)
            return None
        self.clock_failed_at, self.clock_error = None, ""
        if done is None:
            return None
        entry = await self.state.db.write(clock.record_set, done)
        sync.record("tills", reason=f"set to the median of {len(proposal.tills)} till clock(s)")
        return entry

    async def _clock(self) -> None:
        from hub.ops import clock
        from hub.subsystems import after_first_answer

        await after_first_answer(self.state)  # not before the hub's first answer
        while True:
            try:
                await self.clock_round()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("clock round failed")
            await asyncio.sleep(clock.POLL_S)

    async def ups_round(self) -> bool:
        from hub.ops import power

        cfg, _zone, _last = await self._config()
        if not cfg["ups"]:
            self.ups = None
            return False
        if self.ups is None or self.ups.source != cfg["ups"] or self.ups.low_value != cfg["ups_gpio_low"]:
            self.ups = power.UpsWatch(cfg["ups"], cfg["ups_gpio_low"], self._on_low)
        return await asyncio.to_thread(self.ups.check)

    def _on_low(self, reason: str) -> None:
        self.shutdown(reason)

    async def _ups(self) -> None:
        from hub.subsystems import after_first_answer

        await after_first_answer(self.state)  # not before the hub's first answer
        from hub.ops import power

        while True:
            try:
                await self.ups_round()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("UPS round failed")
            await asyncio.sleep(power.POLL_S)
