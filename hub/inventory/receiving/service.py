"""Rules for goods receipts: a draft is edited freely; posting moves every line in through the
ledger (kind `receipt`, source `goods_receipt`), updates the purchase order's received quantities
and status and, when asked, the supplier's cost, all in one transaction with one audit entry. A
posted receipt is never edited: a reversal is a new document moving the same quantities out.

Lines are typed in units or in packs; a pack is a scanned barcode's own pack quantity, else the
supplier's `pack_size` (product_suppliers), else one unit. Every quantity is thousandths of the
product's unit and must fit the unit's decimals.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.catalogue._common import found
from hub.db import audit, products, purchasing, receiving, stock_lists
from hub.db.audit import Actor
from hub.errors import ConflictError, FieldErrors
from hub.ids import new_id
from hub.inventory import ledger
from hub.inventory.purchasing import service as orders

MAX_LINES = 500
OPEN_ORDER = ("sent", "part_received")


def _supplier(conn: sqlite3.Connection, supplier_id: str, *, active: bool = True) -> dict[str, Any]:
    row = receiving.supplier(conn, supplier_id)
    if row is None:
        raise FieldErrors([("supplier_id", "there is no such supplier")])
    if active and not row["active"]:
        raise FieldErrors([("supplier_id", "is archived")])
    return row


def _order(conn: sqlite3.Connection, order_id: str | None, supplier_id: str) -> dict[str, Any] | None:
    if order_id is None:
        return None
    order = purchasing.get_order(conn, order_id)
    if order is None:
        raise FieldErrors([("order_id", "there is no such purchase order")])
    if order["supplier_id"] != supplier_id:
        raise FieldErrors([("order_id", "is a purchase order of another supplier")])
    if order["status"] not in OPEN_ORDER:
        raise ConflictError(f"purchase order {order['number']} is {order['status']}: only a sent or "
                            "part-received order takes goods", code="order_not_open",
                            extra={"errors": [{"field": "order_id", "message": f"is {order['status']}"}]})
    return order


def _unit_cost(conn: sqlite3.Connection, item: dict[str, Any], base: str | None) -> int:
    """The supplier's cost when it is in the base currency, else the product's cost price."""
    if item["supplier_cost"] is not None and item["supplier_currency"] in (None, base):
        return item["supplier_cost"]
    return item["cost_price"]


def _line(conn: sqlite3.Connection, i: int, given: dict[str, Any], supplier_id: str, base: str | None,
          order_lines: dict[int, dict[str, Any]] | None, problems: list[tuple[str, str]]) -> dict[str, Any] | None:
    at = f"lines[{i}]"
    product_id, code = given.get("product_id"), (given.get("code") or "").strip() or None
    if product_id is None and code is None:
        problems.append((f"{at}.code", "give a SKU, a barcode or a product id"))
        return None
    item = receiving.resolve_product(conn, supplier_id=supplier_id, product_id=product_id, code=code)
    if item is None:
        problems.append((f"{at}.code" if code else f"{at}.product_id", "there is no such product"))
        return None
    if not item["stock_tracked"]:
        problems.append((f"{at}.code" if code else f"{at}.product_id", f"{item['sku']} does not track stock"))
        return None
    entered, entered_as = given["quantity"], given.get("entered_as", "unit")
    pack = 1000
    if entered_as == "pack":
        pack = item["barcode_pack"] if (item["barcode_pack"] or 1000) > 1000 else (item["supplier_pack"] or 1000)
    if entered * pack % 1000:
        problems.append((f"{at}.quantity", "packs times the pack size is not a whole quantity"))
        return None
    quantity = entered * pack // 1000
    step = 10 ** (3 - item["unit_decimals"])
    if quantity % step:
        problems.append((f"{at}.quantity", f"must fit the unit's {item['unit_decimals']} decimals"))
        return None
    if quantity > ledger.MAX_QUANTITY:
        problems.append((f"{at}.quantity", f"is more than {ledger.MAX_QUANTITY // 1000} units"))
        return None
    order_line = given.get("order_line")
    if order_lines is not None:
        if order_line is None:  # the first line of the order for this product
            order_line = next((n for n, ol in order_lines.items() if ol["product_id"] == item["id"]), None)
        elif order_line not in order_lines or order_lines[order_line]["product_id"] != item["id"]:
            problems.append((f"{at}.order_line", "is not a line of the purchase order for this product"))
            return None
    elif order_line is not None:
        problems.append((f"{at}.order_line", "the receipt is not against a purchase order"))
        return None
    cost = given.get("unit_cost")
    if cost is None:
        ordered = order_lines[order_line]["unit_cost"] if order_lines and order_line is not None else None
        cost = ordered if ordered is not None else _unit_cost(conn, item, base)
    return {"line": i, "product_id": item["id"], "order_line": order_line, "entered": entered,
            "entered_as": entered_as, "pack_size": pack, "quantity": quantity, "unit_cost": cost}


def _lines(conn: sqlite3.Connection, given: list[dict[str, Any]], supplier_id: str,
           order: dict[str, Any] | None) -> list[dict[str, Any]]:
    if len(given) > MAX_LINES:
        raise FieldErrors([("lines", f"at most {MAX_LINES} lines")])
    base = (stock_lists.base_currency(conn) or {}).get("code")
    order_lines = {ol["line"]: ol for ol in purchasing.lines(conn, order["id"])} if order else None
    problems: list[tuple[str, str]] = []
    out = [_line(conn, i, g, supplier_id, base, order_lines, problems) for i, g in enumerate(given)]
    if problems:
        raise FieldErrors(problems)
    return [line for line in out if line is not None]


def document(conn: sqlite3.Connection, receipt_id: str) -> dict[str, Any]:
    """The receipt with its lines; against an order, each line's ordered and received quantities."""
    receipt = found(receiving.get_receipt(conn, receipt_id), f"goods receipt {receipt_id}")
    rows = receiving.lines(conn, receipt_id)
    ordered = {ol["line"]: ol for ol in purchasing.lines(conn, receipt["order_id"])} if receipt["order_id"] else {}
    counted = receipt["status"] == "posted" and receipt["kind"] == "receipt" and not receipt["reversed_by_id"]
    for row in rows:
        row["value"] = ledger.projection.stock_value(row["quantity"], row["unit_cost"])
        ol = ordered.get(row["order_line"]) if row["order_line"] is not None else None
        row["ordered"] = ol["quantity"] if ol else None
        if ol:
            before = ol["received"] - (row["quantity"] if counted else 0)
            after = before + (row["quantity"] if receipt["kind"] == "receipt" else 0)
            row["previously_received"], row["short"], row["over"] = before, after < ol["quantity"], after > ol["quantity"]
        else:
            row["previously_received"], row["short"], row["over"] = None, False, receipt["order_id"] is not None
    receipt["lines"] = rows
    receipt["total_cost"] = sum(r["value"] for r in rows)
    return receipt


def create_receipt(conn: sqlite3.Connection, actor: Actor, fields: dict[str, Any]) -> dict[str, Any]:
    supplier = _supplier(conn, fields["supplier_id"])
    order = _order(conn, fields.get("order_id"), supplier["id"])
    lines = _lines(conn, fields.get("lines", []), supplier["id"], order)
    now = conn.stamp()  # type: ignore[attr-defined]
    receipt_id = new_id()
    receiving.insert_receipt(conn, {
        "id": receipt_id, "number": receiving.next_number(conn), "kind": "receipt", "supplier_id": supplier["id"],
        "order_id": order["id"] if order else None, "reverses_id": None, "status": "draft",
        "supplier_ref": fields.get("supplier_ref", "").strip(), "note": fields.get("note", "").strip(),
        "update_supplier_cost": bool(fields.get("update_supplier_cost", False)), "created_by": actor.username,
        "posted_at": None, "posted_by": None, "version": 1, "created_at": now, "updated_at": now})
    receiving.replace_lines(conn, receipt_id, lines)
    doc = document(conn, receipt_id)
    audit.append(conn, actor, "goods_receipt.created", "goods_receipt", receipt_id, after=_summary(doc))
    return doc


def _summary(doc: dict[str, Any]) -> dict[str, Any]:
    keep = ("number", "kind", "status", "supplier_id", "order_id", "reverses_id", "supplier_ref", "note",
            "update_supplier_cost", "total_cost")
    return {**{k: doc[k] for k in keep},
            "lines": [{k: r[k] for k in ("product_id", "sku", "entered", "entered_as", "pack_size", "quantity",
                                          "unit_cost", "order_line")} for r in doc["lines"]]}


def _draft(conn: sqlite3.Connection, receipt_id: str) -> dict[str, Any]:
    receipt = document(conn, receipt_id)
    if receipt["status"] != "draft":
        raise ConflictError(f"goods receipt {receipt['number']} is posted: a posted receipt is never edited "
                            "(reverse it instead)", code="receipt_posted")
    return receipt


def update_receipt(conn: sqlite3.Connection, actor: Actor, receipt_id: str,
                   changes: dict[str, Any]) -> dict[str, Any]:
    """Change a draft's fields; `lines` replaces them all."""
    before = _draft(conn, receipt_id)
    supplier_id = changes.get("supplier_id", before["supplier_id"])
    supplier = _supplier(conn, supplier_id)
    order_id = changes["order_id"] if "order_id" in changes else before["order_id"]
    order = _order(conn, order_id, supplier["id"])
    fields = {k: (v.strip() if isinstance(v, str) else v) for k, v in changes.items()
              if k in ("supplier_ref", "note", "update_supplier_cost")}
    fields |= {"supplier_id": supplier["id"], "order_id": order["id"] if order else None}
    if "lines" in changes or supplier_id != before["supplier_id"] or fields["order_id"] != before["order_id"]:
        given = changes.get("lines")
        if given is None:  # keep the lines, checked again against the new supplier or order
            given = [{"product_id": r["product_id"], "quantity": r["entered"], "entered_as": r["entered_as"],
                      "unit_cost": r["unit_cost"]} for r in before["lines"]]
        receiving.replace_lines(conn, receipt_id, _lines(conn, given, supplier["id"], order))
    receiving.update_receipt(conn, receipt_id, fields)
    after = document(conn, receipt_id)
    audit.append(conn, actor, "goods_receipt.updated", "goods_receipt", receipt_id, before=_summary(before),
                 after=_summary(after))
    return after


def post_receipt(conn: sqlite3.Connection, actor: Actor, receipt_id: str) -> dict[str, Any]:
    """Move the draft's lines into stock, update its order and (when asked) the supplier's costs."""
    receipt = _draft(conn, receipt_id)
    if not receipt["lines"]:
        raise FieldErrors([("lines", "a receipt needs at least one line to post")])
    _supplier(conn, receipt["supplier_id"], active=False)
    order = _order(conn, receipt["order_id"], receipt["supplier_id"])
    moved = ledger.post(conn, [ledger.Line("receipt", r["product_id"], r["quantity"], r["unit_cost"], line=r["line"])
                               for r in receipt["lines"]],
                        source_type="goods_receipt", source_id=receipt_id, actor=actor)
    order_change = None
    if order is not None:
        for r in receipt["lines"]:
            if r["order_line"] is not None:
                purchasing.add_received(conn, order["id"], r["order_line"], r["quantity"])
        order_change = orders.follow_receipts(conn, actor, order["id"])
    costs = _update_costs(conn, receipt) if receipt["update_supplier_cost"] else []
    receiving.update_receipt(conn, receipt_id, {"status": "posted", "posted_at": conn.stamp(),  # type: ignore[attr-defined]
                                                "posted_by": actor.username})
    doc = document(conn, receipt_id)
    audit.append(conn, actor, "goods_receipt.posted", "goods_receipt", receipt_id, after=_summary(doc),
                 detail={"movements": [m["movement"]["id"] for m in moved], "order": order_change,
                         "supplier_costs": costs})
    return doc


def _update_costs(conn: sqlite3.Connection, receipt: dict[str, Any]) -> list[dict[str, Any]]:
    """Set the supplier's cost of each product to the cost received at (the last line's for a
    product on several lines); each changed product goes out on the change feed."""
    base = (stock_lists.base_currency(conn) or {}).get("code")
    latest = {r["product_id"]: r["unit_cost"] for r in receipt["lines"]}
    changed = []
    for product_id, cost in latest.items():
        old = receiving.supplier_cost(conn, product_id, receipt["supplier_id"])
        if old is not None and (old["cost"], old["currency"]) == (cost, base):
            continue
        receiving.set_supplier_cost(conn, product_id, receipt["supplier_id"], cost, base)
        products.update_product(conn, product_id, {})
        products.publish(conn, product_id)
        changed.append({"product_id": product_id, "before": old["cost"] if old else None, "after": cost})
    return changed


def reverse_receipt(conn: sqlite3.Connection, actor: Actor, receipt_id: str, note: str) -> dict[str, Any]:
    """A new posted document moving the receipt's quantities out again; a receipt is reversed once."""
    original = document(conn, receipt_id)
    if original["kind"] != "receipt" or original["status"] != "posted":
        raise ConflictError(f"{original['number']} is not a posted goods receipt", code="receipt_not_posted")
    if original["reversed_by_id"]:
        raise ConflictError(f"{original['number']} was reversed already by {original['reversed_by_number']}",
                            code="receipt_reversed", extra={"reversal_id": original["reversed_by_id"]})
    now = conn.stamp()  # type: ignore[attr-defined]
    reversal_id = new_id()
    receiving.insert_receipt(conn, {
        "id": reversal_id, "number": receiving.next_number(conn), "kind": "reversal",
        "supplier_id": original["supplier_id"], "order_id": original["order_id"], "reverses_id": receipt_id,
        "status": "posted", "supplier_ref": original["supplier_ref"], "note": note.strip(),
        "update_supplier_cost": False, "created_by": actor.username, "posted_at": now,
        "posted_by": actor.username, "version": 1, "created_at": now, "updated_at": now})
    receiving.replace_lines(conn, reversal_id, original["lines"])
    moved = ledger.post(conn, [ledger.Line("receipt_reversal", r["product_id"], -r["quantity"], line=r["line"],
                                           note=note.strip()[:ledger.MAX_NOTE])
                               for r in original["lines"]],
                        source_type="goods_receipt", source_id=reversal_id, actor=actor)
    order_change = None
    if original["order_id"]:
        for r in original["lines"]:
            if r["order_line"] is not None:
                purchasing.add_received(conn, original["order_id"], r["order_line"], -r["quantity"])
        order_change = orders.follow_receipts(conn, actor, original["order_id"])
    doc = document(conn, reversal_id)
    audit.append(conn, actor, "goods_receipt.reversed", "goods_receipt", reversal_id, after=_summary(doc),
                 detail={"reverses": receipt_id, "reverses_number": original["number"],
                         "movements": [m["movement"]["id"] for m in moved], "order": order_change})
    return doc


def list_receipts(conn: sqlite3.Connection, **filters: Any) -> list[dict[str, Any]]:
    rows = receiving.list_receipts(conn, **filters)
    return rows
