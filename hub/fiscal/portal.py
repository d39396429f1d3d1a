"""The Fiscal page (group "Store"): each till registered as an FDMS fiscal device with its
certificate, its fiscal day, counters and queue, why signing is paused or the day cannot open, the
settings and the latest FDMS calls (fiscal.view). Read-only for now: registration, mapping, open
and close and "submit now" are the API's (docs/fiscal.md); their forms come next.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from hub.auth.access import requires
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.registry import Page

PAGES = (
    Page("fiscal", "Fiscal", "/fiscal", "Store", "fiscal.view",
         keywords="fiscal zimra fdms fiscal day receipts tax invoice qr verification certificate",
         summary="Fiscal devices, the fiscal day and its counters, the FDMS queue and call log"),
)


def _read(conn: Any) -> dict[str, Any]:
    from hub.fiscal import service

    devices = []
    for d in service.list_devices(conn):
        devices.append({**service.shown(d), "day": service.day_status(conn, d["id"])})
    return {"devices": devices, "settings": service.get_settings(conn),
            "calls": service.list_calls(conn, device_id=None, limit=20, after=None),
            "problems": service.list_receipts(conn, device_id=None, status="held", limit=20, after=None)}


class FiscalPortal(PortalController):
    path = "/fiscal"

    @get(opt=requires("fiscal.view"))
    async def page(self, request: Request) -> Template:
        state = await request.app.state.db.read(_read)
        return await shell.page(request, "fiscal/page.html", key="fiscal", **state)


ROUTES = [FiscalPortal]
