"""The stock projection as pure functions (docs/inventory.md, "The projection").

On-hand is a function of the *set* of movements, whatever order they arrived in: the counted
quantity of the latest count (by occurred_at, then id) plus every other movement that occurred
strictly after it (all of them when there is no count). A movement that occurred at or before the
latest count is already inside that count and moves nothing: a till's sale that arrives an hour
late does not take stock off twice.

The average cost is a running weighted average in the order the hub recorded the movements
(`seq`), like any perpetual weighted-average book: each inbound movement with a known cost
re-averages, outbound movements and counts leave it as it is. Quantities are integer thousandths
of the product's unit; costs are integer minor units of the base currency per unit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable

MILLI = 1000  # thousandths in one unit
LEVEL = "level"  # the direction of a counted baseline (kind `count`)


def divide_rounded(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero (denominator > 0): 2.5 -> 3, -2.5 -> -3."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    magnitude = (2 * abs(numerator) + denominator) // (2 * denominator)
    return -magnitude if numerator < 0 else magnitude


def stock_value(on_hand: int, avg_cost: int | None) -> int | None:
    """on_hand x avg_cost in minor units, rounded half away from zero; None when no cost is known.
    Negative stock has a negative value."""
    if avg_cost is None:
        return None
    return divide_rounded(on_hand * avg_cost, MILLI)


def averaged(on_hand: int, avg_cost: int | None, quantity: int, unit_cost: int) -> int:
    """The average cost after `quantity` (> 0) comes in at `unit_cost`:
    (on_hand x avg_cost + quantity x unit_cost) / (on_hand + quantity), rounded half up.
    With nothing (or less than nothing) on hand, or no cost known yet, the new cost is the average."""
    if on_hand <= 0 or avg_cost is None:
        return unit_cost
    return divide_rounded(on_hand * avg_cost + quantity * unit_cost, on_hand + quantity)


@dataclass(frozen=True, slots=True)
class Fact:
    """A movement as the projection sees it."""

    id: str
    direction: str  # in, out, any, level
    quantity: int  # signed change; for a `level` fact the counted quantity
    unit_cost: int | None
    occurred_at: str

    @property
    def is_count(self) -> bool:
        return self.direction == LEVEL


@dataclass(frozen=True, slots=True)
class Level:
    """A product's projection: on hand, average cost, and the count it stands on."""

    on_hand: int = 0
    avg_cost: int | None = None
    baseline_id: str | None = None  # the latest count
    baseline_at: str | None = None  # when it was counted

    @property
    def value(self) -> int | None:
        return stock_value(self.on_hand, self.avg_cost)


def absorbed(level: Level, fact: Fact) -> bool:
    """True for a movement that occurred at or before the latest count: the count holds it."""
    return not fact.is_count and level.baseline_at is not None and fact.occurred_at <= level.baseline_at


def is_newer_count(level: Level, fact: Fact) -> bool:
    """True for a count later than the level's baseline (by occurred_at, then id)."""
    if level.baseline_at is None or level.baseline_id is None:
        return True
    return (fact.occurred_at, fact.id) > (level.baseline_at, level.baseline_id)


def apply(level: Level, fact: Fact, later: int = 0) -> Level:
    """The level once `fact` is recorded. For a count, `later` is the sum of the non-count
    movements recorded before it that occurred strictly after it (they stand on the new count)."""
    if fact.is_count:
        if not is_newer_count(level, fact):
            return level  # an older count than the one the level stands on: history only
        return replace(level, on_hand=fact.quantity + later, baseline_id=fact.id,
                       baseline_at=fact.occurred_at)
    if absorbed(level, fact):
        return level
    avg = level.avg_cost
    if fact.quantity > 0 and fact.unit_cost is not None:
        avg = averaged(level.on_hand, level.avg_cost, fact.quantity, fact.unit_cost)
    # Built directly, not with dataclasses.replace: this runs once a sale line.
    return Level(on_hand=level.on_hand + fact.quantity, avg_cost=avg, baseline_id=level.baseline_id,
                 baseline_at=level.baseline_at)


def replay(facts: Iterable[Fact]) -> Level:
    """The level from a product's movements in the order they were recorded (what `rebuild` does)."""
    level = Level()
    seen: list[Fact] = []
    for fact in facts:
        later = 0
        if fact.is_count:
            later = sum(f.quantity for f in seen if f.occurred_at > fact.occurred_at)
        else:
            seen.append(fact)
        level = apply(level, fact, later)
    return level


def on_hand_of(facts: Iterable[Fact]) -> int:
    """On hand from the set formula, in no particular order: the latest count's quantity plus
    the non-count movements after it, or the sum of all of them when there is no count."""
    listed = list(facts)
    counts = [f for f in listed if f.is_count]
    if not counts:
        return sum(f.quantity for f in listed)
    latest = max(counts, key=lambda f: (f.occurred_at, f.id))
    return latest.quantity + sum(f.quantity for f in listed
                                 if not f.is_count and f.occurred_at > latest.occurred_at)
