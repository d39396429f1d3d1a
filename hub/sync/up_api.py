"""/api/v1/sync/events, /status, /shift-digests (a till uploads, access rule `device_upload`) and
/api/v1/sync/quarantine (managers read, accept and reject what was kept): docs/sync.md.

The work is in hub.sync.upload, .status and .quarantine, imported when a request needs them, so
the hub starts without them. Alerts (a conflict under a used seq, a clock far off) go on the event
stream after the transaction commits.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import JSONBody, Parameter

from hub.auth.access import device_upload, requires
from hub.auth.identity import Caller
from hub.http import current_request_id
from hub.sync import schemas

VIEW, MANAGE = "devices.view", "devices.manage"
MAX_PAGE = 200
QuarantineId = Annotated[str, Parameter(max_length=64)]


def _till(request: Request) -> Any:
    from hub.sync.facts import Device

    found = request.state.device
    return Device(id=found.id, name=found.name, revoked=found.revoked)


def _publish(request: Request, alerts: list[dict[str, Any] | None]) -> None:
    from hub.events.bus import publish

    for alert in alerts:
        if alert:
            publish(request.app.state, "device_alert" if alert["kind"] == "clock_skew" else "sync_alert", alert)


class SyncUploadController(Controller):
    path = "/api/v1/sync"
    tags = ["sync"]

    @post("/events", opt=device_upload(), status_code=200, summary="Upload a batch of facts (one transaction)")
    async def upload_events(self, request: Request, data: JSONBody[schemas.EventBatch]) -> schemas.UploadAnswer:
        """A batch of contiguous `device_seq` facts from this till, applied in one transaction and
        answered after it commits: `acked_through` and each event's `status` (applied, duplicate,
        quarantined) with what it raised. 409 `sequence_gap` with `resend_from` when the batch starts
        past the next seq expected; 422 `payload_hash_mismatch` (naming the event) or
        `batch_not_contiguous`, nothing applied. A revoked till's facts are quarantined."""
        from hub.sync import upload

        answer = await request.app.state.db.write(upload.upload, _till(request), data,
                                                  request_id=current_request_id())
        _publish(request, answer["alerts"])
        return upload.as_struct(answer)

    @post("/status", opt=device_upload(), status_code=200, summary="The till reports its upload queue")
    async def report_status(self, request: Request, data: JSONBody[schemas.StatusReport]) -> schemas.StatusAnswer:
        """Queue depth, oldest unsent fact, last failed request and its error, app and protocol
        version, time offline and the till's clock; kept (the latest) for the sync monitor."""
        from hub.sync import status

        body = {f: getattr(data, f) for f in data.__struct_fields__}
        got = await request.app.state.db.write(status.report, request.state.device.id, body, data.device_time)
        _publish(request, [got.pop("alert")])
        return msgspec.convert(got, schemas.StatusAnswer)

    @post("/shift-digests", opt=device_upload(), status_code=200,
          summary="Compare a shift's facts at the till with what the hub holds")
    async def shift_digest(self, request: Request, data: JSONBody[schemas.ShiftDigest]) -> schemas.DigestAnswer:
        """At shift close: the till's count, totals per currency and hash over its event ids for
        the shift; the answer says whether the hub agrees and lists the event ids it holds, so the
        till resends what is missing."""
        from hub.sync import status

        body = msgspec.to_builtins(data)
        got = await request.app.state.db.write(status.digest, request.state.device.id, body, data.device_time)
        _publish(request, [got.pop("alert")])
        got.pop("skew_ms", None)
        return msgspec.convert(got, schemas.DigestAnswer)


class QuarantineController(Controller):
    path = "/api/v1/sync/quarantine"
    tags = ["sync"]

    @get(opt=requires(VIEW), summary="Facts kept in quarantine, newest first")
    async def list_quarantine(
        self, request: Request,
        status: Annotated[str | None, Parameter(pattern="^(pending|accepted|rejected)$")] = None,
        device: Annotated[str | None, Parameter(max_length=64, description="The till's device id")] = None,
        after: Annotated[str | None, Parameter(max_length=64, description="next_after of the last page")] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> schemas.QuarantinePage:
        from hub.sync import quarantine

        rows = await request.app.state.db.read(quarantine.list_facts, status=status, device_id=device, before=after,
                                               limit=limit + 1)
        items = [msgspec.convert(r, schemas.QuarantinedFact) for r in rows[:limit]]
        return schemas.QuarantinePage(items=items, next_after=items[-1].id if len(rows) > limit and items else None)

    @get("/{quarantine_id:str}", opt=requires(VIEW), summary="One quarantined fact")
    async def get_fact(self, request: Request, quarantine_id: QuarantineId) -> schemas.QuarantinedFact:
        from hub.sync import quarantine

        return msgspec.convert(await request.app.state.db.read(quarantine.get, quarantine_id),
                               schemas.QuarantinedFact)

    @post("/{quarantine_id:str}/accept", opt=requires(MANAGE), status_code=200,
          summary="Apply a quarantined fact under your authority")
    async def accept(self, request: Request, identity: Caller, quarantine_id: QuarantineId,
                     data: JSONBody[schemas.Decision]) -> schemas.QuarantinedFact:
        """Applied through the same dispatch as an upload; 409 `fact_refused` (nothing changed)
        when it still cannot be applied, `quarantine_state` once decided."""
        from hub.sync import quarantine

        row = await request.app.state.db.write(quarantine.accept, identity.actor, identity.permissions,
                                               quarantine_id, data.note)
        return msgspec.convert(row, schemas.QuarantinedFact)

    @post("/{quarantine_id:str}/reject", opt=requires(MANAGE), status_code=200,
          summary="Set a quarantined fact aside, saying why")
    async def reject(self, request: Request, identity: Caller, quarantine_id: QuarantineId,
                     data: JSONBody[schemas.Decision]) -> schemas.QuarantinedFact:
        from hub.sync import quarantine

        row = await request.app.state.db.write(quarantine.reject, identity.actor, quarantine_id, data.note)
        return msgspec.convert(row, schemas.QuarantinedFact)


CONTROLLERS: list = [SyncUploadController, QuarantineController]
