"""Rules of stock takes: a count session's scope and states, its counted lines, the variance
review and posting the counts to the ledger (docs/inventory.md, "Stock takes").

States: open -> counting (the first line) -> review -> posted, or cancelled before posting. Adding
a line to a session in review sends it back to counting (a recount) and clears its approval.

A product counted more than once in a session adds up (two shelves), unless a line is flagged
`recount`: that line replaces what was counted of the product before it. Each line stands at its
count moment: the device's clock corrected by its recorded skew, or the hub's receive time
(hub.devices.clock). A product's count stands at its latest line's moment.

Posting writes one `count` movement per counted product (its total, at its moment) in one
transaction through hub.inventory.ledger. Products in scope that were not counted are left alone,
unless the session says "uncounted means zero" (store or category scope only): then each with
stock not at zero is counted as zero at the moment of posting.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from hub.catalogue._common import found, now
from hub.db import audit, product_refs, products, stock_takes
from hub.db.changes import record_change
from hub.db import devices as device_rows
from hub.db.audit import Actor
from hub.devices.clock import corrected_time
from hub.errors import ConflictError, FieldErrors
from hub.ids import new_id
from hub.inventory import ledger, projection
from hub.inventory.adjustments import service as adjustments

MAX_LINES = ledger.MAX_LINES  # counted lines in one session
MAX_BATCH = 200  # lines in one request
COUNTING = ("open", "counting", "review")
SOURCE = "stock_take"
ENTITY = "stock_take"  # on the change feed: the sessions a till lists to count into
# What a till needs of a session on the change feed. Never a quantity: a blind session's
# expected quantities must not reach a counter's device, and a till has no use for the others.
FEED_FIELDS = ("id", "name", "scope", "category_id", "category_name", "location", "blind", "uncounted_zero",
               "status", "version", "created_at", "updated_at")


class StateError(ConflictError):
    code = "stock_take_state"


class ApprovalRequiredError(ConflictError):
    code = "approval_required"


def approval_threshold(conn: sqlite3.Connection) -> int:
    """The store's approval threshold (base-currency minor units at cost), the one adjustments use
    (PUT /api/v1/settings/adjustments): a count whose absolute variance value is above it needs
    inventory.approve before it posts."""
    return adjustments.threshold(conn)


def _take(conn: sqlite3.Connection, take_id: str) -> dict[str, Any]:
    return found(stock_takes.get_take(conn, take_id), f"stock take {take_id}")


def _announced(conn: sqlite3.Connection, take_id: str, before: str | None) -> dict[str, Any]:
    """The session as it stands; a change row when it is new or its status changed (tills list
    the open ones), not for every counted line."""
    take = _take(conn, take_id)
    if take["status"] != before:
        record_change(conn, ENTITY, take_id, take["version"], "upsert", {k: take[k] for k in FEED_FIELDS})
    return take


def _require(take: dict[str, Any], states: tuple[str, ...], doing: str) -> None:
    if take["status"] not in states:
        raise StateError(f"a {take['status']} stock take cannot {doing}",
                         extra={"status": take["status"]})


def _categories(conn: sqlite3.Connection, take: dict[str, Any]) -> list[str] | None:
    """The categories a session counts (None: every product)."""
    if take["scope"] != "category":
        return None
    return product_refs.category_and_descendants(conn, take["category_id"])


def create(conn: sqlite3.Connection, actor: Actor, fields: dict[str, Any]) -> dict[str, Any]:
    """A new open session; one audit entry."""
    scope, name = fields["scope"], fields["name"].strip()
    category_id = fields.get("category_id") or None
    location = (fields.get("location") or "").strip()
    problems = []
    if not name:
        problems.append(("name", "must not be blank"))
    if scope == "category":
        if category_id is None:
            problems.append(("category_id", "is required to count a category"))
        elif category_id not in product_refs.load_refs(conn)["categories"]:
            problems.append(("category_id", "is not a category of this store"))
    elif category_id is not None:
        problems.append(("category_id", "is only for a category count"))
    if scope == "location" and not location:
        problems.append(("location", "is required to count a location"))
    elif scope != "location" and location:
        problems.append(("location", "is only for a location count"))
    if scope == "location" and fields.get("uncounted_zero"):
        problems.append(("uncounted_zero", "a location count cannot know what was not there: leave it off"))
    if problems:
        raise FieldErrors(problems)
    stamp = conn.stamp()  # type: ignore[attr-defined]
    row = {"id": new_id(), "name": name, "scope": scope, "category_id": category_id, "location": location,
           "blind": int(bool(fields.get("blind"))), "uncounted_zero": int(bool(fields.get("uncounted_zero"))),
           "status": "open", "note": (fields.get("note") or "").strip(), "created_by": actor.user_id,
           "created_by_name": actor.username, "version": 1, "created_at": stamp, "updated_at": stamp}
    stock_takes.insert_take(conn, row)
    take = _announced(conn, row["id"], None)
    audit.append(conn, actor, "stock_take.created", "stock_take", take["id"], after=take)
    return take


def _resolve(conn: sqlite3.Connection, i: int, line: dict[str, Any], categories: list[str] | None,
             problems: list[tuple[str, str]]) -> tuple[dict[str, Any], int] | None:
    """(the product, the counted thousandths) of one typed or scanned line, or None (a problem)."""
    code, product_id, quantity = (line.get("code") or "").strip(), line.get("product_id"), line["quantity"]
    if bool(code) == bool(product_id):
        problems.append((f"lines[{i}].code", "give the product's barcode or SKU (or its id), one of them"))
        return None
    if code:
        try:
            hit = products.lookup(conn, code)
        except products.MisreadBarcodeError:
            problems.append((f"lines[{i}].code", f"{code} is misread: its check digit is wrong; scan it again"))
            return None
        if hit is None:
            problems.append((f"lines[{i}].code", f"no product has the barcode or SKU {code}"))
            return None
        product_id = hit["product"]["id"]
        if hit.get("kind") == "pack":  # a pack's barcode counts packs: its size in units each
            quantity = projection.divide_rounded(quantity * hit["quantity"], projection.MILLI)
    doc = item = stock_takes.product(conn, product_id)
    if item is None:
        problems.append((f"lines[{i}].product_id", f"there is no product {product_id}"))
        return None
    field = f"lines[{i}].code" if code else f"lines[{i}].product_id"
    if not item["stock_tracked"]:
        problems.append((field, f"{item['sku']} ({item['name']}) does not track stock"))
        return None
    if categories is not None and doc["category_id"] not in categories:
        problems.append((field, f"{item['sku']} ({item['name']}) is not in the category this session counts"))
        return None
    step = 10 ** (3 - doc["unit_decimals"]) if 0 <= doc["unit_decimals"] <= 3 else 1
    if quantity % step:
        places = doc["unit_decimals"]
        problems.append((f"lines[{i}].quantity", f"{item['sku']} is counted in whole {doc['unit_code']}" if not places
                         else f"{item['sku']} is counted to {places} decimal places of {doc['unit_code']}"))
        return None
    if quantity > ledger.MAX_QUANTITY:
        problems.append((f"lines[{i}].quantity", f"must be at most {ledger.MAX_QUANTITY} thousandths"))
        return None
    return doc, quantity


def _device(conn: sqlite3.Connection, i: int, line: dict[str, Any], actor: Actor,
            problems: list[tuple[str, str]]) -> tuple[str | None, str | None]:
    """(device id, its clock reading as given) of a line: a till's own, or the one named."""
    device_id = line.get("device_id") or actor.device_id
    clock = line.get("device_clock")
    if clock is not None and device_id is None:
        problems.append((f"lines[{i}].device_id", "is required with a device clock reading"))
    if device_id is not None and not device_rows.clock_skew(conn, device_id)[0]:
        problems.append((f"lines[{i}].device_id", "is not a device paired with this hub"))
    if isinstance(clock, str):
        try:
            clock = dt.datetime.fromisoformat(clock)
        except ValueError:
            problems.append((f"lines[{i}].device_clock", "is not an ISO 8601 time like 2026-05-01T08:30:00Z"))
            return device_id, None
    if isinstance(clock, dt.datetime):
        if clock.tzinfo is None:
            problems.append((f"lines[{i}].device_clock", "needs a time zone (Z or +02:00)"))
        elif not 2000 <= clock.year <= 9998:
            problems.append((f"lines[{i}].device_clock", "must be between the years 2000 and 9998"))
        else:
            return device_id, clock.isoformat()
        return device_id, None
    return device_id, clock


def add_lines(conn: sqlite3.Connection, actor: Actor, take_id: str, lines: list[dict[str, Any]],
              *, received_at: str | None = None) -> dict[str, Any]:
    """Record counted lines (all or none); the session moves to counting. One audit entry.
    `received_at`: when the hub received them, if earlier than now (a device document applied
    later from the unapplied queue keeps its receive time as the moment when the skew is unknown)."""
    take = _take(conn, take_id)
    _require(take, COUNTING, "take more counts")
    if not lines:
        raise FieldErrors([("lines", "count at least one line")])
    if len(lines) > MAX_BATCH:
        raise FieldErrors([("lines", f"at most {MAX_BATCH} lines in one request")])
    if take["line_count"] + len(lines) > MAX_LINES:
        raise FieldErrors([("lines", f"a session holds at most {MAX_LINES} lines")])
    categories = _categories(conn, take)
    problems: list[tuple[str, str]] = []
    received = received_at or conn.stamp()  # type: ignore[attr-defined]
    rows = []
    for i, line in enumerate(lines):
        resolved = _resolve(conn, i, line, categories, problems)
        device_id, clock = _device(conn, i, line, actor, problems)
        if resolved is None or any(p[0].startswith(f"lines[{i}].") for p in problems):
            continue
        doc, quantity = resolved
        rows.append({"id": new_id(), "stock_take_id": take_id, "product_id": doc["id"], "quantity": quantity,
                     "recount": int(bool(line.get("recount"))), "code": (line.get("code") or "").strip(),
                     "device_id": device_id, "device_clock": clock,
                     "counted_at": corrected_time(conn, device_id, clock, received_at=received),
                     "received_at": received, "user_id": actor.user_id, "username": actor.username})
    if problems:
        raise FieldErrors(problems)
    for row in rows:
        stock_takes.insert_line(conn, row)
    changes: dict[str, Any] = {"status": "counting"}
    if take["status"] == "review":  # counting again: an approval was of other numbers
        changes.update(approved_by=None, approved_at=None, approved_value=None)
    stock_takes.update_take(conn, take_id, changes, received)
    audit.append(conn, actor, "stock_take.counted", "stock_take", take_id,
                 detail={"lines": [{k: r[k] for k in ("id", "product_id", "quantity", "recount", "device_id",
                                                      "device_clock", "counted_at")} for r in rows[:100]],
                         "count": len(rows)})
    return _announced(conn, take_id, take["status"])


def remove_line(conn: sqlite3.Connection, actor: Actor, take_id: str, line_id: str) -> dict[str, Any]:
    """Take back a line counted by mistake, before posting. One audit entry."""
    take = _take(conn, take_id)
    _require(take, COUNTING, "have lines removed")
    removed = found(stock_takes.delete_line(conn, take_id, line_id), f"line {line_id} in this stock take")
    stamp = conn.stamp()  # type: ignore[attr-defined]
    changes: dict[str, Any] = {"status": "counting"}
    if take["status"] == "review":
        changes.update(approved_by=None, approved_at=None, approved_value=None)
    stock_takes.update_take(conn, take_id, changes, stamp)
    audit.append(conn, actor, "stock_take.line_removed", "stock_take", take_id, before=removed)
    return _announced(conn, take_id, take["status"])


def counted(lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """product_id -> {quantity, counted_at, lines} from a session's lines in arrival order: lines
    add up; a recount line starts the product's count again."""
    out: dict[str, dict[str, Any]] = {}
    for line in lines:
        was = out.get(line["product_id"])
        if was is None or line["recount"]:
            was = out[line["product_id"]] = {"quantity": 0, "counted_at": line["counted_at"], "lines": 0}
        was["quantity"] += line["quantity"]
        was["counted_at"] = max(was["counted_at"], line["counted_at"])
        was["lines"] += 1
    return out


def _expected(conn: sqlite3.Connection, product_id: str, moment: str, take_id: str) -> int:
    """On hand at `moment` by the ledger's set rule, leaving this session's own counts out."""
    facts = [projection.Fact(id=r["id"], direction=r["direction"], quantity=r["quantity"],
                             unit_cost=r["unit_cost"], occurred_at=r["occurred_at"])
             for r in stock_takes.facts_until(conn, product_id, moment, take_id)]
    return projection.on_hand_of(facts)


def review(conn: sqlite3.Connection, take_id: str, *, at: str | None = None) -> dict[str, Any]:
    """The session, its lines and per product: counted, expected at its count moment, the
    variance and its value at average cost; totals and whether posting needs approval."""
    take = _take(conn, take_id)
    lines = stock_takes.lines(conn, take_id)
    totals = counted(lines)
    names = {l["product_id"]: l for l in lines}
    levels = stock_takes.levels(conn, list(totals))
    moment = at or now(conn)
    items = []
    for product_id, c in totals.items():
        line, level = names[product_id], levels.get(product_id) or {"on_hand": 0, "avg_cost": None}
        expected = _expected(conn, product_id, c["counted_at"], take_id)
        items.append({"product_id": product_id, "sku": line["sku"], "name": line["name"],
                      "unit_code": line["unit_code"], "unit_decimals": line["unit_decimals"],
                      "counted": c["quantity"], "counted_at": c["counted_at"], "lines": c["lines"],
                      "expected": expected, "variance": c["quantity"] - expected, "avg_cost": level["avg_cost"],
                      "uncounted": False})
    if take["uncounted_zero"]:
        for row in stock_takes.in_scope(conn, _categories(conn, take)):
            if row["product_id"] in totals:
                continue
            items.append({**{k: row[k] for k in ("product_id", "sku", "name", "unit_code", "unit_decimals",
                                                 "avg_cost")},
                          "counted": 0, "counted_at": moment, "lines": 0, "expected": row["on_hand"],
                          "variance": -row["on_hand"], "uncounted": True})
    for item in items:
        item["variance_value"] = projection.stock_value(item["variance"], item["avg_cost"])
    items.sort(key=lambda i: (i["name"].casefold(), i["product_id"]))
    values = [i["variance_value"] or 0 for i in items]
    absolute = sum(abs(v) for v in values)
    approved, limit = take["approved_value"], approval_threshold(conn)
    return {"take": take, "lines": lines, "products": items,
            "totals": {"products": len(items), "variance_value": sum(values), "absolute_value": absolute,
                       "gains_value": sum(v for v in values if v > 0),
                       "losses_value": sum(v for v in values if v < 0),
                       "threshold": limit, "needs_approval": absolute > limit,
                       "approved": approved is not None and absolute <= max(approved, limit)}}


def to_review(conn: sqlite3.Connection, actor: Actor, take_id: str) -> dict[str, Any]:
    take = _take(conn, take_id)
    _require(take, ("open", "counting"), "go to review")
    if not take["line_count"]:
        raise StateError("count at least one product before reviewing", code="stock_take_empty")
    stock_takes.update_take(conn, take_id, {"status": "review"}, conn.stamp())  # type: ignore[attr-defined]
    audit.append(conn, actor, "stock_take.reviewing", "stock_take", take_id,
                 detail={"lines": take["line_count"]})
    return _announced(conn, take_id, take["status"])


def approve(conn: sqlite3.Connection, actor: Actor, take_id: str) -> dict[str, Any]:
    """Approve the variances as they stand now (inventory.approve)."""
    take = _take(conn, take_id)
    _require(take, ("review",), "be approved")
    totals = review(conn, take_id)["totals"]
    stamp = conn.stamp()  # type: ignore[attr-defined]
    stock_takes.update_take(conn, take_id, {"approved_by": actor.username, "approved_at": stamp,
                                            "approved_value": totals["absolute_value"]}, stamp)
    audit.append(conn, actor, "stock_take.approved", "stock_take", take_id,
                 detail={"absolute_value": totals["absolute_value"], "variance_value": totals["variance_value"]})
    return _take(conn, take_id)


def post(conn: sqlite3.Connection, actor: Actor, take_id: str) -> dict[str, Any]:
    """One `count` movement per counted product, at its count moment, in this transaction; the
    session is posted. Refused (409 approval_required) when the variance value needs approval."""
    take = _take(conn, take_id)
    _require(take, ("review",), "be posted")
    stamp = conn.stamp()  # type: ignore[attr-defined]
    reviewed = review(conn, take_id, at=stamp)
    totals = reviewed["totals"]
    if totals["needs_approval"] and not totals["approved"]:
        raise ApprovalRequiredError(
            f"the variances come to {totals['absolute_value']} (absolute, minor units), above "
            f"{totals['threshold']}: a manager with inventory.approve approves them first",
            extra={"absolute_value": totals["absolute_value"], "threshold": totals["threshold"]})
    moves = [ledger.Line("count", i["product_id"], i["counted"], occurred_at=i["counted_at"],
                         note="not counted: counted as zero" if i["uncounted"] else take["name"][:ledger.MAX_NOTE])
             for i in reviewed["products"]]
    ledger.post(conn, moves, source_type=SOURCE, source_id=take_id, actor=actor)
    stock_takes.update_take(conn, take_id, {"status": "posted", "posted_by": actor.username,
                                            "posted_at": stamp}, stamp)
    audit.append(conn, actor, "stock_take.posted", "stock_take", take_id,
                 detail={"products": len(moves), "variance_value": totals["variance_value"],
                         "absolute_value": totals["absolute_value"],
                         "counts": [{k: i[k] for k in ("product_id", "counted", "counted_at", "expected")}
                                    for i in reviewed["products"][:100]]})
    return _announced(conn, take_id, take["status"])


def cancel(conn: sqlite3.Connection, actor: Actor, take_id: str) -> dict[str, Any]:
    take = _take(conn, take_id)
    _require(take, COUNTING, "be cancelled")
    stamp = conn.stamp()  # type: ignore[attr-defined]
    stock_takes.update_take(conn, take_id, {"status": "cancelled", "cancelled_by": actor.username,
                                            "cancelled_at": stamp}, stamp)
    audit.append(conn, actor, "stock_take.cancelled", "stock_take", take_id)
    return _announced(conn, take_id, take["status"])
