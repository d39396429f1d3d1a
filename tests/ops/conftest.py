"""A served demo hub whose operations loops wait (tests drive their rounds themselves)."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.hubtest import Hub, HubServer, make_demo_store


@pytest.fixture
def ops_hub(settings, monkeypatch) -> Iterator[Hub]:
    from hub.ops import clock, power, subsystem

    monkeypatch.setattr(clock, "POLL_S", 3600.0)
    monkeypatch.setattr(power, "POLL_S", 3600.0)
    monkeypatch.setattr(subsystem, "FIRST_BACKUP_DELAY_S", 3600.0)
    store = make_demo_store(settings)
    server = HubServer(settings).start()
    running = Hub(server, store)
    try:
        yield running
    finally:
        running.close()
        server.stop()
