"""/api/v1/fiscal: fiscal devices (one per till), FDMS registration and configuration, the tax
class mapping, the fiscal day, the submission queue and the FDMS call log (docs/fiscal.md).
Reading needs fiscal.view; every change fiscal.manage, one audit entry each. Calls to FDMS run in
a thread, never on the event loop nor inside a database transaction."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Callable

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.params import JSONBody, Parameter

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.fiscal import schemas

VIEW, MANAGE = "fiscal.view", "fiscal.manage"
Id = Annotated[str, Parameter(max_length=64)]
Limit = Annotated[int, Parameter(ge=1, le=200)]
After = Annotated[int | None, Parameter(ge=1, le=2**53)]
Status = Annotated[str | None, Parameter(max_length=20)]


def _service():
    from hub.fiscal import service

    return service


async def _blocking(fn: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


def _install_end_of_day_check() -> None:
    from hub.endofday import service as endofday

    def fiscal_check(conn, day, since, until):  # type: ignore[no-untyped-def]
        return _service().fiscal_check(conn, day, since, until)

    endofday.fiscal_check = fiscal_check


_install_end_of_day_check()


class FiscalController(Controller):
    path = "/api/v1/fiscal"
    tags = ["fiscal"]

    @get("/settings", opt=requires(VIEW), summary="The fiscal settings: FDMS base URL, CA bundle, fallbacks")
    async def settings(self, request: Request) -> dict[str, Any]:
        values = await request.app.state.db.read(_service().get_settings)
        return {**values, "known_urls": _service().KNOWN_URLS}

    @put("/settings", opt=requires(MANAGE), summary="Change fiscal settings")
    async def put_settings(self, request: Request, identity: Caller,
                           data: JSONBody[schemas.SettingsUpdate]) -> dict[str, Any]:
        changes = {f: msgspec.to_builtins(getattr(data, f)) for f in data.__struct_fields__
                   if getattr(data, f) is not None}
        return await request.app.state.db.write(_service().put_settings, identity.actor, changes)

    @get("/devices", opt=requires(VIEW), summary="The fiscal devices (one per till) with queue depth")
    async def devices(self, request: Request) -> dict[str, Any]:
        service = _service()
        rows = await request.app.state.db.read(service.list_devices)
        return {"items": [service.shown(r) for r in rows]}

    @post("/devices", opt=requires(MANAGE), summary="Make a till a fiscal device (FDMS device id, serial, key)")
    async def create_device(self, request: Request, identity: Caller,
                            data: JSONBody[schemas.DeviceCreate]) -> dict[str, Any]:
        service = _service()
        fields = {f: getattr(data, f) for f in data.__struct_fields__}
        return service.shown(await request.app.state.db.write(service.create_device, identity.actor, fields))

    @get("/devices/{device_id:str}", opt=requires(VIEW), summary="A fiscal device and its day status")
    async def device(self, request: Request, device_id: Id) -> dict[str, Any]:
        service = _service()

        def read(conn):  # type: ignore[no-untyped-def]
            return {**service.shown(service.get_device(conn, device_id)), "day": service.day_status(conn, device_id)}

        return await request.app.state.db.read(read)

    @post("/devices/{device_id:str}/verify-taxpayer", opt=requires(MANAGE), status_code=200,
          summary="Ask FDMS who the taxpayer of this device is (verifyTaxpayerInformation), before registering")
    async def verify(self, request: Request, identity: Caller, device_id: Id) -> dict[str, Any]:
        service = _service()
        actor = identity.actor  # here: it names this request (the writer thread has no request context)
        taxpayer = await _blocking(service.verify_taxpayer, request.app.state.db, device_id)
        await request.app.state.db.write(lambda c: service.audit.append(
            c, actor, "fiscal_device.taxpayer_verified", "fiscal_device", device_id,
            detail={"taxpayer": taxpayer.get("taxPayerName"), "tin": taxpayer.get("taxPayerTIN")}))
        return taxpayer

    @post("/devices/{device_id:str}/register", opt=requires(MANAGE), status_code=200,
          summary="Register with FDMS: key pair and CSR on the hub, registerDevice, certificate, getConfig")
    async def register(self, request: Request, identity: Caller, device_id: Id) -> dict[str, Any]:
        service = _service()
        row = await _blocking(service.register, request.app.state.db, identity.actor, device_id,
                              request.app.state.settings.data_path)
        return service.shown(row)

    @post("/devices/{device_id:str}/config", opt=requires(MANAGE), status_code=200,
          summary="Fetch the device's configuration from FDMS again (getConfig)")
    async def config(self, request: Request, identity: Caller, device_id: Id) -> dict[str, Any]:
        service = _service()
        row = await _blocking(service.refresh_config, request.app.state.db, identity.actor, device_id)
        return {**service.shown(row), "config": row["config"]}

    @get("/tax-mapping", opt=requires(VIEW), summary="Tax classes, their FDMS tax ids and the FDMS taxes")
    async def tax_mapping(self, request: Request) -> dict[str, Any]:
        return await request.app.state.db.read(_service().tax_mapping)

    @put("/tax-mapping/{tax_class_id:str}", opt=requires(MANAGE), summary="Map a tax class to an FDMS tax id")
    async def map_tax(self, request: Request, identity: Caller, tax_class_id: Id,
                      data: JSONBody[schemas.TaxMap]) -> dict[str, Any]:
        return await request.app.state.db.write(_service().map_tax_class, identity.actor, tax_class_id, data.tax_id)

    @get("/devices/{device_id:str}/day", opt=requires(VIEW), summary="The device's fiscal day, counters, queue")
    async def day(self, request: Request, device_id: Id) -> dict[str, Any]:
        return await request.app.state.db.read(_service().day_status, device_id)

    @post("/devices/{device_id:str}/day/open", opt=requires(MANAGE), status_code=200,
          summary="Open a fiscal day (refused while an active tax class is unmapped)")
    async def open_day(self, request: Request, identity: Caller, device_id: Id) -> dict[str, Any]:
        service = _service()
        await _blocking(service.open_day, request.app.state.db, identity.actor, device_id)
        return await request.app.state.db.read(service.day_status, device_id)

    @post("/devices/{device_id:str}/day/close", opt=requires(MANAGE), status_code=200,
          summary="Submit the queue and close the fiscal day with its counters and signature")
    async def close_day(self, request: Request, identity: Caller, device_id: Id) -> dict[str, Any]:
        service = _service()
        await _blocking(service.close_day, request.app.state.db, identity.actor, device_id)
        return await request.app.state.db.read(service.day_status, device_id)

    @get("/receipts", opt=requires(VIEW), summary="Fiscal receipts, newest first (queue and results)")
    async def receipts(self, request: Request, device_id: Annotated[str | None, Parameter(max_length=64)] = None,
                       status: Status = None, limit: Limit = 50, after: After = None) -> dict[str, Any]:
        items = await request.app.state.db.read(lambda c: _service().list_receipts(
            c, device_id=device_id, status=status, limit=limit + 1, after=after))
        return {"items": items[:limit], "next_after": items[limit - 1]["seq"] if len(items) > limit else None}

    @post("/queue/submit", opt=requires(MANAGE), status_code=200,
          summary="Submit now: every queued receipt in ascending global number, ignoring the backoff")
    async def submit(self, request: Request, identity: Caller) -> dict[str, Any]:
        service = _service()
        actor = identity.actor
        done = await _blocking(lambda: service.submit_queue(request.app.state.db, force=True))
        await request.app.state.db.write(lambda c: service.audit.append(
            c, actor, "fiscal.queue_submitted", "fiscal_queue", None, detail=done))
        return done

    @get("/calls", opt=requires(VIEW), summary="The FDMS call log, newest first")
    async def calls(self, request: Request, device_id: Annotated[str | None, Parameter(max_length=64)] = None,
                    limit: Limit = 50, after: After = None) -> dict[str, Any]:
        items = await request.app.state.db.read(lambda c: _service().list_calls(
            c, device_id=device_id, limit=limit + 1, after=after))
        return {"items": items[:limit], "next_after": items[limit - 1]["id"] if len(items) > limit else None}


CONTROLLERS: list = [FiscalController]

from hub.fiscal.recovery_api import CONTROLLERS as RECOVERY  # noqa: E402  (restore recovery, offline files)

CONTROLLERS += RECOVERY

from hub.fiscal.documents_api import CONTROLLERS as DOCUMENTS  # noqa: E402  (a sale's fiscal documents)

CONTROLLERS += DOCUMENTS

from hub.fiscal.operations_api import CONTROLLERS as OPERATIONS  # noqa: E402  (renewal, alerts, X/Z reports)

CONTROLLERS += OPERATIONS
