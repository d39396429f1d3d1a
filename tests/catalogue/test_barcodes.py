"""Barcode rules as pure functions: GS1 check digits and in-store embedded codes, by example and
by property (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.catalogue import barcodes as codes

digits = st.text(alphabet="0123456789", min_size=1, max_size=17)


# Worked examples published with the symbologies (EAN-13, EAN-13, EAN-8, UPC-A).
@pytest.mark.parametrize("code", ["4006381333931", "5901234123457", "96385074", "036000291452"])
def test_published_codes_have_valid_check_digits(code):
    assert codes.has_valid_check_digit(code)
    assert codes.problem_with(code) is None


def test_a_wrong_check_digit_is_named_with_the_right_one():
    assert codes.problem_with("4006381333932") == "the EAN-13 check digit of 4006381333932 should be 1"
    assert "UPC-A" in codes.problem_with("036000291453")
    assert "EAN-8" in codes.problem_with("96385075")


def test_free_codes_pass_and_odd_ones_do_not():
    assert codes.problem_with("ABC-123/x") is None
    assert codes.problem_with("123456789") is None  # 9 digits: no GS1 symbology, a free code
    assert codes.problem_with("") is not None
    assert codes.problem_with("has space") is not None
    assert codes.problem_with("é") is not None
    assert codes.problem_with("9" * 49) is not None


def test_a_zero_led_ean13_is_stored_as_its_upc_a():
    assert codes.canonical(" 0036000291452 ") == "036000291452"
    assert codes.canonical("4006381333931") == "4006381333931"


def test_default_rules_cover_20_to_29_odd_weight_even_price():
    kinds = {r.prefix: r.kind for r in codes.DEFAULT_RULES}
    assert kinds == {str(p): ("weight" if p % 2 else "price") for p in range(20, 30)}
    assert codes.rule_problems([r.as_dict() for r in codes.DEFAULT_RULES]) == []


def test_a_weight_code_decodes_to_plu_and_grams():
    rules = codes.DEFAULT_RULES
    code = codes.with_check_digit("210004201250")  # prefix 21, PLU 00042, 1.250 kg
    found = codes.decode(code, rules)
    assert found is not None and (found.rule.kind, found.plu, found.value) == ("weight", "42", 1250)
    assert codes.decode("4006381333931", rules) is None  # not an in-store prefix
    with pytest.raises(codes.CheckDigitError):
        codes.decode(code[:-1] + str((int(code[-1]) + 1) % 10), rules)


def test_rule_problems_name_the_field():
    problems = dict(codes.rule_problems([
        {"prefix": "2", "kind": "weight", "item_digits": 5, "value_digits": 5},  # 12 digits, not 13
        {"prefix": "x", "kind": "volume"},
        {"prefix": "21", "kind": "price"},
        {"prefix": "210", "kind": "price", "item_digits": 4, "value_digits": 5},
    ]))
    assert set(problems) == {"rules[0]", "rules[1].prefix", "rules[1].kind", "rules[3].prefix"}
    assert "overlaps" in problems["rules[3].prefix"]


@given(digits)
def test_appending_the_check_digit_always_validates(body):
    assert codes.has_valid_check_digit(codes.with_check_digit(body))


@given(digits, st.integers(1, 9))
def test_changing_any_one_digit_breaks_the_check(body, delta):
    code = codes.with_check_digit(body)
    for i in range(len(code)):
        changed = code[:i] + str((int(code[i]) + delta) % 10) + code[i + 1:]
        assert not codes.has_valid_check_digit(changed)


@given(digits)
def test_a_leading_zero_does_not_change_the_check_digit(body):
    assert codes.check_digit("0" + body) == codes.check_digit(body)


rule_shapes = st.sampled_from([(p, i, 12 - len(p) - i) for p in ("2", "21", "29", "250") for i in range(1, 7)
                               if 1 <= 12 - len(p) - i <= 6])


@given(rule_shapes, st.sampled_from(codes.EMBEDDED_KINDS), st.data())
def test_embedded_codes_round_trip(shape, kind, data):
    prefix, item_digits, value_digits = shape
    rule = codes.EmbeddedRule(prefix=prefix, kind=kind, item_digits=item_digits, value_digits=value_digits)
    plu = str(data.draw(st.integers(0, 10**item_digits - 1)))
    value = data.draw(st.integers(0, 10**value_digits - 1))
    code = codes.encode(rule, plu, value)
    assert len(code) == 13 and codes.has_valid_check_digit(code)
    found = codes.decode(code, [rule])
    assert found is not None and (found.rule, found.plu, found.value) == (rule, plu, value)


@given(st.integers(10**5, 10**7), st.integers(0, 99999))
def test_a_plu_or_value_that_does_not_fit_is_refused(plu, value):
    with pytest.raises(ValueError):
        codes.encode(codes.EmbeddedRule("21", "weight"), str(plu), value)


def test_the_documented_default_rules_and_examples_are_the_code_s():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "barcodes.md").read_text()
    for rule in codes.DEFAULT_RULES:
        assert f"| {rule.prefix} | {rule.kind} | {rule.item_digits} | {rule.value_digits} |" in doc, rule
    assert "`2100123012503` | PLU 123, 1.250 kg" in doc
    found = codes.decode("2100123012503", codes.DEFAULT_RULES)
    assert found is not None and (found.plu, found.value) == ("123", 1250)
    found = codes.decode("2200123011244", codes.DEFAULT_RULES)
    assert found is not None and (found.rule.kind, found.plu, found.value) == ("price", "123", 1124)
