"""Unit prices: the product's own price, a derived currency's price, then the tier (section 1)."""

from __future__ import annotations

from collections.abc import Mapping

from .rounding import div_round, percent_of, round_to_step


def unit_price(catalogue: Mapping, product: Mapping, currency: str, tier: str | None) -> int | None:
    """The product's unit price in `currency` for `tier`, or None when it is unpriced there."""
    price = base_price(catalogue.get("currencies") or {}, product, currency)
    if tier is None:
        return price
    # A tier price is never converted: only one set in `currency` counts, and it prices even a
    # product that steps 1-3 leave without a price.
    tier_price = ((product.get("tier_prices") or {}).get(tier) or {}).get(currency)
    if tier_price is not None:
        return tier_price
    percent_off_bp = ((catalogue.get("tiers") or {}).get(tier) or {}).get("percent_off_bp")
    if percent_off_bp is not None and price is not None:
        # A rule takes a share of a price; it cannot create one. Not rounded to a step again.
        return price - percent_of(price, percent_off_bp)
    return price


def base_price(currencies: Mapping, product: Mapping, currency: str) -> int | None:
    """Steps 1-2: the own price in `currency`, else the price derived from its base currency."""
    prices = product.get("prices") or {}
    own = prices.get(currency)
    if own is not None:
        return own
    spec = currencies.get(currency) or {}
    base = spec.get("derive_from")
    if base is None or prices.get(base) is None:
        return None
    return derived_price(prices[base], spec, currencies.get(base) or {})


def derived_price(base_price: int, spec: Mapping, base_spec: Mapping) -> int:
    """`div_round(p × rate × 10^dec(C), rate_scale × 10^dec(B))`, then to a step by mode."""
    raw = div_round(
        base_price * spec["rate"] * 10 ** spec["decimals"],
        spec["rate_scale"] * 10 ** base_spec["decimals"],
    )
    return round_to_step(raw, spec.get("round_step") or 1, spec.get("round_mode") or "half_up")
