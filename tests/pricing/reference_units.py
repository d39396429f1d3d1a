"""A literal, unit-by-unit reading of `multi_buy` and `buy_x_get_y` (docs/pricing.md, section 3).

Slow on purpose: it expands every whole unit, exactly as the document describes the lists. The
engine keeps units as runs; the property tests check both agree.
"""

from __future__ import annotations

from hub.pricing.model import PricedLine
from hub.pricing.rounding import allocate, percent_of


def _units(lines: list[PricedLine]) -> list[tuple[int, int, int]]:
    """(line index, unit number, unit price) for every whole unit."""
    return [(line.index, k, line.unit_price) for line in lines for k in range(line.units)]


def multi_buy(lines: list[PricedLine], size: int, price: int, max_groups: int | None) -> dict:
    units = sorted(_units(lines), key=lambda u: (-u[2], u[0]))  # dearest first, earlier line
    count = len(units) // size
    if max_groups is not None:
        count = min(count, max_groups)
    shares: dict[int, int] = {}
    for g in range(count):
        group = units[g * size:(g + 1) * size]
        saving = sum(u[2] for u in group) - price
        if saving <= 0:
            continue
        value: dict[int, int] = {}
        for index, _, unit_price in group:
            value[index] = value.get(index, 0) + unit_price
        indices = sorted(value)
        for index, share in zip(indices, allocate(saving, [value[i] for i in indices])):
            shares[index] = shares.get(index, 0) + share
    remaining = {line.index: line.remaining for line in lines}
    return {i: min(share, remaining[i]) for i, share in shares.items() if min(share, remaining[i])}


def buy_x_get_y(buy_lines: list[PricedLine], get_lines: list[PricedLine], buy: int, get: int,
                percent_off_bp: int, max_applications: int | None) -> dict:
    buy_list = sorted(_units(buy_lines), key=lambda u: (-u[2], u[0]))
    get_list = sorted(_units(get_lines), key=lambda u: (u[2], u[0]))
    used: set[tuple[int, int]] = set()
    got: dict[int, int] = {}
    applications = 0
    while max_applications is None or applications < max_applications:
        buys = [u[:2] for u in buy_list if u[:2] not in used][:buy]
        if len(buys) < buy:
            break
        gets = [u for u in get_list if u[:2] not in used and u[:2] not in buys][:get]
        if len(gets) < get:
            break
        used.update(buys)
        for index, k, unit_price in gets:
            used.add((index, k))
            got[index] = got.get(index, 0) + percent_of(unit_price, percent_off_bp)
        applications += 1
    remaining = {line.index: line.remaining for line in get_lines}
    return {i: min(amount, remaining[i]) for i, amount in got.items() if min(amount, remaining[i])}
