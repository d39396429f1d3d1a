"""Rules of stock adjustments and supplier returns; each function runs inside one `db.write`.

An adjustment is a document of signed lines (thousandths in the product's unit) with a reason
per line or for the whole document. Posting values it at cost (a given unit cost for an
increase, else the average cost, else the catalogue's cost price) and compares that value with
the store's approval threshold: at or below it the lines move stock at once; above it the
document waits as `pending_approval` (nothing moves) until someone holding inventory.approve,
other than whoever created or posted it, approves it (then it moves stock) or rejects it with a
reason. A draft may be edited (its reason, note and lines replaced) or discarded (kept for the
record, never moving anything). A posted, rejected or discarded adjustment is never edited: a
mistake is corrected by a new one.

A supplier return is posted at once: its lines move stock out (`supplier_return`) at the unit
cost given, by default the average cost. Stock may go below zero (it is flagged, never refused).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Callable

from hub.catalogue._common import found, now
from hub.db import adjustments as store
from hub.db import audit
from hub.db.audit import Actor
from hub.db.settings import get_setting, put_setting
from hub.errors import ConflictError, FieldErrors, PermissionDeniedError
from hub.ids import new_id
from hub.inventory import ledger
from hub.inventory.projection import divide_rounded

THRESHOLD_KEY = "inventory.adjustment_approval_threshold"
# 50.00 in the base currency (minor units): a few damaged loaves post at once, a carton of
# cigarettes written off as theft waits for a manager.
DEFAULT_THRESHOLD = 5000
MAX_THRESHOLD = 10**15
MAX_LINES = 200  # lines in one adjustment or return (ledger.MAX_LINES bounds any document)
MAX_NOTE = 500
MAX_REF = 64
DIRECTION_WORDS = {"out": "a decrease (a negative quantity)", "in": "an increase (a positive quantity)"}


class OwnApprovalError(PermissionDeniedError):
    code = "own_adjustment"


class NotPendingError(ConflictError):
    code = "not_pending_approval"


class NotDraftError(ConflictError):
    code = "not_draft"


# ---- the approval threshold (a store setting) ---------------------------------------------------

def threshold(conn: sqlite3.Connection) -> int:
    """The value at cost (base-currency minor units) above which an adjustment waits for approval."""
    return int(get_setting(conn, THRESHOLD_KEY, DEFAULT_THRESHOLD))


def get_settings(conn: sqlite3.Connection) -> dict[str, Any]:
    return {"approval_threshold": threshold(conn), "default_approval_threshold": DEFAULT_THRESHOLD}


def update_settings(conn: sqlite3.Connection, actor: Actor, approval_threshold: int) -> dict[str, Any]:
    """Set the threshold; setting it to what it is writes nothing."""
    before = get_settings(conn)
    if before["approval_threshold"] == approval_threshold:
        return before
    put_setting(conn, THRESHOLD_KEY, approval_threshold)
    after = get_settings(conn)
    audit.append(conn, actor, "settings.adjustments_updated", "settings", "adjustments", before=before, after=after)
    return after


# ---- lines ----------------------------------------------------------------------------------

def _reasons(conn: sqlite3.Connection, applies_to: str) -> dict[str, dict[str, Any]]:
    return {r["code"]: r for r in store.reasons(conn, applies_to) if r["active"]}


def _in_unit(quantity: int, decimals: int) -> bool:
    return quantity % 10 ** (3 - decimals) == 0


def _unit_message(item: dict[str, Any]) -> str:
    if item["unit_decimals"] == 0:
        return f"must be a whole number of {item['unit_code']}"
    return f"takes at most {item['unit_decimals']} decimals of {item['unit_code']}"


def _product(conn: sqlite3.Connection, product_id: str, where: str, errors: list[tuple[str, str]]
             ) -> dict[str, Any] | None:
    item = store.product(conn, product_id) if product_id else None
    if item is None:
        errors.append((f"{where}.product_id", "there is no such product"))
    elif not item["stock_tracked"]:
        errors.append((f"{where}.product_id", f"{item['sku']} ({item['name']}) does not track stock"))
        return None
    return item


def _reason(code: str | None, reasons: dict[str, dict[str, Any]], field: str,
            errors: list[tuple[str, str]]) -> dict[str, Any] | None:
    if code is None:
        errors.append((field, "give a reason for this line or for the whole document"))
        return None
    if code not in reasons:
        errors.append((field, f"is not a reason code: one of {', '.join(reasons)}"))
        return None
    return reasons[code]


def _text(value: str | None, field: str, limit: int, errors: list[tuple[str, str]]) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        errors.append((field, f"must be at most {limit} characters"))
    return text


def _quantity(quantity: int, item: dict[str, Any] | None, field: str, errors: list[tuple[str, str]]) -> bool:
    if quantity == 0:
        errors.append((field, "must not be zero"))
    elif abs(quantity) > ledger.MAX_QUANTITY:
        errors.append((field, f"must be within ±{ledger.MAX_QUANTITY} thousandths"))
    elif item is not None and not _in_unit(quantity, item["unit_decimals"]):
        errors.append((field, _unit_message(item)))
    else:
        return True
    return False


def line_value(quantity: int, cost: int | None) -> int:
    """|quantity| x cost in minor units, rounded half away from zero (0 when no cost is known)."""
    return divide_rounded(abs(quantity) * cost, 1000) if cost else 0


@dataclass(frozen=True, slots=True)
class _Line:
    """One line of a document as typed, with its product and reason found (None when not)."""

    index: int
    where: str
    item: dict[str, Any] | None
    quantity: int
    unit_cost: int | None
    reason: dict[str, Any] | None
    note: str

    @property
    def cost(self) -> int | None:
        """The typed unit cost, else the product's average cost, else its cost price."""
        assert self.item is not None
        if self.unit_cost is not None:
            return self.unit_cost
        return self.item["avg_cost"] if self.item["avg_cost"] is not None else self.item["cost_price"]


def _typed_lines(conn: sqlite3.Connection, data: dict[str, Any], applies_to: str, noun: str,
                 rule: Callable[[_Line, list[tuple[str, str]]], bool]) -> list[_Line]:
    """The lines of an adjustment or a supplier return whose product and reason were found and that
    pass `rule` (which adds what is wrong with a line to the errors and says whether it is kept);
    FieldErrors naming every problem, the document's reason and line count included."""
    reasons = _reasons(conn, applies_to)
    errors: list[tuple[str, str]] = []
    document_reason = data.get("reason_code")
    if document_reason is not None and document_reason not in reasons:
        errors.append(("reason_code", f"is not a reason code: one of {', '.join(reasons)}"))
        document_reason = None
    given = data.get("lines") or []
    if not given:
        errors.append(("lines", "add at least one line"))
    if len(given) > MAX_LINES:
        raise FieldErrors([("lines", f"at most {MAX_LINES} lines in one {noun}")])
    lines = []
    for i, line in enumerate(given):
        where = f"lines[{i}]"
        typed = _Line(
            index=i, where=where, item=_product(conn, line["product_id"], where, errors),
            quantity=line["quantity"], unit_cost=line.get("unit_cost"),
            reason=_reason(line.get("reason_code") or document_reason, reasons, f"{where}.reason_code", errors),
            note=_text(line.get("note"), f"{where}.note", MAX_NOTE, errors))
        if rule(typed, errors) and typed.item is not None and typed.reason is not None:
            lines.append(typed)
    if errors:
        raise FieldErrors(errors)
    return lines


def _adjustment_rule(line: _Line, errors: list[tuple[str, str]]) -> bool:
    where, quantity, reason = line.where, line.quantity, line.reason
    if not _quantity(quantity, line.item, f"{where}.quantity", errors):
        return False
    if reason is not None and reason["direction"] != "any" and (quantity > 0) != (reason["direction"] == "in"):
        errors.append((f"{where}.quantity", f"{reason['name']} is {DIRECTION_WORDS[reason['direction']]}"))
    if line.unit_cost is not None and quantity < 0:
        errors.append((f"{where}.unit_cost", "only an increase takes a unit cost: stock leaves at its average"))
    return True


def _adjustment_lines(conn: sqlite3.Connection, data: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"line": ln.index, "product_id": ln.item["id"], "quantity": ln.quantity,  # type: ignore[index]
             "unit_cost": ln.unit_cost, "cost": ln.cost, "reason_code": ln.reason["code"],  # type: ignore[index]
             "note": ln.note}
            for ln in _typed_lines(conn, data, "adjustment", "adjustment", _adjustment_rule)]


def check_adjustment(conn: sqlite3.Connection, data: dict[str, Any]) -> None:
    """FieldErrors for what is wrong with an adjustment's lines and reasons; writes nothing."""
    _adjustment_lines(conn, data)


# ---- adjustments ----------------------------------------------------------------------------

def _shown(conn: sqlite3.Connection, adjustment_id: str) -> dict[str, Any]:
    row = found(store.get_adjustment(conn, adjustment_id), f"adjustment {adjustment_id}")
    for line in row["lines"]:
        line["value"] = line_value(line["quantity"], line["cost"]) * (1 if line["quantity"] > 0 else -1)
        line["negative"] = line["on_hand"] is not None and line["on_hand"] < 0
    return row


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    """What the audit entry keeps of a document: its head and each line's product, quantity, cost, reason."""
    head = {k: row[k] for k in ("number", "status", "reason_code", "note", "value") if k in row}
    return head | {"lines": [{k: line[k] for k in ("product_id", "quantity", "unit_cost", "reason_code")}
                             for line in row["lines"]]}


def _move(conn: sqlite3.Connection, actor: Actor, adjustment_id: str, lines: list[dict[str, Any]]) -> None:
    ledger.post(conn, [ledger.Line("adjustment", line["product_id"], line["quantity"], line["unit_cost"],
                                   note=f"{line['reason_code']}: {line['note']}"[:ledger.MAX_NOTE].rstrip(": "),
                                   line=line["line"])
                       for line in lines],
                source_type="adjustment", source_id=adjustment_id, actor=actor)


def _submit(conn: sqlite3.Connection, actor: Actor, row: dict[str, Any], lines: list[dict[str, Any]]) -> str:
    """Post a draft: at once (returns "posted") or to wait for approval ("pending_approval")."""
    value = sum(line_value(line["quantity"], line["cost"]) for line in lines)
    limit = threshold(conn)
    stamp = now(conn)
    status = "pending_approval" if value > limit else "posted"
    changed = store.set_status(conn, {
        "id": row["id"], "version": row["version"], "status": status, "value": value, "threshold": limit,
        "submitted_by_id": actor.user_id, "submitted_by": actor.username, "submitted_at": stamp,
        "posted_at": stamp if status == "posted" else None})
    if not changed:
        raise ConflictError("the adjustment changed while it was being posted; try again")
    if status == "posted":
        _move(conn, actor, row["id"], lines)
    return status


def _note(data: dict[str, Any]) -> str:
    note = (data.get("note") or "").strip()
    if len(note) > MAX_NOTE:
        raise FieldErrors([("note", f"must be at most {MAX_NOTE} characters")])
    return note


def _value(lines: list[dict[str, Any]]) -> int:
    return sum(line_value(line["quantity"], line["cost"]) for line in lines)


def create_adjustment(conn: sqlite3.Connection, actor: Actor, data: dict[str, Any], *, post: bool) -> dict[str, Any]:
    """A new adjustment, kept as a draft or posted at once (see the module's docstring)."""
    lines = _adjustment_lines(conn, data)
    note = _note(data)
    row = {c: None for c in store.ADJUSTMENT_COLUMNS} | {
        "id": new_id(), "number": store.next_adjustment_number(conn), "status": "draft",
        "reason_code": data.get("reason_code"), "note": note, "value": _value(lines),
        "created_by_id": actor.user_id, "created_by": actor.username, "created_at": now(conn),
        "decision_note": "", "version": 1}
    store.insert_adjustment(conn, row, lines)
    action = "adjustment.created"
    if post:
        status = _submit(conn, actor, row, lines)
        action = "adjustment.posted" if status == "posted" else "adjustment.pending_approval"
    shown = _shown(conn, row["id"])
    audit.append(conn, actor, action, "adjustment", row["id"], after=_summary(shown))
    return shown


def _stored_lines(row: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: line[k] for k in ("line", "product_id", "quantity", "unit_cost", "cost", "reason_code", "note")}
            for line in row["lines"]]


def _draft(conn: sqlite3.Connection, adjustment_id: str) -> dict[str, Any]:
    row = _shown(conn, adjustment_id)
    if row["status"] != "draft":
        raise NotDraftError(f"adjustment {row['number']} is {row['status'].replace('_', ' ')}, not a draft")
    return row


def update_adjustment(conn: sqlite3.Connection, actor: Actor, adjustment_id: str,
                      data: dict[str, Any]) -> dict[str, Any]:
    """Replace a draft's reason, note and lines, checked as when it was made; it stays a draft
    and moves nothing."""
    row = _draft(conn, adjustment_id)
    lines = _adjustment_lines(conn, data)
    changed = {**row, "reason_code": data.get("reason_code"), "note": _note(data), "value": _value(lines)}
    if not store.replace_draft(conn, changed, lines):
        raise ConflictError("the adjustment changed while it was being edited; try again")
    shown = _shown(conn, adjustment_id)
    audit.append(conn, actor, "adjustment.updated", "adjustment", adjustment_id, before=_summary(row),
                 after=_summary(shown))
    return shown


def discard_adjustment(conn: sqlite3.Connection, actor: Actor, adjustment_id: str, reason: str = "") -> dict[str, Any]:
    """Give up a draft: it is kept for the record as `discarded` and never moves stock."""
    row = _draft(conn, adjustment_id)
    reason = reason.strip()
    if len(reason) > MAX_NOTE:
        raise FieldErrors([("reason", f"must be at most {MAX_NOTE} characters")])
    _decide(conn, actor, row, "discarded", reason)
    shown = _shown(conn, adjustment_id)
    audit.append(conn, actor, "adjustment.discarded", "adjustment", adjustment_id, before={"status": "draft"},
                 after={"status": "discarded", "reason": reason})
    return shown


def post_adjustment(conn: sqlite3.Connection, actor: Actor, adjustment_id: str) -> dict[str, Any]:
    """Post a draft: it moves stock at once or waits for approval, by its value at cost now."""
    row = _draft(conn, adjustment_id)
    lines = _stored_lines(row)
    for line in lines:  # a draft values decreases at the average cost when it is posted
        if line["unit_cost"] is None:
            item = store.product(conn, line["product_id"]) or {}
            line["cost"] = item.get("avg_cost") if item.get("avg_cost") is not None else item.get("cost_price")
    status = _submit(conn, actor, row, lines)
    shown = _shown(conn, adjustment_id)
    audit.append(conn, actor, "adjustment.posted" if status == "posted" else "adjustment.pending_approval",
                 "adjustment", adjustment_id, before={"status": "draft"}, after=_summary(shown))
    return shown


def _pending(conn: sqlite3.Connection, adjustment_id: str) -> dict[str, Any]:
    row = _shown(conn, adjustment_id)
    if row["status"] != "pending_approval":
        raise NotPendingError(f"adjustment {row['number']} is {row['status'].replace('_', ' ')}, "
                              "not waiting for approval")
    return row


def _decide(conn: sqlite3.Connection, actor: Actor, row: dict[str, Any], status: str, note: str) -> None:
    stamp = now(conn)
    changed = store.set_status(conn, {
        "id": row["id"], "version": row["version"], "status": status, "value": row["value"],
        "threshold": row["threshold"], "decided_by_id": actor.user_id, "decided_by": actor.username,
        "decided_at": stamp, "decision_note": note, "posted_at": stamp if status == "posted" else None})
    if not changed:
        raise ConflictError("the adjustment changed while it was being decided; try again")


def approve_adjustment(conn: sqlite3.Connection, actor: Actor, adjustment_id: str, note: str = "") -> dict[str, Any]:
    """Approve a pending adjustment: its lines move stock now, as the approver's movements."""
    row = _pending(conn, adjustment_id)
    if actor.user_id is not None and actor.user_id in (row["created_by_id"], row["submitted_by_id"]):
        raise OwnApprovalError("an adjustment above the approval threshold needs someone else's approval")
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise FieldErrors([("note", f"must be at most {MAX_NOTE} characters")])
    _decide(conn, actor, row, "posted", note)
    _move(conn, actor, adjustment_id, _stored_lines(row))
    shown = _shown(conn, adjustment_id)
    audit.append(conn, actor, "adjustment.approved", "adjustment", adjustment_id,
                 before={"status": "pending_approval"}, after=_summary(shown) | {"decision_note": note})
    return shown


def reject_adjustment(conn: sqlite3.Connection, actor: Actor, adjustment_id: str, reason: str) -> dict[str, Any]:
    """Reject a pending adjustment with a reason: it never moves stock."""
    row = _pending(conn, adjustment_id)
    reason = reason.strip()
    if not reason:
        raise FieldErrors([("reason", "say why it is rejected")])
    if len(reason) > MAX_NOTE:
        raise FieldErrors([("reason", f"must be at most {MAX_NOTE} characters")])
    _decide(conn, actor, row, "rejected", reason)
    shown = _shown(conn, adjustment_id)
    audit.append(conn, actor, "adjustment.rejected", "adjustment", adjustment_id,
                 before={"status": "pending_approval"}, after={"status": "rejected", "reason": reason})
    return shown


def get_adjustment(conn: sqlite3.Connection, adjustment_id: str) -> dict[str, Any]:
    return _shown(conn, adjustment_id)


# ---- supplier returns -----------------------------------------------------------------------

def _return_rule(line: _Line, errors: list[tuple[str, str]]) -> bool:
    if line.quantity < 0:
        errors.append((f"{line.where}.quantity", "is what goes back to the supplier: more than zero"))
        return False
    return _quantity(line.quantity, line.item, f"{line.where}.quantity", errors)


def _return_lines(conn: sqlite3.Connection, data: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"line": ln.index, "product_id": ln.item["id"], "quantity": ln.quantity,  # type: ignore[index]
             "unit_cost": ln.cost, "reason_code": ln.reason["code"], "note": ln.note}  # type: ignore[index]
            for ln in _typed_lines(conn, data, "supplier_return", "return", _return_rule)]


def _return_head(conn: sqlite3.Connection, data: dict[str, Any]) -> tuple[str, str, list[tuple[str, str]]]:
    errors: list[tuple[str, str]] = []
    supplier = store.supplier(conn, data.get("supplier_id") or "")
    if supplier is None:
        errors.append(("supplier_id", "there is no such supplier"))
    elif not supplier["active"]:
        errors.append(("supplier_id", f"{supplier['name']} is archived"))
    # A plain text reference for now: the goods-receipt feature will check that it names a posted
    # GRN of this supplier (and what was received on it).
    reference = _text(data.get("goods_receipt_ref"), "goods_receipt_ref", MAX_REF, errors)
    note = _text(data.get("note"), "note", MAX_NOTE, errors)
    return reference, note, errors


def _checked_return(conn: sqlite3.Connection, data: dict[str, Any]) -> tuple[str, str, list[dict[str, Any]]]:
    reference, note, errors = _return_head(conn, data)
    try:
        lines = _return_lines(conn, data)
    except FieldErrors as err:
        raise FieldErrors(errors + [(e["field"], e["message"]) for e in err.errors]) from err
    if errors:
        raise FieldErrors(errors)
    return reference, note, lines


def check_return(conn: sqlite3.Connection, data: dict[str, Any]) -> None:
    """FieldErrors for what is wrong with a supplier return; writes nothing."""
    _checked_return(conn, data)


def _shown_return(conn: sqlite3.Connection, return_id: str) -> dict[str, Any]:
    row = found(store.get_return(conn, return_id), f"supplier return {return_id}")
    for line in row["lines"]:
        line["value"] = line_value(line["quantity"], line["unit_cost"])
    return row


def create_return(conn: sqlite3.Connection, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """Post a supplier return at once: its lines move stock out, in this transaction."""
    reference, note, lines = _checked_return(conn, data)
    row = {"id": new_id(), "number": store.next_return_number(conn), "supplier_id": data["supplier_id"],
           "goods_receipt_ref": reference, "note": note,
           "value": sum(line_value(line["quantity"], line["unit_cost"]) for line in lines),
           "created_by_id": actor.user_id, "created_by": actor.username, "posted_at": now(conn)}
    store.insert_return(conn, row, lines)
    ledger.post(conn, [ledger.Line("supplier_return", line["product_id"], -line["quantity"], line["unit_cost"],
                                   note=f"{line['reason_code']}: {line['note']}"[:ledger.MAX_NOTE].rstrip(": "),
                                   line=line["line"])
                       for line in lines],
                source_type="supplier_return", source_id=row["id"], actor=actor)
    shown = _shown_return(conn, row["id"])
    audit.append(conn, actor, "supplier_return.posted", "supplier_return", row["id"], after={
        "number": row["number"], "supplier_id": row["supplier_id"], "goods_receipt_ref": reference,
        "value": row["value"], "lines": [{k: line[k] for k in ("product_id", "quantity", "unit_cost", "reason_code")}
                                         for line in lines]})
    return shown


def get_return(conn: sqlite3.Connection, return_id: str) -> dict[str, Any]:
    return _shown_return(conn, return_id)
