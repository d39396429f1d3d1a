"""/api/v1/inventory/transfers: stock sent to and received from the chain's other stores. Seeing
them needs inventory.view; drafting, posting, importing and receiving need inventory.transfer."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.params import JSONBody, Parameter

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.catalogue._common import given
from hub.catalogue.products._paging import decode_cursor, encode_cursor
from hub.inventory.api import _moment
from hub.inventory.transfers import files, schemas, service

VIEW = "inventory.view"
TRANSFER = "inventory.transfer"
MAX_PAGE = 200
TransferId = Annotated[str, Parameter(max_length=64)]


def transfer(row: dict[str, Any]) -> schemas.Transfer:
    return msgspec.convert(row, schemas.Transfer)


def _lines(data: Any) -> list[dict[str, Any]]:
    return [msgspec.structs.asdict(line) for line in data]


def download(doc: dict[str, Any], name: str) -> Response:
    """A transfer document as a JSON file to save and carry to the other store."""
    return Response(files.encode(doc), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def file_name(doc: dict[str, Any], kind: str) -> str:
    return f"{kind}-{doc['number']}-{doc['from']['store_code']}-to-{doc['to']['store_code']}.json"


class TransferController(Controller):
    path = "/api/v1/inventory/transfers"
    tags = ["inventory"]

    @get(opt=requires(VIEW), summary="Transfers, newest first, with filters")
    async def list_transfers(
        self, request: Request,
        direction: Annotated[str | None, Parameter(pattern="^(out|in)$")] = None,
        status: Annotated[str | None, Parameter(pattern="^(draft|in_transit|received|discarded)$")] = None,
        store: Annotated[str | None, Parameter(max_length=8, description="The other store's code")] = None,
        since: Annotated[dt.datetime | None, Parameter(description="Made at or after")] = None,
        until: Annotated[dt.datetime | None, Parameter(description="Made before")] = None,
        after: Annotated[str | None, Parameter(max_length=400, description="next_after of the last page")] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> schemas.TransferPage:
        cursor = decode_cursor(after, 2)
        rows = await request.app.state.db.read(
            service.list_transfers, direction=direction, status=status, store=store.upper() if store else None,
            since=_moment("since", since), until=_moment("until", until), after=cursor, limit=limit + 1)
        items = [msgspec.convert(r, schemas.TransferSummary) for r in rows[:limit]]
        more = len(rows) > limit and items
        return schemas.TransferPage(
            items=items, next_after=encode_cursor(items[-1].created_at, items[-1].id) if more else None)

    @get("/{transfer_id:str}", opt=requires(VIEW), summary="One transfer with its lines")
    async def get_transfer(self, request: Request, transfer_id: TransferId) -> schemas.Transfer:
        return transfer(await request.app.state.db.read(service.document, transfer_id))

    @post(opt=requires(TRANSFER), summary="Draft an out transfer to another store of the chain")
    async def create_transfer(self, request: Request, identity: Caller,
                              data: JSONBody[schemas.TransferCreate]) -> schemas.Transfer:
        fields = msgspec.structs.asdict(data) | {"lines": _lines(data.lines)}
        return transfer(await request.app.state.db.write(service.create_out, identity.actor, fields))

    @patch("/{transfer_id:str}", opt=requires(TRANSFER), summary="Change a draft out transfer")
    async def update_transfer(self, request: Request, identity: Caller, transfer_id: TransferId,
                              data: JSONBody[schemas.TransferUpdate]) -> schemas.Transfer:
        changes = given(data)
        if "lines" in changes:
            changes["lines"] = _lines(data.lines)
        return transfer(await request.app.state.db.write(service.update_out, identity.actor, transfer_id, changes))

    @post("/{transfer_id:str}/discard", opt=requires(TRANSFER), status_code=200,
          summary="Discard a draft out transfer")
    async def discard_transfer(self, request: Request, identity: Caller, transfer_id: TransferId) -> schemas.Transfer:
        return transfer(await request.app.state.db.write(service.discard_out, identity.actor, transfer_id))

    @post("/{transfer_id:str}/post", opt=requires(TRANSFER), status_code=200,
          summary="Post a draft out transfer: its stock leaves and is in transit")
    async def post_transfer(self, request: Request, identity: Caller, transfer_id: TransferId) -> schemas.Transfer:
        """One transaction: every line moves out through the ledger (kind `transfer_out`) at the
        average cost of that moment, which the line keeps; the transfer is `in_transit`."""
        return transfer(await request.app.state.db.write(service.post_out, identity.actor, transfer_id))

    @get("/{transfer_id:str}/file", opt=requires(VIEW), summary="The transfer file of a posted out transfer")
    async def transfer_file(self, request: Request, transfer_id: TransferId) -> Response:
        """A JSON document (type `soko-hub-transfer`) the receiving store imports."""
        doc = await request.app.state.db.read(service.transfer_file, transfer_id)
        return download(doc, file_name(doc, "transfer"))

    @post("/import", opt=requires(TRANSFER), summary="Import another store's transfer file as an in transfer")
    async def import_transfer(self, request: Request, identity: Caller,
                              data: JSONBody[dict[str, Any]]) -> schemas.Transfer:
        """The file as downloaded at the sender. 409 `transfer_imported` when it was imported
        before; 422 `transfer_wrong_store` when it is addressed to another store."""
        return transfer(await request.app.state.db.write(service.import_file, identity.actor, data))

    @post("/{transfer_id:str}/receiving", opt=requires(TRANSFER), status_code=200,
          summary="Record received quantities and map unmatched lines of an in transfer")
    async def receiving(self, request: Request, identity: Caller, transfer_id: TransferId,
                        data: JSONBody[schemas.Receiving]) -> schemas.Transfer:
        return transfer(await request.app.state.db.write(service.receive_lines, identity.actor, transfer_id,
                                                          _lines(data.lines)))

    @post("/{transfer_id:str}/receive", opt=requires(TRANSFER), status_code=200,
          summary="Post an in transfer: what arrived moves into stock")
    async def receive_transfer(self, request: Request, identity: Caller, transfer_id: TransferId,
                               data: JSONBody[schemas.Receiving | None] = None) -> schemas.Transfer:
        """One transaction: each received line moves in (kind `transfer_in`) at the sender's unit
        cost; lines may be changed in the same call as `/receiving` does. Every line must be
        matched to a product or marked not received."""
        lines = _lines(data.lines) if data is not None else []
        return transfer(await request.app.state.db.write(service.post_in, identity.actor, transfer_id, lines))

    @get("/{transfer_id:str}/confirmation", opt=requires(VIEW),
         summary="The receipt confirmation of a received in transfer, for its sender")
    async def confirmation(self, request: Request, transfer_id: TransferId) -> Response:
        doc = await request.app.state.db.read(service.confirmation, transfer_id)
        return download(doc, f"receipt-{doc['receipt_number']}-{doc['from']['store_code']}-to-"
                             f"{doc['to']['store_code']}.json")

    @post("/confirmations", opt=requires(TRANSFER), status_code=200,
          summary="Import a receipt confirmation: the out transfer is marked received")
    async def import_confirmation(self, request: Request, identity: Caller,
                                  data: JSONBody[dict[str, Any]]) -> schemas.Transfer:
        """No stock moves here; the out transfer keeps the quantities received."""
        return transfer(await request.app.state.db.write(service.import_confirmation, identity.actor, data))


CONTROLLERS: list[Any] = [TransferController]
