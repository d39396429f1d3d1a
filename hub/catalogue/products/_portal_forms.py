"""The product forms of the portal, as pure functions: money and quantities typed as decimals,
the create and edit bodies the products service takes, and its field paths mapped back to inputs.

Inputs are named by the API's own field paths (`prices.USD`, `barcodes[2].code`,
`opening_stock.quantity`), so a refusal from the service lands next to the input it names. Money
is parsed exactly to minor units with the currency's decimals, quantities to thousandths with the
unit's decimals: integer arithmetic on the typed digits, never a float.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from hub.catalogue.products.validation import MAX_MONEY, MAX_QUANTITY
from hub.portal import parse

MAX_TYPED = 24  # characters of a typed number
# 1250, 1250.5, 1,250.50, .5; no sign, no exponent
NUMBER = re.compile(r"(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)(?:\.(?P<frac>[0-9]*))?")
ROW = re.compile(r"^(?P<part>barcodes|suppliers)\[(?P<index>[0-9]+)\](?P<rest>.*)$")
TEXT_LIMITS = {"sku": 40, "name": 120, "receipt_name": 24, "description": 2000, "hs_code": 8, "plu": 6,
               "category_id": 64, "unit_id": 64, "tax_class_id": 64, "reason": 200}
CODE_LIMIT, SUPPLIER_CODE_LIMIT, NOTE_LIMIT, ID_LIMIT = 48, 64, 200, 64
NEW_BARCODE_ROWS, NEW_SUPPLIER_ROWS = 3, 2  # blank rows a form offers
MAX_ROWS = 50  # the API's most barcodes and suppliers


Unreadable = parse.TypedError  # typed text that is not an amount, a quantity or a time; the message says why


def scaled(text: str, places: int) -> int:
    """`text` as an integer of 10^-places ("12.50", 2 -> 1250), exactly; Unreadable otherwise.

    Trailing zeros past `places` are exact and accepted ("12.500" is 1250); "12.505" is not."""
    typed = text.strip()
    if len(typed) > MAX_TYPED:
        raise Unreadable("is too long for a number")
    if typed.startswith("-"):
        raise Unreadable("cannot be negative")
    found = NUMBER.fullmatch(typed)
    if not found or not any(ch.isdigit() for ch in typed):
        raise Unreadable("is not a number (type it like 12.50)")
    frac = (found["frac"] or "").rstrip("0")
    if len(frac) > places:
        raise Unreadable("")  # the caller says how many decimals are allowed
    return parse.scaled((found["whole"] or "0").replace(",", ""), frac, places)


def parse_money(text: str, code: str, decimals: int) -> int:
    """Typed money in `code` as minor units; Unreadable naming the currency's decimals."""
    try:
        amount = scaled(text, decimals)
    except Unreadable as err:
        if str(err):
            raise
        allowed = "whole numbers" if decimals == 0 else \
            f"at most {decimals} decimal{'s' if decimals != 1 else ''} (such as {format_amount(1250, decimals)})"
        raise Unreadable(f"{code} amounts have {allowed}") from None
    if amount > MAX_MONEY:
        raise Unreadable(f"is more than {format_amount(MAX_MONEY, decimals)}")
    return amount


def parse_quantity(text: str, unit: dict[str, Any] | None, *, allow_zero: bool = False) -> int:
    """A typed quantity of `unit` as thousandths; Unreadable naming the unit's decimals."""
    places = unit["decimals"] if unit else 3
    try:
        value = scaled(text, 3)
    except Unreadable as err:
        if str(err):
            raise
        value = None
    if value is None or value % 10 ** (3 - places):
        unit_name = f"the unit {unit['code']}" if unit else "this unit"
        raise Unreadable(f"{unit_name} is counted in whole numbers" if places == 0 else
                         f"{unit_name} allows at most {places} decimal{'s' if places != 1 else ''}")
    if value == 0 and not allow_zero:
        raise Unreadable("must be more than 0")
    if value > MAX_QUANTITY:
        raise Unreadable(f"is more than {MAX_QUANTITY // 1000:,}")
    return value


def format_amount(amount: int | None, decimals: int) -> str:
    """Minor units as text with the currency's decimals ("1,250.50"); "" for none."""
    return parse.amount_text(amount, decimals, grouped=True)


typed_amount = parse.amount_text  # minor units as a form value ("1250.50", no separators)
format_quantity = parse.quantity_text  # thousandths in the unit's decimals ("12", "1.5")


def sentence(message: str) -> str:
    """An API message as a sentence: capitalised, ending in a full stop."""
    message = message.strip()
    if not message:
        return message
    return message[0].upper() + message[1:] + ("" if message.endswith((".", "?", "!")) else ".")


@dataclass
class FormContext:
    """What reading a product form needs: the store's reference data and what this user may set."""

    units: dict[str, dict[str, Any]]  # id -> {code, decimals, ...}
    currencies: list[dict[str, Any]]  # active ones, base first: {code, decimals, is_base, ...}
    price_part: str  # "prices", or "override_prices" once HQ owns the prices
    may_price: bool  # the user holds prices.manage
    locked: frozenset[str] = frozenset()  # HQ-owned fields of an enrolled hub, left out
    current_unit_id: str | None = None  # editing: the product's unit (when the unit is locked)
    opening_editable: bool = True  # False once the product's stock is in the ledger

    @property
    def decimals(self) -> dict[str, int]:
        return {c["code"]: c["decimals"] for c in self.currencies}

    @property
    def base(self) -> dict[str, Any] | None:
        return next((c for c in self.currencies if c["is_base"]), None)


@dataclass
class ReadForm:
    """A product form as the service's body, with every input that could not be read."""

    body: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # input name -> message
    rows: dict[str, list[int]] = field(default_factory=lambda: {"barcodes": [], "suppliers": []})

    def input_for(self, path: str) -> str:
        """The input an API field path names (list indices of sent rows back to form rows)."""
        found = ROW.match(path)
        if found:
            sent = self.rows[found["part"]]
            index = int(found["index"])
            row = sent[index] if index < len(sent) else index
            return f"{found['part']}[{row}]{found['rest']}"
        if path == "opening_stock":
            return "opening_stock.quantity"
        return path

    def refuse(self, problems: Iterable[dict[str, str]]) -> None:
        for problem in problems:
            self.errors.setdefault(self.input_for(problem["field"]), sentence(problem["message"]))


def row_count(values: Iterable[str], part: str) -> int:
    """How many rows of `part` a submitted form had (the highest index + 1)."""
    indices = [int(m["index"]) for m in map(ROW.match, values) if m and m["part"] == part]
    return min(max(indices, default=-1) + 1, MAX_ROWS + 5)


class _Reader:
    def __init__(self, form: Any, ctx: FormContext, out: ReadForm) -> None:
        self.form, self.ctx, self.out = form, ctx, out

    def text(self, name: str, limit: int) -> str:
        value = self.form.get(name).strip()
        if len(value) > limit:
            self.out.errors[name] = f"At most {limit} characters."
        return value[:limit]

    def money(self, name: str, code: str | None, *, blank: Any = None) -> Any:
        typed = self.form.get(name)
        if not typed.strip():
            return blank
        decimals = self.ctx.decimals.get(code or "", 2)
        try:
            return parse_money(typed, code or "Such", decimals)
        except Unreadable as err:
            self.out.errors[name] = sentence(str(err))
            return blank

    def quantity(self, name: str, unit: dict[str, Any] | None, *, blank: Any, allow_zero: bool = False) -> Any:
        typed = self.form.get(name)
        if not typed.strip():
            return blank
        try:
            return parse_quantity(typed, unit, allow_zero=allow_zero)
        except Unreadable as err:
            self.out.errors[name] = sentence(str(err))
            return blank


def _barcodes(r: _Reader, unit: dict[str, Any] | None, count: int) -> list[dict[str, Any]]:
    listed = []
    for i in range(count):
        code = r.text(f"barcodes[{i}].code", CODE_LIMIT)
        pack_name = f"barcodes[{i}].pack_quantity"
        if not code:
            if r.form.get(pack_name).strip() not in ("", "1"):
                r.out.errors[f"barcodes[{i}].code"] = "Type the barcode, or clear the pack quantity."
            continue
        listed.append({"code": code, "pack_quantity": r.quantity(pack_name, unit, blank=1000)})
        r.out.rows["barcodes"].append(i)
    return listed


def _suppliers(r: _Reader, unit: dict[str, Any] | None, count: int) -> list[dict[str, Any]]:
    listed = []
    preferred = r.form.get("preferred_supplier")
    for i in range(count):
        where = f"suppliers[{i}]"
        supplier_id = r.text(f"{where}.supplier_id", ID_LIMIT)
        code = r.text(f"{where}.supplier_code", SUPPLIER_CODE_LIMIT)
        cost_typed = r.form.get(f"{where}.cost").strip()
        if not supplier_id:
            if code or cost_typed:
                r.out.errors[f"{where}.supplier_id"] = "Choose the supplier, or clear this row."
            continue
        currency = r.text(f"{where}.currency", 3) or None
        cost = r.money(f"{where}.cost", currency or (r.ctx.base or {}).get("code"))
        listed.append({"supplier_id": supplier_id, "supplier_code": code, "cost": cost,
                       "currency": currency if cost_typed else None,
                       "pack_size": r.quantity(f"{where}.pack_size", unit, blank=1000),
                       "preferred": preferred == str(i)})
        r.out.rows["suppliers"].append(i)
    return listed


def _opening(r: _Reader, unit: dict[str, Any] | None) -> dict[str, Any] | None:
    base = r.ctx.base["code"] if r.ctx.base else None
    quantity = r.quantity("opening_stock.quantity", unit, blank=None)
    cost = r.money("opening_stock.unit_cost", base, blank=0)
    note = r.text("opening_stock.note", NOTE_LIMIT)
    if quantity is None:
        if "opening_stock.quantity" not in r.out.errors and (cost or note):
            r.out.errors["opening_stock.quantity"] = "Type the quantity, or clear the cost and note."
        return None
    return {"quantity": quantity, "unit_cost": cost, "note": note}


def read_product_form(form: Any, ctx: FormContext, *, editing: bool) -> ReadForm:
    """The create body (or, `editing`, the PATCH changes) a submitted product form asks for."""
    out = ReadForm()
    r = _Reader(form, ctx, out)
    names = list(form.data.keys()) if hasattr(form.data, "keys") else []
    body: dict[str, Any] = {}
    for name in ("sku", "name", "receipt_name", "description", "hs_code", "plu", "category_id",
                 "unit_id", "tax_class_id"):
        if name not in ctx.locked:
            body[name] = r.text(name, TEXT_LIMITS[name])
    for name in ("receipt_name", "plu", "category_id"):
        if name in body and not body[name]:
            body[name] = None
    for name in ("stock_tracked", "sold_by_weight"):
        if name not in ctx.locked:
            body[name] = form.get(name) in ("on", "1", "true")
    unit_id = body.get("unit_id") or ctx.current_unit_id
    unit = ctx.units.get(unit_id or "")
    base = ctx.base["code"] if ctx.base else None
    body["cost_price"] = r.money("cost_price", base, blank=0)
    body["low_stock_threshold"] = r.quantity("low_stock_threshold", unit, blank=0, allow_zero=True)
    if ctx.may_price:
        prices = {}
        for currency in ctx.currencies:
            name = f"{ctx.price_part}.{currency['code']}"
            amount = r.money(name, currency["code"])
            if amount is not None or (editing and name not in out.errors):
                prices[currency["code"]] = amount  # editing: a cleared price is removed
        body[ctx.price_part] = prices
    if "barcodes" not in ctx.locked:
        body["barcodes"] = _barcodes(r, unit, row_count(names, "barcodes"))
    body["suppliers"] = _suppliers(r, unit, row_count(names, "suppliers"))
    opening = _opening(r, unit) if ctx.opening_editable else None
    if opening is not None:
        body["opening_stock"] = opening
    if editing:
        body["reason"] = r.text("reason", TEXT_LIMITS["reason"])
    out.body = body
    return out


def is_locked(name: str, locked: frozenset[str]) -> bool:
    """Is this input one of the HQ-owned fields (`barcodes[1].code` is `barcodes`, `prices.USD` is `price`)?"""
    found = ROW.match(name)
    if found:
        return found["part"] in locked
    if name.startswith("prices."):
        return "price" in locked
    return name in locked


def product_values(doc: dict[str, Any], ctx: FormContext) -> dict[str, str]:
    """A product document as form values (what the edit form starts from)."""
    unit = ctx.units.get(doc["unit_id"]) or {"decimals": 3}
    base = ctx.base
    values: dict[str, str] = {name: doc[name] or "" for name in (
        "sku", "name", "receipt_name", "description", "hs_code", "plu", "category_id", "unit_id", "tax_class_id")}
    for name in ("stock_tracked", "sold_by_weight"):
        values[name] = "on" if doc[name] else ""
    values["cost_price"] = typed_amount(doc["cost_price"], base["decimals"] if base else 2) \
        if doc["cost_price"] else ""
    values["low_stock_threshold"] = format_quantity(doc["low_stock_threshold"], unit["decimals"]) \
        if doc["low_stock_threshold"] else ""
    for part in ("prices", "override_prices"):
        for code, amount in doc[part].items():
            values[f"{part}.{code}"] = typed_amount(amount, ctx.decimals.get(code, 2))
    for i, barcode in enumerate(doc["barcodes"]):
        values[f"barcodes[{i}].code"] = barcode["code"]
        values[f"barcodes[{i}].pack_quantity"] = format_quantity(barcode["pack_quantity"], unit["decimals"])
    for i, link in enumerate(doc["suppliers"]):
        where = f"suppliers[{i}]"
        values.update({f"{where}.supplier_id": link["supplier_id"], f"{where}.supplier_code": link["supplier_code"],
                       f"{where}.cost": typed_amount(link["cost"], ctx.decimals.get(link["currency"] or "", 2)),
                       f"{where}.currency": link["currency"] or "",
                       f"{where}.pack_size": format_quantity(link["pack_size"], unit["decimals"])})
        if link["preferred"]:
            values["preferred_supplier"] = str(i)
    return values


def local_instant(text: str, zone: dt.tzinfo) -> dt.datetime:
    """A `datetime-local` value ("2027-01-31T08:00") read on the store's clock; Unreadable otherwise."""
    moment = parse.store_moment(text, zone)
    if not 2000 <= moment.year <= 9998:
        raise Unreadable("must be between the years 2000 and 9998")
    return moment


LABELS = {"sku": "SKU", "name": "Name", "receipt_name": "Receipt name", "description": "Description",
          "category_id": "Category", "unit_id": "Unit", "tax_class_id": "Tax class", "hs_code": "HS code",
          "plu": "PLU", "cost_price": "Unit cost", "stock_tracked": "Track stock",
          "sold_by_weight": "Sold by weight", "low_stock_threshold": "Low-stock threshold",
          "opening_stock.quantity": "Opening stock", "opening_stock.unit_cost": "Opening stock cost",
          "opening_stock.note": "Opening stock note", "barcodes": "Barcodes", "suppliers": "Suppliers",
          "reason": "Reason", "currency": "Currency", "price": "New price", "effective_from": "From"}
ROW_LABELS = {"code": "barcode", "pack_quantity": "pack quantity", "supplier_id": "supplier",
              "supplier_code": "supplier's code", "cost": "cost", "currency": "cost currency",
              "pack_size": "pack size"}


def label_of(name: str) -> str:
    """The words a person sees for an input name ("Barcode 2: pack quantity", "Price in USD")."""
    if name in LABELS:
        return LABELS[name]
    part, _, code = name.partition(".")
    if part in ("prices", "override_prices") and code:
        return f"{'Store price' if part == 'override_prices' else 'Price'} in {code}"
    found = ROW.match(name)
    if found:
        what = "Barcode" if found["part"] == "barcodes" else "Supplier"
        rest = found["rest"].lstrip(".")
        return f"{what} {int(found['index']) + 1}" + (f": {ROW_LABELS.get(rest, rest)}" if rest else "")
    return name.replace("_", " ").capitalize()


def input_id(name: str) -> str:
    """An HTML id for an input name (`barcodes[0].code` -> `f-barcodes-0--code`)."""
    return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)
