"""Document lines as the portal's forms send them: rows of a product's SKU or barcode, a quantity
typed in the product's unit, an optional reason and unit cost; blank rows are skipped. Errors are
named by the form's own fields (`lines[3].quantity`) so each shows beside its input."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hub.db import products
from hub.errors import FieldErrors
from hub.inventory import _format
from hub.portal.parse import TypedError, parse_amount, scaled
from hub.portal.forms import Form

ROWS = 6  # empty rows a new form shows
MAX_ROWS = 60  # rows one form may send
_QUANTITY = re.compile(r"([+-]?)([0-9]{1,7})(?:[.,]([0-9]*))?")
SERVICE_FIELDS = {"product_id": "code", "quantity": "quantity", "unit_cost": "unit_cost",
                  "reason_code": "reason_code", "note": "note"}


@dataclass
class Row:
    index: int  # the form's row
    code: str
    quantity: str
    reason_code: str
    unit_cost: str


def rows_of(form: Form) -> list[Row]:
    """The non-blank rows of a submitted form."""
    found = []
    for i in range(MAX_ROWS):
        row = Row(i, *(form.get(f"lines[{i}].{name}").strip()[:64]
                       for name in ("code", "quantity", "reason_code", "unit_cost")))
        if row.code or row.quantity or row.unit_cost:
            found.append(row)
    return found


def thousandths(text: str) -> int:
    """"-2" -> -2000, "1.25" -> 1250 (a comma works as the point too)."""
    match = _QUANTITY.fullmatch(text.replace(" ", ""))
    if match is None:
        raise TypedError("must be a number such as 2, -2 or 1.5")
    value = scaled(match[2], match[3] or "", 3)
    return -value if match[1] == "-" else value


def in_units(packs: int, pack_quantity: int) -> int:
    """Thousandths of packs typed beside a pack's barcode as thousandths of the unit: a pack's
    barcode counts packs, as a count line from a till does (hub.inventory.stocktake.service)."""
    if packs * pack_quantity % 1000:
        raise TypedError(f"counts packs of {_format.quantity(pack_quantity)}: packs times that must be a whole "
                         "quantity")
    return packs * pack_quantity // 1000


def resolve(conn: Any, rows: list[Row], decimals: int
            ) -> tuple[list[dict[str, Any]], list[int], list[tuple[str, str]]]:
    """The service's lines for the rows that could be read, the form row of each, and what is
    wrong with the others (named by form fields)."""
    errors: list[tuple[str, str]] = []
    lines, where = [], []
    for row in rows:
        before = len(errors)
        name = f"lines[{row.index}]"
        line: dict[str, Any] = {"product_id": "", "quantity": 0, "unit_cost": None,
                                "reason_code": row.reason_code or None}
        hit = None
        if not row.code:
            errors.append((f"{name}.code", "type a SKU or scan a barcode"))
        else:
            try:
                hit = products.lookup(conn, row.code)
            except products.MisreadBarcodeError:
                hit = None
            if hit is None:
                errors.append((f"{name}.code", f"no product has the SKU or barcode {row.code}"))
            else:
                line["product_id"] = hit["product"]["id"]
        try:
            line["quantity"] = thousandths(row.quantity) if row.quantity else None
            if line["quantity"] is None:
                errors.append((f"{name}.quantity", "is required"))
            elif hit is not None and hit.get("kind") == "pack":
                line["quantity"] = in_units(line["quantity"], hit["quantity"])
        except TypedError as err:
            errors.append((f"{name}.quantity", str(err)))
        if row.unit_cost:
            try:
                line["unit_cost"] = parse_amount(row.unit_cost, decimals)
            except TypedError as err:
                errors.append((f"{name}.unit_cost", str(err)))
        if len(errors) == before:
            lines.append(line)
            where.append(row.index)
    return lines, where, errors


def posted(conn: Any, rows: list[Row], decimals: int, check: Any, write: Any) -> dict[str, Any]:
    """Read the rows, `check(lines)` what could be read (the service's own rules, writing nothing)
    so that one refusal names every wrong input, then `write(lines)`; FieldErrors name form fields."""
    lines, where, errors = resolve(conn, rows, decimals)
    if not rows:
        errors.append(("lines", "add at least one line: a SKU or barcode and a quantity"))
    try:
        if errors:
            if lines:
                check(lines)
        else:
            return write(lines)
    except FieldErrors as err:
        errors += [(e["field"], e["message"]) for e in renamed(err, where).errors if e["field"] != "lines"]
        if not errors:
            raise renamed(err, where) from err
    raise FieldErrors(sorted(errors, key=_order))


def _order(error: tuple[str, str]) -> tuple[int, str]:
    match = re.match(r"lines\[(\d+)\]", error[0])
    return (int(match[1]) + 1 if match else 0, error[0])


def renamed(err: FieldErrors, where: list[int]) -> FieldErrors:
    """A service's `lines[k].product_id` as the form's `lines[row].code`."""
    pairs = []
    for item in err.errors:
        field = item["field"]
        match = re.fullmatch(r"lines\[(\d+)\]\.(\w+)", field)
        if match and int(match[1]) < len(where):
            field = f"lines[{where[int(match[1])]}].{SERVICE_FIELDS.get(match[2], match[2])}"
        pairs.append((field, item["message"]))
    return FieldErrors(pairs)
