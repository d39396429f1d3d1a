"""Products: the rows, the whole product document (prices, barcodes, suppliers, on hand and the
opening balance from the stock ledger, pending scheduled prices), the list, the till's lookup,
and the change feed.

A product's change row carries its prices and barcodes with it, so a till applies a product and
its prices as one row and never half a price change (DESIGN.md section 4).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from functools import lru_cache
from typing import Any

from hub.catalogue import barcodes as codes
from hub.db.changes import record_change

log = logging.getLogger(__name__)

FIELDS = ("id", "sku", "name", "receipt_name", "description", "category_id", "unit_id",
          "tax_class_id", "hs_code", "cost_price", "stock_tracked", "low_stock_threshold",
          "sold_by_weight", "plu", "active", "archived_at", "version", "created_at", "updated_at")
FLAGS = ("stock_tracked", "sold_by_weight", "active")
UPDATABLE = frozenset({"sku", "name", "receipt_name", "description", "category_id", "unit_id",
                       "tax_class_id", "hs_code", "cost_price", "stock_tracked",
                       "low_stock_threshold", "sold_by_weight", "plu", "active", "archived_at"})
# What a till does not need: cost and suppliers stay on the hub; on hand reaches tills as its own
# `stock_level` change rows (hub.inventory.ledger), since it moves with every sale.
NOT_FOR_TILLS = ("cost_price", "suppliers", "opening_stock", "on_hand")

DOCUMENT_SQL = f"""
SELECT {", ".join("p." + f for f in FIELDS)},
  (SELECT json_group_array(json_array(currency, price, override_price))
   FROM (SELECT currency, price, override_price FROM product_prices
         WHERE product_id = p.id ORDER BY currency)) AS prices_json,
  (SELECT json_group_array(json_array(code, pack_quantity))
   FROM (SELECT code, pack_quantity FROM barcodes WHERE product_id = p.id
         ORDER BY pack_quantity, code)) AS barcodes_json,
  (SELECT json_group_array(json_object('supplier_id', supplier_id, 'supplier_code', supplier_code,
                                       'cost', cost, 'currency', currency, 'pack_size', pack_size,
                                       'preferred', preferred))
   FROM (SELECT * FROM product_suppliers WHERE product_id = p.id
         ORDER BY preferred DESC, supplier_id)) AS suppliers_json,
  (SELECT on_hand FROM stock_levels WHERE product_id = p.id) AS on_hand,
  (SELECT json_object('id', id, 'quantity', quantity, 'unit_cost', unit_cost,
                      'entered_by', username, 'entered_at', occurred_at, 'note', note)
   FROM (SELECT * FROM stock_movements WHERE product_id = p.id AND kind = 'opening'
         ORDER BY seq LIMIT 1)) AS opening_json,
  (SELECT json_group_array(json_object('id', id, 'currency', currency, 'price', price,
                                       'effective_from', effective_from))
   FROM (SELECT id, currency, price, effective_from FROM scheduled_prices
         WHERE product_id = p.id AND applied_at IS NULL AND cancelled_at IS NULL
         ORDER BY effective_from, id)) AS scheduled_json
FROM products p
"""
# Search: name or SKU containing the text, or a barcode starting with it (a range on the key).
LIST_SQL = DOCUMENT_SQL + r"""
WHERE (:q IS NULL OR p.name LIKE :q_like ESCAPE '\' OR p.sku LIKE :q_like ESCAPE '\'
       OR p.id IN (SELECT product_id FROM barcodes WHERE code >= :q AND code < :q_end))
  AND (:categories IS NULL OR p.category_id IN (SELECT value FROM json_each(:categories)))
  AND (:supplier_id IS NULL
       OR p.id IN (SELECT product_id FROM product_suppliers WHERE supplier_id = :supplier_id))
  AND (:active IS NULL OR p.active = :active)
  AND (:tax_class_id IS NULL OR p.tax_class_id = :tax_class_id)
  AND (:after_name IS NULL OR (p.name COLLATE NOCASE, p.id) > (:after_name, :after_id))
ORDER BY p.name COLLATE NOCASE, p.id LIMIT :limit
"""
EXPORT_SQL = DOCUMENT_SQL + """
WHERE (:archived OR p.active = 1) AND (:after IS NULL OR p.sku > :after)
ORDER BY p.sku LIMIT :limit
"""
# A bulk price change's products: by category (with descendants), supplier and/or ids.
SELECTION_SQL = """
SELECT p.id, p.sku, p.name,
  (SELECT json_group_array(json_array(currency, price, override_price))
   FROM product_prices WHERE product_id = p.id) AS prices_json
FROM products p
WHERE (:categories IS NULL OR p.category_id IN (SELECT value FROM json_each(:categories)))
  AND (:supplier_id IS NULL
       OR p.id IN (SELECT product_id FROM product_suppliers WHERE supplier_id = :supplier_id))
  AND (:ids IS NULL OR p.id IN (SELECT value FROM json_each(:ids)))
  AND (:archived OR p.active = 1)
ORDER BY p.sku LIMIT :limit
"""
INSERT_SQL = """
INSERT INTO products (id, sku, name, receipt_name, description, category_id, unit_id, tax_class_id,
                      hs_code, cost_price, stock_tracked, low_stock_threshold, sold_by_weight, plu,
                      active, version, created_at, updated_at)
VALUES (:id, :sku, :name, :receipt_name, :description, :category_id, :unit_id, :tax_class_id,
        :hs_code, :cost_price, :stock_tracked, :low_stock_threshold, :sold_by_weight, :plu,
        1, 1, :now, :now)
"""
SUPPLIER_INSERT_SQL = """
INSERT INTO product_suppliers (product_id, supplier_id, supplier_code, cost, currency, pack_size, preferred)
VALUES (:product_id, :supplier_id, :supplier_code, :cost, :currency, :pack_size, :preferred)
"""
# The till's lookup: an exact barcode, else the PLU of an in-store embedded code, else a SKU
# typed at the till. Each branch is one index probe (barcodes' key, products' UNIQUE plu and
# UNIQUE sku COLLATE NOCASE); prices come in the same statement, so one query answers a scan.
LOOKUP_SQL = """
SELECT m.kind, m.quantity, m.code, p.id, p.sku, p.name, p.receipt_name, p.category_id, p.unit_id,
       u.code AS unit_code, u.decimals AS unit_decimals, p.tax_class_id, p.sold_by_weight, p.plu,
       p.active, p.version,
       (SELECT json_group_object(currency, coalesce(override_price, price))
        FROM product_prices WHERE product_id = p.id) AS prices,
       (SELECT code FROM currencies WHERE is_base = 1) AS base_currency
FROM (
    SELECT 1 AS rank, 'barcode' AS kind, b.pack_quantity AS quantity, b.code AS code,
           b.product_id AS product_id FROM barcodes b WHERE b.code = :code
    UNION ALL
    SELECT 2, 'embedded', NULL, NULL, e.id FROM products e WHERE e.plu = :plu
    UNION ALL
    SELECT 3, 'sku', 1000, NULL, s.id FROM products s WHERE s.sku = :typed
    ORDER BY rank LIMIT 1
) m JOIN products p ON p.id = m.product_id JOIN units u ON u.id = p.unit_id
"""
EMBEDDED_RULES_KEY = "barcodes.embedded"
RULES_SQL = "SELECT value FROM settings WHERE key = :key"


def _document(row: sqlite3.Row) -> dict[str, Any]:
    doc = {f: row[f] for f in FIELDS}
    for flag in FLAGS:
        doc[flag] = bool(doc[flag])
    prices = json.loads(row["prices_json"])
    doc["prices"] = {c: p for c, p, _o in prices if p is not None}
    doc["override_prices"] = {c: o for c, _p, o in prices if o is not None}
    doc["effective_prices"] = {c: (o if o is not None else p) for c, p, o in prices}
    doc["barcodes"] = [{"code": c, "pack_quantity": q} for c, q in json.loads(row["barcodes_json"])]
    doc["suppliers"] = [{**s, "preferred": bool(s["preferred"])} for s in json.loads(row["suppliers_json"])]
    doc["on_hand"] = row["on_hand"] or 0
    doc["opening_stock"] = json.loads(row["opening_json"]) if row["opening_json"] else None
    doc["scheduled_prices"] = json.loads(row["scheduled_json"])
    return doc


def get_product(conn: sqlite3.Connection, product_id: str) -> dict[str, Any] | None:
    """The whole product document, or None."""
    row = conn.execute(DOCUMENT_SQL + " WHERE p.id = :id", {"id": product_id}).fetchone()
    return _document(row) if row else None


def get_products(conn: sqlite3.Connection, product_ids: list[str]) -> list[dict[str, Any]]:
    rows = conn.execute(DOCUMENT_SQL + " WHERE p.id IN (SELECT value FROM json_each(:ids)) ORDER BY p.sku",
                        {"ids": json.dumps(sorted(set(product_ids)))})
    return [_document(r) for r in rows]


def get_by_sku(conn: sqlite3.Connection, sku: str) -> dict[str, Any] | None:
    """The document of the product with this SKU (compared case-insensitively)."""
    row = conn.execute(DOCUMENT_SQL + " WHERE p.sku = :sku", {"sku": sku}).fetchone()
    return _document(row) if row else None


def holder(conn: sqlite3.Connection, column: str, value: str) -> dict[str, Any] | None:
    """{id, sku, name} of the product whose `sku` or `plu` is `value`."""
    if column not in ("sku", "plu"):
        raise ValueError(column)
    row = conn.execute(f"SELECT id, sku, name FROM products WHERE {column} = :v", {"v": value}).fetchone()
    return dict(row) if row else None


def list_products(conn: sqlite3.Connection, *, q: str | None = None, q_like: str | None = None,
                  categories: list[str] | None = None, supplier_id: str | None = None,
                  active: bool | None = None, tax_class_id: str | None = None,
                  after: tuple[str, str] | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Documents by name (then id); `after` is the (name, id) of the last row of the page before."""
    after_name, after_id = after if after else (None, None)
    rows = conn.execute(LIST_SQL, {
        "q": q, "q_like": q_like, "q_end": None if q is None else q + "\x7f",
        "categories": None if categories is None else json.dumps(categories),
        "supplier_id": supplier_id, "active": None if active is None else int(active),
        "tax_class_id": tax_class_id, "after_name": after_name, "after_id": after_id, "limit": limit})
    return [_document(r) for r in rows]


def export_batch(conn: sqlite3.Connection, *, after: str | None, limit: int,
                 include_archived: bool) -> list[dict[str, Any]]:
    """Documents in SKU order after the SKU `after`, for the CSV export."""
    rows = conn.execute(EXPORT_SQL, {"after": after, "limit": limit, "archived": int(include_archived)})
    return [_document(r) for r in rows]


def select_for_prices(conn: sqlite3.Connection, *, categories: list[str] | None, supplier_id: str | None,
                      product_ids: list[str] | None, include_archived: bool,
                      limit: int) -> list[dict[str, Any]]:
    """{id, sku, name, prices: {currency: {price, override_price}}} of the products selected."""
    rows = conn.execute(SELECTION_SQL, {
        "categories": None if categories is None else json.dumps(categories),
        "supplier_id": supplier_id, "ids": None if product_ids is None else json.dumps(product_ids),
        "archived": int(include_archived), "limit": limit})
    return [{"id": r["id"], "sku": r["sku"], "name": r["name"],
             "prices": {c: {"price": p, "override_price": o} for c, p, o in json.loads(r["prices_json"])}}
            for r in rows]


def insert_product(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    values = {k: int(v) if isinstance(v, bool) else v for k, v in row.items()}
    conn.execute(INSERT_SQL, {**values, "now": conn.stamp()})


def update_product(conn: sqlite3.Connection, product_id: str, fields: dict[str, Any]) -> None:
    """Set the given columns (maybe none) and bump the version: every change to a product does."""
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise ValueError(f"cannot update {sorted(unknown)}")
    values = {k: int(v) if isinstance(v, bool) else v for k, v in fields.items()}
    sets = "".join(f"{k} = :{k}, " for k in values)
    cur = conn.execute(f"UPDATE products SET {sets}version = version + 1, updated_at = :_now WHERE id = :_id",
                       {**values, "_now": conn.stamp(), "_id": product_id})
    if cur.rowcount != 1:
        raise KeyError(product_id)


def replace_suppliers(conn: sqlite3.Connection, product_id: str, suppliers: list[dict[str, Any]]) -> None:
    conn.execute("DELETE FROM product_suppliers WHERE product_id = :id", {"id": product_id})
    conn.executemany(SUPPLIER_INSERT_SQL, [
        {"product_id": product_id, "supplier_id": s["supplier_id"], "supplier_code": s["supplier_code"],
         "cost": s["cost"], "currency": s["currency"], "pack_size": s["pack_size"],
         "preferred": int(s["preferred"])} for s in suppliers])


def clear_plu(conn: sqlite3.Connection, product_ids: list[str]) -> None:
    """Free the PLUs of products about to take each other's (an import swapping two), unversioned:
    the same transaction sets the new ones and bumps the versions."""
    conn.execute("UPDATE products SET plu = NULL WHERE id IN (SELECT value FROM json_each(:ids))",
                 {"ids": json.dumps(product_ids)})


def till_view(doc: dict[str, Any]) -> dict[str, Any]:
    """The product as the change feed carries it to tills."""
    return {k: v for k, v in doc.items() if k not in NOT_FOR_TILLS}


def publish(conn: sqlite3.Connection, product_id: str) -> dict[str, Any]:
    """Record the product's current document on the change feed; returns the document."""
    doc = get_product(conn, product_id)
    if doc is None:
        raise KeyError(product_id)
    record_change(conn, "product", product_id, doc["version"], "upsert", till_view(doc))
    return doc


@lru_cache(maxsize=8)
def _parsed_rules(text: str | None) -> tuple[codes.EmbeddedRule, ...]:
    if text is None:
        return codes.DEFAULT_RULES
    return codes.parse_rules(json.loads(text))


def embedded_rules(conn: sqlite3.Connection) -> tuple[codes.EmbeddedRule, ...]:
    """The store's `barcodes.embedded` rules, or the defaults (docs/barcodes.md)."""
    row = conn.execute(RULES_SQL, {"key": EMBEDDED_RULES_KEY}).fetchone()
    try:
        return _parsed_rules(row[0] if row else None)
    except (ValueError, TypeError, AttributeError):  # written by hand past the API's checks
        log.warning("the setting %s is not a list of rules; using the defaults", EMBEDDED_RULES_KEY)
        return codes.DEFAULT_RULES


class MisreadBarcodeError(ValueError):
    """An in-store embedded code with a wrong check digit."""


def lookup(conn: sqlite3.Connection, scanned: str,
           rules: tuple[codes.EmbeddedRule, ...] | None = None) -> dict[str, Any] | None:
    """What a scanned or typed code sells: a product barcode (unit or pack), a weight- or
    price-embedded in-store EAN-13, or a SKU. None when it is none of them; MisreadBarcodeError
    for an in-store code whose check digit is wrong. Reads only: the till's hottest path."""
    typed = scanned.strip()
    code = codes.canonical(typed)
    embedded = None
    if len(code) == codes.EMBEDDED_LENGTH:
        try:
            embedded = codes.decode(code, rules if rules is not None else embedded_rules(conn))
        except codes.CheckDigitError as err:
            # An exact barcode or SKU still wins over a misread in-store code.
            found = conn.execute(LOOKUP_SQL, {"code": code, "plu": None, "typed": typed}).fetchone()
            if found is None:
                raise MisreadBarcodeError(str(err)) from err
            return _found(found, None, code)
    row = conn.execute(LOOKUP_SQL, {"code": code, "plu": embedded.plu if embedded else None,
                                    "typed": typed}).fetchone()
    return _found(row, embedded, code) if row else None


def _found(row: sqlite3.Row, embedded: codes.Embedded | None, scanned: str) -> dict[str, Any]:
    product = {k: row[k] for k in ("id", "sku", "name", "receipt_name", "category_id", "unit_id",
                                   "unit_code", "unit_decimals", "tax_class_id", "plu", "version")}
    product["sold_by_weight"] = bool(row["sold_by_weight"])
    product["active"] = bool(row["active"])
    product["prices"] = json.loads(row["prices"])
    result: dict[str, Any] = {"product": product, "code": row["code"] or scanned,
                              "quantity": row["quantity"], "price": None, "currency": None}
    if row["kind"] == "barcode":
        result["kind"] = "unit" if row["quantity"] == 1000 else "pack"
    elif row["kind"] == "sku":
        result["kind"] = "sku"
    else:
        assert embedded is not None
        result["kind"] = embedded.rule.kind
        if embedded.rule.kind == "weight":
            result["quantity"] = embedded.value
        else:
            result["quantity"] = None
            result["price"] = embedded.value
            result["currency"] = row["base_currency"]
    return result
