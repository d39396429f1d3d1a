"""Promotions: which apply, which lines they may touch, and what each kind gives (section 3).

Every function here is pure: it reads the lines and returns discounts by line index; the engine
applies them, so a kind never sees a half-applied promotion.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from . import _units
from ._time import parse_instant, parse_time_of_day
from .errors import PricingError
from .model import PricedLine, Target
from .rounding import BP_SCALE, allocate, percent_of

KINDS = ("percent_off", "amount_off", "multi_buy", "buy_x_get_y", "spend_threshold")


@dataclass(frozen=True, slots=True)
class Promotion:
    """A catalogue promotion; `spec` is its catalogue entry (kind parameters, windows, caps)."""

    id: str
    kind: str
    priority: int
    stackable: bool
    target: Target
    spec: Mapping

    @classmethod
    def parse(cls, promotion_id: str, spec: Mapping) -> Promotion:
        if spec.get("kind") not in KINDS:
            raise PricingError("unknown_promotion_kind", None,
                               f"promotion {promotion_id!r} has kind {spec.get('kind')!r}")
        return cls(id=promotion_id, kind=spec["kind"], priority=spec.get("priority") or 0,
                   stackable=bool(spec.get("stackable", False)),
                   target=Target.parse(spec.get("target")), spec=spec)


def promotions_in_force(catalogue_promotions: Mapping, ids: Iterable[str]) -> list[Promotion]:
    """The basket's promotions in application order: `priority` (smaller first), then `id`.

    An id the catalogue does not hold refuses the basket; an id given twice applies once.
    """
    ids = list(ids)
    for pid in ids:
        if pid not in catalogue_promotions:
            raise PricingError("unknown_promotion", None, f"no promotion {pid!r} in the catalogue")
    chosen = {pid: Promotion.parse(pid, catalogue_promotions[pid]) for pid in ids}
    return sorted(chosen.values(), key=lambda promotion: (promotion.priority, promotion.id))


def applies(promotion: Promotion, at: dt.datetime, local: dt.datetime, tier: str | None,
            currency: str) -> bool:
    """Validity window, store-local days and times, tiers, and amounts in the basket currency."""
    spec = promotion.spec
    if spec.get("valid_from") is not None and at < parse_instant(spec["valid_from"]):
        return False
    if spec.get("valid_until") is not None and at >= parse_instant(spec["valid_until"]):
        return False
    if spec.get("days") is not None and local.isoweekday() not in spec["days"]:
        return False
    if not _in_time_window(local.time(), spec.get("time_from"), spec.get("time_until")):
        return False
    if spec.get("tiers") is not None and (tier is None or tier not in spec["tiers"]):
        return False
    return all(currency in (amounts or {}) for amounts in _amounts_needed(promotion))


def _in_time_window(now: dt.time, time_from: str | None, time_until: str | None) -> bool:
    """`from ≤ t < until`; when `from > until` the window crosses midnight."""
    start = parse_time_of_day(time_from) if time_from is not None else None
    end = parse_time_of_day(time_until) if time_until is not None else None
    if start is not None and end is not None and start > end:
        return now >= start or now < end
    return (start is None or start <= now) and (end is None or now < end)


def _amounts_needed(promotion: Promotion) -> list[Mapping | None]:
    """The per-currency amount tables the kind needs; each must hold the basket currency."""
    spec = promotion.spec
    if promotion.kind in ("amount_off", "multi_buy"):
        return [spec.get("amounts")]
    if promotion.kind == "spend_threshold":
        if spec.get("percent_off_bp") is None:
            return [spec.get("thresholds"), spec.get("amounts")]
        return [spec.get("thresholds")]
    return []


def eligible_lines(promotion: Promotion, lines: Sequence[PricedLine],
                   target: Target) -> list[PricedLine]:
    """Lines matching `target` that are not locked and, unless stackable, not yet discounted."""
    return [line for line in lines
            if target.matches(line) and not line.locked
            and (promotion.stackable or not line.discounts)]


def discounts(promotion: Promotion, lines: Sequence[PricedLine], currency: str) -> dict[int, int]:
    """What `promotion` gives each line (by index), capped by `max_discount`; zeros left out."""
    computed = _KIND_RULES[promotion.kind](promotion, lines, currency)
    computed = {index: amount for index, amount in sorted(computed.items()) if amount > 0}
    cap = (promotion.spec.get("max_discount") or {}).get(currency)
    if cap is not None and sum(computed.values()) > cap:
        # Shares in proportion to the computed discounts replace them (section 3, "Caps").
        shares = allocate(max(0, cap), list(computed.values()))
        computed = {index: share for index, share in zip(computed, shares) if share > 0}
    return computed


def _spread(amount: int, lines: Sequence[PricedLine]) -> dict[int, int]:
    """A basket-level discount allocated over `lines`, weighted by their remaining amounts."""
    shares = allocate(amount, [line.remaining for line in lines])
    return {line.index: share for line, share in zip(lines, shares)}


def _percent_off(promotion: Promotion, lines: Sequence[PricedLine], currency: str) -> dict:
    eligible = eligible_lines(promotion, lines, promotion.target)
    percent_off_bp = promotion.spec["percent_off_bp"]
    if promotion.target.basket:
        total = sum(line.remaining for line in eligible)
        return _spread(min(percent_of(total, percent_off_bp), total), eligible)
    return {line.index: min(percent_of(line.remaining, percent_off_bp), line.remaining)
            for line in eligible}


def _amount_off(promotion: Promotion, lines: Sequence[PricedLine], currency: str) -> dict:
    eligible = eligible_lines(promotion, lines, promotion.target)
    amount = promotion.spec["amounts"][currency]
    if promotion.target.basket:
        return _spread(min(amount, sum(line.remaining for line in eligible)), eligible)
    # Off each whole unit of a product or category line.
    return {line.index: min(amount * line.units, line.remaining) for line in eligible}


def _multi_buy(promotion: Promotion, lines: Sequence[PricedLine], currency: str) -> dict:
    spec = promotion.spec
    return _units.multi_buy(eligible_lines(promotion, lines, promotion.target),
                            spec["quantity"], spec["amounts"][currency],
                            spec.get("max_applications"))


def _buy_x_get_y(promotion: Promotion, lines: Sequence[PricedLine], currency: str) -> dict:
    spec = promotion.spec
    percent_off_bp = spec.get("percent_off_bp")
    return _units.buy_x_get_y(
        eligible_lines(promotion, lines, Target.parse(spec.get("buy_target"))),
        eligible_lines(promotion, lines, Target.parse(spec.get("get_target"))),
        spec["buy"], spec["get"], BP_SCALE if percent_off_bp is None else percent_off_bp,
        spec.get("max_applications"))


def _spend_threshold(promotion: Promotion, lines: Sequence[PricedLine], currency: str) -> dict:
    spec = promotion.spec
    eligible = eligible_lines(promotion, lines, promotion.target)
    spent = sum(line.remaining for line in eligible)
    if spent < spec["thresholds"][currency]:
        return {}
    if spec.get("percent_off_bp") is not None:
        amount = min(percent_of(spent, spec["percent_off_bp"]), spent)
    else:
        amount = min(spec["amounts"][currency], spent)
    return _spread(amount, eligible)


_KIND_RULES = {
    "percent_off": _percent_off,
    "amount_off": _amount_off,
    "multi_buy": _multi_buy,
    "buy_x_get_y": _buy_x_get_y,
    "spend_threshold": _spend_threshold,
}
