from __future__ import annotations

import pytest

from hub.db import meta
from hub.db.connection import transaction
from hub.ids import new_id
from tests.bridge.fakehq import FakeHQ
from tests.bridge.kit import WORKERS
from tests.sales.build import till_store


@pytest.fixture
def hq():
    server = FakeHQ().start()
    yield server
    while WORKERS:
        WORKERS.pop().close()  # its kept-alive connection ends HQ's handler thread
    server.stop()


@pytest.fixture
def store(tmp_path):
    """A migrated store (not a demo) with a till, a cashier and her open shift, and a hub identity."""
    conn, ids = till_store(tmp_path / "hub.db")
    with transaction(conn):
        meta.put(conn, "hub_id", new_id())
        meta.put(conn, "epoch", new_id())
    yield conn, ids, tmp_path / "data"
    conn.close()
