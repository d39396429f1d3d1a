"""Subsystems the app starts and stops in order: database, drivers, discovery, bridge, ...

Each is a small object with `start(state)` and `stop()`; tests replace any with a fake.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, Protocol

from hub.catalogue.seed import seed_reference_data
from hub.db import audit, meta, roles
from hub.db.connection import Database, DatabaseError, connect, quick_check, transaction
from hub.db.migrations import migrate
from hub.settings import Settings

log = logging.getLogger(__name__)


class Subsystem(Protocol):
    name: str

    async def start(self, state: Any) -> None: ...

    async def stop(self) -> None: ...


class DatabaseSubsystem:
    """Checks, migrates and opens hub.db; puts `db` and the hub's identity on app state."""

    name = "database"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db: Database | None = None

    async def start(self, state: Any) -> None:
        path = self.settings.db_path
        if not path.exists():
            raise DatabaseError(
                f"no database at {path}: run `soko-hub init` to set up a store, "
                "or `soko-hub serve --demo` for the demo store"
            )
        if getattr(state, "database_checked", None) != path:  # `serve` checks it before building the app
            quick_check(path)
        conn = connect(path)
        try:
            applied = migrate(conn)
            for m in applied:
                log.info("applied migration %04d %s", m.number, m.name)
            with transaction(conn):
                granted = roles.introduce_new_permissions(conn)
                if granted:
                    audit.append(conn, audit.Actor.system("upgrade"), "permissions.introduced",
                                 "roles", None, detail={"granted": granted})
                    log.info("new permissions granted to built-in roles: %s", granted)
                # A store made before the catalogue existed starts with its reference data.
                if meta.get(conn, "hub_id") and seed_reference_data(conn, audit.Actor.system("upgrade")):
                    log.info("seeded the catalogue's reference data (currencies, units, taxes)")
            identity = meta.all_values(conn)
        finally:
            conn.close()
        if "hub_id" not in identity:
            raise DatabaseError(f"{path} has no hub identity: it was not created by `soko-hub init`")
        self.db = Database(path, readers=self.settings.reader_connections)
        self.db.open()
        state.db = self.db
        state.identity = {k: identity.get(k) for k in ("hub_id", "store_id", "epoch", "demo")}
        behind = self.db.floor.behind_by()
        if behind.total_seconds() > 0:
            log.warning("system clock is %s behind the latest recorded fact (%s); new facts are "
                        "stamped at that floor until the clock is corrected", behind, self.db.floor.value)

    async def stop(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None


def default_subsystems(settings: Settings) -> list[Any]:
    """In start order: the database, scheduled prices, the TLS identity, the print worker, the
    scanners, the fiscal worker, the HQ bridge and operations (backups, clock). mDNS advertising
    starts once HTTP listens (hub.server)."""
    from hub.bridge.subsystem import BridgeSubsystem
    from hub.catalogue.products.scheduler import ScheduledPriceSubsystem
    from hub.events.subsystem import ScannerSubsystem
    from hub.fiscal.subsystem import FiscalSubsystem
    from hub.identity.subsystem import TlsSubsystem
    from hub.ops.subsystem import OpsSubsystem
    from hub.printing.subsystem import PrintSubsystem

    return [DatabaseSubsystem(settings), ScheduledPriceSubsystem(), TlsSubsystem(settings.tls_path),
            PrintSubsystem(), ScannerSubsystem(), FiscalSubsystem(), BridgeSubsystem(),
            OpsSubsystem()]


# A subsystem's first round that a request does not need waits for the hub's first answer, so that
# it does not hold up that answer; at the latest this long after it began waiting.
FIRST_ROUND_LATEST_S = 5.0


async def after_first_answer(state: Any) -> None:
    """Return once the hub has answered its first HTTP request (`state.answered`, set by the app)
    or FIRST_ROUND_LATEST_S have passed; at once where nothing sets it (a subsystem started alone)."""
    answered = getattr(state, "answered", None)
    if answered is None or answered.is_set():
        return
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(answered.wait(), FIRST_ROUND_LATEST_S)


class Uptime:
    def __init__(self) -> None:
        self.started = time.monotonic()

    def seconds(self) -> float:
        return time.monotonic() - self.started
