"""Stock numbers as a page shows them (pure): quantities in the unit's decimals, money in the
currency's, signed, with thousands separated."""

from __future__ import annotations


def quantity(thousandths: int | None) -> str:
    """Thousandths in units, trailing zeros dropped: 12000 -> "12", -1500 -> "-1.5", 1250 -> "1.25"
    (every digit the ledger holds, even one the unit's decimals would not allow); "—" for none."""
    if thousandths is None:
        return "—"
    whole, frac = divmod(abs(thousandths), 1000)
    digits = f"{frac:03d}".rstrip("0")
    sign = "-" if thousandths < 0 else ""
    return f"{sign}{whole:,}" + (f".{digits}" if digits else "")


def money(minor: int | None, decimals: int = 2, code: str | None = None) -> str:
    """123456 -> "USD 1,234.56", -90 -> "USD -0.90"; "—" for none (no cost known)."""
    if minor is None:
        return "—"
    whole, frac = divmod(abs(minor), 10 ** decimals)
    text = f"{'-' if minor < 0 else ''}{whole:,}" + (f".{frac:0{decimals}d}" if decimals else "")
    return f"{code} {text}" if code else text
