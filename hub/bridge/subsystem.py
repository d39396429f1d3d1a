"""The HQ link worker: hub.bridge.worker's rounds in a thread of their own, never on the event
loop. It idles (one small read every few seconds) until the hub is enrolled, and never dies: a
round that fails is logged and backed off. `poke()` starts the next round at once (an
enrolment, `Push now` in the portal). The worker's modules (and httpx) are imported in its
thread, not at start-up."""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger("hub.bridge")


class BridgeSubsystem:
    name = "bridge"

    def __init__(self, *, idle_s: float | None = None, link_factory: Any = None) -> None:
        self.idle_s = idle_s
        self.link_factory = link_factory
        self.thread: threading.Thread | None = None
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.worker: Any = None

    async def start(self, state: Any) -> None:
        self.db = state.db
        self.settings = state.settings
        state.bridge = self
        self.stopping.clear()
        self.thread = threading.Thread(target=self._run, name="hq-bridge", daemon=True)
        self.thread.start()

    def poke(self) -> None:
        self.wake.set()

    def _make(self) -> Any:
        from hub.bridge.worker import IDLE_S, HubStore, Worker

        kwargs: dict[str, Any] = {"idle_s": self.idle_s or IDLE_S, "settings": self.settings}
        if self.link_factory is not None:
            kwargs["link_factory"] = self.link_factory
        return Worker(HubStore(self.db), self.settings.data_dir, **kwargs)

    def _run(self) -> None:
        try:
            self.worker = self._make()
            while not self.stopping.is_set():
                try:
                    delay = self.worker.cycle()
                except Exception:  # noqa: BLE001 (never die: the next round tries again)
                    log.exception("the HQ link's round failed")
                    delay = 30.0
                if delay > 0:
                    self.wake.wait(delay)
                self.wake.clear()
        finally:
            if self.worker is not None:
                self.worker.close()
                self.worker.store.close()

    async def stop(self) -> None:
        import asyncio

        self.stopping.set()
        self.wake.set()
        if self.thread is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.thread.join, 40)
            self.thread = None
