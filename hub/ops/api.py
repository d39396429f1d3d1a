"""The operations API: settings, backup runs (take one now), the recovery key, the doctor."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.errors import HubError
from hub.ops.schemas import BackupRun, BackupRunList, DoctorReport, OpsSettings, OpsSettingsUpdate, RecoveryKey


class BackupRunFailedError(HubError):
    status, code, title = 500, "backup_failed", "The backup failed"


class OperationsNotRunningError(HubError):
    status, code, title = 503, "operations_not_running", "Operations are not running"


def settings_of(values: dict[str, Any]) -> OpsSettings:
    return msgspec.convert({k: values[k] for k in OpsSettings.__struct_fields__}, OpsSettings)


def run_of(row: dict[str, Any]) -> BackupRun:
    return msgspec.convert({**row, "verified": bool(row["verified"])}, BackupRun, strict=False)


class OpsController(Controller):
    path = "/api/v1/ops"
    tags = ["operations"]

    @get("/settings", opt=requires("settings.view"), summary="Backup schedule, retention, copies, UPS, clock, trading hours")
    async def get_settings(self, request: Request) -> OpsSettings:
        from hub.ops import config

        return settings_of(await request.app.state.db.read(config.load))

    @patch("/settings", opt=requires("settings.manage"), summary="Change operations settings (only the fields given)")
    async def update_settings(self, request: Request, identity: Caller,
                              data: JSONBody[OpsSettingsUpdate]) -> OpsSettings:
        from hub.ops import config

        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
        return settings_of(await request.app.state.db.write(config.save, identity.actor, changes))

    @get("/backups", opt=requires("backups.manage"), summary="Backup runs, newest first (verification, copies)")
    async def list_runs(self, request: Request) -> BackupRunList:
        from hub.db import ops as rows

        return BackupRunList(items=[run_of(r) for r in await request.app.state.db.read(rows.backups)])

    @post("/backups", opt=requires("backups.manage"), status_code=201,
          summary="Take a backup now: copy online, verify in scratch, seal, copy to USB, queue for HQ, prune")
    async def run_now(self, request: Request, identity: Caller) -> BackupRun:
        from hub.db import ops as rows

        ops = getattr(request.app.state, "ops", None)
        if ops is None:
            raise OperationsNotRunningError("the operations subsystem is not running in this process")
        run = await ops.backup_now(identity.actor)
        if run.status != "ok":
            raise BackupRunFailedError(run.error, extra={"name": run.name})
        return run_of(await request.app.state.db.read(rows.backup, run.name))

    @post("/recovery-key", opt=requires("backups.manage"), status_code=201,
          summary="Make a new recovery key (shown only in this answer); later backups are sealed to it")
    async def new_recovery_key(self, request: Request, identity: Caller) -> RecoveryKey:
        from hub.ops import backups, config

        key = await request.app.state.db.write(backups.set_up_key, identity.actor)
        return RecoveryKey(key=key, key_id=(await request.app.state.db.read(config.load))["key_id"])

    @get("/doctor", opt=requires("settings.view"), summary="What is wrong with this hub, each finding with its fix")
    async def doctor(self, request: Request) -> DoctorReport:
        from hub.ops import doctor

        return msgspec.convert(await doctor.run_live(request.app.state), DoctorReport)


CONTROLLERS: list = [OpsController]
