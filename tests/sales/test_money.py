"""Pure money rules of a sale: conversion at the recorded rate (half-up to the receipt currency's
minor unit), cash rounding, and each tender method's FDMS money type."""

from __future__ import annotations

from hypothesis import given, strategies as st

from hub.sales import money


def test_every_tender_method_maps_to_an_fdms_money_type():
    assert {m: money.money_type_code(m) for m in money.METHODS} == {
        "cash": 0, "card": 1, "mobile_money": 2, "voucher": 3, "store_credit": 3, "credit_account": 4,
        "bank_transfer": 5}
    assert money.money_type("cheque") == "Other" and money.money_type_code("cheque") == 6


def test_conversion_rounds_half_up_to_the_receipt_minor_unit():
    # 1 USD = 26.50 ZWG: ZWG 300.00 is 11.3207... USD -> 11.32; ZWG 0.265 would be 0.01 exactly.
    assert money.to_receipt(30000, 26_500_000, 1_000_000, 2, 2) == 1132
    assert money.to_receipt(1325, 26_500_000, 1_000_000, 2, 2) == 50  # 0.5 USD exactly
    assert money.to_receipt(1338, 26_500_000, 1_000_000, 2, 2) == 50  # 50.49 cents -> 50
    assert money.to_receipt(1339, 26_500_000, 1_000_000, 2, 2) == 51  # 50.53 cents -> 51
    assert money.to_receipt(13250 + 13, 26_500_000, 1_000_000, 2, 2) == 500  # half a cent is 13.25 ZWG cents
    assert money.from_receipt(132, 26_500_000, 1_000_000, 2, 2) == 3498  # 1.32 USD is ZWG 34.98
    assert money.to_receipt(500, 1, 1, 0, 2) == 50000  # a currency without minor units


def test_cash_rounding_to_the_smallest_coin():
    assert [money.cash_round(a, 10) for a in (1234, 1235, 1239, 1230)] == [1230, 1240, 1240, 1230]
    assert money.rounding_allowed(5, 10) and money.rounding_allowed(-5, 10) and not money.rounding_allowed(6, 10)
    assert money.rounding_allowed(0, 1) and not money.rounding_allowed(1, 1)


@given(st.integers(1, 10**9), st.integers(1, 10**12), st.integers(1, 10**7))
def test_conversion_is_within_half_a_minor_unit_of_the_exact_value(amount, rate, scale):
    got = money.to_receipt(amount, rate, scale, 2, 2)
    # |got - amount*scale/rate| <= 1/2  <=>  |2*got*rate - 2*amount*scale| <= rate
    assert abs(2 * got * rate - 2 * amount * scale) <= rate
