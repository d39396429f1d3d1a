"""Unit-counting kinds: `multi_buy` and `buy_x_get_y` (docs/pricing.md, section 3, "Units").

The document reads these as lists of whole units. Every unit of a line has the same price, so the
lists are kept as runs (line, unit price, unit count) instead of being expanded one unit at a
time: a run of identical groups or applications is taken in one step, and only a group or an
application that spans two lines is walked unit by unit. The cost is O(lines log lines) whatever
the quantities, so no expansion cap is needed; `tests/pricing/test_properties.py` checks these
functions against a literal unit-by-unit reading of the document.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from .model import PricedLine
from .rounding import allocate, percent_of

Run = tuple[int, int, int]  # (line index, unit price, whole units)


def _runs(lines: Sequence[PricedLine], cheapest_first: bool) -> list[Run]:
    """The unit list as runs: most expensive (or cheapest) first, ties to the earlier line."""
    runs = [(line.index, line.unit_price, line.units) for line in lines if line.units > 0]
    sign = 1 if cheapest_first else -1
    runs.sort(key=lambda run: (sign * run[1], run[0]))
    return runs


def _capped(lines: Sequence[PricedLine], discounts: dict[int, int]) -> dict[int, int]:
    """Each line's discount capped at its remaining amount; lines given nothing left out."""
    remaining = {line.index: line.remaining for line in lines}
    capped = {index: min(amount, remaining[index]) for index, amount in discounts.items()}
    return {index: amount for index, amount in capped.items() if amount > 0}


def multi_buy(lines: Sequence[PricedLine], size: int, price: int,
              max_groups: int | None) -> dict[int, int]:
    """"N for price": whole groups of the most expensive units, each settled on its own."""
    if size < 1:
        return {}
    runs = _runs(lines, cheapest_first=False)
    groups = sum(units for _, _, units in runs) // size
    if max_groups is not None:
        groups = max(0, min(groups, max_groups))
    shares: dict[int, int] = {}
    run, offset = 0, 0  # the next unused unit is run `run`, `offset` units in
    while groups:
        index, unit_price, units = runs[run]
        whole_groups = min((units - offset) // size, groups)
        if whole_groups:  # identical groups inside one line: each one's discount is all its own
            saving = max(0, size * unit_price - price)
            shares[index] = shares.get(index, 0) + whole_groups * saving
            offset += whole_groups * size
            groups -= whole_groups
        else:  # one group that spans lines
            need, members = size, {}
            while need:
                index, unit_price, units = runs[run]
                taken = min(need, units - offset)
                members[index] = taken * unit_price
                need -= taken
                offset += taken
                if offset == units:
                    run, offset = run + 1, 0
            saving = sum(members.values()) - price
            if saving > 0:
                # Over the lines of this group's units, by their value in it, in basket order.
                order = sorted(members)
                for index, share in zip(order, allocate(saving, [members[i] for i in order])):
                    shares[index] = shares.get(index, 0) + share
            groups -= 1
        if run < len(runs) and offset == runs[run][2]:
            run, offset = run + 1, 0
    # A line's shares are added, then capped; what the cap cuts off goes to no other line.
    return _capped(lines, shares)


def buy_x_get_y(buy_lines: Sequence[PricedLine], get_lines: Sequence[PricedLine], buy: int,
                get: int, percent_off_bp: int, max_applications: int | None) -> dict[int, int]:
    """Buy X (most expensive first), get Y (cheapest first) at `percent_off_bp` off."""
    if buy < 1 or get < 1:
        return {}
    buy_runs = _runs(buy_lines, cheapest_first=False)
    get_runs = _runs(get_lines, cheapest_first=True)
    units = {index: count for runs in (buy_runs, get_runs) for index, _, count in runs}
    used = dict.fromkeys(units, 0)  # a line may be in both lists: its units are shared
    got: dict[int, int] = {}  # get units per line index
    left = max_applications if max_applications is not None else -1
    b = g = 0  # first buy and get runs that may still have unused units
    while left:
        while b < len(buy_runs) and used[buy_runs[b][0]] == units[buy_runs[b][0]]:
            b += 1
        while g < len(get_runs) and used[get_runs[g][0]] == units[get_runs[g][0]]:
            g += 1
        if b == len(buy_runs) or g == len(get_runs):
            break
        buy_at, get_at = buy_runs[b][0], get_runs[g][0]
        free_buy, free_get = units[buy_at] - used[buy_at], units[get_at] - used[get_at]
        if buy_at != get_at:
            bulk = min(free_buy // buy, free_get // get)
        else:
            bulk = free_buy // (buy + get)
        if left > 0:
            bulk = min(bulk, left)
        if bulk:  # identical applications: X from one line, Y from one line
            used[buy_at] += bulk * buy
            used[get_at] += bulk * get
            got[get_at] = got.get(get_at, 0) + bulk * get
            left -= bulk
            continue
        taken = _take(buy_runs, b, buy, units, used, {})
        if taken is None:
            break
        gets = _take(get_runs, g, get, units, used, taken)
        if gets is None:
            break
        for index, count in taken.items():
            used[index] += count
        for index, count in gets.items():
            used[index] += count
            got[index] = got.get(index, 0) + count
        left -= 1
    prices = {line.index: line.unit_price for line in get_lines}
    discounts = {index: count * percent_of(prices[index], percent_off_bp)
                 for index, count in got.items()}
    return _capped(get_lines, discounts)


def _take(runs: list[Run], start: int, count: int, units: dict[int, int], used: dict[int, int],
          held: dict[int, int]) -> dict[int, int] | None:
    """`count` unused units from `runs[start:]` in list order, skipping `held`; None if short."""
    taken: dict[int, int] = {}
    for index, _, _ in itertools.islice(runs, start, None):
        free = units[index] - used[index] - held.get(index, 0)
        if free > 0:
            taken[index] = min(free, count)
            count -= taken[index]
            if not count:
                return taken
    return None
