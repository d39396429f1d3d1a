"""What the product pages read, each in one read snapshot: the reference data the forms offer,
a page of the list (the API's own query and cursor), and one product with its history."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Iterable

from hub.catalogue import ownership
from hub.catalogue.barcodes import EmbeddedRule
from hub.catalogue._common import now
from hub.catalogue.categories import tree
from hub.catalogue.products._paging import encode_cursor, like_pattern
from hub.db import categories, currencies, labels, product_prices, product_refs, products
from hub.db.pricing import load_catalogue
from hub.pricing.prices import base_price

PAGE_SIZE = 50
HISTORY_PAGE = 20
# The stock-tracked filter is not in the API's query: the page reads the list a chunk at a time
# and keeps the matching rows, scanning at most this many before it offers "Next" from there.
SCAN_CHUNK, SCAN_BUDGET = 250, 2000
PRODUCT_FIELDS = ("sku", "name", "receipt_name", "description", "category_id", "unit_id", "tax_class_id",
                  "hs_code", "sold_by_weight", "plu", "barcodes", "price", "cost_price", "stock_tracked",
                  "low_stock_threshold", "suppliers", "active")


def references(conn: sqlite3.Connection) -> dict[str, Any]:
    """Units, tax classes, categories (as a tree), suppliers and currencies, the embedded barcode
    rules, whether HQ owns fields now, and each currency's pricing (for derived prices)."""
    refs = product_refs.load_refs(conn)
    flat = tree.flatten(categories.all_categories(conn))
    listed = currencies.list_currencies(conn, limit=100)
    active = sorted((c for c in listed if c["active"]), key=lambda c: (not c["is_base"], c["code"]))
    enrolled = ownership.is_enrolled(conn)
    return {
        "units": refs["units"],
        "unit_list": sorted(refs["units"].values(), key=lambda u: u["code"]),
        "tax_classes": refs["tax_classes"],
        "tax_list": sorted(refs["tax_classes"].values(), key=lambda t: t["code"]),
        "categories": flat, "category_paths": {c["id"]: " › ".join(c["path"]) for c in flat},
        "suppliers": refs["suppliers"],
        "supplier_list": sorted(refs["suppliers"].values(), key=lambda s: s["name"].casefold()),
        "currencies": active, "all_currencies": {c["code"]: c for c in listed},
        "enrolled": enrolled,
        "locked": frozenset(ownership.hq_fields("products", PRODUCT_FIELDS)) if enrolled else frozenset(),
        "embedded": products.embedded_rules(conn),
        "pricing": load_catalogue(conn, [], at=now(conn))["currencies"],
    }


def shelf_prices(doc: dict[str, Any], refs: dict[str, Any]) -> list[dict[str, Any]]:
    """What a customer pays in each active currency: {code, amount, derived} (amount None: unpriced)."""
    product = {"prices": doc["effective_prices"]}
    out = []
    for currency in refs["currencies"]:
        own = doc["effective_prices"].get(currency["code"])
        amount = own if own is not None else base_price(refs["pricing"], product, currency["code"])
        out.append({"code": currency["code"], "decimals": currency["decimals"], "amount": amount,
                    "derived": own is None and amount is not None})
    return out


@dataclass(frozen=True)
class ListQuery:
    q: str | None
    category_id: str | None
    supplier_id: str | None
    tax_class_id: str | None
    active: bool | None
    tracked: bool | None
    after: tuple[str, ...] | None


def list_page(conn: sqlite3.Connection, query: ListQuery, limit: int = PAGE_SIZE) -> dict[str, Any]:
    """{items, next_after, scanned_out}: a page by name, as GET /api/v1/products reads it."""
    categories_in = None
    if query.category_id:
        categories_in = product_refs.category_and_descendants(conn, query.category_id)
    filters = {"q": query.q, "q_like": like_pattern(query.q) if query.q else None,
               "categories": categories_in, "supplier_id": query.supplier_id or None,
               "active": query.active, "tax_class_id": query.tax_class_id or None}
    cursor = query.after
    if query.tracked is None:
        rows = products.list_products(conn, **filters, after=cursor, limit=limit + 1)  # type: ignore[arg-type]
        items = rows[:limit]
        more = len(rows) > limit and items
        return {"items": items, "scanned_out": False,
                "next_after": encode_cursor(items[-1]["name"], items[-1]["id"]) if more else None}
    found: list[dict[str, Any]] = []
    scanned = 0
    while True:
        rows = products.list_products(conn, **filters, after=cursor, limit=SCAN_CHUNK)  # type: ignore[arg-type]
        for row in rows:
            scanned += 1
            cursor = (row["name"], row["id"])
            if row["stock_tracked"] == query.tracked:
                found.append(row)
                if len(found) == limit + 1:
                    last = found[limit - 1]
                    return {"items": found[:limit], "scanned_out": False,
                            "next_after": encode_cursor(last["name"], last["id"])}
        if len(rows) < SCAN_CHUNK:
            return {"items": found, "next_after": None, "scanned_out": False}
        if scanned >= SCAN_BUDGET:
            assert cursor is not None
            return {"items": found, "next_after": encode_cursor(*cursor), "scanned_out": True}


def product_page(conn: sqlite3.Connection, product_id: str,
                 history_after: tuple[str, ...] | None) -> dict[str, Any] | None:
    """One product with a page of its price history, every scheduled change and its label state."""
    doc = products.get_product(conn, product_id)
    if doc is None:
        return None
    rows = product_prices.list_history(conn, product_id, after=history_after,  # type: ignore[arg-type]
                                       limit=HISTORY_PAGE + 1)
    history = rows[:HISTORY_PAGE]
    more = len(rows) > HISTORY_PAGE and history
    return {"product": doc, "history": history,
            "history_next": encode_cursor(history[-1]["effective_at"], history[-1]["id"]) if more else None,
            "schedules": product_prices.list_schedules(conn, product_id),
            "label_queued_at": labels.queued_at(conn, product_id)}


def scale_labels(product: dict[str, Any], rules: Iterable[EmbeddedRule], base: str | None) -> list[dict[str, Any]]:
    """How scale labels carry this product's PLU, one line per kind of rule: the first prefix's
    pattern (value digits as dots), every prefix of that kind, and what the value means."""
    if not product["plu"]:
        return []
    lines: dict[str, dict[str, Any]] = {}
    for rule in rules:
        if rule.kind == "weight" and not product["sold_by_weight"]:
            continue
        line = lines.get(rule.kind)
        if line is None:
            plu = product["plu"].rjust(rule.item_digits, "0")
            meaning = ("weighed: the weight in thousandths of the unit (grams)" if rule.kind == "weight"
                       else f"price-embedded: the price in {base or 'base currency'} minor units")
            lines[rule.kind] = {"kind": meaning, "prefixes": [rule.prefix],
                                "pattern": f"{rule.prefix} {plu} {'·' * rule.value_digits} ·"}
        else:
            line["prefixes"].append(rule.prefix)
    return [lines[k] for k in ("weight", "price") if k in lines]
