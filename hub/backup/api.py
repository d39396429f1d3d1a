"""GET and POST /api/v1/backups: list the hub's backups, take one now."""

from __future__ import annotations

import asyncio
import functools
from typing import Any, Callable, TypeVar

import msgspec
from litestar import Controller, Request, get, post

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.backup import service
from hub.errors import HubError

T = TypeVar("T")


class BackupFailedError(HubError):
    status, code, title = 500, "backup_failed", "The backup failed"


class Backup(msgspec.Struct):
    name: str
    size: int
    created_at: str | None
    sha256: str | None
    schema_version: int | None
    audit_entries: int | None
    store_code: str | None
    epoch: str | None
    has_manifest: bool


class BackupList(msgspec.Struct):
    items: list[Backup]


def to_backup(info: service.BackupInfo) -> Backup:
    m = info.manifest
    return Backup(
        name=info.name, size=m.size if m else info.path.stat().st_size,
        created_at=m.created_at if m else None, sha256=m.sha256 if m else None,
        schema_version=m.schema_version if m else None, audit_entries=m.audit_entries if m else None,
        store_code=m.store_code if m else None, epoch=m.epoch if m else None, has_manifest=m is not None,
    )


async def _off_loop(fn: Callable[..., T], *args: Any) -> T:
    # Copying and hashing the database file is blocking I/O: it runs in the loop's executor.
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(fn, *args))


class BackupController(Controller):
    path = "/api/v1/backups"
    tags = ["backups"]

    @get(opt=requires("backups.manage"), summary="Backups in the backup directory, newest first")
    async def list_backups(self, request: Request) -> BackupList:
        settings = request.app.state.settings
        infos = await _off_loop(service.list_backups, settings.backup_path)
        return BackupList(items=[to_backup(i) for i in infos])

    @post(opt=requires("backups.manage"), status_code=201,
          summary="Take a consistent backup now (the hub keeps serving)")
    async def create_backup(self, request: Request, identity: Caller) -> Backup:
        from hub.ops import backup_child

        try:  # in a child process: what copying and checking allocate never stays in the hub
            info = await backup_child.create(request.app.state.settings)
        except service.BackupError as err:
            raise BackupFailedError(str(err)) from err
        await request.app.state.db.write(service.record_created, identity.actor, info)
        return to_backup(info)
