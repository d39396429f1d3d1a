"""The built-in fact types (docs/sync.md, "Types"): each calls the function the online API calls.

Imported by hub.sync.facts on first use. Each handler runs inside the upload's transaction, in a
savepoint: a HubError it raises (a malformed payload, a rule's refusal) quarantines the fact.
"""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any

import msgspec

from hub.bounds import bounded_int
from hub.db import shifts as shift_rows, sync as rows, users
from hub.devices.clock import corrected_time
from hub.errors import ConflictError, FieldErrors
from hub.sales.schemas import CorrectionCreate, RefundCreate, Uuid
from hub.shifts.schemas import CashMovementCreate, Float, ShiftClose
from hub.sync.facts import Applied, Device, FactContext, register

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Text = Annotated[str, msgspec.Meta(max_length=500)]
Money = bounded_int(0, 10**13, "Minor units")
Quantity = bounded_int(0, 10**9, "Thousandths")
LP_KINDS = ("line_deleted", "basket_cancelled", "price_override", "manual_discount", "no_sale", "reprint")


def decode(payload: Any, type_: type, *, drop: tuple[str, ...] = ()) -> Any:
    """The payload (less the `drop` keys) as `type_`; FieldErrors naming the field otherwise."""
    body = {k: v for k, v in payload.items() if k not in drop} if isinstance(payload, dict) else payload
    try:
        return msgspec.convert(body, type_, str_keys=True)
    except msgspec.ValidationError as err:
        message, _, where = str(err).partition(" - at `$.")
        raise FieldErrors([(where.rstrip("`") or "payload", message)]) from err


class _SaleRef(msgspec.Struct):
    sale_id: Id


class _ShiftRef(msgspec.Struct):
    shift_id: Id


def _ref(payload: Any, type_: type, name: str) -> str:
    if not isinstance(payload, dict) or name not in payload:
        raise FieldErrors([(name, "is required")])
    return getattr(decode({name: payload[name]}, type_), name)


# ---- sales ----------------------------------------------------------------------------------------

def sale(conn: sqlite3.Connection, device: Device, payload: dict[str, Any], ctx: FactContext) -> Applied:
    from hub.sales.ingest import ingest_sale

    result = ingest_sale(conn, payload, device_id=device.id, caller=ctx.actor, received_at=ctx.received_at)
    return Applied("sale", result.sale_id)


class VoidFact(msgspec.Struct, forbid_unknown_fields=True):
    sale_id: Id
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    shift_id: Id | None = None


def void(conn: sqlite3.Connection, device: Device, payload: dict[str, Any], ctx: FactContext) -> Applied:
    from hub.sales.voids import void_sale

    body = decode(payload, VoidFact)
    row = void_sale(conn, ctx.actor, body.sale_id, body.reason, body.shift_id)
    return Applied("sale_void", row["id"])


def refund(conn: sqlite3.Connection, device: Device, payload: dict[str, Any], ctx: FactContext) -> Applied:
    from hub.sales.refunds import refund_sale

    sale_id = _ref(payload, _SaleRef, "sale_id")
    body = decode(payload, RefundCreate, drop=("sale_id",))
    result = refund_sale(conn, sale_id, body, device_id=device.id, caller=ctx.actor,
                         unlimited="sales.refund_unlimited" in ctx.permissions, received_at=ctx.received_at)
    return Applied("sale_refund", result.refund_id)


def correction(conn: sqlite3.Connection, device: Device, payload: dict[str, Any], ctx: FactContext) -> Applied:
    from hub.sales.corrections import correct_sale

    sale_id = _ref(payload, _SaleRef, "sale_id")
    body = decode(payload, CorrectionCreate, drop=("sale_id",))
    result = correct_sale(conn, sale_id, body, device_id=device.id, caller=ctx.actor, received_at=ctx.received_at)
    return Applied("sale_correction", result.correction_id)


# ---- shifts and cash ------------------------------------------------------------------------------

class ShiftOpenFact(msgspec.Struct, forbid_unknown_fields=True):
    id: Uuid  # the till makes the shift's id, so its offline sales can name it
    floats: Annotated[list[Float], msgspec.Meta(max_length=50)] = []
    cashier_id: Id | None = None


def shift_open(conn: sqlite3.Connection, device: Device, payload: dict[str, Any], ctx: FactContext) -> Applied:
    from hub.shifts.service import open_shift

    body = decode(payload, ShiftOpenFact)
    held = shift_rows.get_shift(conn, body.id)
    if held is not None:
        if held["device_id"] != device.id:
            raise ConflictError(f"shift {body.id} is another till's", code="shift_id_reused")
        return Applied("shift", body.id)
    row = open_shift(conn, ctx.actor, msgspec.to_builtins(body), can_manage="shifts.manage" in ctx.permissions)
    return Applied("shift", row["id"])


def shift_close(conn: sqlite3.Connection, device: Device, payload: dict[str, Any], ctx: FactContext) -> Applied:
    from hub.shifts.service import close_shift

    shift_id = _ref(payload, _ShiftRef, "shift_id")
    body = decode(payload, ShiftClose, drop=("shift_id",))
    close_shift(conn, ctx.actor, shift_id, msgspec.to_builtins(body), can_manage="shifts.manage" in ctx.permissions)
    return Applied("shift", shift_id)


def cash_movement(conn: sqlite3.Connection, device: Device, payload: dict[str, Any], ctx: FactContext) -> Applied:
    from hub.shifts.service import add_movement

    shift_id = _ref(payload, _ShiftRef, "shift_id")
    body = decode(payload, CashMovementCreate, drop=("shift_id",))
    data = msgspec.to_builtins(body)
    data["id"] = data.get("id") or ctx.event_id  # a movement is idempotent by its id
    row = add_movement(conn, ctx.actor, shift_id, data, can_manage="shifts.manage" in ctx.permissions)
    return Applied("cash_movement", row["id"])


# ---- inventory documents --------------------------------------------------------------------------

def _document(conn: sqlite3.Connection, device: Device, payload: dict[str, Any], ctx: FactContext) -> Applied:
    from hub.inventory.unapplied.ingest import ingest_document

    got = ingest_document(conn, device_id=device.id, user_id=ctx.actor.user_id, document=payload,
                          received_at=ctx.received_at, request_id=ctx.actor.request_id)
    if got["status"] == "applied":
        return Applied(got["applied_type"] or "device_document", got["applied_id"] or got["id"])
    return Applied("unapplied_document", got["id"])


def stock_count(conn: sqlite3.Connection, device: Device, payload: dict[str, Any], ctx: FactContext) -> Applied:
    if not isinstance(payload, dict) or payload.get("kind") != "count":
        raise FieldErrors([("kind", "a stock.count is a device document of kind count")])
    return _document(conn, device, payload, ctx)


# ---- loss prevention ------------------------------------------------------------------------------

class LpFact(msgspec.Struct, forbid_unknown_fields=True):
    shift_id: Id | None = None
    sale_id: Id | None = None
    product_id: Id | None = None
    code: Annotated[str, msgspec.Meta(max_length=64)] = ""
    name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    quantity: Quantity | None = None
    currency: Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")] | None = None
    amount: Money | None = None
    price_before: Money | None = None
    price_after: Money | None = None
    approved_by: Id | None = None  # the supervisor's user id
    reason: Text = ""
    lines: bounded_int(0, 10_000, "Lines in the basket") | None = None  # type: ignore[valid-type]
    document: Annotated[str, msgspec.Meta(max_length=100)] = ""
    training: bool = False


REQUIRED: dict[str, tuple[str, ...]] = {
    "line_deleted": ("name",), "basket_cancelled": (), "price_override": ("price_before", "price_after"),
    "manual_discount": ("amount",), "no_sale": (), "reprint": ("document",),
}


def lp_fact(kind: str):
    def handler(conn: sqlite3.Connection, device: Device, payload: dict[str, Any], ctx: FactContext) -> Applied:
        body = decode(payload, LpFact)
        missing = [(f, "is required for this kind") for f in REQUIRED[kind] if getattr(body, f) in (None, "")]
        if body.amount is not None and body.currency is None:
            missing.append(("currency", "give the currency of the amount"))
        if missing:
            raise FieldErrors(missing)
        cashier = users.get_user(conn, ctx.actor.user_id) if ctx.actor.user_id else None
        supervisor = users.get_user(conn, body.approved_by) if body.approved_by else None
        row = {**msgspec.to_builtins(body), "id": ctx.event_id, "device_id": device.id, "device_seq": ctx.device_seq,
               "kind": kind, "cashier_id": ctx.actor.user_id, "cashier_name": cashier["username"] if cashier else "",
               "supervisor_id": body.approved_by, "supervisor_name": supervisor["username"] if supervisor else "",
               "training": int(body.training), "device_time": ctx.device_time,
               "occurred_at": corrected_time(conn, device.id, ctx.device_time, received_at=ctx.received_at),
               "recorded_at": ctx.received_at}
        row.pop("approved_by")
        rows.insert_lp(conn, row)
        return Applied("lp_event", ctx.event_id)

    return handler


register("sale", sale)
register("void", void, permission="sales.void")
register("refund", refund, permission="sales.refund")
register("correction", correction, permission="sales.correct")
register("shift.open", shift_open, permission="sales.sell")
register("shift.close", shift_close, permission="sales.sell")
register("cash.movement", cash_movement, permission="shifts.cash")
register("stock.count", stock_count)
register("inventory.document", _document)
for _kind in LP_KINDS:
    register(f"lp.{_kind}", lp_fact(_kind))
