"""Rules for purchase orders: a draft is edited freely; sending records who and when; goods
receipts against a sent order add to each line's `received` and move it to part-received, and to
closed once every line has come in full; a manager closes one by hand with a reason, or cancels it
while nothing has been received. Each change is one transaction with one audit entry."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from hub.catalogue._common import found
from hub.clock import format_ts, utc_now
from hub.db import audit, purchasing, receiving, stock_lists
from hub.db.audit import Actor
from hub.errors import ConflictError, FieldErrors
from hub.ids import new_id
from hub.inventory import ledger
from hub.inventory.purchasing import reorder

MAX_LINES = 500


def _supplier(conn: sqlite3.Connection, supplier_id: str) -> dict[str, Any]:
    row = receiving.supplier(conn, supplier_id)
    if row is None:
        raise FieldErrors([("supplier_id", "there is no such supplier")])
    if not row["active"]:
        raise FieldErrors([("supplier_id", "is archived")])
    return row


def _base(conn: sqlite3.Connection) -> str | None:
    return (stock_lists.base_currency(conn) or {}).get("code")


def _lines(conn: sqlite3.Connection, given: list[dict[str, Any]], supplier_id: str) -> list[dict[str, Any]]:
    if len(given) > MAX_LINES:
        raise FieldErrors([("lines", f"at most {MAX_LINES} lines")])
    base = _base(conn)
    problems: list[tuple[str, str]] = []
    out = []
    for i, g in enumerate(given):
        at = f"lines[{i}]"
        code = (g.get("code") or "").strip() or None
        if g.get("product_id") is None and code is None:
            problems.append((f"{at}.code", "give a SKU, a barcode or a product id"))
            continue
        item = receiving.resolve_product(conn, supplier_id=supplier_id, product_id=g.get("product_id"), code=code)
        field = f"{at}.code" if code else f"{at}.product_id"
        if item is None:
            problems.append((field, "there is no such product"))
            continue
        if not item["stock_tracked"]:
            problems.append((field, f"{item['sku']} does not track stock"))
            continue
        quantity = g["quantity"]
        if quantity % 10 ** (3 - item["unit_decimals"]):
            problems.append((f"{at}.quantity", f"must fit the unit's {item['unit_decimals']} decimals"))
            continue
        if quantity > ledger.MAX_QUANTITY:
            problems.append((f"{at}.quantity", f"is more than {ledger.MAX_QUANTITY // 1000} units"))
            continue
        cost = g.get("unit_cost")
        if cost is None:
            cost = item["supplier_cost"] if item["supplier_cost"] is not None and \
                item["supplier_currency"] in (None, base) else item["cost_price"]
        out.append({"line": i, "product_id": item["id"], "quantity": quantity, "unit_cost": cost, "received": 0})
    if problems:
        raise FieldErrors(problems)
    return out


def document(conn: sqlite3.Connection, order_id: str) -> dict[str, Any]:
    """The order with its lines: ordered, received, outstanding and packs."""
    order = found(purchasing.get_order(conn, order_id), f"purchase order {order_id}")
    rows = purchasing.lines(conn, order_id)
    for r in rows:
        r["outstanding"] = max(r["quantity"] - r["received"], 0)
        r["packs"] = r["quantity"] // r["pack_size"] if r["quantity"] % r["pack_size"] == 0 else None
        r["value"] = ledger.projection.stock_value(r["quantity"], r["unit_cost"] or 0)
        r["short"] = r["received"] < r["quantity"]
        r["over"] = r["received"] > r["quantity"]
    order["lines"] = rows
    order["total_cost"] = sum(r["value"] for r in rows)
    order["receipts"] = [{k: g[k] for k in ("id", "number", "kind", "status", "posted_at")}
                         for g in receiving.list_receipts(conn, order_id=order_id, limit=200)]
    return order


def _summary(doc: dict[str, Any]) -> dict[str, Any]:
    keep = ("number", "status", "supplier_id", "expected_on", "note", "close_reason", "cancel_reason", "total_cost")
    return {**{k: doc[k] for k in keep},
            "lines": [{k: r[k] for k in ("product_id", "sku", "quantity", "unit_cost", "received")}
                      for r in doc["lines"]]}


def _insert(conn: sqlite3.Connection, actor: Actor, supplier_id: str, fields: dict[str, Any],
            lines: list[dict[str, Any]]) -> str:
    now = conn.stamp()  # type: ignore[attr-defined]
    order_id = new_id()
    purchasing.insert_order(conn, {
        "id": order_id, "number": purchasing.next_number(conn), "supplier_id": supplier_id, "status": "draft",
        "expected_on": fields.get("expected_on"), "note": (fields.get("note") or "").strip(),
        "created_by": actor.username, "close_reason": "", "cancel_reason": "", "version": 1,
        "created_at": now, "updated_at": now})
    purchasing.replace_lines(conn, order_id, lines)
    return order_id


def create_order(conn: sqlite3.Connection, actor: Actor, fields: dict[str, Any]) -> dict[str, Any]:
    supplier = _supplier(conn, fields["supplier_id"])
    order_id = _insert(conn, actor, supplier["id"], fields, _lines(conn, fields.get("lines", []), supplier["id"]))
    doc = document(conn, order_id)
    audit.append(conn, actor, "purchase_order.created", "purchase_order", order_id, after=_summary(doc))
    return doc


def _in(conn: sqlite3.Connection, order_id: str, states: tuple[str, ...], doing: str) -> dict[str, Any]:
    order = document(conn, order_id)
    if order["status"] not in states:
        raise ConflictError(f"purchase order {order['number']} is {order['status']}: cannot {doing} it",
                            code="order_state", extra={"status": order["status"]})
    return order


def update_order(conn: sqlite3.Connection, actor: Actor, order_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Change a draft; `lines` replaces them all."""
    before = _in(conn, order_id, ("draft",), "edit")
    supplier = _supplier(conn, changes.get("supplier_id", before["supplier_id"]))
    fields = {k: (v.strip() if isinstance(v, str) and k == "note" else v) for k, v in changes.items()
              if k in ("expected_on", "note")} | {"supplier_id": supplier["id"]}
    if "lines" in changes or supplier["id"] != before["supplier_id"]:
        given = changes.get("lines")
        if given is None:
            given = [{"product_id": r["product_id"], "quantity": r["quantity"], "unit_cost": r["unit_cost"]}
                     for r in before["lines"]]
        purchasing.replace_lines(conn, order_id, _lines(conn, given, supplier["id"]))
    purchasing.update_order(conn, order_id, fields)
    after = document(conn, order_id)
    audit.append(conn, actor, "purchase_order.updated", "purchase_order", order_id, before=_summary(before),
                 after=_summary(after))
    return after


def send_order(conn: sqlite3.Connection, actor: Actor, order_id: str) -> dict[str, Any]:
    order = _in(conn, order_id, ("draft",), "send")
    if not order["lines"]:
        raise FieldErrors([("lines", "an order needs at least one line to send")])
    purchasing.update_order(conn, order_id, {"status": "sent", "sent_at": conn.stamp(),  # type: ignore[attr-defined]
                                             "sent_by": actor.username})
    doc = document(conn, order_id)
    audit.append(conn, actor, "purchase_order.sent", "purchase_order", order_id, after=_summary(doc))
    return doc


def close_order(conn: sqlite3.Connection, actor: Actor, order_id: str, reason: str) -> dict[str, Any]:
    """Close a sent or part-received order by hand: nothing more is expected."""
    if not reason.strip():
        raise FieldErrors([("reason", "say why the order is closed before all of it came")])
    before = _in(conn, order_id, ("sent", "part_received"), "close")
    purchasing.update_order(conn, order_id, {"status": "closed", "closed_at": conn.stamp(),  # type: ignore[attr-defined]
                                             "closed_by": actor.username, "close_reason": reason.strip()})
    doc = document(conn, order_id)
    audit.append(conn, actor, "purchase_order.closed", "purchase_order", order_id,
                 before={"status": before["status"]}, after=_summary(doc))
    return doc


def cancel_order(conn: sqlite3.Connection, actor: Actor, order_id: str, reason: str) -> dict[str, Any]:
    """Cancel a draft or sent order of which nothing was received."""
    before = _in(conn, order_id, ("draft", "sent"), "cancel")
    if any(r["received"] for r in before["lines"]):
        raise ConflictError(f"goods were received against {before['number']}: close it instead",
                            code="order_has_receipts")
    purchasing.update_order(conn, order_id, {"status": "cancelled", "cancelled_at": conn.stamp(),  # type: ignore[attr-defined]
                                             "cancelled_by": actor.username, "cancel_reason": reason.strip()})
    doc = document(conn, order_id)
    audit.append(conn, actor, "purchase_order.cancelled", "purchase_order", order_id,
                 before={"status": before["status"]}, after=_summary(doc))
    return doc


def follow_receipts(conn: sqlite3.Connection, actor: Actor, order_id: str) -> dict[str, Any] | None:
    """Set the order's status from its received quantities (inside a receipt's transaction):
    closed when every line came in full, part-received when something came, sent when nothing
    did. An order closed by hand (with a reason) stays closed. Returns {from, to} when it moved."""
    order = found(purchasing.get_order(conn, order_id), f"purchase order {order_id}")
    if order["status"] in ("draft", "cancelled") or (order["status"] == "closed" and order["close_reason"]):
        return None
    rows = purchasing.lines(conn, order_id)
    if rows and all(r["received"] >= r["quantity"] for r in rows):
        status = "closed"
    elif any(r["received"] > 0 for r in rows):
        status = "part_received"
    else:
        status = "sent"
    if status == order["status"]:
        return None
    fields: dict[str, Any] = {"status": status}
    if status == "closed":
        fields |= {"closed_at": conn.stamp(), "closed_by": actor.username}  # type: ignore[attr-defined]
    elif order["status"] == "closed":
        fields |= {"closed_at": None, "closed_by": None}
    purchasing.update_order(conn, order_id, fields)
    return {"from": order["status"], "to": status}


def suggestions(conn: sqlite3.Connection, *, supplier_id: str | None, days: int, review_days: int,
                now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Products due for ordering (reorder.suggestion) with the supplier, cost and suggested packs."""
    since = format_ts((now or utc_now()) - dt.timedelta(days=days))
    base = _base(conn)
    out = []
    for row in purchasing.reorder_rows(conn, supplier_id=supplier_id, since=since):
        s = reorder.suggestion(on_hand=row["on_hand"], threshold=row["low_stock_threshold"], sold=row["sold"],
                               days=days, lead_time_days=row["lead_time_days"], review_days=review_days,
                               pack_size=row["pack_size"], on_order=row["on_order"])
        if s is None:
            continue
        cost = row["supplier_cost"] if row["supplier_cost"] is not None and \
            row["supplier_currency"] in (None, base) else row["cost_price"]
        out.append({**{k: row[k] for k in ("product_id", "sku", "name", "unit_code", "unit_decimals", "on_hand",
                                           "on_order", "sold", "supplier_id", "supplier_name", "lead_time_days",
                                           "pack_size")},
                    "low_stock_threshold": row["low_stock_threshold"], "unit_cost": cost, **s})
    return out


def create_from_suggestions(conn: sqlite3.Connection, actor: Actor, *, supplier_id: str, days: int,
                            review_days: int, product_ids: list[str] | None) -> dict[str, Any]:
    """One draft order for the supplier with its suggested lines (those of `product_ids` when given)."""
    supplier = _supplier(conn, supplier_id)
    rows = suggestions(conn, supplier_id=supplier["id"], days=days, review_days=review_days)
    if product_ids is not None:
        rows = [r for r in rows if r["product_id"] in set(product_ids)]
    if not rows:
        raise ConflictError(f"nothing of {supplier['name']} is due for ordering", code="nothing_to_order")
    lines = [{"line": i, "product_id": r["product_id"], "quantity": r["quantity"], "unit_cost": r["unit_cost"],
              "received": 0} for i, r in enumerate(rows)]
    order_id = _insert(conn, actor, supplier["id"], {"note": "From reorder suggestions"}, lines)
    doc = document(conn, order_id)
    audit.append(conn, actor, "purchase_order.created", "purchase_order", order_id, after=_summary(doc),
                 detail={"from_suggestions": {"days": days, "review_days": review_days}})
    return doc
