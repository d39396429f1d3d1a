"""The portal's shared reading and writing of typed numbers and store-local times (hub.portal.parse):
exact integers from digits, never a float, and text written back as a form or a table shows it."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from hub.portal.parse import TypedError, amount_text, parse_amount, quantity_text, scaled, store_moment, whole_number

HARARE = zoneinfo.ZoneInfo("Africa/Harare")


def test_digits_scale_exactly_and_refuse_more_decimals_than_the_places():
    assert scaled("12", "5", 2) == 1250 and scaled("", "5", 3) == 500 and scaled("7", "", 0) == 7
    assert scaled("0", "1", 3) == 100 and scaled("1" * 20, "", 2) == int("1" * 20) * 100  # no float rounding
    with pytest.raises(TypedError, match="at most 2 decimals"):
        scaled("1", "005", 2)
    with pytest.raises(TypedError, match="takes no decimals"):
        scaled("1", "5", 0)


def test_amounts_are_read_as_minor_units_and_written_back_signed():
    assert parse_amount(" 0.05 ", 2) == 5 and parse_amount("12", 0) == 12
    for typed, message in (("", "is required"), ("1,250", "must be an amount such as 0.05"), ("0.050", "at most 2")):
        with pytest.raises(TypedError, match=message):
            parse_amount(typed, 2)
    assert amount_text(125050, 2) == "1250.50" and amount_text(125050, 2, grouped=True) == "1,250.50"
    assert amount_text(-5, 2) == "-0.05" and amount_text(7, 0) == "7" and amount_text(None, 2) == ""


def test_quantities_are_written_in_the_units_decimals():
    assert quantity_text(12000) == "12" and quantity_text(-1500) == "-1.5" and quantity_text(1250) == "1.25"
    assert quantity_text(1250, 1) == "1.2" and quantity_text(1250000, grouped=True) == "1,250"
    assert quantity_text(None) == ""


def test_whole_numbers_and_store_local_times():
    assert whole_number(" ") == 0 and whole_number("-12") == -12 and whole_number("1.5") is None
    assert store_moment("2026-03-01T08:00", HARARE) == dt.datetime(2026, 3, 1, 8, 0, tzinfo=HARARE)
    assert store_moment("2026-03-01 08:00", HARARE).utcoffset() == dt.timedelta(hours=2)
    assert store_moment("2026-03-01T08:00+00:00", HARARE).utcoffset() == dt.timedelta(0)  # its own offset kept
    with pytest.raises(TypedError, match="is not a date and time"):
        store_moment("tomorrow", HARARE)
