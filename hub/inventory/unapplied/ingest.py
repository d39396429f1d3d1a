"""Inventory documents from devices (docs/inventory.md, "Unapplied documents"): one function that
the device route calls now and till sync will call inside its batch transaction.

A document is applied through the services that own it (hub.inventory.stocktake.service for a
count, hub.inventory.adjustments.service for an adjustment), never by writing their rows here. When
it cannot be applied for a business reason (a code that matches no product, its maker lacking the
permission, a stock take unknown or closed, an archived product, a line the service refuses) the
whole document is kept in the queue with a reason code and a readable detail, in the caller's
transaction: the device is told "accepted, queued", and nothing it sent is dropped. A malformed
document (a wrong shape, an unbounded number, too many lines) is refused (422) and nothing is kept.

Idempotent by the device's `document_id`: the same body again returns the first outcome and
changes nothing; another body under the same id is refused (409 document_id_reused).
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import msgspec

from hub.db import adjustments as adjustment_rows
from hub.db import audit, products, stock_takes, users
from hub.db import device_documents as store
from hub.db.audit import Actor
from hub.devices.clock import corrected_time
from hub.errors import ConflictError, FieldErrors, HubError, NotFoundError
from hub.http import current_request_id
from hub.ids import new_id
from hub.inventory.adjustments import service as adjustments
from hub.inventory.projection import MILLI, divide_rounded
from hub.inventory.stocktake import service as stocktake
from hub.inventory.unapplied.schemas import MAX_NOTE, DeviceDocument

COUNT, ADJUST = "inventory.count", "inventory.adjust"
NEEDED = {"count": COUNT, "adjustment": ADJUST}  # what the document's maker must hold
SAVEPOINT = "device_document"
CLOSED = ("posted", "cancelled")
# Reason codes, in the order one is chosen when a document fails for several.
REASONS = {
    "user_inactive": "Its maker is deactivated or unknown",
    "permission_missing": "Its maker lacks the permission",
    "session_unknown": "The stock take is unknown",
    "session_closed": "The stock take is posted or cancelled",
    "unknown_code": "A barcode or SKU matches no product",
    "unknown_product": "A product is unknown",
    "product_archived": "A product is archived",
    "reason_unknown": "The adjustment reason is unknown",
    "line_refused": "A line was refused",
    "refused": "Refused",
}
_LINE_FIELD = re.compile(r"lines\[(\d+)\]")
_PATH = re.compile(r"at `\$\.?([^`]*)`")


class DocumentReusedError(ConflictError):
    code = "document_id_reused"


@dataclass
class Failure:
    """Why a document could not be applied: a reason code, a readable detail, the failing lines."""

    reason: str
    detail: str
    failing: list[dict[str, Any]] = field(default_factory=list)


# ---- shape ------------------------------------------------------------------------------------

def parse(document: DeviceDocument | dict[str, Any]) -> DeviceDocument:
    """The document as a struct; FieldErrors (422) for anything malformed."""
    if isinstance(document, DeviceDocument):
        doc = document
    else:
        try:
            doc = msgspec.convert(document, DeviceDocument)
        except msgspec.ValidationError as err:
            path = _PATH.search(str(err))
            raise FieldErrors([(path[1] if path and path[1] else "document", str(err).split(" - at ")[0])]) from err
    problems = shape_problems(doc)
    if problems:
        raise FieldErrors(problems)
    return doc


def shape_problems(doc: DeviceDocument) -> list[tuple[str, str]]:
    """What makes a document malformed whatever the store holds (refused, never queued)."""
    problems: list[tuple[str, str]] = []
    count = doc.kind == "count"
    if count and doc.stock_take_id is None:
        problems.append(("stock_take_id", "is required for a count: the session the lines were counted for"))
    if not count and doc.stock_take_id is not None:
        problems.append(("stock_take_id", "is only for a count"))
    if count and (doc.reason_code is not None or doc.note):
        problems.append(("reason_code" if doc.reason_code is not None else "note", "is only for an adjustment"))
    if not 2000 <= doc.device_clock.year <= 9998:
        problems.append(("device_clock", "must be between the years 2000 and 9998"))
    for i, line in enumerate(doc.lines):
        where = f"lines[{i}]"
        if (line.code is None) == (line.product_id is None):
            problems.append((f"{where}.code", "give the product's barcode or SKU, or its id: one of them"))
        elif line.code is not None and not line.code.strip():
            problems.append((f"{where}.code", "must not be blank"))
        if count:
            if line.quantity < 0:
                problems.append((f"{where}.quantity", "a count is never below zero"))
            if line.reason_code is not None or line.note:
                problems.append((f"{where}.reason_code" if line.reason_code else f"{where}.note",
                                 "is only for an adjustment line"))
            if line.counted_at is not None and not 2000 <= line.counted_at.year <= 9998:
                problems.append((f"{where}.counted_at", "must be between the years 2000 and 9998"))
        else:
            if line.quantity == 0:
                problems.append((f"{where}.quantity", "must not be zero: below zero takes stock away"))
            if line.recount or line.counted_at is not None:
                problems.append((f"{where}.recount" if line.recount else f"{where}.counted_at",
                                 "is only for a count line"))
    return problems


def canonical(doc: DeviceDocument) -> tuple[dict[str, Any], str]:
    """The body as stored (JSON builtins) and its hash: what a replay is compared by."""
    body = msgspec.to_builtins(doc)
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return body, hashlib.sha256(text.encode()).hexdigest()


def outcome(row: dict[str, Any], *, replayed: bool) -> dict[str, Any]:
    return {k: row[k] for k in ("id", "document_id", "status", "reason", "detail", "failing", "applied_type",
                                "applied_id")} | {"replayed": replayed}


# ---- applying ---------------------------------------------------------------------------------

def maker(conn: sqlite3.Connection, doc: dict[str, Any],
          request_id: str | None) -> tuple[Actor, frozenset[str] | None]:
    """The document's maker as the actor, and their permissions now (None: deactivated or unknown)."""
    user = users.get_user(conn, doc["user_id"]) if doc["user_id"] else None
    actor = Actor(user_id=doc["user_id"], username=user["username"] if user else doc.get("username"),
                  device_id=doc["device_id"], request_id=request_id)
    if user is None or not user["active"]:
        return actor, None
    return actor, users.permissions_of(conn, user["id"])


def _line_word(i: int | None) -> str:
    return "The document" if i is None else f"Line {i + 1}"


def _failure(reason: str, failing: list[dict[str, Any]], lead: str | None = None) -> Failure:
    said = "; ".join(f"{_line_word(f['line'])}: {f['message']}" for f in failing[:5])
    more = f" (and {len(failing) - 5} more)" if len(failing) > 5 else ""
    return Failure(reason, (lead or REASONS[reason]) + (f". {said}{more}" if said else ""), failing)


def _resolve(conn: sqlite3.Connection, doc: dict[str, Any]) -> tuple[list[dict[str, Any]], Failure | None]:
    """Each line's product (and pack size) by the catalogue's lookup or a manager's mapping; the
    lines that match no product, an unknown one or an archived one make a Failure."""
    mappings: dict[str, str] = doc["mappings"]
    found: list[dict[str, Any]] = []
    bad: dict[str, list[dict[str, Any]]] = {}
    for i, line in enumerate(doc["body"]["lines"]):
        code, product_id, pack = line.get("code"), line.get("product_id"), None
        where = f"lines[{i}]"
        mapped = code is not None and code.strip() in mappings
        if mapped:
            product_id = mappings[code.strip()]
        elif code is not None:
            try:
                hit = products.lookup(conn, code)
            except products.MisreadBarcodeError:
                bad.setdefault("unknown_code", []).append(
                    {"line": i, "field": f"{where}.code", "message": f"{code} is misread: its check digit is wrong"})
                found.append({})
                continue
            if hit is None:
                bad.setdefault("unknown_code", []).append(
                    {"line": i, "field": f"{where}.code", "message": f"no product has the barcode or SKU {code}"})
                found.append({})
                continue
            product_id = hit["product"]["id"]
            pack = hit["quantity"] if hit.get("kind") == "pack" else None
        item = adjustment_rows.product(conn, product_id) if product_id else None
        field_name = f"{where}.code" if code is not None else f"{where}.product_id"
        if item is None:
            bad.setdefault("unknown_product", []).append(
                {"line": i, "field": field_name, "message": f"there is no product {product_id}"})
        elif not item["active"]:
            bad.setdefault("product_archived", []).append(
                {"line": i, "field": field_name, "message": f"{item['sku']} ({item['name']}) is archived"})
        found.append({"product_id": product_id, "pack": pack, "mapped": mapped})
    for reason in REASONS:
        if reason in bad:
            failing = sorted((f for fs in bad.values() for f in fs), key=lambda f: f["line"])
            return found, _failure(reason, failing)
    return found, None


def _count_lines(doc: dict[str, Any], found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    body, lines = doc["body"], []
    for line, hit in zip(body["lines"], found):
        entry = {"quantity": line["quantity"], "recount": line["recount"], "device_id": doc["device_id"],
                 "device_clock": line.get("counted_at") or body["device_clock"]}
        if line.get("code") is not None and not hit["mapped"]:
            entry["code"] = line["code"]  # the stock-take service reads the code itself (a pack counts packs)
        else:
            entry["product_id"] = hit["product_id"]
        lines.append(entry)
    return lines


def _adjustment(doc: dict[str, Any], found: list[dict[str, Any]], note: str) -> dict[str, Any]:
    body, lines = doc["body"], []
    for line, hit in zip(body["lines"], found):
        quantity = line["quantity"]
        if hit["pack"]:  # a pack's barcode counts packs: its size in units each, as a count does
            quantity = divide_rounded(quantity * hit["pack"], MILLI)
        lines.append({"product_id": hit["product_id"], "quantity": quantity, "unit_cost": None,
                      "reason_code": line.get("reason_code"), "note": line.get("note") or ""})
    return {"lines": lines, "reason_code": body.get("reason_code"), "note": note}


def provenance(doc: dict[str, Any], actor: Actor) -> str:
    """The adjustment's note: the device's note and where it came from (and on whose authority)."""
    source = f"from {doc.get('device_name') or doc['device_id']}, made by {doc.get('username') or 'unknown'}"
    if actor.user_id != doc["user_id"]:
        source += f", applied under {actor.username}'s authority"
    text = (doc["body"].get("note") or "").strip()
    room = MAX_NOTE - len(source) - 3
    return f"{text[:room]} · {source}" if text else source


def _classified(err: HubError, doc: dict[str, Any]) -> Failure:
    """A service's refusal as a reason code and the failing lines it names."""
    if isinstance(err, FieldErrors):
        failing = []
        for e in err.errors:
            match = _LINE_FIELD.match(e["field"])
            failing.append({"line": int(match[1]) if match else None, "field": e["field"], "message": e["message"]})
        reason = "reason_unknown" if any(f["field"].endswith("reason_code") for f in failing) else "line_refused"
        return _failure(reason, failing)
    if isinstance(err, stocktake.StateError):
        return _failure("session_closed", [], f"The stock take is closed: {err.detail}")
    if isinstance(err, NotFoundError) and doc["kind"] == "count":
        return _failure("session_unknown", [], f"The stock take is unknown: {err.detail}")
    return _failure("refused", [], f"Refused: {err.detail}")


def attempt(conn: sqlite3.Connection, doc: dict[str, Any], actor: Actor,
            permissions: frozenset[str] | None) -> tuple[Failure | None, tuple[str, str] | None]:
    """Apply the document as `actor` holding `permissions`, inside a savepoint of the caller's
    transaction: (None, (type, id) of what it made or joined), or (Failure, None) with every
    write of the attempt undone."""
    kind, body = doc["kind"], doc["body"]
    if permissions is None:
        return _failure("user_inactive", [], f"{actor.username or doc['user_id'] or 'Its maker'} is deactivated "
                                             "or unknown: a manager applies it under their own authority"), None
    needed = NEEDED[kind]
    if needed not in permissions:
        return _failure("permission_missing", [], f"{actor.username or 'Its maker'} lacks the permission "
                                                  f"{needed}: a manager applies it under their own authority, or "
                                                  "gives the role that permission and applies it again"), None
    if kind == "count":
        take = stock_takes.get_take(conn, body["stock_take_id"])
        if take is None:
            return _failure("session_unknown", [], f"There is no stock take {body['stock_take_id']} on this hub"), None
        if take["status"] in CLOSED:
            return _failure("session_closed", [], f"The stock take {take['name']} is {take['status']}: its counts "
                                                  "cannot be added any more"), None
    found, failure = _resolve(conn, doc)
    if failure is not None:
        return failure, None
    conn.execute(f"SAVEPOINT {SAVEPOINT}")
    try:
        if kind == "count":
            # the receive time stands as the count moment when the device's skew is unknown, also
            # when a manager applies the document later from the queue
            stocktake.add_lines(conn, actor, body["stock_take_id"], _count_lines(doc, found),
                                received_at=doc["received_at"])
            applied = ("stock_take", body["stock_take_id"])
        else:
            row = adjustments.create_adjustment(conn, actor, _adjustment(doc, found, provenance(doc, actor)),
                                                post=True)
            applied = ("adjustment", row["id"])
    except HubError as err:
        conn.execute(f"ROLLBACK TO {SAVEPOINT}")
        conn.execute(f"RELEASE {SAVEPOINT}")
        return _classified(err, doc), None
    conn.execute(f"RELEASE {SAVEPOINT}")
    return None, applied


# ---- ingest -------------------------------------------------------------------------------------

def ingest_document(conn: sqlite3.Connection, *, device_id: str, user_id: str | None,
                    document: DeviceDocument | dict[str, Any], received_at: str | None = None,
                    request_id: str | None = None) -> dict[str, Any]:
    """Apply a device's document now, or keep it queued with its reason; the Outcome as a dict.
    Runs in the caller's transaction (a `db.write`, or till sync's batch); `request_id` is the
    request the audit entries name (read on the caller's side: the writer thread has none)."""
    doc = parse(document)
    body, digest = canonical(doc)
    known = store.by_document_id(conn, doc.document_id)
    if known is not None:
        if (known["body_hash"], known["device_id"], known["user_id"]) == (digest, device_id, user_id):
            return outcome(known, replayed=True)
        raise DocumentReusedError(f"document {doc.document_id} was received before with another body; a device "
                                  "makes a new document_id for each document", extra={"id": known["id"]})
    received = received_at or conn.stamp()  # type: ignore[attr-defined]
    row: dict[str, Any] = {
        "id": new_id(), "document_id": doc.document_id, "kind": doc.kind, "device_id": device_id,
        "user_id": user_id, "username": None, "device_clock": body["device_clock"],
        "happened_at": corrected_time(conn, device_id, doc.device_clock, received_at=received),
        "received_at": received, "body": body, "body_hash": digest, "line_count": len(doc.lines),
        "status": "queued", "queued": False, "reason": None, "detail": "", "failing": [], "attempts": 1,
        "mappings": {}, "discard_reason": "", "updated_at": received}
    actor, permissions = maker(conn, row, request_id or current_request_id())
    row["username"] = actor.username
    row["device_name"] = (store.device_name(conn, device_id) or device_id)
    failure, applied = attempt(conn, row, actor, permissions)
    if failure is None:
        assert applied is not None
        row.update(status="applied", applied_type=applied[0], applied_id=applied[1], applied_at=received,
                   applied_by_id=user_id, applied_by=actor.username, authority="device_user")
        store.insert(conn, row)  # the one audit entry is the applying service's own
    else:
        row.update(status="queued", queued=True, reason=failure.reason, detail=failure.detail,
                   failing=failure.failing)
        store.insert(conn, row)
        audit.append(conn, actor, "unapplied_document.queued", "unapplied_document", row["id"],
                     detail={"document_id": doc.document_id, "kind": doc.kind, "reason": failure.reason,
                             "detail": failure.detail, "lines": len(doc.lines), "failing": failure.failing[:50]})
    return outcome(found_row(conn, row["id"]), replayed=False)


def found_row(conn: sqlite3.Connection, doc_id: str) -> dict[str, Any]:
    row = store.get(conn, doc_id)
    if row is None:
        raise NotFoundError(f"there is no device document {doc_id}")
    return row
