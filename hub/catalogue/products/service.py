"""Products: create, change, archive and restore, each as one transaction with one audit entry.

Each function here runs inside one `db.write`: it checks (field problems as 422 naming the field,
a taken SKU, PLU or barcode as 409 naming the product that has it, HQ-owned fields of an enrolled
hub as 409 `hq_owned`), writes the product, its prices (through `prices.set_price`), barcodes,
suppliers and its opening stock (an `opening` movement through the stock ledger), bumps the
version, publishes one change row carrying the whole product, and appends exactly one audit entry,
which carries the opening balance too. A change that changes nothing writes nothing.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.catalogue import ownership
from hub.catalogue.products import validation
from hub.catalogue.products.prices import set_price
from hub.db import audit, barcodes, product_refs, products, stock
from hub.db.audit import Actor
from hub.errors import ConflictError, FieldErrors, NotFoundError, PermissionDeniedError
from hub.ids import new_id
from hub.inventory import Source, move

PRICE_PERMISSION = "prices.manage"
PRICE_PARTS = {"prices": "price", "override_prices": "override_price"}  # part -> price field
OPENING = "opening_stock"


def editable(doc: dict[str, Any]) -> dict[str, Any]:
    """The fields and parts of a product document that a request or a CSV row can set."""
    out = {f: doc[f] for f in validation.FIELDS}
    out["prices"] = dict(doc["prices"])
    out["override_prices"] = dict(doc["override_prices"])
    out["barcodes"] = [{"code": b["code"], "pack_quantity": b["pack_quantity"]} for b in doc["barcodes"]]
    out["suppliers"] = [dict(s) for s in doc["suppliers"]]
    return out


def _key(part: str, value: Any) -> Any:
    """A comparable form: barcodes and suppliers are sets, whatever order they were listed in."""
    if part == "barcodes":
        return sorted((b["code"], b["pack_quantity"]) for b in value)
    if part == "suppliers":
        return sorted(tuple(sorted(s.items())) for s in value)
    return value


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    return {k for k in (*validation.FIELDS, *validation.PARTS) if _key(k, before[k]) != _key(k, after[k])}


def _opening_key(opening: dict[str, Any] | None) -> Any:
    if opening is None:
        return None
    return (opening["quantity"], opening["unit_cost"], opening.get("note", ""))


def ownership_names(changed: set[str]) -> list[str]:
    """Field names as hub/catalogue/ownership.toml spells them."""
    return sorted(PRICE_PARTS.get(f, f) for f in changed)


def require_price_permission(permissions: frozenset[str], changed: set[str]) -> None:
    if set(PRICE_PARTS) & changed and PRICE_PERMISSION not in permissions:
        raise PermissionDeniedError(f"changing prices needs the permission {PRICE_PERMISSION!r}",
                                    extra={"permission": PRICE_PERMISSION})


def uniqueness_problems(conn: sqlite3.Connection, doc: dict[str, Any],
                        product_id: str | None) -> list[dict[str, Any]]:
    """A SKU, PLU or barcode that another product already has: {field, message, code, product}."""
    found = []
    for column in ("sku", "plu"):
        if doc.get(column) is None:
            continue
        other = products.holder(conn, column, doc[column])
        if other is not None and other["id"] != product_id:
            found.append({"field": column, "code": f"{column}_taken", "product": other,
                          "message": f"{doc[column]} is the {column.upper()} of {other['sku']} ({other['name']})"})
    owners = barcodes.owners(conn, [b["code"] for b in doc["barcodes"]])
    for i, barcode in enumerate(doc["barcodes"]):
        other = owners.get(barcode["code"])
        if other is not None and other["product_id"] != product_id:
            found.append({"field": f"barcodes[{i}].code", "code": "barcode_taken",
                          "product": {"id": other["product_id"], "sku": other["sku"], "name": other["name"]},
                          "message": f"{barcode['code']} is a barcode of {other['sku']} ({other['name']})"})
    return found


def _refuse_taken(taken: list[dict[str, Any]]) -> None:
    if taken:
        first = taken[0]
        raise ConflictError("; ".join(t["message"] for t in taken), code=first["code"], extra={
            "product": first["product"],
            "errors": [{"field": t["field"], "message": t["message"]} for t in taken]})


def _check(conn: sqlite3.Connection, doc: dict[str, Any], product_id: str | None,
           changed: set[str] | None, opening: dict[str, Any] | None) -> None:
    refs = validation.Refs(product_refs.load_refs(conn))
    found = validation.problems(doc, refs, changed=changed, opening_stock=opening)
    if opening is not None and not doc["stock_tracked"]:
        found.append((OPENING, "this product does not track stock"))
    if found:
        raise FieldErrors(found)
    _refuse_taken(uniqueness_problems(conn, doc, product_id))


def write_prices(conn: sqlite3.Connection, product_id: str, before: dict[str, Any],
                 after: dict[str, Any], *, source: str, reason: str, who: str | None) -> None:
    """Every price that differs between two documents, through the one price-change path."""
    for part, field in PRICE_PARTS.items():
        for currency in sorted(set(before[part]) | set(after[part])):
            set_price(conn, product_id, currency, field, after[part].get(currency),
                      source=source, reason=reason, changed_by=who)


def write_new(conn: sqlite3.Connection, product_id: str, doc: dict[str, Any], *, source: str,
              reason: str, who: str | None) -> None:
    """Insert a checked document (version 1); the caller publishes it."""
    products.insert_product(conn, {"id": product_id, **{f: doc[f] for f in validation.FIELDS}})
    empty = {"prices": {}, "override_prices": {}}
    write_prices(conn, product_id, empty, doc, source=source, reason=reason, who=who)
    barcodes.add(conn, product_id, doc["barcodes"])
    products.replace_suppliers(conn, product_id, doc["suppliers"])


def write_changes(conn: sqlite3.Connection, product_id: str, before: dict[str, Any],
                  after: dict[str, Any], changed: set[str], *, source: str, reason: str,
                  who: str | None) -> None:
    """Write what changed between two checked documents and bump the version."""
    products.update_product(conn, product_id, {f: after[f] for f in changed if f in validation.FIELDS})
    if set(PRICE_PARTS) & changed:
        write_prices(conn, product_id, before, after, source=source, reason=reason, who=who)
    if "barcodes" in changed:
        barcodes.replace(conn, product_id, after["barcodes"])
    if "suppliers" in changed:
        products.replace_suppliers(conn, product_id, after["suppliers"])


def refuse_moved_stock(conn: sqlite3.Connection, product_id: str) -> None:
    """409 naming `opening_stock` once any stock of the product has moved: from then on the
    ledger holds its stock and only a stock adjustment changes it."""
    moved = stock.movement_count(conn, product_id)
    if moved:
        message = (f"this product's stock is in the stock ledger already ({moved} movement"
                   f"{'' if moved == 1 else 's'}); change it with a stock adjustment")
        raise ConflictError(message, code="stock_has_movements",
                            extra={"errors": [{"field": OPENING, "message": message}]})


def write_opening(conn: sqlite3.Connection, product_id: str, opening: dict[str, Any], actor: Actor) -> None:
    """Post `opening` as the product's `opening` movement: only while no stock of it has moved."""
    refuse_moved_stock(conn, product_id)
    move(conn, kind="opening", product_id=product_id, quantity=opening["quantity"],
         unit_cost=opening.get("unit_cost", 0), note=opening.get("note", ""), actor=actor,
         source=Source("product", product_id))


def on_hand_problem(on_hand: int, unit: dict[str, Any] | None) -> str | None:
    """Why a product with `on_hand` cannot take `unit` (its decimals cannot hold it), or None."""
    if unit is None or on_hand % 10 ** (3 - unit["decimals"]) == 0:
        return None
    return (f"this product has {on_hand / 1000:g} in stock, which {unit['code']} (whole numbers"
            f"{'' if unit['decimals'] == 0 else ' to ' + str(unit['decimals']) + ' decimals'}) cannot hold;"
            " adjust the stock first")


def audit_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ("created_at", "updated_at")}


def create_product(conn: sqlite3.Connection, actor: Actor, permissions: frozenset[str],
                   data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    opening = data.pop(OPENING, None)
    doc = validation.normalise({**validation.DEFAULTS, **data})
    given = {k for k in data if k in validation.FIELDS or k in validation.PARTS}
    ownership.require_store_owned(conn, "products", ownership_names(given))
    require_price_permission(permissions, {p for p in PRICE_PARTS if doc[p]})
    _check(conn, doc, None, None, opening)
    product_id = new_id()
    write_new(conn, product_id, doc, source="manual", reason="new product", who=actor.username)
    if opening is not None:
        write_opening(conn, product_id, opening, actor)
    created = products.publish(conn, product_id)
    audit.append(conn, actor, "product.created", "product", product_id, after=audit_view(created))
    return created


def merged(before: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`before`'s editable fields with `changes` laid over: prices merge per currency (null
    removes one), barcodes and suppliers are replaced whole; a receipt name that was the default
    cut of the name follows a new name."""
    out = editable(before)
    for key, value in changes.items():
        if key in PRICE_PARTS:
            prices = dict(out[key])
            for currency, amount in value.items():
                if amount is None:
                    prices.pop(currency, None)
                else:
                    prices[currency] = amount
            out[key] = prices
        elif key in validation.FIELDS or key in validation.PARTS:
            out[key] = value
    if ("name" in changes and "receipt_name" not in changes
            and before["receipt_name"] == validation.receipt_name_for(before["name"])):
        out["receipt_name"] = None
    return validation.normalise(out)


def update_product(conn: sqlite3.Connection, actor: Actor, permissions: frozenset[str],
                   product_id: str, changes: dict[str, Any], *, reason: str = "") -> dict[str, Any]:
    before = products.get_product(conn, product_id)
    if before is None:
        raise NotFoundError(f"there is no product {product_id}")
    changes = dict(changes)
    opening_given = OPENING in changes
    opening = changes.pop(OPENING, None)
    after = merged(before, changes)
    old = editable(before)
    changed = changed_fields(old, after)
    # The opening balance as the form shows it, sent back unchanged, changes nothing.
    opening_changed = opening_given and _opening_key(opening) != _opening_key(before[OPENING])
    if not changed and not opening_changed:
        return before
    ownership.require_store_owned(conn, "products", ownership_names(changed))
    require_price_permission(permissions, changed)
    if opening_changed:
        refuse_moved_stock(conn, product_id)
    stock_problems = []
    if "stock_tracked" in changed and not after["stock_tracked"] and before["on_hand"] != 0:
        stock_problems.append(("stock_tracked", f"this product has {before['on_hand'] / 1000:g} in stock; "
                                                "adjust it to zero before it stops tracking stock"))
    if "unit_id" in changed:
        unit = product_refs.load_refs(conn)["units"].get(after["unit_id"])
        if (msg := on_hand_problem(before["on_hand"], unit)):
            stock_problems.append(("unit_id", msg))
    if stock_problems:
        raise FieldErrors(stock_problems)
    _check(conn, after, product_id, changed, opening if opening_changed else None)
    write_changes(conn, product_id, old, after, changed, source="manual", reason=reason,
                  who=actor.username)
    if opening_changed:
        assert opening is not None  # withdrawing one that was posted is refused above
        write_opening(conn, product_id, opening, actor)  # write_changes bumped the version already
    updated = products.publish(conn, product_id)
    shown = sorted(changed | ({OPENING} if opening_changed else set()))
    was = {**old, OPENING: before[OPENING]}
    now = {**editable(updated), OPENING: updated[OPENING]}
    audit.append(conn, actor, "product.updated", "product", product_id,
                 before={k: was[k] for k in shown}, after={k: now[k] for k in shown},
                 detail={"reason": reason} if reason else None)
    return updated


def set_active(conn: sqlite3.Connection, actor: Actor, product_id: str, active: bool) -> dict[str, Any]:
    """Archive (never delete: sales reference products) or restore a product."""
    before = products.get_product(conn, product_id)
    if before is None:
        raise NotFoundError(f"there is no product {product_id}")
    if before["active"] == active:
        return before
    ownership.require_store_owned(conn, "products", ["active"])
    products.update_product(conn, product_id, {"active": active,
                                               "archived_at": None if active else conn.stamp()})
    updated = products.publish(conn, product_id)
    audit.append(conn, actor, "product.restored" if active else "product.archived", "product",
                 product_id, before={"active": before["active"]}, after={"active": active})
    return updated
