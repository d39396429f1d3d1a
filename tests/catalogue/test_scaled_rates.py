"""Exchange rates as decimal text and scaled integers, converted exactly (no floats)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.catalogue.exchange_rates.scaled import (
    MAX_RATE, RateTextError, format_scaled, is_power_of_ten, parse_scaled, scale_places,
)


@pytest.mark.parametrize(("text", "scale", "rate"), [
    ("26.7834", 1_000_000, 26_783_400),
    ("26.783456", 1_000_000, 26_783_456),
    ("26", 1_000_000, 26_000_000),
    ("0.000001", 1_000_000, 1),
    ("26.7830", 10_000, 267_830),  # a trailing zero is not a decimal the scale must hold
    ("13", 1, 13),
    ("0.1", 10, 1),
    ("1.10", 10, 11),
    ("007.25", 100, 725),
])
def test_decimal_text_becomes_the_exact_scaled_integer(text, scale, rate):
    assert parse_scaled(text, scale) == rate


def test_a_float_would_have_got_this_wrong_and_the_conversion_does_not():
    # 0.29 * 100 is 28.999999999999996 in binary floating point.
    assert parse_scaled("0.29", 100) == 29
    assert parse_scaled("1.005", 1000) == 1005


@pytest.mark.parametrize(("text", "scale", "reason"), [
    ("26.7834567", 1_000_000, "more decimals than rate_scale 1000000 holds (at most 6)"),
    ("0.05", 10, "at most 1"),
    ("1.5", 1, "at most 0"),
    ("0", 1_000_000, "more than zero"),
    ("0.0000001", 1_000_000, "more decimals"),
    ("0.000000", 1_000_000, "more than zero"),
    ("-1.5", 1_000_000, "decimal number"),
    ("1,5", 1_000_000, "decimal number"),
    ("1e3", 1_000_000, "decimal number"),
    (".5", 1_000_000, "decimal number"),
    ("5.", 1_000_000, "decimal number"),
    (" 5", 1_000_000, "decimal number"),
    ("", 1_000_000, "decimal number"),
    ("NaN", 1_000_000, "decimal number"),
    ("1" * 41, 1, "longer than 40"),
    (str(MAX_RATE + 1), 1, "too large"),
])
def test_text_the_scale_cannot_hold_exactly_is_refused_with_the_reason(text, scale, reason):
    with pytest.raises(RateTextError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        parse_scaled(text, scale)


@pytest.mark.parametrize(("rate", "scale", "text"), [
    (26_783_400, 1_000_000, "26.7834"),
    (26_000_000, 1_000_000, "26"),
    (1, 1_000_000, "0.000001"),
    (13, 1, "13"),
    (105, 100, "1.05"),
])
def test_a_scaled_rate_reads_back_as_its_shortest_exact_text(rate, scale, text):
    assert format_scaled(rate, scale) == text


@given(rate=st.integers(min_value=1, max_value=MAX_RATE), places=st.integers(min_value=0, max_value=12))
def test_text_and_integer_round_trip(rate, places):
    scale = 10 ** places
    assert parse_scaled(format_scaled(rate, scale), scale) == rate


def test_powers_of_ten():
    assert [n for n in range(0, 1001) if is_power_of_ten(n)] == [1, 10, 100, 1000]
    assert scale_places(1_000_000) == 6 and scale_places(1) == 0
    with pytest.raises(ValueError):
        scale_places(250)
