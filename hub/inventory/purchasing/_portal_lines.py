"""What the purchase order and goods receipt forms share: document lines typed as rows of text
(a SKU or barcode, a quantity such as 2 or 1.5, a cost such as 0.40) read into the API's line
dicts, and a service's refusal put back beside the row it names."""

from __future__ import annotations

import re
from typing import Any

from hub.catalogue._refdata_portal import Refusal, clause, refusal, sentence
from hub.errors import HubError
from hub.portal import parse
from hub.portal.forms import Form

MAX_ROWS = 200
BLANK_ROWS = 5  # empty rows offered under the lines a form already has
_QUANTITY = re.compile(r"[0-9]{1,7}(\.[0-9]{1,3})?")
_LINE = re.compile(r"lines\[(\d+)\]\.(\w+)")


def thousandths(text: str) -> int | None:
    """"1.5" -> 1500; None when it is not a quantity of up to 3 decimals."""
    text = text.strip().replace(",", "")
    if not _QUANTITY.fullmatch(text):
        return None
    whole, _, frac = text.partition(".")
    return parse.scaled(whole, frac, 3)


def minor_units(text: str, decimals: int) -> int | None:
    """"0.40" -> 40 (2 decimals); None when it is not an amount of at most `decimals` decimals."""
    text = text.strip().replace(",", "")
    pattern = r"[0-9]{1,10}" + (rf"(\.[0-9]{{1,{decimals}}})?" if decimals else "")
    if not re.fullmatch(pattern, text):
        return None
    whole, _, frac = text.partition(".")
    return parse.scaled(whole, frac, decimals)


amount_text = parse.amount_text  # 40 -> "0.40": a cost as a form shows it to be typed again
quantity_text = parse.quantity_text  # 1500 -> "1.5": a quantity as a form shows it to be typed again


def row_count(form: Form) -> int:
    found = [int(m[1]) for k in (form.data.keys() if hasattr(form.data, "keys") else ())
             if (m := _LINE.fullmatch(k))]
    return min(max(found, default=-1) + 1, MAX_ROWS)


def read_lines(form: Form, decimals: int, *, packs: bool) -> tuple[list[dict[str, Any]], list[int], dict[str, str]]:
    """(lines, the form row of each line, errors by field): rows with no code are skipped."""
    lines, rows, errors = [], [], {}
    for i in range(row_count(form)):
        code = form.get(f"lines[{i}].code").strip()
        if not code:
            continue
        line: dict[str, Any] = {"code": code[:64]}
        quantity = thousandths(form.get(f"lines[{i}].quantity"))
        if not quantity:
            errors[f"lines[{i}].quantity"] = "must be a quantity more than 0, such as 2 or 1.5 (3 decimals at most)"
        line["quantity"] = quantity or 0
        if packs:
            line["entered_as"] = "pack" if form.get(f"lines[{i}].entered_as") == "pack" else "unit"
        cost_text = form.get(f"lines[{i}].unit_cost").strip()
        if cost_text:
            cost = minor_units(cost_text, decimals)
            if cost is None:
                errors[f"lines[{i}].unit_cost"] = f"must be an amount such as 1.25 ({decimals} decimals at most)"
            line["unit_cost"] = cost
        lines.append(line)
        rows.append(i)
    return lines, rows, errors


def row_refusal(err: HubError, rows: list[int], lead: str) -> Refusal:
    """The service's refusal with `lines[k]` renamed to the form row the k-th line came from."""
    refused = refusal(err, lead)

    def rename(name: str) -> str:
        m = _LINE.fullmatch(name)
        if m and int(m[1]) < len(rows):
            return f"lines[{rows[int(m[1])]}].{m[2]}"
        return name

    errors = {rename(k): v for k, v in refused.errors.items()}
    return Refusal(refused.status, refused.summary, errors)


def padded(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The typed rows and a few empty ones to add more."""
    return [*rows, *({} for _ in range(BLANK_ROWS))][:MAX_ROWS]


def typed_rows(form: Form) -> list[dict[str, str]]:
    """The rows as typed, to fill the form again after a refusal."""
    return [{k: form.get(f"lines[{i}].{k}") for k in ("code", "quantity", "entered_as", "unit_cost")}
            for i in range(row_count(form))]


__all__ = ["Refusal", "amount_text", "clause", "minor_units", "padded", "quantity_text", "read_lines",
           "row_refusal", "sentence", "thousandths", "typed_rows"]


def whole_in(text: str, low: int, high: int, default: int) -> int:
    """A typed whole number within [low, high]; `default` for anything else."""
    text = text.strip()
    return int(text) if text.isdigit() and len(text) < 7 and low <= int(text) <= high else default
