"""The Fiscal page (group "Store"): each till registered as an FDMS fiscal device with its
certificate, its fiscal day, counters and queue, why signing is paused or the day cannot open, the
settings and the latest FDMS calls (fiscal.view); opening and closing a device's fiscal day and
"submit now" (fiscal.manage) through the API's own service functions, one audit entry each.
Settings, devices and registration, the tax mapping and the X/Z reports are
hub.fiscal.registration_portal's (docs/fiscal.md).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Callable

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue._refdata_portal import Refusal, refusal
from hub.errors import HubError
from hub.fiscal import dayjobs  # the day's warnings, certificate and mapping problems
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.registry import Page

PAGES = (
    Page("fiscal", "Fiscal", "/fiscal", "Store", "fiscal.view",
         keywords="fiscal zimra fdms fiscal day receipts tax invoice qr verification certificate",
         summary="Fiscal devices, the fiscal day and its counters, the FDMS queue and call log"),
)


def _read(conn: Any) -> dict[str, Any]:
    from hub.fiscal import service, validation

    devices = []
    for d in service.list_devices(conn):
        devices.append({**service.shown(d), "day": service.day_status(conn, d["id"]), "alerts": dayjobs.alerts(conn, d)})
    return {"devices": devices, "settings": service.get_settings(conn),
            "calls": service.list_calls(conn, device_id=None, limit=20, after=None),
            "problems": service.list_receipts(conn, device_id=None, status="held", limit=20, after=None),
            "results": validation.results(conn)}  # red, grey, yellow and set-aside, with what to do


_page_state = _read


def _read(conn: Any) -> dict[str, Any]:  # noqa: F811  (the page's state and the recovery after a restore)
    from hub.fiscal import recovery

    return {**_page_state(conn), "recovery": recovery.overview(conn)}


DeviceId = Annotated[str, Parameter(max_length=64)]


class FiscalPortal(PortalController):
    path = "/fiscal"

    async def _page(self, request: Request, refused: Refusal | None = None) -> Template:
        state = await request.app.state.db.read(_read)
        refused = refused or Refusal()
        return await shell.page(request, "fiscal/page.html", key="fiscal", status=refused.status if refused else 200,
                                refused=refused, can_manage=request.state.identity.can("fiscal.manage"), **state)

    @get(opt=requires("fiscal.view"))
    async def page(self, request: Request) -> Template:
        return await self._page(request)

    async def _act(self, request: Request, fn: Callable[..., Any], *args: Any, done: str, lead: str) -> Response:
        actor = request.state.identity.actor  # here: it names this request
        try:
            await asyncio.get_running_loop().run_in_executor(None, fn, request.app.state.db, actor, *args)
        except HubError as err:
            return await self._page(request, refusal(err, lead))
        return shell.redirect(request, "/fiscal", done)

    @post("/devices/{device_id:str}/open", opt=requires("fiscal.manage"), status_code=303)
    async def open_day(self, request: Request, device_id: DeviceId) -> Response:
        from hub.fiscal import service

        return await self._act(request, service.open_day, device_id, done="The fiscal day is open.",
                               lead="The fiscal day was not opened")

    @post("/devices/{device_id:str}/close", opt=requires("fiscal.manage"), status_code=303)
    async def close_day(self, request: Request, device_id: DeviceId) -> Response:
        from hub.fiscal import service

        return await self._act(request, service.close_day, device_id, done="The fiscal day was closed with FDMS.",
                               lead="The fiscal day was not closed")

    @post("/submit", opt=requires("fiscal.manage"), status_code=303)
    async def submit(self, request: Request) -> Response:
        from hub.fiscal import service

        def submit_now(db: Any, actor: Any) -> dict[str, int]:
            done = service.submit_queue(db, force=True)
            db.write_sync(lambda c: service.audit.append(c, actor, "fiscal.queue_submitted", "fiscal_queue", None,
                                                         detail=done))
            return done

        return await self._act(request, submit_now, done="The queue was submitted to FDMS.",
                               lead="The queue was not submitted")


ROUTES = [FiscalPortal]

from hub.fiscal.recovery_portal import FiscalRecoveryPortal  # noqa: E402  (recovery after a restore, files)

ROUTES.append(FiscalRecoveryPortal)

from hub.fiscal.documents_portal import ROUTES as DOCUMENT_ROUTES  # noqa: E402  (the A4 fiscal tax invoice)

ROUTES += DOCUMENT_ROUTES

from hub.fiscal.registration_portal import ROUTES as SETUP_ROUTES  # noqa: E402  (settings, devices, mapping, reports)

ROUTES += SETUP_ROUTES
