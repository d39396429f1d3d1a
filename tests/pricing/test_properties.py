"""Properties of the pricing engine over random catalogues and baskets (hypothesis)."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.pricing import _units, price_basket
from hub.pricing.model import PricedLine
from hub.pricing.rounding import BP_SCALE, allocate

from . import reference_units
from .strategies import baskets, catalogues, priced

SETTINGS = settings(max_examples=200, deadline=None)


def _walk_numbers(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk_numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_numbers(item)
    elif not isinstance(value, str) and value is not None:
        yield value


@SETTINGS
@given(priced())
def test_totals_equal_the_sum_of_lines_and_of_taxes(case):
    catalogue, basket = case
    result = price_basket(catalogue, basket)
    lines = result["lines"]
    net = sum(line["net"] for line in lines)
    assert result["subtotal"] == sum(line["gross"] for line in lines)
    assert result["discount_total"] == result["subtotal"] - net
    assert result["discount_total"] == sum(d["amount"] for line in lines for d in line["discounts"])
    assert result["discount_total"] == sum(p["amount"] for p in result["promotions"])
    assert result["tax_total"] == sum(t["tax"] for t in result["taxes"])
    assert result["total"] == sum(t["sales_with_tax"] for t in result["taxes"])
    assert sum(t["net"] for t in result["taxes"]) == net
    exclusive = basket["tax_mode"] == "exclusive"
    assert result["total"] == net + (result["tax_total"] if exclusive else 0)
    for line in lines:
        assert line["net"] == line["gross"] - sum(d["amount"] for d in line["discounts"])


@SETTINGS
@given(priced())
def test_no_negative_line_and_discounts_never_exceed_gross(case):
    result = price_basket(*case)
    for line in result["lines"]:
        assert 0 <= line["net"] <= line["gross"]
        assert all(d["amount"] > 0 for d in line["discounts"])
    assert all(p["amount"] > 0 for p in result["promotions"])
    assert 0 <= result["discount_total"] <= result["subtotal"]


@SETTINGS
@given(priced())
def test_stacking_order_is_respected(case):
    catalogue, basket = case
    result = price_basket(catalogue, basket)
    specs = catalogue["promotions"]
    order = [p["promotion"] for p in result["promotions"]]
    assert order == sorted(order, key=lambda pid: (specs[pid]["priority"], pid))
    per_promotion = dict.fromkeys(order, 0)
    for line in result["lines"]:
        applied = [d["promotion"] for d in line["discounts"]]
        # A line's discounts follow the application order, each promotion at most once.
        assert applied == sorted(applied, key=order.index) and len(set(applied)) == len(applied)
        # A non-stackable promotion needs an undiscounted line and locks it: it stands alone.
        if any(not specs[pid]["stackable"] for pid in applied):
            assert len(applied) == 1
        for d in line["discounts"]:
            per_promotion[d["promotion"]] += d["amount"]
    assert per_promotion == {p["promotion"]: p["amount"] for p in result["promotions"]}


@SETTINGS
@given(st.data())
def test_inclusive_and_exclusive_tax_agree_on_the_same_nets(data):
    catalogue = data.draw(catalogues())
    basket = data.draw(baskets(catalogue, "inclusive"))
    inclusive = price_basket(catalogue, basket)
    exclusive = price_basket(catalogue, {**basket, "tax_mode": "exclusive"})
    assert inclusive["lines"] == exclusive["lines"]
    assert inclusive["promotions"] == exclusive["promotions"]
    for inc, exc in zip(inclusive["taxes"], exclusive["taxes"], strict=True):
        assert inc["tax_class"] == exc["tax_class"] and inc["rate_bp"] == exc["rate_bp"]
        net, rate = inc["net"], inc["rate_bp"]
        assert exc["net"] == net
        assert inc["sales_with_tax"] == net
        assert exc["sales_with_tax"] == net + exc["tax"]
        if rate is None:
            assert inc["tax"] == exc["tax"] == 0
            continue
        # Each tax is within half a minor unit of the exact rational.
        assert 2 * abs(inc["tax"] * (BP_SCALE + rate) - net * rate) <= BP_SCALE + rate
        assert 2 * abs(exc["tax"] * BP_SCALE - net * rate) <= BP_SCALE
        assert inc["tax"] <= exc["tax"]
    assert exclusive["total"] - inclusive["total"] == exclusive["tax_total"]


@SETTINGS
@given(st.integers(0, 10**7), st.lists(st.integers(0, 10**6), max_size=12), st.randoms())
def test_allocation_sums_exactly_and_is_order_stable(total, weights, rnd):
    whole = sum(weights)
    if whole == 0:
        total = 0
    shares = allocate(total, weights)
    assert sum(shares) == total
    for share, weight in zip(shares, weights):
        exact_floor = total * weight // whole if whole else 0
        assert share in (exact_floor, exact_floor + 1)
        if total <= whole:
            assert share <= weight
    remainders = [total * w % whole if whole else 0 for w in weights]
    # Among equal remainders, an extra unit never skips an earlier weight for a later one.
    extra = [s - (total * w // whole if whole else 0) for s, w in zip(shares, weights)]
    for i in range(len(weights)):
        for j in range(i + 1, len(weights)):
            if remainders[i] == remainders[j]:
                assert extra[i] >= extra[j]
    # Moving weights around moves their shares with them when remainders are distinct.
    order = list(range(len(weights)))
    rnd.shuffle(order)
    moved = allocate(total, [weights[i] for i in order])
    if len(set(remainders)) == len(remainders):
        assert moved == [shares[i] for i in order]


@SETTINGS
@given(priced(kinds=("multi_buy",)))
def test_multi_buy_never_increases_a_price(case):
    catalogue, basket = case
    result = price_basket(catalogue, basket)
    without = price_basket(catalogue, {**basket, "promotions": []})
    for line, plain in zip(result["lines"], without["lines"]):
        assert line["unit_price"] == plain["unit_price"] and line["gross"] == plain["gross"]
        assert line["net"] <= plain["net"]
    assert result["total"] <= without["total"]


@SETTINGS
@given(st.data())
def test_results_do_not_depend_on_the_order_of_promotion_ids(data):
    catalogue = data.draw(catalogues())
    basket = data.draw(baskets(catalogue))
    shuffled = data.draw(st.permutations(basket["promotions"]))
    assert price_basket(catalogue, basket) == price_basket(catalogue,
                                                           {**basket, "promotions": shuffled})


@SETTINGS
@given(priced())
def test_output_holds_integers_only_and_inputs_are_untouched(case):
    catalogue, basket = case
    before = copy.deepcopy(case)
    result = price_basket(catalogue, basket)
    assert (catalogue, basket) == before
    for number in _walk_numbers(result):
        assert type(number) is int, number


_lines = st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 9000), st.integers(0, 100)),
                  max_size=6)


def _priced_lines(raw) -> list[PricedLine]:
    made = []
    for index, (price, quantity, kept_percent) in enumerate(raw):
        gross = price * quantity // 1000
        made.append(PricedLine(index=index, line=index + 1, product=f"p{index}",
                               quantity=quantity, unit_price=price, gross=gross, tax_class="VAT",
                               categories=frozenset(), remaining=gross * kept_percent // 100))
    return made


@settings(max_examples=500, deadline=None)
@given(_lines, st.integers(1, 5), st.integers(0, 4000), st.one_of(st.none(), st.integers(0, 4)))
def test_multi_buy_runs_match_the_unit_by_unit_reading(raw, size, price, max_groups):
    lines = _priced_lines(raw)
    assert _units.multi_buy(lines, size, price, max_groups) == reference_units.multi_buy(
        lines, size, price, max_groups)


@settings(max_examples=500, deadline=None)
@given(_lines, st.data(), st.integers(1, 3), st.integers(1, 3), st.integers(0, 10_000),
       st.one_of(st.none(), st.integers(0, 5)))
def test_buy_x_get_y_runs_match_the_unit_by_unit_reading(raw, data, buy, get, percent_off_bp,
                                                        max_applications):
    lines = _priced_lines(raw)
    in_buy = data.draw(st.lists(st.booleans(), min_size=len(lines), max_size=len(lines)))
    in_get = data.draw(st.lists(st.booleans(), min_size=len(lines), max_size=len(lines)))
    buy_lines = [line for line, chosen in zip(lines, in_buy) if chosen]
    get_lines = [line for line, chosen in zip(lines, in_get) if chosen]
    assert _units.buy_x_get_y(buy_lines, get_lines, buy, get, percent_off_bp,
                              max_applications) == reference_units.buy_x_get_y(
        buy_lines, get_lines, buy, get, percent_off_bp, max_applications)
