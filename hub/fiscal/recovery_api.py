"""/api/v1/fiscal/recovery: fiscal recovery after a restore from backup (hub.fiscal.recovery,
docs/fiscal.md). Reading needs fiscal.view, checking and finishing fiscal.manage (one audit entry
each); a till resends the fiscal receipts it printed with sales.sell (the cashier signed in at it).
FDMS is called in a thread, never on the event loop nor inside a transaction."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import JSONBody, Parameter

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.bounds import bounded_int

B64 = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


class Claim(msgspec.Struct, forbid_unknown_fields=True):
    """One fiscal receipt a till printed: the sale it belongs to and the device's numbers."""
    sale_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    fdms_device_id: bounded_int(1, 9_999_999_999)  # type: ignore[valid-type]
    day_no: bounded_int(1, 2_147_483_647)  # type: ignore[valid-type]
    receipt_counter: bounded_int(1, 2_147_483_647)  # type: ignore[valid-type]
    global_no: bounded_int(1, 2_147_483_647)  # type: ignore[valid-type]
    receipt_date: Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")]
    invoice_no: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    hash: B64
    signature: B64
    previous_hash: B64 | None = None  # the day's previous receipt's hash, when the till kept it


class Claims(msgspec.Struct, forbid_unknown_fields=True):
    receipts: Annotated[list[Claim], msgspec.Meta(max_length=500)]


def _recovery():
    from hub.fiscal import recovery

    return recovery


class FiscalRecoveryController(Controller):
    path = "/api/v1/fiscal/recovery"
    tags = ["fiscal"]

    @get(opt=requires("fiscal.view"), summary="Fiscal recovery after a restore: state and each device's numbers")
    async def show(self, request: Request) -> dict[str, Any]:
        return await request.app.state.db.read(_recovery().overview)

    @post("/check", opt=requires("fiscal.manage"), status_code=200,
          summary="Read every fiscal device's status from FDMS (getStatus) for the reconciliation")
    async def check(self, request: Request, identity: Caller) -> dict[str, Any]:
        recovery = _recovery()
        actor = identity.actor
        db = request.app.state.db
        out = await asyncio.get_running_loop().run_in_executor(None, recovery.check, db)
        await db.write(lambda c: recovery.audit.append(
            c, actor, "fiscal.recovery_checked", "fiscal_recovery", out.get("epoch"),
            detail={"in_recovery": out["in_recovery"], "read": out["read"], "failed": out["failed"]}))
        return out

    @post("/finish", opt=requires("fiscal.manage"), status_code=200,
          summary="Finish the reconciliation: take the highest numbers, adopt the tills' receipts, resume signing")
    async def finish(self, request: Request, identity: Caller) -> dict[str, Any]:
        return await request.app.state.db.write(_recovery().finish, identity.actor)

    @post("/receipts", opt=requires("sales.sell"), status_code=200,
          summary="A till resends the fiscal receipts it printed, so a restored hub adopts them instead of signing again")
    async def claims(self, request: Request, identity: Caller, data: JSONBody[Claims]) -> dict[str, Any]:
        rows = [msgspec.structs.asdict(c) for c in data.receipts]
        return await request.app.state.db.write(_recovery().add_claims, identity.actor, identity.device_id or "", rows)


Id = Annotated[str, Parameter(max_length=64)]


class FiscalFilesController(Controller):
    """submitFile for a device ZIMRA set to Offline mode (hub.fiscal.offline)."""

    path = "/api/v1/fiscal/devices/{device_id:str}/files"
    tags = ["fiscal"]

    @get(opt=requires("fiscal.view"), summary="An Offline device's day files and what FDMS said of each")
    async def files(self, request: Request, device_id: Id) -> dict[str, Any]:
        from hub.fiscal import offline, service

        def read(conn):  # type: ignore[no-untyped-def]
            service.get_device(conn, device_id)
            return {"items": offline.files(conn, device_id)}

        return await request.app.state.db.read(read)

    @post("/submit", opt=requires("fiscal.manage"), status_code=200,
          summary="Send an Offline device's unprocessed day files again (idempotent) and ask FDMS for their status")
    async def submit(self, request: Request, identity: Caller, device_id: Id) -> dict[str, Any]:
        from hub.fiscal import offline, service

        actor = identity.actor
        db = request.app.state.db
        await db.read(lambda c: service._registered(c, device_id))
        day = await asyncio.get_running_loop().run_in_executor(None, offline.submit_files, db, device_id)
        await db.write(lambda c: service.audit.append(
            c, actor, "fiscal.files_submitted", "fiscal_device", device_id,
            detail={"day_no": day["day_no"], "day_status": day["day_status"],
                    "files": [(f["file_sequence"], f["status"]) for f in day["files"]][:20]}))
        return day


CONTROLLERS = [FiscalRecoveryController, FiscalFilesController]
