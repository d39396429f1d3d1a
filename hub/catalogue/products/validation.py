"""A product document checked as a whole, with every problem named by its field (pure).

The API and the CSV import put a product into the same shape and call `problems`, so both
refuse the same things with the same words. Quantities are thousandths of the product's unit
and must respect the unit's decimals (a product sold in whole units cannot have a pack of 2.5).
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from hub.catalogue import barcodes as codes

MAX_MONEY = 10**12  # minor units: more than any shelf price, far below SQLite's integer limit
MAX_QUANTITY = 10**9  # thousandths: a million units
NAME_LENGTH = 120
RECEIPT_NAME_LENGTH = 24
DESCRIPTION_LENGTH = 2000
SKU_LENGTH = 40
SUPPLIER_CODE_LENGTH = 64
MAX_BARCODES = 50
MAX_SUPPLIERS = 50
SKU_PATTERN = re.compile(r"^[\x21-\x7e]{1,40}$")  # printable ASCII: typeable at a till
PLU_PATTERN = re.compile(r"^[0-9]{1,6}$")
HS_PATTERN = re.compile(r"^([0-9]{4}|[0-9]{8})$")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")

FIELDS = ("sku", "name", "receipt_name", "description", "category_id", "unit_id", "tax_class_id",
          "hs_code", "cost_price", "stock_tracked", "low_stock_threshold", "sold_by_weight", "plu")
PARTS = ("prices", "override_prices", "barcodes", "suppliers")
DEFAULTS: dict[str, Any] = {
    "receipt_name": None, "description": "", "category_id": None, "hs_code": "", "cost_price": 0,
    "stock_tracked": True, "low_stock_threshold": 0, "sold_by_weight": False, "plu": None,
    "prices": {}, "override_prices": {}, "barcodes": [], "suppliers": [],
}
Problems = list[tuple[str, str]]


def receipt_name_for(name: str) -> str:
    """The default receipt name: the name cut to what a receipt line holds."""
    return name.strip()[:RECEIPT_NAME_LENGTH].rstrip()


def normalise(doc: dict[str, Any]) -> dict[str, Any]:
    """Trimmed text, canonical barcodes, PLUs without leading zeros, the default receipt name."""
    out = dict(doc)
    for field in ("sku", "name", "hs_code", "description"):
        if isinstance(out.get(field), str):
            out[field] = out[field].strip()
    if not out.get("receipt_name"):
        out["receipt_name"] = receipt_name_for(out.get("name") or "")
    else:
        out["receipt_name"] = out["receipt_name"].strip()
    plu = out.get("plu")
    if isinstance(plu, str):
        plu = plu.strip()
        out["plu"] = codes.normalise_plu(plu) if PLU_PATTERN.match(plu) else (plu or None)
    out["barcodes"] = [{**b, "code": codes.canonical(b["code"])} for b in out.get("barcodes", [])]
    out["suppliers"] = [{**s, "supplier_code": (s.get("supplier_code") or "").strip()}
                        for s in out.get("suppliers", [])]
    return out


class Refs:
    """The reference rows a product may name (from hub.db.product_refs.load_refs)."""

    def __init__(self, raw: dict[str, dict[str, dict[str, Any]]]) -> None:
        self.units = raw["units"]
        self.tax_classes = raw["tax_classes"]
        self.categories = raw["categories"]
        self.currencies = raw["currencies"]
        self.suppliers = raw["suppliers"]

    def base_currency(self) -> str | None:
        return next((c for c, row in self.currencies.items() if row["is_base"]), None)


def _step(decimals: int) -> int:
    return 10 ** (3 - decimals)


def quantity_problem(value: Any, unit: dict[str, Any] | None, *, allow_zero: bool = False) -> str | None:
    """Why `value` (thousandths) is not a quantity of `unit`, or None."""
    if not isinstance(value, int) or isinstance(value, bool):
        return "must be a whole number of thousandths"
    low = 0 if allow_zero else 1
    if not low <= value <= MAX_QUANTITY:
        return f"must be between {low} and {MAX_QUANTITY} (thousandths of the unit)"
    if unit is not None and value % _step(unit["decimals"]):
        places = unit["decimals"]
        return (f"the unit {unit['code']} allows {places} decimal{'s' if places != 1 else ''}, so this "
                f"must be a multiple of {_step(places)} (quantities are thousandths)")
    return None


def money_problem(value: Any) -> str | None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_MONEY:
        return f"must be a whole number of minor units from 0 to {MAX_MONEY}"
    return None


def _reference(problems: Problems, field: str, value: Any, rows: dict[str, Any], what: str,
               changed: bool, *, required: bool = True) -> None:
    if value is None:
        if required:
            problems.append((field, f"a product needs a {what}"))
        return
    row = rows.get(value)
    if row is None:
        problems.append((field, f"there is no {what} {value}"))
    elif changed and not row["active"]:
        problems.append((field, f"the {what} {value} is archived"))


def _text(problems: Problems, doc: dict[str, Any]) -> None:
    sku, name = doc.get("sku"), doc.get("name")
    if not isinstance(sku, str) or not SKU_PATTERN.match(sku):
        problems.append(("sku", f"a SKU is 1 to {SKU_LENGTH} printable characters without spaces"))
    if not isinstance(name, str) or not name:
        problems.append(("name", "a product needs a name"))
    elif len(name) > NAME_LENGTH:
        problems.append(("name", f"at most {NAME_LENGTH} characters"))
    if len(doc.get("receipt_name") or "") > RECEIPT_NAME_LENGTH:
        problems.append(("receipt_name", f"at most {RECEIPT_NAME_LENGTH} characters (a receipt line)"))
    if len(doc.get("description") or "") > DESCRIPTION_LENGTH:
        problems.append(("description", f"at most {DESCRIPTION_LENGTH} characters"))
    if doc.get("hs_code") and not HS_PATTERN.match(doc["hs_code"]):
        problems.append(("hs_code", "an HS code is 4 or 8 digits (fiscal receipts need it)"))
    plu = doc.get("plu")
    if plu is not None and not PLU_PATTERN.match(plu):
        problems.append(("plu", "a PLU (the item code in scale barcodes) is 1 to 6 digits"))


def _prices(problems: Problems, doc: dict[str, Any], refs: Refs, changed: set[str]) -> None:
    for part in ("prices", "override_prices"):
        for currency, amount in (doc.get(part) or {}).items():
            field = f"{part}.{currency}"
            if currency not in refs.currencies:
                problems.append((field, f"there is no currency {currency}"))
            elif part in changed and not refs.currencies[currency]["active"]:
                problems.append((field, f"the currency {currency} is archived"))
            elif amount is not None and (msg := money_problem(amount)):
                problems.append((field, msg))


def _barcodes(problems: Problems, doc: dict[str, Any], unit: dict[str, Any] | None) -> None:
    listed = doc.get("barcodes") or []
    if len(listed) > MAX_BARCODES:
        problems.append(("barcodes", f"at most {MAX_BARCODES} barcodes"))
    seen: dict[str, int] = {}
    for i, barcode in enumerate(listed):
        code = barcode["code"]
        if (msg := codes.problem_with(code)):
            problems.append((f"barcodes[{i}].code", msg))
        elif code in seen:
            problems.append((f"barcodes[{i}].code", f"listed twice (also barcodes[{seen[code]}])"))
        seen.setdefault(code, i)
        if (msg := quantity_problem(barcode["pack_quantity"], unit)):
            problems.append((f"barcodes[{i}].pack_quantity", msg))


def _suppliers(problems: Problems, doc: dict[str, Any], refs: Refs, unit: dict[str, Any] | None,
               changed: bool) -> None:
    listed = doc.get("suppliers") or []
    if len(listed) > MAX_SUPPLIERS:
        problems.append(("suppliers", f"at most {MAX_SUPPLIERS} suppliers"))
    seen: set[str] = set()
    for i, link in enumerate(listed):
        where = f"suppliers[{i}]"
        _reference(problems, f"{where}.supplier_id", link["supplier_id"], refs.suppliers, "supplier", changed)
        if link["supplier_id"] in seen:
            problems.append((f"{where}.supplier_id", "listed twice"))
        seen.add(link["supplier_id"])
        if len(link["supplier_code"]) > SUPPLIER_CODE_LENGTH:
            problems.append((f"{where}.supplier_code", f"at most {SUPPLIER_CODE_LENGTH} characters"))
        if link.get("cost") is not None:
            if (msg := money_problem(link["cost"])):
                problems.append((f"{where}.cost", msg))
            if link.get("currency") is None:
                problems.append((f"{where}.currency", "say which currency the cost is in"))
        if link.get("currency") is not None and link["currency"] not in refs.currencies:
            problems.append((f"{where}.currency", f"there is no currency {link['currency']}"))
        if (msg := quantity_problem(link["pack_size"], unit)):
            problems.append((f"{where}.pack_size", msg))
    if sum(1 for link in listed if link.get("preferred")) > 1:
        problems.append(("suppliers", "at most one preferred supplier"))


def problems(doc: dict[str, Any], refs: Refs, *, changed: Iterable[str] | None = None,
             opening_stock: dict[str, Any] | None = None) -> Problems:
    """Every (field, message) wrong with a normalised document; `changed`: the fields this request
    changes (archived references are refused only there; None: all, as when creating)."""
    touched = set(changed) if changed is not None else set(FIELDS) | set(PARTS)
    found: Problems = []
    _text(found, doc)
    _reference(found, "category_id", doc.get("category_id"), refs.categories, "category",
               "category_id" in touched, required=False)
    _reference(found, "unit_id", doc.get("unit_id"), refs.units, "unit", "unit_id" in touched)
    _reference(found, "tax_class_id", doc.get("tax_class_id"), refs.tax_classes, "tax class",
               "tax_class_id" in touched)
    unit = refs.units.get(doc.get("unit_id"))  # type: ignore[arg-type]
    if (msg := money_problem(doc.get("cost_price"))):
        found.append(("cost_price", msg))
    if (msg := quantity_problem(doc.get("low_stock_threshold"), unit, allow_zero=True)):
        found.append(("low_stock_threshold", msg))
    if doc.get("sold_by_weight") and unit is not None and unit["decimals"] == 0:
        found.append(("sold_by_weight", f"a product sold by weight needs a unit with decimals "
                                        f"(such as kg), not {unit['code']}"))
    _prices(found, doc, refs, touched)
    _barcodes(found, doc, unit)
    _suppliers(found, doc, refs, unit, "suppliers" in touched)
    if opening_stock is not None:
        if (msg := quantity_problem(opening_stock.get("quantity"), unit)):
            found.append(("opening_stock.quantity", msg))
        if (msg := money_problem(opening_stock.get("unit_cost"))):
            found.append(("opening_stock.unit_cost", msg))
    return found
