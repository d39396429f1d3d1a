"""The Fiscal page's recovery and Offline-mode forms (fiscal.manage): check with FDMS and finish
the reconciliation after a restore (hub.fiscal.recovery), and send an Offline device's day files
again (hub.fiscal.offline). Each runs the API's own service and records one audit entry; a refusal
shows the Fiscal page again with its reasons and the refusal's status, nothing changed."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Callable

from litestar import Request, Response, post
from litestar.params import Parameter

from hub.auth.access import requires
from hub.catalogue._refdata_portal import refusal
from hub.errors import HubError
from hub.portal import shell
from hub.portal.controller import PortalController

DeviceId = Annotated[str, Parameter(max_length=64)]


def _checked(db: Any, actor: Any) -> dict[str, Any]:
    from hub.db import audit
    from hub.fiscal import recovery

    out = recovery.check(db)
    db.write_sync(lambda c: audit.append(c, actor, "fiscal.recovery_checked", "fiscal_recovery", out.get("epoch"),
                                         detail={"in_recovery": out["in_recovery"], "read": out["read"],
                                                 "failed": out["failed"]}))
    return out


def _finished(db: Any, actor: Any) -> dict[str, Any]:
    from hub.fiscal import recovery

    return db.write_sync(recovery.finish, actor)


def _files_sent(db: Any, actor: Any, device_id: str) -> dict[str, Any]:
    from hub.db import audit
    from hub.fiscal import offline, service

    db.write_sync(lambda c: service._registered(c, device_id))
    day = offline.submit_files(db, device_id)
    db.write_sync(lambda c: audit.append(c, actor, "fiscal.files_submitted", "fiscal_device", device_id,
                                         detail={"day_no": day["day_no"], "day_status": day["day_status"],
                                                 "files": [(f["file_sequence"], f["status"])
                                                           for f in day["files"]][:20]}))
    return day


class FiscalRecoveryPortal(PortalController):
    path = "/fiscal"

    async def _act(self, request: Request, fn: Callable[..., Any], *args: Any, done: str, lead: str) -> Response:
        from hub.fiscal.portal import FiscalPortal

        actor = request.state.identity.actor  # here: it names this request
        try:
            await asyncio.get_running_loop().run_in_executor(None, fn, request.app.state.db, actor, *args)
        except HubError as err:
            return await FiscalPortal._page(self, request, refusal(err, lead))  # type: ignore[arg-type]
        return shell.redirect(request, "/fiscal", done)

    @post("/recovery/check", opt=requires("fiscal.manage"), status_code=303)
    async def check(self, request: Request) -> Response:
        return await self._act(request, _checked, done="FDMS's status of each device was read.",
                               lead="FDMS's status was not read")

    @post("/recovery/finish", opt=requires("fiscal.manage"), status_code=303)
    async def finish(self, request: Request) -> Response:
        return await self._act(request, _finished, done="Fiscal recovery is finished: signing goes on.",
                               lead="Fiscal recovery was not finished")

    @post("/devices/{device_id:str}/files", opt=requires("fiscal.manage"), status_code=303)
    async def files(self, request: Request, device_id: DeviceId) -> Response:
        return await self._act(request, _files_sent, device_id, done="The day's files were sent to FDMS.",
                               lead="The day's files were not sent")
