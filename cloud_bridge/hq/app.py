"""create_app(settings): the HQ collector's Litestar app (docs/cloud-bridge.md, "HQ collector")."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State

from cloud_bridge.hq.errors import EXCEPTION_HANDLERS
from cloud_bridge.hq.settings import HQSettings

log = logging.getLogger(__name__)


def create_app(settings: HQSettings) -> Litestar:
    from cloud_bridge.hq.api_admin import ADMIN_CONTROLLERS
    from cloud_bridge.hq.api_hub import HubController
    from cloud_bridge.hq.pages import PAGE_CONTROLLERS

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        from cloud_bridge.hq.db import Partitions, migrate, open_pool
        from cloud_bridge.hq.feed import listen

        await migrate(settings.dsn)
        pool = await open_pool(settings.dsn, settings.pool_size)
        try:
            async with pool.connection() as conn:
                app.state.epoch = (await (await conn.execute(
                    "SELECT value FROM meta WHERE key = 'epoch'")).fetchone())["value"]
            app.state.pool = pool
            app.state.partitions = Partitions()
            app.state.inflight = 0
            app.state.feed_event = asyncio.Event()
            listener = asyncio.create_task(listen(settings.dsn, app.state), name="hq-feed-listen")
            try:
                yield
            finally:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener
        finally:
            await pool.close()

    return Litestar(
        route_handlers=[HubController, *ADMIN_CONTROLLERS, *PAGE_CONTROLLERS],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        lifespan=[lifespan],
        state=State({"settings": settings}),
        openapi_config=None,
        logging_config=None,
        debug=False,
    )

