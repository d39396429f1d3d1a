"""The bridge API: the link to HQ as the portal's HQ page and doctor read it
(hub.bridge.state.bridge_status)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get

from hub.auth.access import requires


class HQLinkController(Controller):
    path = "/api/v1/hq"
    tags = ["HQ link"]

    @get("/status", opt=requires("hq.manage"), summary="The link to HQ: enrolment, backlog and its age, "
                                                       "last push, pull and error, HQ's cursor")
    async def status(self, request: Request) -> dict[str, Any]:
        from hub.bridge.state import bridge_status

        return await request.app.state.db.read(bridge_status)


CONTROLLERS: list = [HQLinkController]
