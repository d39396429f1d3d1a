"""/api/v1/inventory/device-documents (a till sends a count or an adjustment it made, often
offline) and /api/v1/inventory/unapplied (the queue of those that could not be applied, with its
resolve actions).

A till calls the device route as its signed-in user, with its device token: any signed-in user on
a paired till may send, and the user's own permission (inventory.count or inventory.adjust) is
checked inside, so a missing permission queues the document instead of refusing it (nothing a till
made offline is lost). 200 when applied, 202 when accepted and queued, 409 for a document_id sent
before with another body, 400/422 for a malformed document (nothing kept), 422 till_required for a
sign-in made away from a till.

The queue is read with inventory.view. Resolving needs inventory.approve: mapping a code decides
which product a till's scan was, applying under one's authority overrides a missing permission,
and discarding sets aside what a device counted: each is a manager's approval decision, like
approving an adjustment or a count's variance, and is not left to whoever made the document.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody, Parameter

from hub.auth.access import authenticated, requires
from hub.auth.identity import Caller
from hub.catalogue.products._paging import encode_cursor
from hub.errors import InvalidInputError
from hub.http import current_request_id
from hub.inventory.api import seq_cursor
from hub.inventory.unapplied import ingest, schemas, service

VIEW, APPROVE = "inventory.view", "inventory.approve"
MAX_PAGE = 200
DocId = Annotated[str, Parameter(max_length=64)]


class DeviceDocumentController(Controller):
    path = "/api/v1/inventory/device-documents"
    tags = ["inventory"]

    @post(opt=authenticated(), summary="A till sends an inventory document: applied now, or queued")
    async def send_document(self, request: Request, identity: Caller,
                            data: JSONBody[schemas.DeviceDocument]) -> Response[schemas.Outcome]:
        """Idempotent by `document_id`: the same body again answers as the first time and changes
        nothing. 200 applied; 202 accepted and queued (a business reason: see `reason`)."""
        if identity.device_id is None:
            raise InvalidInputError("only a paired till sends device documents: sign in at the till, or send "
                                    "its X-Device-Token", code="till_required")
        found = await request.app.state.db.write(ingest.ingest_document, device_id=identity.device_id,
                                                 user_id=identity.user_id, document=data,
                                                 request_id=current_request_id())
        return Response(msgspec.convert(found, schemas.Outcome),
                        status_code=200 if found["status"] == "applied" else 202)


def _document(row: dict[str, Any]) -> schemas.UnappliedDocument:
    return msgspec.convert(row, schemas.UnappliedDocument)


class UnappliedController(Controller):
    path = "/api/v1/inventory/unapplied"
    tags = ["inventory"]

    @get(opt=requires(VIEW), summary="Device documents that could not be applied, newest first")
    async def list_unapplied(
        self, request: Request,
        status: Annotated[schemas.Status | None, Parameter(description="queued (default: any), applied, discarded")
                          ] = None,
        reason: Annotated[str | None, Parameter(max_length=32, description="The reason code")] = None,
        device_id: Annotated[str | None, Parameter(max_length=64)] = None,
        after: Annotated[str | None, Parameter(max_length=400, description="next_after of the last page")] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> schemas.UnappliedPage:
        found = await request.app.state.db.read(service.list_queue, status=status, reason=reason,
                                                device_id=device_id, before=seq_cursor(after), limit=limit + 1)
        rows = found["rows"]
        items = rows[:limit]
        more = len(rows) > limit and items
        return schemas.UnappliedPage(items=[_document(r) for r in items], queued=found["queued"],
                                     next_after=encode_cursor(str(items[-1]["seq"])) if more else None)

    @get("/{doc_id:str}", opt=requires(VIEW), summary="One received device document with its lines")
    async def get_unapplied(self, request: Request, doc_id: DocId) -> schemas.UnappliedDocument:
        return _document(await request.app.state.db.read(service.get_document, doc_id))

    @post("/{doc_id:str}/map", opt=requires(APPROVE), status_code=200,
          summary="Map an unknown code to a product, then apply the document again")
    async def map_code(self, request: Request, identity: Caller, doc_id: DocId,
                       data: JSONBody[schemas.MapCode]) -> schemas.UnappliedDocument:
        """With `add_barcode` the code also becomes the product's barcode (needs catalogue.manage).
        A re-apply that still fails keeps it queued with the new reason."""
        row = await request.app.state.db.write(service.map_code, identity.actor, identity.permissions, doc_id,
                                               data.code, data.product_id, data.add_barcode)
        return _document(row)

    @post("/{doc_id:str}/apply", opt=requires(APPROVE), status_code=200,
          summary="Apply the document again now (or under your own authority)")
    async def apply(self, request: Request, identity: Caller, doc_id: DocId,
                    data: JSONBody[schemas.Apply | None] = None) -> schemas.UnappliedDocument:
        row = await request.app.state.db.write(service.apply_document, identity.actor, identity.permissions,
                                               doc_id, bool(data and data.under_my_authority))
        return _document(row)

    @post("/{doc_id:str}/discard", opt=requires(APPROVE), status_code=200,
          summary="Discard the document with a reason: it is kept, marked discarded")
    async def discard(self, request: Request, identity: Caller, doc_id: DocId,
                      data: JSONBody[schemas.Discard]) -> schemas.UnappliedDocument:
        row = await request.app.state.db.write(service.discard, identity.actor, doc_id, data.reason)
        return _document(row)


CONTROLLERS: list[Any] = [DeviceDocumentController, UnappliedController]
