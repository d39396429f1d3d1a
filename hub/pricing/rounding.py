"""Integer rounding and allocation for the pricing engine (docs/pricing.md, "Rounding").

Everything here works on Python integers only; there is no float anywhere in the engine.
"""

from __future__ import annotations

from collections.abc import Sequence

BP_SCALE = 10000  # 100 % in basis points
QUANTITY_SCALE = 1000  # quantities are thousandths of the product's unit
ROUND_MODES = ("half_up", "up", "down")


def div_round(a: int, b: int) -> int:
    """`a / b` rounded half away from zero: `sign(a·b) × floor((2·|a| + |b|) / (2·|b|))`."""
    if b == 0:
        raise ZeroDivisionError("div_round by zero")
    magnitude = (2 * abs(a) + abs(b)) // (2 * abs(b))
    return -magnitude if (a < 0) != (b < 0) else magnitude


def percent_of(amount: int, percent_bp: int) -> int:
    """`amount × percent_bp / 10000`, rounded half away from zero."""
    return div_round(amount * percent_bp, BP_SCALE)


def round_to_step(amount: int, step: int, mode: str) -> int:
    """`amount` to a multiple of `step` minor units: `half_up` (away from zero), `up`, `down`."""
    if step <= 0:
        raise ValueError(f"round_step must be positive, not {step}")
    if mode == "half_up":
        return div_round(amount, step) * step
    if mode == "up":
        return -(-amount // step) * step
    if mode == "down":
        return amount // step * step
    raise ValueError(f"unknown round_mode {mode!r}; expected one of {ROUND_MODES}")


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Spread `total` over `weights` by largest remainder; shares add up to `total` exactly.

    Each share is first `floor(total × w / W)`; the units left over go one each to the largest
    remainders `(total × w) mod W`, ties to the earlier weight (docs/pricing.md, "Allocation").
    """
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("allocate takes a non-negative total and weights")
    whole = sum(weights)
    if whole == 0:
        if total:
            raise ValueError(f"cannot allocate {total} over weights that sum to zero")
        return [0] * len(weights)
    shares = []
    remainders = []
    for index, weight in enumerate(weights):
        share, remainder = divmod(total * weight, whole)
        shares.append(share)
        remainders.append((-remainder, index))
    left_over = total - sum(shares)
    # left_over < number of positive remainders, so a zero remainder never gets a unit.
    for _, index in sorted(remainders)[:left_over]:
        shares[index] += 1
    return shares
