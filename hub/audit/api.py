"""GET /api/v1/audit: read the audit log, newest first, with cursor pagination."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.params import Parameter

from hub.auth.access import requires
from hub.db import audit


class AuditEntry(msgspec.Struct):
    seq: int
    id: str
    at: str
    user_id: str | None
    username: str | None
    device_id: str | None
    action: str
    entity: str
    entity_id: str | None
    summary: dict[str, Any]
    request_id: str | None


class AuditPage(msgspec.Struct):
    items: list[AuditEntry]
    next_before: int | None


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]

    @get(opt=requires("audit.view"), summary="Audit entries, newest first")
    async def list_entries(
        self, request: Request,
        before: Annotated[int | None, Parameter(ge=1, le=2**62, description="Return entries with seq below this")] = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 50,
        entity: Annotated[str | None, Parameter(max_length=64)] = None,
        entity_id: Annotated[str | None, Parameter(max_length=64)] = None,
        user_id: Annotated[str | None, Parameter(max_length=64)] = None,
        action: Annotated[str | None, Parameter(max_length=64)] = None,
    ) -> AuditPage:
        rows = await request.app.state.db.read(
            audit.list_entries, before=before, limit=limit, entity=entity, entity_id=entity_id,
            user_id=user_id, action=action)
        items = [msgspec.convert(r, AuditEntry) for r in rows]
        return AuditPage(items=items, next_before=items[-1].seq if len(items) == limit else None)
