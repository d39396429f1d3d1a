"""Barcodes as pure functions: GS1 check digits, the stored form of a code, and in-store
weight- or price-embedded EAN-13 codes (docs/barcodes.md).

EAN-13, EAN-8 and UPC-A (all digits, 13, 8 or 12 long) must carry a right check digit; any other
code (Code 128, Code 39, an in-house label) is a free code of printable ASCII. A 13-digit code
that starts with 0 is a UPC-A read by an EAN scanner and is stored as its 12-digit UPC-A, so the
same item never gets two codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Literal

MAX_CODE_LENGTH = 48
_FREE_CODE = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII, no spaces
CHECKED_LENGTHS = {8: "EAN-8", 12: "UPC-A", 13: "EAN-13"}
EMBEDDED_LENGTH = 13
EmbeddedKind = Literal["weight", "price"]
EMBEDDED_KINDS = ("weight", "price")


def check_digit(body: str) -> int:
    """The GS1 check digit of `body` (the digits before it): weights 3, 1, 3, ... from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def has_valid_check_digit(code: str) -> bool:
    return len(code) >= 2 and code.isascii() and code.isdigit() and check_digit(code[:-1]) == int(code[-1])


def with_check_digit(body: str) -> str:
    return body + str(check_digit(body))


def canonical(code: str) -> str:
    """The stored form of a scanned or typed code (a 0-led EAN-13 becomes its UPC-A)."""
    code = code.strip()
    if len(code) == 13 and code.startswith("0") and code.isascii() and code.isdigit():
        return code[1:]
    return code


def problem_with(code: str) -> str | None:
    """Why `code` cannot be a product barcode, or None when it can (pass the canonical form)."""
    if not code:
        return "a barcode cannot be empty"
    if len(code) > MAX_CODE_LENGTH:
        return f"a barcode is at most {MAX_CODE_LENGTH} characters"
    if not _FREE_CODE.match(code):
        return "a barcode is printable ASCII without spaces"
    kind = CHECKED_LENGTHS.get(len(code)) if code.isdigit() else None
    if kind and not has_valid_check_digit(code):
        return f"the {kind} check digit of {code} should be {check_digit(code[:-1])}"
    return None


# --- weight- and price-embedded EAN-13 (GS1 restricted circulation numbers, prefixes 20-29) ---


@dataclass(frozen=True, slots=True)
class EmbeddedRule:
    """`prefix` + `item_digits` of PLU + `value_digits` of value + 1 check digit = 13 digits.

    kind `weight`: the value is thousandths of the product's unit (grams of a kg);
    kind `price`: the value is minor units of the store's base currency (cents).
    """

    prefix: str
    kind: EmbeddedKind
    item_digits: int = 5
    value_digits: int = 5

    def as_dict(self) -> dict[str, Any]:
        return {"prefix": self.prefix, "kind": self.kind, "item_digits": self.item_digits,
                "value_digits": self.value_digits}


# Common practice, documented in docs/barcodes.md: every in-store prefix 20-29 carries a 5-digit
# PLU and a 5-digit value; odd prefixes a weight in grams (21, 23, ...), even ones a price in
# cents (20, 22, ...).
DEFAULT_RULES: tuple[EmbeddedRule, ...] = tuple(
    EmbeddedRule(prefix=str(p), kind="weight" if p % 2 else "price") for p in range(20, 30))


def rule_problems(raw: Iterable[Any]) -> list[tuple[str, str]]:
    """(field, message) for every way a list of rules (as dicts) is wrong; empty when it is right."""
    errors: list[tuple[str, str]] = []
    prefixes: list[tuple[int, str]] = []
    for i, rule in enumerate(raw):
        where = f"rules[{i}]"
        if not isinstance(rule, dict):
            errors.append((where, "a rule is an object"))
            continue
        prefix, kind = rule.get("prefix"), rule.get("kind")
        item, value = rule.get("item_digits", 5), rule.get("value_digits", 5)
        if not (isinstance(prefix, str) and prefix.isascii() and prefix.isdigit() and 1 <= len(prefix) <= 3):
            errors.append((f"{where}.prefix", "a prefix is 1 to 3 digits"))
            prefix = None
        if kind not in EMBEDDED_KINDS:
            errors.append((f"{where}.kind", "kind is weight or price"))
        for name, digits in (("item_digits", item), ("value_digits", value)):
            if not (isinstance(digits, int) and not isinstance(digits, bool) and 1 <= digits <= 6):
                errors.append((f"{where}.{name}", "between 1 and 6 digits"))
                prefix = None
        if prefix is not None and len(prefix) + item + value + 1 != EMBEDDED_LENGTH:
            errors.append((where, f"prefix, item and value digits and the check digit must make "
                                  f"{EMBEDDED_LENGTH}, not {len(prefix) + item + value + 1}"))
        elif prefix is not None:
            for j, other in prefixes:
                if prefix.startswith(other) or other.startswith(prefix):
                    errors.append((f"{where}.prefix", f"overlaps the prefix {other} of rules[{j}]"))
            prefixes.append((i, prefix))
    return errors


def parse_rules(raw: Iterable[dict[str, Any]]) -> tuple[EmbeddedRule, ...]:
    """Rules from their stored dicts; ValueError naming the first problem."""
    raw = list(raw)
    errors = rule_problems(raw)
    if errors:
        raise ValueError("; ".join(f"{f}: {m}" for f, m in errors))
    return tuple(EmbeddedRule(prefix=r["prefix"], kind=r["kind"], item_digits=r.get("item_digits", 5),
                              value_digits=r.get("value_digits", 5)) for r in raw)


@dataclass(frozen=True, slots=True)
class Embedded:
    """A decoded embedded code: the product's PLU and the weight or price it carries."""

    rule: EmbeddedRule
    plu: str
    value: int


class CheckDigitError(ValueError):
    """An in-store code whose check digit is wrong: a misread, never a product."""


def normalise_plu(item: str) -> str:
    """A PLU without leading zeros ("00123" and "123" are the same PLU on a scale)."""
    return str(int(item))


def matching_rule(code: str, rules: Iterable[EmbeddedRule]) -> EmbeddedRule | None:
    if len(code) != EMBEDDED_LENGTH or not (code.isascii() and code.isdigit()):
        return None
    return next((r for r in rules if code.startswith(r.prefix)), None)


def decode(code: str, rules: Iterable[EmbeddedRule]) -> Embedded | None:
    """The PLU and value in an in-store code; None when no rule covers it; CheckDigitError if misread."""
    rule = matching_rule(code, rules)
    if rule is None:
        return None
    if not has_valid_check_digit(code):
        raise CheckDigitError(f"the check digit of {code} should be {check_digit(code[:-1])}")
    start = len(rule.prefix)
    item = code[start:start + rule.item_digits]
    value = code[start + rule.item_digits:start + rule.item_digits + rule.value_digits]
    return Embedded(rule=rule, plu=normalise_plu(item), value=int(value))


def encode(rule: EmbeddedRule, plu: str, value: int) -> str:
    """The in-store code a scale prints for `plu` and `value`; ValueError when they do not fit."""
    item = normalise_plu(plu)
    if len(item) > rule.item_digits or not 0 <= value < 10 ** rule.value_digits:
        raise ValueError(f"PLU {plu} or value {value} does not fit rule {rule.prefix}")
    return with_check_digit(f"{rule.prefix}{item.zfill(rule.item_digits)}{value:0{rule.value_digits}d}")
