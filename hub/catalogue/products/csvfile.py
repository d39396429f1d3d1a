"""The product CSV (docs/catalogue-csv.md) as pure functions: columns, cells, rows.

Money is written as a decimal in the currency's own decimals ("1.50" USD is 150 cents) and
quantities as a decimal number of units ("0.5" kg is 500 thousandths), both parsed exactly with
integers: no float ever touches a price.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any, Iterable, Iterator

PRICE_PREFIX = "price_"
PACK_SEPARATOR = "*"
BARCODE_SEPARATOR = "|"
COLUMNS_BEFORE_PRICES = ("sku", "name", "receipt_name", "description", "category", "unit",
                         "tax_class", "hs_code", "cost_price")
COLUMNS_AFTER_PRICES = ("barcodes", "stock_tracked", "low_stock_threshold", "sold_by_weight", "plu",
                        "opening_stock_quantity", "opening_stock_unit_cost")
FIXED_COLUMNS = frozenset(COLUMNS_BEFORE_PRICES + COLUMNS_AFTER_PRICES)
REQUIRED_TO_CREATE = ("name", "unit", "tax_class")
CATEGORY_SEPARATOR = "/"
_DECIMAL = re.compile(r"^([0-9]+)(?:\.([0-9]*))?$|^\.([0-9]+)$")
TRUE = frozenset({"yes", "y", "true", "1"})
FALSE = frozenset({"no", "n", "false", "0"})


class CellError(ValueError):
    """A cell that cannot be read; the message says what it should be."""


def columns(currencies: Iterable[str]) -> list[str]:
    """The export's columns: fixed ones around one `price_<CODE>` column per currency."""
    return [*COLUMNS_BEFORE_PRICES, *(PRICE_PREFIX + c for c in currencies), *COLUMNS_AFTER_PRICES]


def price_currency(column: str) -> str | None:
    """`USD` for `price_USD`; None for any other column."""
    if column.startswith(PRICE_PREFIX) and re.fullmatch(r"[A-Z]{3}", column[len(PRICE_PREFIX):]):
        return column[len(PRICE_PREFIX):]
    return None


def parse_decimal(text: str, places: int, what: str) -> int:
    """`text` as an integer of 10^-places ("1.5", 2 places -> 150); CellError when it is not one."""
    match = _DECIMAL.match(text.strip())
    if not match:
        raise CellError(f"{text!r} is not {what} (digits with an optional decimal point, such as 1.50)")
    whole, fraction = (match.group(1) or "0"), (match.group(2) if match.group(1) else match.group(3)) or ""
    fraction = fraction.rstrip("0")
    if len(fraction) > places:
        raise CellError(f"{text!r} has more than {places} decimal{'s' if places != 1 else ''}")
    if len(whole) > 15:
        raise CellError(f"{text!r} is too large")
    return int(whole) * 10**places + int(fraction.ljust(places, "0") or "0")


def format_decimal(value: int, places: int, *, trim: bool = False) -> str:
    """The inverse of parse_decimal; `trim` drops trailing zeros ("12" not "12.000")."""
    whole, fraction = divmod(value, 10**places)
    if places == 0:
        return str(whole)
    text = f"{whole}.{fraction:0{places}d}"
    return text.rstrip("0").rstrip(".") if trim else text


def parse_quantity(text: str) -> int:
    """Units as thousandths ("1.5" -> 1500)."""
    return parse_decimal(text, 3, "a quantity")


def format_quantity(value: int) -> str:
    return format_decimal(value, 3, trim=True)


def parse_flag(text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise CellError(f"{text!r} is not yes or no")


def format_flag(value: bool) -> str:
    return "yes" if value else "no"


def parse_barcodes(text: str) -> list[dict[str, Any]]:
    """`6001234567890|6001234567891*12`: codes separated by |, a pack's units after *."""
    found = []
    for part in text.split(BARCODE_SEPARATOR):
        code, _, pack = part.strip().partition(PACK_SEPARATOR)
        if not code.strip():
            raise CellError("an empty barcode between separators")
        quantity = parse_decimal(pack, 3, "a pack size") if pack else 1000
        if quantity == 0:
            raise CellError(f"the pack size of {code.strip()} must be more than 0")
        found.append({"code": code.strip(), "pack_quantity": quantity})
    return found


def format_barcodes(barcodes: Iterable[dict[str, Any]]) -> str:
    def one(b: dict[str, Any]) -> str:
        if b["pack_quantity"] == 1000:
            return b["code"]
        return f"{b['code']}{PACK_SEPARATOR}{format_quantity(b['pack_quantity'])}"
    return BARCODE_SEPARATOR.join(map(one, barcodes))


def read(text: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header and (row number, cells) of each non-blank row, numbered as a spreadsheet
    shows them: the header is row 1. csv.Error for text that is not CSV."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, cells in enumerate(reader, start=2):
            if any(c.strip() for c in cells):
                yield number, cells
    return [h.strip() for h in header], rows()


def write(header: list[str], rows: Iterable[list[str]]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
