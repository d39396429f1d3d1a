"""Pricing a basket from the till's own catalogue, in integers only (docs/sales.md).

Money is integer minor units, quantities integer thousandths, tax rates basis points. A line's
total is `round_half_up(quantity × unit price / 1000)` less its discounts; in the store's
`inclusive` tax mode the total holds its tax (`total × bp / (10000 + bp)`), in `exclusive` mode
tax is `total × bp / 10000` on top. A sale's `total` is the lines' totals (+ tax in exclusive
mode) + cash rounding to the receipt currency's smallest coin. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

QUANTITY_SCALE = 1000
BP_SCALE = 10_000


def div_round(a: int, b: int) -> int:
    """`a / b` rounded half away from zero."""
    magnitude = (2 * abs(a) + abs(b)) // (2 * abs(b))
    return -magnitude if (a < 0) != (b < 0) else magnitude


def tax_rate_at(tax_class: Mapping[str, Any] | None, at: str) -> int:
    """The class's rate (basis points) in force at `at` (an ISO UTC stamp); 0 when exempt or none."""
    if tax_class is None or tax_class.get("exempt"):
        return 0
    rates = sorted((r for r in tax_class.get("rates") or [] if r["effective_from"] <= at),
                   key=lambda r: r["effective_from"])
    return int(rates[-1]["rate_bp"]) if rates else 0


def tax_code(tax_class: Mapping[str, Any] | None, rate_bp: int) -> str:
    """The line's short tax code: A taxed, B zero-rated, C exempt (as the demo store's tills)."""
    if tax_class is not None and tax_class.get("exempt"):
        return "C"
    return "A" if rate_bp else "B"


def unit_price(product: Mapping[str, Any], currency: str) -> int | None:
    """The product's price in `currency` as the feed gave it (the override or scheduled price in
    force when it was published, else its own price); None when it has none there."""
    for field in ("effective_prices", "prices"):
        price = (product.get(field) or {}).get(currency)
        if price is not None:
            return int(price)
    return None


def line_tax(total: int, rate_bp: int, mode: str) -> int:
    if mode == "exclusive":
        return div_round(total * rate_bp, BP_SCALE)
    return div_round(total * rate_bp, BP_SCALE + rate_bp)


def sale_line(product: Mapping[str, Any], quantity: int, price: int, *, tax_class: Mapping[str, Any] | None,
              at: str, mode: str, code: str = "", discount: int = 0, approved_by: str | None = None,
              reason: str = "") -> dict[str, Any]:
    """One line of a sale body (SaleLineIn): `quantity` thousandths at `price`, tax at the class's rate."""
    gross = div_round(quantity * price, QUANTITY_SCALE)
    discount = min(discount, gross)
    total = gross - discount
    rate = tax_rate_at(tax_class, at)
    return {"name": product.get("receipt_name") or product["name"], "quantity": quantity, "unit_price": price,
            "total": total, "product_id": product["id"], "code": code or product.get("sku") or "",
            "discounts": ([{"amount": discount, "approved_by": approved_by, "reason": reason}] if discount else []),
            "tax_class_id": product.get("tax_class_id"), "tax_code": tax_code(tax_class, rate),
            "tax_rate_bp": rate, "tax_amount": line_tax(total, rate, mode)}


def cash_rounding(amount: int, step: int) -> int:
    """What cash rounding adds to `amount` so it is a whole number of `step` (half up)."""
    if step <= 1:
        return 0
    return div_round(amount, step) * step - amount


def totals(lines: Sequence[Mapping[str, Any]], mode: str, rounding_step: int = 1,
           cash: bool = True) -> dict[str, int]:
    """subtotal, discount_total, tax_total, rounding and total of a sale with these lines."""
    subtotal = sum(div_round(ln["quantity"] * ln["unit_price"], QUANTITY_SCALE) for ln in lines)
    discount = sum(d["amount"] for ln in lines for d in ln["discounts"])
    tax = sum(ln["tax_amount"] for ln in lines)
    due = sum(ln["total"] for ln in lines) + (tax if mode == "exclusive" else 0)
    rounding = cash_rounding(due, rounding_step) if cash else 0
    return {"subtotal": subtotal, "discount_total": discount, "tax_total": tax, "rounding": rounding,
            "total": due + rounding}


def tenders_for(total: int, currency: str, method: str, handed: int | None = None,
                reference: str = "") -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Tenders and change paying `total` in the receipt currency: cash `handed` over (change back)
    or exact; card and mobile money exact, with the reference they captured."""
    if method == "cash":
        given = max(total, handed or total)
        change = [{"currency": currency, "amount": given - total}] if given > total else []
        return [{"method": "cash", "currency": currency, "amount": given}], change
    provider = {"mobile_money": "EcoCash", "card": "Acquirer"}.get(method, "")
    return [{"method": method, "currency": currency, "amount": total, "provider": provider,
             "reference": reference}], []
