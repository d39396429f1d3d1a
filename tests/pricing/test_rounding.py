"""div_round, rounding to a step, and largest-remainder allocation, from hand-worked cases."""

from __future__ import annotations

import pytest

from hub.pricing.rounding import allocate, div_round, percent_of, round_to_step


@pytest.mark.parametrize(("a", "b", "expected"), [
    (5, 2, 3),      # 2.5 -> 3: half away from zero
    (-5, 2, -3),    # -2.5 -> -3
    (5, -2, -3),
    (-5, -2, 3),
    (7, 2, 4),      # 3.5 -> 4
    (24, 10, 2),
    (25, 10, 3),
    (-25, 10, -3),
    (26, 10, 3),
    (1, 3, 0),
    (2, 3, 1),
    (0, 7, 0),
    (10, 5, 2),     # exact
    (418500, 11550, 36),   # the document's example: 270 × 1550 / 11550 = 36.23
])
def test_div_round_rounds_half_away_from_zero(a, b, expected):
    assert div_round(a, b) == expected


def test_div_round_is_exact_on_numbers_past_float_precision():
    big = 10**30 + 1
    assert div_round(big * 2 + 1, 2) == big + 1
    assert div_round(big * 4 + 1, 4) == big


def test_div_round_by_zero_raises():
    with pytest.raises(ZeroDivisionError):
        div_round(1, 0)


def test_percent_of_rounds_the_product_once():
    assert percent_of(150, 500) == 8     # 7.5 -> 8
    assert percent_of(105, 1500) == 16   # 15.75 -> 16
    assert percent_of(300, 1000) == 30
    assert percent_of(310, 1500) == 47   # 46.5 -> 47


@pytest.mark.parametrize(("amount", "step", "mode", "expected"), [
    (4018, 10, "half_up", 4020),
    (4015, 10, "half_up", 4020),   # exactly half goes up (away from zero)
    (4014, 10, "half_up", 4010),
    (4011, 10, "up", 4020),
    (4019, 10, "down", 4010),
    (4010, 10, "up", 4010),        # a multiple stays put in every mode
    (4010, 10, "down", 4010),
    (4010, 10, "half_up", 4010),
    (4017, 1, "half_up", 4017),
    (4017, 1, "up", 4017),
    (5, 10, "half_up", 10),
    (4, 10, "half_up", 0),
    (1, 100, "up", 100),
    (99, 100, "down", 0),
    (250, 100, "half_up", 300),
])
def test_round_to_step_by_mode(amount, step, mode, expected):
    assert round_to_step(amount, step, mode) == expected


def test_round_to_step_refuses_an_unknown_mode_or_step():
    with pytest.raises(ValueError):
        round_to_step(10, 10, "bankers")
    with pytest.raises(ValueError):
        round_to_step(10, 0, "up")


@pytest.mark.parametrize(("total", "weights", "expected"), [
    (100, [50, 30, 20], [50, 30, 20]),     # exact shares
    (10, [1, 1, 1], [4, 3, 3]),            # equal remainders: the earlier line first
    (2, [1, 1, 1], [1, 1, 0]),
    (7, [300, 200, 100], [4, 2, 1]),       # floors 3, 2, 1; remainders 300, 200, 100
    (3, [1, 3], [1, 2]),                   # floors 0, 2; remainders 3, 1
    (47, [105, 205], [16, 31]),            # floors 15, 31; remainders 285, 25
    (150, [150, 400], [41, 109]),          # floors 40, 109; remainders 500, 50
    (2, [0, 1, 1], [0, 1, 1]),             # a zero weight never gets a unit
    (0, [3, 4], [0, 0]),
    (0, [0, 0], [0, 0]),
    (0, [], []),
])
def test_allocate_by_largest_remainder(total, weights, expected):
    assert allocate(total, weights) == expected


def test_allocate_ties_go_to_the_earlier_line_wherever_it_stands():
    # W = 5, every floor is 0; remainders are the weights: the two 2s tie for the one unit.
    assert allocate(1, [2, 1, 2]) == [1, 0, 0]
    assert allocate(1, [1, 2, 2]) == [0, 1, 0]
    # W = 6: remainders 1, 4, 1; the 4 wins whatever its place.
    assert allocate(1, [1, 4, 1]) == [0, 1, 0]


def test_allocate_refuses_what_it_cannot_spread():
    with pytest.raises(ValueError):
        allocate(5, [0, 0])
    with pytest.raises(ValueError):
        allocate(-1, [1])
