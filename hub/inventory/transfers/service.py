"""Rules of stock transfers between the chain's stores; each change runs inside one `db.write`.

Out (at the sending store): a draft names the destination store's code and lines by SKU or
barcode (a pack barcode counts its pack); it is edited or discarded freely. Posting moves every
line out through the ledger (kind `transfer_out`) at the average cost of that moment, records that
cost on the line and makes the transfer `in_transit`; it is never edited again. Its transfer file
(hub.inventory.transfers.files) goes to the receiving store.

In (at the receiving store): importing the file makes an `in_transit` document with the quantities
sent, each line matched to a local product by SKU, then by unit barcode. A line nobody matched is
mapped to a product or marked not received before posting. Posting moves what was received in
(kind `transfer_in`) at the sender's unit cost (the weighted average follows) and makes it
`received`. Its receipt confirmation goes back to the sender, where importing it marks the out
transfer `received` with the quantities received; no stock moves at the sender then.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.catalogue._common import found
from hub.db import audit, meta
from hub.db import transfers as store
from hub.db.audit import Actor
from hub.db.settings import get_setting
from hub.errors import ConflictError, FieldErrors
from hub.ids import new_id
from hub.inventory import ledger
from hub.inventory.projection import divide_rounded
from hub.inventory.transfers import files

MAX_LINES = files.MAX_LINES
MAX_NOTE = 500
MAX_NAME = 120
STATUSES = ("draft", "in_transit", "received", "discarded")


class NotDraftError(ConflictError):
    code = "transfer_not_draft"


class NotInTransitError(ConflictError):
    code = "transfer_not_in_transit"


class AlreadyImportedError(ConflictError):
    code = "transfer_imported"


class WrongStoreError(FieldErrors):
    """422: a file addressed to another store, or from a store the transfer did not go to."""

    code = "transfer_wrong_store"


def own_store(conn: sqlite3.Connection) -> dict[str, Any]:
    return {"store_code": get_setting(conn, "store.code", "") or "", "store_name": get_setting(conn, "store.name", "") or "",
            "hub_id": meta.get(conn, "hub_id")}


def _value(quantity: int | None, cost: int | None) -> int:
    return divide_rounded(quantity * cost, 1000) if quantity and cost else 0


def document(conn: sqlite3.Connection, transfer_id: str) -> dict[str, Any]:
    """The transfer with its lines; each line's value at cost and, once received, its difference."""
    doc = found(store.get_transfer(conn, transfer_id), f"transfer {transfer_id}")
    rows = store.lines(conn, transfer_id)
    for row in rows:
        row["value"] = _value(row["quantity"], row["unit_cost"])
        got = 0 if row["not_received"] else row["received"]
        row["difference"] = None if got is None else got - row["quantity"]
        row["received_value"] = _value(got, row["unit_cost"])
    doc["lines"] = rows
    doc["total_cost"] = sum(r["value"] for r in rows)
    doc["received_cost"] = sum(r["received_value"] for r in rows)
    return doc


def _summary(doc: dict[str, Any]) -> dict[str, Any]:
    keep = ("number", "direction", "status", "other_store_code", "other_store_name", "source_transfer_id",
            "source_number", "note", "total_cost")
    return {**{k: doc[k] for k in keep},
            "lines": [{k: r[k] for k in ("line", "product_id", "sku", "quantity", "unit_cost", "received",
                                         "not_received")} for r in doc["lines"]]}


# ---- out transfers -------------------------------------------------------------------------

def _store_code(conn: sqlite3.Connection, code: Any, errors: list[tuple[str, str]]) -> str:
    text = (code or "").strip().upper() if isinstance(code, str) else ""
    if not files.STORE_CODE.fullmatch(text):
        errors.append(("other_store_code", "is not a store code: 2 to 8 capital letters or digits"))
    elif text == own_store(conn)["store_code"]:
        errors.append(("other_store_code", f"is this store's own code ({text}): send to another store"))
    return text


def _in_unit(quantity: int, decimals: int) -> bool:
    return quantity % 10 ** (3 - decimals) == 0


def _unit_message(item: dict[str, Any]) -> str:
    if item["unit_decimals"] == 0:
        return f"must be a whole number of {item['unit_code']}"
    return f"takes at most {item['unit_decimals']} decimals of {item['unit_code']}"


def resolve(conn: sqlite3.Connection, code: str | None, product_id: str | None = None
            ) -> tuple[dict[str, Any] | None, int]:
    """(the product, thousandths of its unit in one of what was scanned) for a product id, a
    barcode (a pack's counts its pack) or a SKU; (None, 1000) when nothing matches."""
    if product_id:
        return store.product(conn, product_id), 1000
    if not code:
        return None, 1000
    hit = store.barcode(conn, code)
    if hit is not None:
        return store.product(conn, hit["product_id"]), hit["pack_quantity"]
    sku = store.product_by_sku(conn, code)
    return (store.product(conn, sku), 1000) if sku else (None, 1000)


def _out_lines(conn: sqlite3.Connection, given: list[dict[str, Any]], errors: list[tuple[str, str]]
               ) -> list[dict[str, Any]]:
    if len(given) > MAX_LINES:
        raise FieldErrors([("lines", f"at most {MAX_LINES} lines in one transfer")])
    out = []
    for i, line in enumerate(given):
        at = f"lines[{i}]"
        code = (line.get("code") or "").strip() or None
        field = f"{at}.code" if code or not line.get("product_id") else f"{at}.product_id"
        if code is None and not line.get("product_id"):
            errors.append((field, "type a SKU or scan a barcode"))
            continue
        item, pack = resolve(conn, code, line.get("product_id"))
        if item is None:
            errors.append((field, f"no product has the SKU or barcode {code}" if code else "there is no such product"))
            continue
        if not item["stock_tracked"]:
            errors.append((field, f"{item['sku']} ({item['name']}) does not track stock"))
            continue
        entered = line.get("quantity")
        if not isinstance(entered, int) or entered <= 0:
            errors.append((f"{at}.quantity", "must be more than zero"))
            continue
        if entered * pack % 1000:
            errors.append((f"{at}.quantity", "packs times the pack size is not a whole quantity"))
            continue
        quantity = entered * pack // 1000
        if quantity > ledger.MAX_QUANTITY:
            errors.append((f"{at}.quantity", f"is more than {ledger.MAX_QUANTITY // 1000} units"))
            continue
        if not _in_unit(quantity, item["unit_decimals"]):
            errors.append((f"{at}.quantity", _unit_message(item)))
            continue
        out.append({"line": i, "product_id": item["id"], "sku": item["sku"], "barcode": item["barcode"] or "",
                    "name": item["name"], "quantity": quantity, "unit_cost": None, "received": None})
    return out


def _text(value: Any, field: str, limit: int, errors: list[tuple[str, str]]) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if len(text) > limit:
        errors.append((field, f"must be at most {limit} characters"))
    return text


def _out_fields(conn: sqlite3.Connection, data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    errors: list[tuple[str, str]] = []
    fields: dict[str, Any] = {}
    if "other_store_code" in data:
        fields["other_store_code"] = _store_code(conn, data["other_store_code"], errors)
    if "other_store_name" in data:
        fields["other_store_name"] = _text(data["other_store_name"], "other_store_name", MAX_NAME, errors)
    if "note" in data:
        fields["note"] = _text(data["note"], "note", MAX_NOTE, errors)
    lines = _out_lines(conn, data.get("lines") or [], errors) if "lines" in data else None
    if errors:
        raise FieldErrors(errors)
    return fields, lines


def check_out(conn: sqlite3.Connection, data: dict[str, Any]) -> None:
    """FieldErrors for what is wrong with an out transfer's fields and lines; writes nothing."""
    _out_fields(conn, data)


def create_out(conn: sqlite3.Connection, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """A draft out transfer to another store of the chain; it moves nothing."""
    fields, lines = _out_fields(conn, {"other_store_code": data.get("other_store_code"), "lines": [], **data})
    now = conn.stamp()  # type: ignore[attr-defined]
    transfer_id = new_id()
    store.insert_transfer(conn, {
        "id": transfer_id, "number": store.next_number(conn, "out"), "direction": "out", "status": "draft",
        "other_store_name": "", "note": "", **fields, "created_by": actor.username, "created_at": now,
        "updated_at": now, "version": 1})
    store.replace_lines(conn, transfer_id, lines or [])
    doc = document(conn, transfer_id)
    audit.append(conn, actor, "transfer.created", "transfer", transfer_id, after=_summary(doc))
    return doc


def _draft(conn: sqlite3.Connection, transfer_id: str) -> dict[str, Any]:
    doc = document(conn, transfer_id)
    if doc["direction"] != "out" or doc["status"] != "draft":
        raise NotDraftError(f"transfer {doc['number']} is {doc['status'].replace('_', ' ')}: only a draft out "
                            "transfer is edited, and a posted transfer never is")
    return doc


def update_out(conn: sqlite3.Connection, actor: Actor, transfer_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Change a draft's fields; `lines` replaces them all."""
    before = _draft(conn, transfer_id)
    fields, lines = _out_fields(conn, changes)
    if lines is not None:
        store.replace_lines(conn, transfer_id, lines)
    store.update_transfer(conn, transfer_id, fields)
    after = document(conn, transfer_id)
    audit.append(conn, actor, "transfer.updated", "transfer", transfer_id, before=_summary(before),
                 after=_summary(after))
    return after


def discard_out(conn: sqlite3.Connection, actor: Actor, transfer_id: str) -> dict[str, Any]:
    """A draft set aside for good: it stays listed as discarded and moves nothing."""
    before = _draft(conn, transfer_id)
    store.update_transfer(conn, transfer_id, {"status": "discarded"})
    after = document(conn, transfer_id)
    audit.append(conn, actor, "transfer.discarded", "transfer", transfer_id, before=_summary(before))
    return after


def post_out(conn: sqlite3.Connection, actor: Actor, transfer_id: str) -> dict[str, Any]:
    """Move the draft's lines out at the average cost of this moment; the transfer is in transit."""
    doc = _draft(conn, transfer_id)
    if not doc["lines"]:
        raise FieldErrors([("lines", "a transfer needs at least one line to post")])
    errors: list[tuple[str, str]] = []
    _store_code(conn, doc["other_store_code"], errors)
    if errors:
        raise FieldErrors(errors)
    moved = ledger.post(conn, [ledger.Line("transfer_out", r["product_id"], -r["quantity"], line=r["line"],
                                           note=f"to {doc['other_store_code']}")
                               for r in doc["lines"]],
                        source_type="transfer", source_id=transfer_id, actor=actor)
    costs = {m["movement"]["source_line"]: m["movement"]["unit_cost"] for m in moved}
    store.replace_lines(conn, transfer_id, [{**r, "unit_cost": costs.get(r["line"])} for r in doc["lines"]])
    store.update_transfer(conn, transfer_id, {"status": "in_transit", "posted_at": conn.stamp(),  # type: ignore[attr-defined]
                                              "posted_by": actor.username})
    after = document(conn, transfer_id)
    audit.append(conn, actor, "transfer.posted", "transfer", transfer_id, after=_summary(after),
                 detail={"movements": [m["movement"]["id"] for m in moved]})
    return after


def transfer_file(conn: sqlite3.Connection, transfer_id: str) -> dict[str, Any]:
    """The transfer file of a posted out transfer."""
    doc = document(conn, transfer_id)
    if doc["direction"] != "out" or doc["status"] not in ("in_transit", "received"):
        raise NotInTransitError(f"transfer {doc['number']} has no transfer file: only a posted out transfer has one")
    here = own_store(conn)
    return files.transfer_file(doc, store_code=here["store_code"], store_name=here["store_name"], hub_id=here["hub_id"])


def import_confirmation(conn: sqlite3.Connection, actor: Actor, data: Any) -> dict[str, Any]:
    """Mark an out transfer received with the quantities its receiver posted; nothing moves here."""
    given = files.parse_receipt_confirmation(data)
    here = own_store(conn)
    if given["to"]["store_code"] != here["store_code"]:
        raise WrongStoreError([("file", f"is a confirmation for store {given['to']['store_code']}; this store is "
                                        f"{here['store_code']}")])
    doc = store.get_transfer(conn, given["transfer_id"])
    if doc is None or doc["direction"] != "out":
        raise FieldErrors([("file", f"confirms transfer {given['transfer_id']}, which this store never sent")])
    doc = document(conn, doc["id"])
    if given["receiver"]["store_code"] != doc["other_store_code"]:
        raise WrongStoreError([("file", f"comes from store {given['receiver']['store_code']}, but transfer "
                                        f"{doc['number']} went to {doc['other_store_code']}")])
    if doc["status"] == "received":
        raise AlreadyImportedError(f"transfer {doc['number']} was confirmed received already",
                                   extra={"transfer_id": doc["id"]})
    if doc["status"] != "in_transit":
        raise NotInTransitError(f"transfer {doc['number']} is {doc['status']}: only a transfer in transit is confirmed")
    received = {ln["line"]: ln["received"] for ln in given["lines"]}
    ours = {ln["line"] for ln in doc["lines"]}
    if set(received) != ours:
        raise FieldErrors([("file", f"its lines are not the lines of transfer {doc['number']}")])
    store.replace_lines(conn, doc["id"], [{**r, "received": received[r["line"]]} for r in doc["lines"]])
    who = f"{given['received_by'] or 'someone'} at {given['receiver']['store_code']}"
    store.update_transfer(conn, doc["id"], {"status": "received", "received_at": conn.stamp(),  # type: ignore[attr-defined]
                                            "received_by": who[:200], "other_hub_id": given["receiver"]["hub_id"]})
    after = document(conn, doc["id"])
    audit.append(conn, actor, "transfer.confirmed", "transfer", doc["id"], before=_summary(doc),
                 after=_summary(after), detail={"receipt_number": given["receipt_number"],
                                                "received_at": given["received_at"],
                                                "differences": [{"line": r["line"], "sku": r["sku"],
                                                                 "difference": r["difference"]}
                                                                for r in after["lines"] if r["difference"]]})
    return after


# ---- in transfers --------------------------------------------------------------------------

def _match(conn: sqlite3.Connection, sku: str, barcode: str) -> str | None:
    """The local stock-tracked product a sent line names: by SKU, then by a unit barcode."""
    candidates = []
    if sku:
        candidates.append(store.product_by_sku(conn, sku))
    if barcode:
        hit = store.barcode(conn, barcode)
        if hit is not None and hit["pack_quantity"] == 1000:
            candidates.append(hit["product_id"])
    for product_id in candidates:
        item = store.product(conn, product_id) if product_id else None
        if item is not None and item["stock_tracked"]:
            return item["id"]
    return None


def import_file(conn: sqlite3.Connection, actor: Actor, data: Any) -> dict[str, Any]:
    """An in transfer, awaiting receipt, from another store's transfer file; a file imported
    before, or addressed to another store, is refused and changes nothing."""
    given = files.parse_transfer_file(data)
    here = own_store(conn)
    to, sender = given["to"]["store_code"], given["sender"]["store_code"]
    if to != here["store_code"]:
        raise WrongStoreError([("file", f"is addressed to store {to}; this store is {here['store_code']}: "
                                        "import it at that store")])
    if sender == here["store_code"]:
        raise WrongStoreError([("file", f"was sent by this store ({sender}): import it at the store it went to")])
    earlier = store.by_source(conn, sender, given["transfer_id"])
    if earlier is not None:
        raise AlreadyImportedError(f"transfer {given['number']} from {sender} was imported already as "
                                   f"{earlier['number']}", extra={"transfer_id": earlier["id"]})
    now = conn.stamp()  # type: ignore[attr-defined]
    transfer_id = new_id()
    store.insert_transfer(conn, {
        "id": transfer_id, "number": store.next_number(conn, "in"), "direction": "in", "status": "in_transit",
        "other_store_code": sender, "other_store_name": given["sender"]["store_name"][:MAX_NAME],
        "other_hub_id": given["sender"]["hub_id"], "source_transfer_id": given["transfer_id"],
        "source_number": given["number"], "sent_at": given["posted_at"], "note": given["note"],
        "created_by": actor.username, "created_at": now, "updated_at": now, "version": 1})
    lines = []
    for ln in given["lines"]:
        product_id = _match(conn, ln["sku"], ln["barcode"])
        lines.append({**ln, "product_id": product_id, "received": ln["quantity"] if product_id else None})
    store.replace_lines(conn, transfer_id, lines)
    doc = document(conn, transfer_id)
    audit.append(conn, actor, "transfer.imported", "transfer", transfer_id, after=_summary(doc),
                 detail={"sender_hub_id": given["sender"]["hub_id"], "unmatched": doc["unmatched"]})
    return doc


def _awaiting(conn: sqlite3.Connection, transfer_id: str) -> dict[str, Any]:
    doc = document(conn, transfer_id)
    if doc["direction"] != "in" or doc["status"] != "in_transit":
        raise NotInTransitError(f"transfer {doc['number']} is {doc['status'].replace('_', ' ')}: only an in "
                                "transfer awaiting receipt takes received quantities, and a received one never changes")
    return doc


def _receiving(conn: sqlite3.Connection, doc: dict[str, Any], given: list[dict[str, Any]]
               ) -> list[dict[str, Any]]:
    """The document's lines with the receiver's changes: a product mapped (by id or code), a
    received quantity, or a line marked not received."""
    by_line = {r["line"]: dict(r) for r in doc["lines"]}
    errors: list[tuple[str, str]] = []
    for i, change in enumerate(given):
        at = f"lines[{i}]"
        row = by_line.get(change.get("line"))  # type: ignore[arg-type]
        if row is None:
            errors.append((f"{at}.line", "is not a line of this transfer"))
            continue
        code = (change.get("code") or "").strip() or None
        if code or change.get("product_id"):
            item, pack = resolve(conn, code, change.get("product_id"))
            field = f"{at}.code" if code else f"{at}.product_id"
            if item is None:
                errors.append((field, f"no product has the SKU or barcode {code}" if code else "there is no such product"))
                continue
            if not item["stock_tracked"]:
                errors.append((field, f"{item['sku']} ({item['name']}) does not track stock"))
                continue
            if pack != 1000:
                errors.append((field, "is a pack's barcode: match the line to the product's unit barcode or SKU"))
                continue
            row["product_id"] = item["id"]
            if row["received"] is None:
                row["received"] = row["quantity"]
        if "not_received" in change and change["not_received"] is not None:
            row["not_received"] = bool(change["not_received"])
        if change.get("received") is not None:
            row["received"] = change["received"]
            row["not_received"] = False if "not_received" not in change else row["not_received"]
        row["_at"] = at
    if errors:
        raise FieldErrors(errors)
    return [by_line[k] for k in sorted(by_line)]


def _check_received(conn: sqlite3.Connection, rows: list[dict[str, Any]], *, posting: bool) -> None:
    errors: list[tuple[str, str]] = []
    for row in rows:
        at = row.get("_at") or f"lines[{row['line']}]"
        if row["not_received"]:
            continue
        if row["product_id"] is None:
            if posting:
                errors.append((f"{at}.code", f"{row['sku'] or row['barcode']} ({row['name']}) matches no product "
                                             "here: match it to a product or mark it not received"))
            continue
        item = store.product(conn, row["product_id"])
        got = row["received"]
        if got is None:
            if posting:
                errors.append((f"{at}.received", "type how many arrived"))
            continue
        if not isinstance(got, int) or not 0 <= got <= ledger.MAX_QUANTITY:
            errors.append((f"{at}.received", f"must be from 0 to {ledger.MAX_QUANTITY // 1000} units"))
        elif item is not None and not _in_unit(got, item["unit_decimals"]):
            errors.append((f"{at}.received", _unit_message(item)))
    if errors:
        raise FieldErrors(errors)


def receive_lines(conn: sqlite3.Connection, actor: Actor, transfer_id: str,
                  given: list[dict[str, Any]]) -> dict[str, Any]:
    """Record received quantities, products mapped to unmatched lines and lines not received."""
    before = _awaiting(conn, transfer_id)
    rows = _receiving(conn, before, given)
    _check_received(conn, rows, posting=False)
    store.replace_lines(conn, transfer_id, rows)
    store.update_transfer(conn, transfer_id, {})
    after = document(conn, transfer_id)
    audit.append(conn, actor, "transfer.receiving_updated", "transfer", transfer_id, before=_summary(before),
                 after=_summary(after))
    return after


def post_in(conn: sqlite3.Connection, actor: Actor, transfer_id: str,
            given: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Move what was received in at the sender's unit cost; the transfer is received."""
    before = _awaiting(conn, transfer_id)
    rows = _receiving(conn, before, given or [])
    _check_received(conn, rows, posting=True)
    store.replace_lines(conn, transfer_id, rows)
    arrived = [r for r in rows if not r["not_received"] and r["received"]]
    moved = ledger.post(conn, [ledger.Line("transfer_in", r["product_id"], r["received"], r["unit_cost"],
                                           line=r["line"], note=f"from {before['other_store_code']}")
                               for r in arrived],
                        source_type="transfer", source_id=transfer_id, actor=actor)
    now = conn.stamp()  # type: ignore[attr-defined]
    store.update_transfer(conn, transfer_id, {"status": "received", "posted_at": now, "posted_by": actor.username,
                                              "received_at": now, "received_by": actor.username})
    after = document(conn, transfer_id)
    audit.append(conn, actor, "transfer.received", "transfer", transfer_id, before=_summary(before),
                 after=_summary(after), detail={"movements": [m["movement"]["id"] for m in moved]})
    return after


def confirmation(conn: sqlite3.Connection, transfer_id: str) -> dict[str, Any]:
    """The receipt confirmation of a received in transfer, for its sender."""
    doc = document(conn, transfer_id)
    if doc["direction"] != "in" or doc["status"] != "received":
        raise NotInTransitError(f"transfer {doc['number']} has no receipt confirmation: only a received in "
                                "transfer has one", code="transfer_not_received")
    here = own_store(conn)
    return files.receipt_confirmation(doc, store_code=here["store_code"], store_name=here["store_name"],
                                      hub_id=here["hub_id"])


def list_transfers(conn: sqlite3.Connection, **filters: Any) -> list[dict[str, Any]]:
    return store.list_transfers(conn, **filters)
