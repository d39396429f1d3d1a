"""Reorder suggestions: a pure function of a product's stock, threshold, sales and supplier.

Integer arithmetic only (docs/inventory.md, "Reorder suggestions"):

    cover    = lead_time_days + review_days
    position = on_hand + on_order                                    (on_order: still to come on open orders)
    need     = ceil(sold x cover / days) + threshold - position      (sold over the last `days`)
    due      = (threshold > 0 and position <= threshold)
               or (sold > 0 and position x days <= sold x cover)     (runs out within cover)
    suggest  = ceil(max(need, 1) / pack) x pack                      when due, else nothing
"""

from __future__ import annotations

from typing import Any


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def suggestion(*, on_hand: int, threshold: int, sold: int, days: int, lead_time_days: int, review_days: int,
               pack_size: int, on_order: int = 0) -> dict[str, Any] | None:
    """{daily_velocity, cover_days, need, quantity, packs} when the product is due for ordering, else None.
    Quantities in thousandths; `daily_velocity` rounded up to a thousandth. What open orders still
    bring (`on_order`) counts as stock, so an order is not suggested twice."""
    cover = lead_time_days + review_days
    sold = max(sold, 0)
    position = on_hand + max(on_order, 0)
    due = (threshold > 0 and position <= threshold) or (sold > 0 and position * days <= sold * cover)
    if not due:
        return None
    need = ceil_div(sold * cover, days) + threshold - position
    pack = max(pack_size, 1)
    quantity = ceil_div(max(need, 1), pack) * pack
    return {"daily_velocity": ceil_div(sold, days), "cover_days": cover, "need": max(need, 0),
            "quantity": quantity, "packs": quantity // pack}
