"""Bulk price changes: pick products (category with its descendants, supplier, ids), move their
prices by a percentage or a fixed amount per currency, round to a step; preview, then apply.

Preview and apply run the very same `plan` on the same data, so what a manager saw is what gets
written (as long as nothing changed in between; apply recomputes and returns what it wrote).
Apply writes each price through the one price-change path with source "bulk" (history, label
queue), bumps and publishes each product once, and writes ONE audit entry for the whole change:
a summary (selection, rule, counts); the per-product old and new prices are in price history.
Before enrolment the change lands on `price`; once enrolled on the store's `override_price`,
computed from the price customers pay now.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.catalogue.products.prices import effective, set_price, store_price_field
from hub.db import audit, product_refs, products
from hub.db.audit import Actor
from hub.errors import FieldErrors
from hub.pricing.rounding import percent_of, round_to_step

MAX_PRODUCTS = 20_000


def new_price(old: int, *, percent_bp: int | None, amount: int | None, step: int, mode: str) -> int:
    """`old` moved by `percent_bp` (rounded half away from zero) or by `amount`, then to `step`."""
    raw = old + percent_of(old, percent_bp) if percent_bp is not None else old + (amount or 0)
    return round_to_step(raw, step, mode)


def _rule_problems(rule: dict[str, Any], currencies: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    select = rule["select"]
    if not any(select.get(k) is not None for k in ("category_id", "supplier_id", "product_ids")):
        found.append(("select", "choose products by category_id, supplier_id or product_ids"))
    if (rule.get("percent_bp") is None) == (not rule.get("amounts")):
        found.append(("percent_bp", "give either percent_bp or amounts"))
    if rule.get("percent_bp") is not None and not rule.get("currencies"):
        found.append(("currencies", "say which currencies' prices the percentage moves"))
    for name in ("currencies", "amounts", "round_step"):
        for code in rule.get(name) or ():
            if code not in currencies:
                found.append((f"{name}.{code}" if name != "currencies" else name, f"there is no currency {code}"))
    return found


def plan(conn: sqlite3.Connection, rule: dict[str, Any]) -> dict[str, Any]:
    """What the rule would do: each product's old -> new price per currency, and what it skips."""
    found = _rule_problems(rule, product_refs.load_refs(conn)["currencies"])
    select = rule["select"]
    categories = None
    if select.get("category_id") is not None:
        categories = product_refs.category_and_descendants(conn, select["category_id"])
        if not categories:
            found.append(("select.category_id", f"there is no category {select['category_id']}"))
    if found:
        raise FieldErrors(found)
    chosen = products.select_for_prices(
        conn, categories=categories, supplier_id=select.get("supplier_id"),
        product_ids=select.get("product_ids"), include_archived=rule.get("include_archived", False),
        limit=MAX_PRODUCTS + 1)
    if len(chosen) > MAX_PRODUCTS:
        raise FieldErrors([("select", f"selects more than {MAX_PRODUCTS} products; narrow it")])
    field = store_price_field(conn)
    amounts = rule.get("amounts") or None
    currencies = sorted(amounts) if amounts is not None else sorted(set(rule["currencies"]))
    items, skipped, unchanged = [], [], 0
    for product in chosen:
        for currency in currencies:
            row = product["prices"].get(currency)
            old = (effective(row) if field == "override_price" else row["price"]) if row else None
            who = {"product_id": product["id"], "sku": product["sku"], "name": product["name"], "currency": currency}
            if old is None:
                skipped.append({**who, "reason": f"no price in {currency}"})
                continue
            new = new_price(old, percent_bp=rule.get("percent_bp"),
                            amount=amounts.get(currency) if amounts is not None else None,
                            step=(rule.get("round_step") or {}).get(currency, 1),
                            mode=rule.get("round_mode", "half_up"))
            if new < 0:
                skipped.append({**who, "reason": f"{old} would fall below zero"})
            elif new == old:
                unchanged += 1
            else:
                items.append({**who, "field": field, "old_price": old, "new_price": new})
    return {"items": items, "skipped": skipped, "unchanged": unchanged, "products": len(chosen),
            "applied": False}


def apply(conn: sqlite3.Connection, actor: Actor, rule: dict[str, Any]) -> dict[str, Any]:
    """Write what `plan` computes, in this one transaction, with one audit entry."""
    result = plan(conn, rule)
    reason = rule.get("reason") or "bulk price change"
    touched: list[str] = []
    for item in result["items"]:
        set_price(conn, item["product_id"], item["currency"], item["field"], item["new_price"],
                  source="bulk", reason=reason, changed_by=actor.username)
        if not touched or touched[-1] != item["product_id"]:
            touched.append(item["product_id"])
    for product_id in touched:
        products.update_product(conn, product_id, {})
        products.publish(conn, product_id)
    summary = {k: rule.get(k) for k in ("select", "currencies", "percent_bp", "amounts", "round_step",
                                       "round_mode", "include_archived", "reason")}
    audit.append(conn, actor, "product.bulk_price_changed", "product", None, detail={
        **summary, "products": len(touched), "changes": len(result["items"]),
        "skipped": len(result["skipped"]), "unchanged": result["unchanged"]})
    return {**result, "applied": True}
