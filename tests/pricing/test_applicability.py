"""When a promotion applies (section 3): validity, store-local days and times, tiers, currency."""

from __future__ import annotations

import pytest

from hub.pricing import price_basket

from .catalogues import basket, catalogue


def _applies(at: str, tier: str | None = None, currency: str = "USD", **spec) -> bool:
    promotion = {"kind": "percent_off", "priority": 1, "target": {"products": ["bread"]},
                 "percent_off_bp": 1000, **spec}
    result = price_basket(catalogue({"P": promotion}),
                          basket(("bread", 1000), promotions=["P"], at=at, tier=tier,
                                 currency=currency))
    return bool(result["promotions"])


@pytest.mark.parametrize(("at", "expected"), [
    ("2026-11-01T00:00:00Z", True),     # valid_from is inclusive
    ("2026-10-31T23:59:59Z", False),
    ("2026-11-30T23:59:59Z", True),
    ("2026-12-01T00:00:00Z", False),    # valid_until is exclusive
])
def test_validity_window(at, expected):
    assert _applies(at, valid_from="2026-11-01T00:00:00Z",
                    valid_until="2026-12-01T00:00:00Z") is expected


def test_open_ended_validity():
    assert _applies("2030-01-01T00:00:00Z", valid_from="2026-11-01T00:00:00Z", valid_until=None)
    assert _applies("2026-01-02T00:00:00Z", valid_from=None, valid_until="2026-12-01T00:00:00Z")


@pytest.mark.parametrize(("at", "expected"), [
    ("2026-11-25T12:30:00Z", True),     # Wednesday 14:30 in Harare
    ("2026-11-24T22:30:00Z", True),     # Tuesday in UTC, already Wednesday 00:30 in Harare
    ("2026-11-25T22:30:00Z", False),    # Wednesday in UTC, Thursday 00:30 in Harare
])
def test_days_are_store_local_iso_weekdays(at, expected):
    assert _applies(at, days=[3]) is expected


def test_days_list_without_todays_weekday_does_not_apply():
    assert not _applies("2026-11-25T12:30:00Z", days=[1, 2, 4, 5, 6, 7])


@pytest.mark.parametrize(("at", "expected"), [
    ("2026-11-25T06:00:00Z", True),     # 08:00 local: the start is inclusive
    ("2026-11-25T05:59:59Z", False),
    ("2026-11-25T07:59:59Z", True),
    ("2026-11-25T08:00:00Z", False),    # 10:00 local: the end is exclusive
])
def test_time_of_day_window_in_store_time(at, expected):
    assert _applies(at, time_from="08:00", time_until="10:00") is expected


@pytest.mark.parametrize(("at", "expected"), [
    ("2026-11-25T20:00:00Z", True),     # 22:00 local
    ("2026-11-25T19:59:00Z", False),    # 21:59
    ("2026-11-25T22:30:00Z", True),     # 00:30 the next day
    ("2026-11-25T23:59:00Z", True),     # 01:59
    ("2026-11-26T00:00:00Z", False),    # 02:00
    ("2026-11-25T12:30:00Z", False),    # 14:30
])
def test_time_window_crossing_midnight(at, expected):
    assert _applies(at, time_from="22:00", time_until="02:00") is expected


def test_equal_times_make_an_empty_window():
    assert not _applies("2026-11-25T12:30:00Z", time_from="14:30", time_until="14:30")
    assert not _applies("2026-11-25T10:00:00Z", time_from="14:30", time_until="14:30")


def test_days_are_read_from_the_instant_even_inside_a_window_from_the_day_before():
    # Wednesday only, 22:00-02:00: Wednesday 23:00 applies; Thursday 00:30 does not, although
    # the window opened on Wednesday.
    assert _applies("2026-11-25T21:00:00Z", days=[3], time_from="22:00", time_until="02:00")
    assert not _applies("2026-11-25T22:30:00Z", days=[3], time_from="22:00", time_until="02:00")
    assert _applies("2026-11-25T22:30:00Z", days=[4], time_from="22:00", time_until="02:00")


def test_tiers_list_needs_the_baskets_tier():
    assert _applies("2026-11-25T12:30:00Z", tier="wholesale", tiers=["wholesale"])
    assert not _applies("2026-11-25T12:30:00Z", tier="staff", tiers=["wholesale"])
    assert not _applies("2026-11-25T12:30:00Z", tier=None, tiers=["wholesale"])


def test_no_tiers_list_applies_to_every_tier():
    assert _applies("2026-11-25T12:30:00Z", tier="staff")
    assert _applies("2026-11-25T12:30:00Z", tier=None)


def test_percent_kind_needs_no_amount_in_the_currency():
    assert _applies("2026-11-25T12:30:00Z", currency="ZWG")


def _amount_kind_applies(currency: str, promotion: dict) -> bool:
    promotion = {"priority": 1, "target": {"products": ["bread"]}, **promotion}
    result = price_basket(catalogue({"P": promotion}),
                          basket(("bread", 5000), promotions=["P"], currency=currency))
    return bool(result["promotions"])


@pytest.mark.parametrize("promotion", [
    {"kind": "amount_off", "amounts": {"USD": 10}},
    {"kind": "multi_buy", "quantity": 2, "amounts": {"USD": 100}},
    {"kind": "spend_threshold", "thresholds": {"USD": 100}, "percent_off_bp": 1000},
    {"kind": "spend_threshold", "thresholds": {"USD": 100, "ZWG": 100}, "amounts": {"USD": 10}},
])
def test_kinds_with_amounts_need_the_basket_currency(promotion):
    # ZWG derives its prices from USD, but a promotion's amounts are never converted.
    assert _amount_kind_applies("USD", promotion)
    assert not _amount_kind_applies("ZWG", promotion)


def test_spend_threshold_with_both_amounts_in_the_currency_applies():
    assert _amount_kind_applies("ZWG", {"kind": "spend_threshold",
                                        "thresholds": {"ZWG": 100}, "amounts": {"ZWG": 10}})
