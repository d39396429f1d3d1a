"""When and from where each till was last seen, written at most once per LAST_SEEN_INTERVAL_S.

Telemetry, not a change: no version bump, no change-feed row, no audit entry. The throttle is in
memory (one process sees every request); without it every till call would queue a write and an
fsync on the single writer that sales wait for.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

from hub.db import devices

log = logging.getLogger(__name__)

# Read at call time, so tests can shrink it.
LAST_SEEN_INTERVAL_S = 60.0
STATE_KEY = "device_presence"


class Presence:
    """Remembers when each device's last-seen time was last written."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._written: dict[str, float] = {}

    def due(self, device_id: str) -> bool:
        """True (and counts as written) when the device was not written within the interval."""
        now = self.clock()
        last = self._written.get(device_id)
        if last is not None and now - last < LAST_SEEN_INTERVAL_S:
            return False
        self._written[device_id] = now
        return True


def presence_for(state: Any) -> Presence:
    presence = getattr(state, STATE_KEY, None)
    if presence is None:
        presence = Presence()
        setattr(state, STATE_KEY, presence)
    return presence


async def note_seen(state: Any, device_id: str, address: str | None) -> None:
    """Record a device call; a failed write is logged, never fails the till's request."""
    if not presence_for(state).due(device_id):
        return
    try:
        await state.db.write(devices.touch, device_id, address)
    except Exception:  # telemetry must not stop a sale
        log.warning("could not record that device %s was seen", device_id, exc_info=True)
