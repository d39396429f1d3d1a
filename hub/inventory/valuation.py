"""Stock valuation at cost, from the levels (pure): the total and the figures per category.

Values are added in Python, not with SQL's sum(), which stops at 64 bits; a level with stock but
no known cost is counted apart, never valued at zero in silence.
"""

from __future__ import annotations

from typing import Any, Iterable

UNCATEGORISED = "No category"


def valuation(rows: Iterable[dict[str, Any]], currency: str | None) -> dict[str, Any]:
    """rows: {category_id, category_name, category_parent_id, on_hand, value} of levels not at zero."""
    by_category: dict[str | None, dict[str, Any]] = {}
    total = products = negative = without_cost = 0
    for row in rows:
        key = row["category_id"]
        entry = by_category.setdefault(key, {
            "category_id": key, "name": row["category_name"] or UNCATEGORISED,
            "parent_id": row["category_parent_id"], "products": 0, "value": 0, "without_cost": 0})
        entry["products"] += 1
        products += 1
        negative += row["on_hand"] < 0
        if row["value"] is None:
            entry["without_cost"] += 1
            without_cost += 1
        else:
            entry["value"] += row["value"]
            total += row["value"]
    ordered = sorted(by_category.values(), key=lambda e: (e["category_id"] is None, e["name"].casefold()))
    return {"currency": currency, "total_value": total, "products": products, "negative_products": negative,
            "without_cost": without_cost, "by_category": ordered}
