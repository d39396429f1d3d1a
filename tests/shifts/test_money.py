"""The shift money rules as pure functions: expected cash per currency, variance, counts."""

from __future__ import annotations

from hub.shifts import money


def test_expected_cash_is_float_plus_cash_sales_plus_pay_ins_less_pay_outs_and_drops_per_currency():
    moved = money.movement_totals([
        {"currency": "USD", "kind": "pay_in", "amount": 300}, {"currency": "USD", "kind": "pay_out", "amount": 200},
        {"currency": "USD", "kind": "pay_out", "amount": 50}, {"currency": "ZWG", "kind": "safe_drop", "amount": 9000}])
    lines = money.cash_lines({"USD": 5000, "ZWG": 20000}, moved, {"USD": -132, "ZWG": 30000, "ZAR": 1000})
    assert [(l["currency"], l["expected"]) for l in lines] == [
        ("USD", 5000 - 132 + 300 - 250), ("ZAR", 1000), ("ZWG", 20000 + 30000 - 9000)]
    assert lines[0] | {} == {"currency": "USD", "float": 5000, "cash_sales": -132, "pay_in": 300, "pay_out": 250,
                             "safe_drop": 0, "expected": 4918}


def test_unknown_sales_leave_expected_cash_unknown_and_variance_needs_both_figures():
    [line] = money.cash_lines({"USD": 100}, {}, None)
    assert line["expected"] is None and line["cash_sales"] is None
    assert money.variance(90, 100) == -10 and money.variance(None, 100) is None and money.variance(5, None) is None


def test_a_count_by_denomination_adds_value_times_quantity():
    assert money.denomination_total([{"value": 10000, "quantity": 2}, {"value": 50, "quantity": 7}]) == 20350
    assert money.denomination_total([]) == 0
