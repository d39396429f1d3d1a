"""What each promotion kind gives (section 3, "Kinds"), from small hand-worked baskets."""

from __future__ import annotations

from hub.pricing import price_basket

from .catalogues import basket, catalogue, line_discounts


def _discounts(promotion: dict, *lines: tuple[str, int]) -> dict[int, list[tuple[str, int]]]:
    promotion = {"priority": 1, **promotion}
    result = price_basket(catalogue({"P": promotion}), basket(*lines, promotions=["P"]))
    return line_discounts(result)


def _percent(target: dict, percent_off_bp: int) -> dict:
    return {"kind": "percent_off", "target": target, "percent_off_bp": percent_off_bp}


# percent_off

def test_percent_off_a_product_line():
    # bread 3 × 150 = 450; 10 % = 45
    assert _discounts(_percent({"products": ["bread"]}, 1000), ("bread", 3000), ("bun", 1000)) == {
        1: [("P", 45)], 2: []}


def test_percent_off_rounds_each_line_on_its_own():
    # 15 % of 150 = 22.5 -> 23; of 100 = 15
    assert _discounts(_percent({"categories": ["bakery"]}, 1500), ("bread", 1000),
                      ("bun", 1000)) == {1: [("P", 23)], 2: [("P", 15)]}


def test_category_target_includes_descendants_only():
    # bread is in bakery < food, bun in sweet < bakery < food; milk and cola are not food.
    got = _discounts(_percent({"categories": ["food"]}, 1000), ("bread", 1000), ("bun", 1000),
                     ("milk", 1000), ("cola", 1000))
    assert got == {1: [("P", 15)], 2: [("P", 10)], 3: [], 4: []}


def test_percent_off_the_basket_rounds_once_then_allocates():
    # water 1.05 × 100 = 105, juice 1.025 × 200 = 205; 15 % of 310 = 46.5 -> 47;
    # 47 × 105 / 310 = 15 r 285, 47 × 205 / 310 = 31 r 25: the one unit left goes to line 1.
    got = _discounts(_percent({"basket": True}, 1500), ("water", 1050), ("juice", 1025))
    assert got == {1: [("P", 16)], 2: [("P", 31)]}


# amount_off

def test_amount_off_each_whole_unit_of_a_product():
    # 2.5 loaves: 2 whole units, 50 off each = 100 (gross 375)
    amount_off = {"kind": "amount_off", "target": {"products": ["bread"]}, "amounts": {"USD": 50}}
    assert _discounts(amount_off, ("bread", 2500)) == {1: [("P", 100)]}


def test_amount_off_a_unit_is_capped_at_the_remaining_amount():
    amount_off = {"kind": "amount_off", "target": {"products": ["water"]}, "amounts": {"USD": 150}}
    assert _discounts(amount_off, ("water", 2000)) == {1: [("P", 200)]}


def test_amount_off_a_part_unit_gives_nothing():
    amount_off = {"kind": "amount_off", "target": {"products": ["bread"]}, "amounts": {"USD": 50}}
    result = price_basket(catalogue({"P": {"priority": 1, **amount_off}}),
                          basket(("bread", 500), promotions=["P"]))
    assert result["promotions"] == [] and result["lines"][0]["discounts"] == []


def test_amount_off_the_basket_is_allocated_by_remaining():
    amount_off = {"kind": "amount_off", "target": {"basket": True}, "amounts": {"USD": 100}}
    assert _discounts(amount_off, ("bread", 2000), ("water", 1000)) == {
        1: [("P", 75)], 2: [("P", 25)]}


def test_amount_off_the_basket_never_exceeds_the_basket():
    amount_off = {"kind": "amount_off", "target": {"basket": True}, "amounts": {"USD": 1000}}
    assert _discounts(amount_off, ("bread", 2000), ("water", 1000)) == {
        1: [("P", 300)], 2: [("P", 100)]}


# multi_buy

def _multi_buy(quantity: int, price: int, **extra) -> dict:
    return {"kind": "multi_buy", "target": {"categories": ["drinks"]}, "quantity": quantity,
            "amounts": {"USD": price}, **extra}


def test_multi_buy_whole_groups_only():
    # 7 colas at 150, 3 for 400: two groups of 450, 50 off each
    assert _discounts(_multi_buy(3, 400), ("cola", 7000)) == {1: [("P", 100)]}


def test_multi_buy_max_applications_limits_groups():
    assert _discounts(_multi_buy(3, 400, max_applications=1), ("cola", 7000)) == {1: [("P", 50)]}


def test_multi_buy_never_raises_a_price():
    result = price_basket(catalogue({"P": {"priority": 1, **_multi_buy(3, 500)}}),
                          basket(("cola", 3000), promotions=["P"]))
    assert result["promotions"] == [] and result["total"] == result["subtotal"] == 450


def test_multi_buy_groups_the_most_expensive_units_and_allocates_by_their_value():
    # Units: juice 200, juice 200, cola 150 | cola 150. One group of 550: 150 off.
    # Grouped value: cola 150, juice 400. 150 × 150 / 550 = 40 r 500; 150 × 400 / 550 = 109 r 50.
    assert _discounts(_multi_buy(3, 400), ("cola", 2000), ("juice", 2000)) == {
        1: [("P", 41)], 2: [("P", 109)]}


def test_multi_buy_settles_each_group_on_its_own():
    # Units: juice 200, juice 200, cola 150 | water 100 × 3. Group 1 = 550: 150 off, over
    # juice 400 and cola 150 (109 and 41, as above). Group 2 = 300 < 400: nothing, so the
    # water gets nothing although its units are grouped.
    got = _discounts(_multi_buy(3, 400), ("juice", 2000), ("cola", 1000), ("water", 3000))
    assert got == {1: [("P", 109)], 2: [("P", 41)], 3: []}


def test_multi_buy_adds_a_lines_shares_from_every_group():
    # Units: juice, juice, cola | cola, cola, cola. Group 1: 150 off, cola 41 and juice 109;
    # group 2 (450): 50 off, all cola's. Cola 41 + 50 = 91.
    got = _discounts(_multi_buy(3, 400), ("cola", 4000), ("juice", 2000))
    assert got == {1: [("P", 91)], 2: [("P", 109)]}


def test_multi_buy_cap_at_remaining_is_not_given_to_another_line():
    made = catalogue({
        "S": {"kind": "percent_off", "priority": 1, "stackable": True,
              "target": {"products": ["juice"]}, "percent_off_bp": 9000},
        "M": {"priority": 2, "stackable": True, **_multi_buy(3, 400)}})
    result = price_basket(made, basket(("cola", 1000), ("juice", 2000), promotions=["S", "M"]))
    # Juice 400 - 360 = 40 left. The group (200, 200, 150) saves 150: cola 41, juice 109 -> 40.
    assert line_discounts(result) == {1: [("M", 41)], 2: [("S", 360), ("M", 40)]}
    assert result["promotions"][1] == {"promotion": "M", "amount": 81}


def test_multi_buy_price_ties_take_the_earlier_line_first():
    # Units: line 1, line 1, line 2 | line 2. Grouped value 300 and 150; 50 off:
    # 50 × 300 / 450 = 33 r 150; 50 × 150 / 450 = 16 r 300: the unit left goes to line 2.
    assert _discounts(_multi_buy(3, 400), ("cola", 2000), ("cola", 2000)) == {
        1: [("P", 33)], 2: [("P", 17)]}


def test_multi_buy_counts_whole_units_of_weighed_lines():
    # 2.5 colas: 2 whole units at 150, 2 for 250: 50 off
    assert _discounts(_multi_buy(2, 250), ("cola", 2500)) == {1: [("P", 50)]}


def test_multi_buy_takes_huge_quantities_without_expanding_units():
    # 1,000,000 colas: 333,333 groups of 3, 50 off each
    assert _discounts(_multi_buy(3, 400), ("cola", 10**9)) == {1: [("P", 16_666_650)]}


# buy_x_get_y

def _bxgy(buy: int, get: int, buy_target: dict, get_target: dict | None = None, **extra) -> dict:
    return {"kind": "buy_x_get_y", "buy": buy, "get": get, "buy_target": buy_target,
            "get_target": get_target or buy_target, **extra}


def test_buy_two_get_one_free():
    bread = {"products": ["bread"]}
    assert _discounts(_bxgy(2, 1, bread), ("bread", 3000)) == {1: [("P", 150)]}
    assert _discounts(_bxgy(2, 1, bread), ("bread", 5000)) == {1: [("P", 150)]}
    assert _discounts(_bxgy(2, 1, bread), ("bread", 6000)) == {1: [("P", 300)]}


def test_buy_x_get_y_max_applications():
    bread = {"products": ["bread"]}
    assert _discounts(_bxgy(2, 1, bread, max_applications=1), ("bread", 6000)) == {
        1: [("P", 150)]}


def test_buy_one_product_get_another_at_half_price():
    # Two steaks buy two sauces at 50 % off: 2 × div_round(200 × 5000, 10000) = 200
    got = _discounts(_bxgy(1, 1, {"products": ["steak"]}, {"products": ["sauce"]},
                           percent_off_bp=5000), ("steak", 2000), ("sauce", 3000))
    assert got == {1: [], 2: [("P", 200)]}


def test_buy_x_get_y_gives_the_cheapest_get_units():
    # Units: juice 200, juice 200 (buy), then the cheapest: water 100 (get).
    # The next application needs two buy units; only one water is left.
    got = _discounts(_bxgy(2, 1, {"categories": ["drinks"]}), ("juice", 2000), ("water", 2000))
    assert got == {1: [], 2: [("P", 100)]}


def test_buy_x_get_y_never_gets_a_unit_just_taken_to_buy():
    # Buy juice, get water; then buy cola: no unused get unit is left but the cola itself.
    got = _discounts(_bxgy(1, 1, {"categories": ["drinks"]}), ("juice", 1000), ("cola", 1000),
                     ("water", 1000))
    assert got == {1: [], 2: [], 3: [("P", 100)]}


def test_buy_x_get_y_needs_the_whole_application():
    got = _discounts(_bxgy(1, 1, {"products": ["steak"]}, {"products": ["sauce"]}),
                     ("steak", 3000))
    assert got == {1: []}


def test_buy_one_get_one_on_a_million_units():
    assert _discounts(_bxgy(1, 1, {"products": ["bread"]}), ("bread", 10**9)) == {
        1: [("P", 75_000_000)]}


# spend_threshold

def _spend(threshold: int, target: dict | None = None, **reward) -> dict:
    return {"kind": "spend_threshold", "target": target or {"basket": True},
            "thresholds": {"USD": threshold}, **reward}


def test_spend_threshold_percent_allocated_over_the_lines():
    # 1000 + 150 = 1150 >= 1000: 10 % = 115 = 100 + 15 exactly
    assert _discounts(_spend(1000, percent_off_bp=1000), ("steak", 1000), ("bread", 1000)) == {
        1: [("P", 100)], 2: [("P", 15)]}


def test_spend_threshold_is_reached_at_equality():
    assert _discounts(_spend(1000, percent_off_bp=1000), ("steak", 1000)) == {1: [("P", 100)]}
    assert _discounts(_spend(1001, percent_off_bp=1000), ("steak", 1000)) == {1: []}


def test_spend_threshold_amount():
    # 200 × 1000 / 1150 = 173 r 1050; 200 × 150 / 1150 = 26 r 100: line 1 gets the unit
    got = _discounts(_spend(1000, amounts={"USD": 200}), ("steak", 1000), ("bread", 1000))
    assert got == {1: [("P", 174)], 2: [("P", 26)]}


def test_spend_threshold_counts_only_its_target():
    # drinks: 150 + 200 = 350 >= 300; 10 % = 35 = 15 + 20; bread neither counts nor gets any
    got = _discounts(_spend(300, {"categories": ["drinks"]}, percent_off_bp=1000),
                     ("cola", 1000), ("bread", 1000), ("juice", 1000))
    assert got == {1: [("P", 15)], 2: [], 3: [("P", 20)]}
    assert _discounts(_spend(351, {"categories": ["drinks"]}, percent_off_bp=1000),
                      ("cola", 1000), ("bread", 5000), ("juice", 1000)) == {1: [], 2: [], 3: []}
