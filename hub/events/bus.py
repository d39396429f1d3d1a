"""The hub's in-process event bus: what the event stream (WebSocket /api/v1/events) sends.

Publishers (scanners, the print worker, sync) call `publish(state, kind, data)` from the event
loop; each subscriber gets its own bounded queue, so a slow reader loses its oldest events (and
is told how many) instead of holding up a publisher. Nothing here is durable: a durable record
(a print job's status, a quarantined fact) lives in its own table and the event only says it
changed.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

QUEUE_SIZE = 256


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    kind: str  # "scan", "print_job", "printer_status", "sync_alert", "device_alert", ...
    data: dict[str, Any]


@dataclass(eq=False)
class Subscription:
    queue: asyncio.Queue[Event] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    dropped: int = 0

    async def next(self) -> Event:
        return await self.queue.get()


class EventBus:
    def __init__(self) -> None:
        self._subscribers: set[Subscription] = set()
        self._seq = itertools.count(1)

    def publish(self, kind: str, data: dict[str, Any]) -> Event:
        event = Event(next(self._seq), kind, data)
        for sub in self._subscribers:
            if sub.queue.full():
                sub.queue.get_nowait()
                sub.dropped += 1
            sub.queue.put_nowait(event)
        return event

    def subscribe(self) -> Subscription:
        sub = Subscription()
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscribers.discard(sub)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)


def bus_for(state: Any) -> EventBus:
    """The app's bus, made on first use."""
    bus = getattr(state, "events", None)
    if bus is None:
        bus = EventBus()
        state.events = bus
    return bus


def publish(state: Any, kind: str, data: dict[str, Any]) -> Event:
    """Send one event to every subscriber; call on the event loop's thread."""
    return bus_for(state).publish(kind, data)
