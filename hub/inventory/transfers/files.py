"""The two documents a transfer travels as, built and read by pure functions (no I/O), so the
portal, the API and later the cloud bridge carry the same bytes:

- the transfer file (`soko-hub-transfer`): what a posted out transfer sent, from which store to
  which, each line's SKU, barcode, name, quantity (thousandths) and unit cost (minor units of the
  base currency, null when the sender knew none);
- the receipt confirmation (`soko-hub-transfer-receipt`): what the receiving store posted as
  received against each line of that transfer.

A parser refuses what is malformed with FieldErrors naming the document's own fields.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from hub.clock import format_ts
from hub.errors import FieldErrors

FORMAT_VERSION = 1
TRANSFER_TYPE = "soko-hub-transfer"
RECEIPT_TYPE = "soko-hub-transfer-receipt"
MAX_BYTES = 2_000_000
MAX_LINES = 500
MAX_QUANTITY = 10**9
MAX_COST = 10**12
STORE_CODE = re.compile(r"[A-Z0-9]{2,8}")


def _dumps(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=False).encode()


def transfer_file(transfer: dict[str, Any], *, store_code: str, store_name: str, hub_id: str | None) -> dict[str, Any]:
    """The transfer file of a posted out transfer (its lines as stored)."""
    return {
        "type": TRANSFER_TYPE, "format_version": FORMAT_VERSION,
        "from": {"store_code": store_code, "store_name": store_name, "hub_id": hub_id},
        "to": {"store_code": transfer["other_store_code"], "store_name": transfer["other_store_name"]},
        "transfer_id": transfer["id"], "number": transfer["number"], "posted_at": transfer["posted_at"],
        "note": transfer["note"],
        "lines": [{"line": ln["line"], "sku": ln["sku"], "barcode": ln["barcode"], "name": ln["name"],
                   "quantity": ln["quantity"], "unit_cost": ln["unit_cost"]} for ln in transfer["lines"]],
    }


def receipt_confirmation(transfer: dict[str, Any], *, store_code: str, store_name: str,
                         hub_id: str | None) -> dict[str, Any]:
    """The confirmation a received in transfer sends back to its sender."""
    return {
        "type": RECEIPT_TYPE, "format_version": FORMAT_VERSION,
        "from": {"store_code": store_code, "store_name": store_name, "hub_id": hub_id},
        "to": {"store_code": transfer["other_store_code"]},
        "transfer_id": transfer["source_transfer_id"], "number": transfer["source_number"],
        "receipt_number": transfer["number"], "received_at": transfer["received_at"],
        "received_by": transfer["received_by"],
        "lines": [{"line": ln["line"], "sku": ln["sku"], "quantity": ln["quantity"],
                   "received": 0 if ln["not_received"] else (ln["received"] or 0)} for ln in transfer["lines"]],
    }


def encode(doc: dict[str, Any]) -> bytes:
    return _dumps(doc)


class _Reader:
    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []

    def text(self, obj: dict[str, Any], key: str, where: str, *, limit: int = 200, required: bool = True,
             pattern: re.Pattern[str] | None = None) -> str:
        value = obj.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
            self.errors.append((where, f"must be a text of 1 to {limit} characters" if required
                                else f"must be a text of at most {limit} characters"))
            return ""
        if pattern is not None and not pattern.fullmatch(value):
            self.errors.append((where, "is not a store code (2 to 8 capital letters or digits)"))
        return value

    def moment(self, obj: dict[str, Any], key: str, where: str) -> str:
        """An ISO 8601 time with its zone, as the hub stores times (UTC)."""
        text = self.text(obj, key, where, limit=40)
        if not text:
            return ""
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            value = None
        if value is None or value.tzinfo is None or not 2000 <= value.year <= 9998:
            self.errors.append((where, "is not a time such as 2026-05-01T08:30:00Z"))
            return ""
        return format_ts(value)

    def whole(self, obj: dict[str, Any], key: str, where: str, low: int, high: int, *,
              nullable: bool = False) -> int | None:
        value = obj.get(key)
        if value is None and nullable:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            self.errors.append((where, f"must be a whole number from {low} to {high}"))
            return None
        return value


def _load(data: bytes | str | dict[str, Any], kind: str) -> dict[str, Any]:
    if isinstance(data, (bytes, str)):
        if len(data) > MAX_BYTES:
            raise FieldErrors([("file", f"is larger than {MAX_BYTES // 1000} kB")])
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as err:
            raise FieldErrors([("file", "is not a JSON document")]) from err
    if not isinstance(data, dict):
        raise FieldErrors([("file", "is not a JSON object")])
    if data.get("type") != kind:
        raise FieldErrors([("file", f"is not a {'transfer file' if kind == TRANSFER_TYPE else 'receipt confirmation'}"
                                    f" (its type is not {kind})")])
    if data.get("format_version") != FORMAT_VERSION:
        raise FieldErrors([("file", f"has format version {data.get('format_version')!r}: this hub reads "
                                    f"version {FORMAT_VERSION}")])
    return data


def _store(r: _Reader, data: dict[str, Any], key: str, *, hub: bool) -> dict[str, Any]:
    obj = data.get(key)
    if not isinstance(obj, dict):
        r.errors.append((key, "must name a store"))
        return {"store_code": "", "store_name": "", "hub_id": None}
    out = {"store_code": r.text(obj, "store_code", f"{key}.store_code", limit=8, pattern=STORE_CODE),
           "store_name": r.text(obj, "store_name", f"{key}.store_name", limit=120, required=False)}
    if hub:
        out["hub_id"] = r.text(obj, "hub_id", f"{key}.hub_id", limit=64, required=False) or None
    return out


def _lines(r: _Reader, data: dict[str, Any]) -> list[dict[str, Any]]:
    given = data.get("lines")
    if not isinstance(given, list) or not 1 <= len(given) <= MAX_LINES:
        r.errors.append(("lines", f"must be a list of 1 to {MAX_LINES} lines"))
        return []
    return given


def parse_transfer_file(data: bytes | str | dict[str, Any]) -> dict[str, Any]:
    """A transfer file read into {sender, to, transfer_id, number, posted_at, note, lines}."""
    doc = _load(data, TRANSFER_TYPE)
    r = _Reader()
    sender, to = _store(r, doc, "from", hub=True), _store(r, doc, "to", hub=False)
    out: dict[str, Any] = {
        "sender": sender, "to": to,
        "transfer_id": r.text(doc, "transfer_id", "transfer_id", limit=64),
        "number": r.text(doc, "number", "number", limit=32),
        "posted_at": r.moment(doc, "posted_at", "posted_at"),
        "note": r.text(doc, "note", "note", limit=500, required=False), "lines": []}
    seen: set[int] = set()
    for i, line in enumerate(_lines(r, doc)):
        at = f"lines[{i}]"
        if not isinstance(line, dict):
            r.errors.append((at, "must be an object"))
            continue
        number = r.whole(line, "line", f"{at}.line", 0, 10**6)
        if number is not None and number in seen:
            r.errors.append((f"{at}.line", "repeats an earlier line number"))
        seen.add(number if number is not None else -1)
        out["lines"].append({
            "line": number, "sku": r.text(line, "sku", f"{at}.sku", limit=64, required=False),
            "barcode": r.text(line, "barcode", f"{at}.barcode", limit=64, required=False),
            "name": r.text(line, "name", f"{at}.name", limit=200, required=False),
            "quantity": r.whole(line, "quantity", f"{at}.quantity", 1, MAX_QUANTITY),
            "unit_cost": r.whole(line, "unit_cost", f"{at}.unit_cost", 0, MAX_COST, nullable=True)})
        if not (line.get("sku") or line.get("barcode")):
            r.errors.append((f"{at}.sku", "a line needs a SKU or a barcode"))
    if r.errors:
        raise FieldErrors(r.errors)
    return out


def parse_receipt_confirmation(data: bytes | str | dict[str, Any]) -> dict[str, Any]:
    """A receipt confirmation read into {receiver, to, transfer_id, receipt_number, received_at, lines}."""
    doc = _load(data, RECEIPT_TYPE)
    r = _Reader()
    receiver, to = _store(r, doc, "from", hub=True), _store(r, doc, "to", hub=False)
    out: dict[str, Any] = {
        "receiver": receiver, "to": to,
        "transfer_id": r.text(doc, "transfer_id", "transfer_id", limit=64),
        "receipt_number": r.text(doc, "receipt_number", "receipt_number", limit=32),
        "received_at": r.moment(doc, "received_at", "received_at"),
        "received_by": r.text(doc, "received_by", "received_by", limit=120, required=False), "lines": []}
    for i, line in enumerate(_lines(r, doc)):
        at = f"lines[{i}]"
        if not isinstance(line, dict):
            r.errors.append((at, "must be an object"))
            continue
        out["lines"].append({"line": r.whole(line, "line", f"{at}.line", 0, 10**6),
                             "received": r.whole(line, "received", f"{at}.received", 0, MAX_QUANTITY)})
    if r.errors:
        raise FieldErrors(r.errors)
    return out
