"""Stock numbers as a page shows them (pure): quantities in the unit's decimals, money in the
currency's, signed, with thousands separated."""

from __future__ import annotations

from hub.portal.parse import amount_text, quantity_text


def quantity(thousandths: int | None) -> str:
    """Thousandths in units, trailing zeros dropped: 12000 -> "12", -1500 -> "-1.5", 1250 -> "1.25"
    (every digit the ledger holds, even one the unit's decimals would not allow); "—" for none."""
    return "—" if thousandths is None else quantity_text(thousandths, grouped=True)


def money(minor: int | None, decimals: int = 2, code: str | None = None) -> str:
    """123456 -> "USD 1,234.56", -90 -> "USD -0.90"; "—" for none (no cost known)."""
    if minor is None:
        return "—"
    text = amount_text(minor, decimals, grouped=True)
    return f"{code} {text}" if code else text
