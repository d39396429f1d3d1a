"""The queue of device documents that could not be applied, and its resolve actions; each action
runs inside one `db.write` (docs/inventory.md, "Unapplied documents").

- map: a code of the document's lines that matched no product is mapped to a product (and, if
  asked, added as that product's barcode through the catalogue's product service), then the
  document is applied again;
- apply: applied again now (the catalogue or the maker's permissions changed), under its maker's
  permissions, or under the resolving manager's own ("apply under my authority", recorded so);
- discard: marked discarded with a reason; it stays, nothing it sent is dropped.

A re-apply that still fails keeps the document queued with the new reason. When it applies, the
one audit entry is the applying service's own (stock_take.counted, adjustment.posted ...), written
as the maker or the manager; otherwise the action writes one `unapplied_document.*` entry.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.catalogue.products import service as product_service
from hub.db import adjustments as adjustment_rows
from hub.db import audit, products
from hub.db import device_documents as store
from hub.db.audit import Actor
from hub.errors import ConflictError, FieldErrors, PermissionDeniedError
from hub.inventory.unapplied import ingest
from hub.inventory.unapplied.schemas import MAX_NOTE

CATALOGUE = "catalogue.manage"  # adding a barcode to a product is a catalogue change


class NotQueuedError(ConflictError):
    code = "not_queued"


def get_document(conn: sqlite3.Connection, doc_id: str) -> dict[str, Any]:
    """One received document with its lines, each with the problem it had at the last attempt."""
    doc = ingest.found_row(conn, doc_id)
    return shown(doc)


def shown(doc: dict[str, Any]) -> dict[str, Any]:
    body = doc["body"]
    problems: dict[int, list[str]] = {}
    for f in doc["failing"]:
        if f["line"] is not None:
            problems.setdefault(f["line"], []).append(f["message"])
    lines = []
    for i, line in enumerate(body["lines"]):
        code = line.get("code")
        lines.append({"line": i, "quantity": line["quantity"], "code": code, "product_id": line.get("product_id"),
                      "counted_at": line.get("counted_at"), "recount": line.get("recount", False),
                      "reason_code": line.get("reason_code"), "note": line.get("note") or "",
                      "mapped_to": doc["mappings"].get(code.strip()) if code else None,
                      "problem": "; ".join(problems[i]) if i in problems and doc["status"] == "queued" else None})
    return {**doc, "stock_take_id": body.get("stock_take_id"), "reason_code": body.get("reason_code"),
            "note": body.get("note") or "", "lines": lines}


def list_queue(conn: sqlite3.Connection, **filters: Any) -> dict[str, Any]:
    return {"rows": [shown(r) for r in store.list_queue(conn, **filters)], "queued": store.queued_count(conn)}


def _queued(conn: sqlite3.Connection, doc_id: str) -> dict[str, Any]:
    doc = ingest.found_row(conn, doc_id)
    if doc["status"] != "queued":
        raise NotQueuedError(f"this document is {doc['status']}: only a queued document is resolved",
                             extra={"status": doc["status"]})
    return doc


def _reapply(conn: sqlite3.Connection, resolver: Actor, doc: dict[str, Any], actor: Actor,
             permissions: frozenset[str] | None, authority: str, action: str,
             changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """Apply the document again; store what became of it. One audit entry: the service's when it
    applied, else `action`."""
    changes = dict(changes or {})
    failure, applied = ingest.attempt(conn, {**doc, **changes}, actor, permissions)
    stamp = conn.stamp()  # type: ignore[attr-defined]
    changes["attempts"] = doc["attempts"] + 1
    if failure is None:
        assert applied is not None
        changes.update(status="applied", applied_type=applied[0], applied_id=applied[1], applied_at=stamp,
                       applied_by_id=resolver.user_id, applied_by=resolver.username, authority=authority,
                       failing=[])
    else:
        changes.update(reason=failure.reason, detail=failure.detail, failing=failure.failing)
    if not store.update(conn, doc["id"], doc["version"], changes, stamp):
        raise ConflictError("the document changed while it was being resolved; try again")
    if failure is not None:
        audit.append(conn, resolver, action, "unapplied_document", doc["id"],
                     detail={"document_id": doc["document_id"], "reason": failure.reason, "detail": failure.detail,
                             "authority": authority, **{k: v for k, v in changes.items() if k == "mappings"}})
    return get_document(conn, doc["id"])


def _add_barcode(conn: sqlite3.Connection, resolver: Actor, permissions: frozenset[str], product_id: str,
                 code: str) -> None:
    """Add `code` as a unit barcode of the product through the catalogue's own service."""
    if CATALOGUE not in permissions:
        raise FieldErrors([("add_barcode", f"adding a barcode to a product needs the permission {CATALOGUE}")])
    product = products.get_product(conn, product_id)
    assert product is not None  # checked by the caller
    barcodes = [{"code": b["code"], "pack_quantity": b["pack_quantity"]} for b in product["barcodes"]]
    try:
        product_service.update_product(conn, resolver, permissions, product_id,
                                       {"barcodes": barcodes + [{"code": code, "pack_quantity": 1000}]},
                                       reason="a device document's unknown code, mapped to this product")
    except FieldErrors as err:
        raise FieldErrors([("code", f"cannot be added as a barcode: {e['message']}") for e in err.errors]) from err


def map_code(conn: sqlite3.Connection, resolver: Actor, permissions: frozenset[str], doc_id: str, code: str,
             product_id: str, add_barcode: bool = False) -> dict[str, Any]:
    """Map a code of the document's lines to a product (optionally add it as its barcode), then
    apply the document again under its maker's permissions."""
    doc = _queued(conn, doc_id)
    code, product_id = code.strip(), product_id.strip()
    problems = []
    if not code or code not in {(line.get("code") or "").strip() for line in doc["body"]["lines"]}:
        problems.append(("code", f"{code or 'it'} is not a code of this document's lines"))
    item = adjustment_rows.product(conn, product_id) if product_id else None
    if item is None:
        problems.append(("product_id", "choose a product of this store"))
    elif not item["active"]:
        problems.append(("product_id", f"{item['sku']} ({item['name']}) is archived"))
    elif not item["stock_tracked"]:
        problems.append(("product_id", f"{item['sku']} ({item['name']}) does not track stock"))
    if problems:
        raise FieldErrors(problems)
    if add_barcode:
        _add_barcode(conn, resolver, permissions, product_id, code)
    actor, maker_permissions = ingest.maker(conn, doc, resolver.request_id)
    return _reapply(conn, resolver, doc, actor, maker_permissions, "device_user", "unapplied_document.mapped",
                    {"mappings": {**doc["mappings"], code: product_id}})


def apply_document(conn: sqlite3.Connection, resolver: Actor, permissions: frozenset[str], doc_id: str,
                   under_my_authority: bool = False) -> dict[str, Any]:
    """Apply the document again now: under its maker's permissions, or under the resolver's own
    (who must hold the permission the document needs)."""
    doc = _queued(conn, doc_id)
    if not under_my_authority:
        actor, maker_permissions = ingest.maker(conn, doc, resolver.request_id)
        return _reapply(conn, resolver, doc, actor, maker_permissions, "device_user", "unapplied_document.retried")
    needed = ingest.NEEDED[doc["kind"]]
    if needed not in permissions:
        raise PermissionDeniedError(f"applying it under your authority needs the permission {needed}",
                                    code="permission_missing", extra={"permission": needed})
    return _reapply(conn, resolver, doc, resolver, permissions, "manager", "unapplied_document.retried")


def discard(conn: sqlite3.Connection, resolver: Actor, doc_id: str, reason: str) -> dict[str, Any]:
    """Mark the document discarded with a reason: it is kept, and never applied."""
    doc = _queued(conn, doc_id)
    reason = reason.strip()
    if not reason:
        raise FieldErrors([("reason", "say why it is discarded")])
    if len(reason) > MAX_NOTE:
        raise FieldErrors([("reason", f"must be at most {MAX_NOTE} characters")])
    stamp = conn.stamp()  # type: ignore[attr-defined]
    if not store.update(conn, doc_id, doc["version"], {
            "status": "discarded", "discarded_at": stamp, "discarded_by_id": resolver.user_id,
            "discarded_by": resolver.username, "discard_reason": reason}, stamp):
        raise ConflictError("the document changed while it was being discarded; try again")
    audit.append(conn, resolver, "unapplied_document.discarded", "unapplied_document", doc_id,
                 detail={"document_id": doc["document_id"], "kind": doc["kind"], "reason": reason,
                         "was": doc["reason"]})
    return get_document(conn, doc_id)
