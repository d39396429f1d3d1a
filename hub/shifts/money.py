"""The money rules of a shift, as pure functions (docs/sales.md, "Shifts and cash").

Per currency, never added across currencies:

    expected cash = float + cash received from sales (net of change given in that currency)
                    + pay-ins - pay-outs - safe drops
    cash variance = counted cash - expected cash          (below zero: the drawer is short)

Each non-cash tender (method, provider, currency) expects what the shift's sales took on it, and
its variance is what the provider's statement reported minus that.
"""

from __future__ import annotations

from typing import Any, Iterable

CASH = "cash"
KINDS = ("pay_in", "pay_out", "safe_drop")
SIGN = {"pay_in": 1, "pay_out": -1, "safe_drop": -1}


def movement_totals(sums: Iterable[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """currency -> {pay_in, pay_out, safe_drop} from (currency, kind, amount) rows."""
    out: dict[str, dict[str, int]] = {}
    for row in sums:
        out.setdefault(row["currency"], dict.fromkeys(KINDS, 0))[row["kind"]] += int(row["amount"])
    return out


def cash_lines(floats: dict[str, int], movements: dict[str, dict[str, int]],
               cash_sales: dict[str, int] | None) -> list[dict[str, Any]]:
    """One line per currency that had a float, a movement or cash sales: its parts and the expected
    cash (None for both when the shift's sales could not be summed)."""
    currencies = sorted(set(floats) | set(movements) | set(cash_sales or {}))
    lines = []
    for code in currencies:
        moved = movements.get(code, dict.fromkeys(KINDS, 0))
        sales = None if cash_sales is None else cash_sales.get(code, 0)
        expected = None if sales is None else (
            floats.get(code, 0) + sales + sum(SIGN[k] * moved[k] for k in KINDS))
        lines.append({"currency": code, "float": floats.get(code, 0), "cash_sales": sales, **moved,
                      "expected": expected})
    return lines


def variance(counted: int | None, expected: int | None) -> int | None:
    """counted - expected; None when either is unknown."""
    return None if counted is None or expected is None else counted - expected


def denomination_total(counts: Iterable[dict[str, Any]]) -> int:
    """The cash a count by denomination adds up to (value x quantity, minor units)."""
    return sum(int(c["value"]) * int(c["quantity"]) for c in counts)
