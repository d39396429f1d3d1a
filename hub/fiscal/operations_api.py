"""/api/v1/fiscal operations beyond the foundation: certificate renewal, a device's alerts and
scheduled jobs, the X and Z reports and their printing (docs/fiscal.md). Reads need fiscal.view,
renewal fiscal.manage; printing a report needs fiscal.view (a supervisor prints the X report) and
records one audit entry."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import Parameter

from hub.auth.access import requires
from hub.auth.identity import Caller

VIEW, MANAGE = "fiscal.view", "fiscal.manage"
Id = Annotated[str, Parameter(max_length=64)]
DayNo = Annotated[int, Parameter(ge=1, le=2**31 - 1)]


class FiscalOperationsController(Controller):
    path = "/api/v1/fiscal/devices/{device_id:str}"
    tags = ["fiscal"]

    @post("/certificate/renew", opt=requires(MANAGE), status_code=200,
          summary="Renew the device certificate now (issueCertificate: new key pair, CSR with the same subject)")
    async def renew(self, request: Request, identity: Caller, device_id: Id) -> dict[str, Any]:
        from hub.fiscal import dayjobs, service

        row = await asyncio.get_running_loop().run_in_executor(
            None, dayjobs.renew_certificate, request.app.state.db, identity.actor, device_id,
            request.app.state.settings.data_path)
        return service.shown(row)

    @get("/alerts", opt=requires(VIEW), summary="What the device's fiscal day, certificate and mapping warn about, "
                                                "and its scheduled jobs")
    async def alerts(self, request: Request, device_id: Id) -> dict[str, Any]:
        from hub.fiscal import dayjobs, service

        def read(conn):  # type: ignore[no-untyped-def]
            device = service.get_device(conn, device_id)
            return {"items": dayjobs.alerts(conn, device), "jobs": dayjobs.jobs_of(conn, device_id)}

        return await request.app.state.db.read(read)

    @get("/reports/x", opt=requires(VIEW), summary="The X report: the open fiscal day so far")
    async def x_report(self, request: Request, device_id: Id) -> dict[str, Any]:
        from hub.fiscal import reports

        return await request.app.state.db.read(reports.x_report, device_id)

    @get("/days/{day_no:int}/z", opt=requires(VIEW), summary="The Z report of a closed fiscal day")
    async def z_report(self, request: Request, device_id: Id, day_no: DayNo) -> dict[str, Any]:
        from hub.fiscal import reports

        return await request.app.state.db.read(reports.z_report, device_id, day_no)

    @post("/reports/x/print", opt=requires(VIEW), status_code=201,
          summary="Print the X report on the till's receipt printer (or the store's)")
    async def print_x(self, request: Request, identity: Caller, device_id: Id) -> dict[str, Any]:
        return await _print(request, identity, device_id, None)

    @post("/days/{day_no:int}/z/print", opt=requires(VIEW), status_code=201,
          summary="Print the Z report of a closed day on the till's receipt printer (or the store's)")
    async def print_z(self, request: Request, identity: Caller, device_id: Id, day_no: DayNo) -> dict[str, Any]:
        return await _print(request, identity, device_id, day_no)


async def _print(request: Request, identity: Caller, device_id: str, day_no: int | None) -> dict[str, Any]:
    from hub.fiscal import reports
    from hub.printing.subsystem import queued

    job = await request.app.state.db.write(reports.print_report, identity.actor, device_id, day_no)
    queued(request.app.state, job)
    return job


CONTROLLERS: list = [FiscalOperationsController]
