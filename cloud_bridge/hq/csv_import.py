"""CSV import of the chain's reference data: categories, products, prices, exchange rates,
promotions and users (one transaction per file; a file with an error changes nothing)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from cloud_bridge.hq.errors import HQError, InvalidError
from cloud_bridge.hq import reference

MAX_ROWS = 50_000
MAX_BYTES = 20 * 1024 * 1024
ENTITY_OF = {"categories": "category", "products": "product", "prices": "product",
             "exchange_rates": "exchange_rate", "promotions": "promotion", "users": "user", "settings": "setting"}
COLUMNS = {
    "categories": ["id", "name"],
    "products": ["id", "sku", "name"],
    "prices": ["product_id", "currency", "amount"],
    "exchange_rates": ["id", "base", "quote", "rate", "scale", "effective_from"],
    "promotions": ["id", "name", "kind"],
    "users": ["id", "username"],
    "settings": ["key", "value"],
}


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("", "1", "true", "yes", "y"):
        return True
    if value in ("0", "false", "no", "n"):
        return False
    raise ValueError("true or false")


def _int(text: str) -> int:
    return int(text.strip())


def _barcodes(text: str) -> list[dict[str, Any]]:
    """`code` or `code:pack_quantity` (thousandths), separated by `;` or spaces."""
    out = []
    for part in text.replace(";", " ").split():
        code, _, pack = part.partition(":")
        out.append({"code": code, "pack_quantity": int(pack) if pack else 1000})
    return out


def _opt(row: dict[str, str], key: str) -> str | None:
    value = (row.get(key) or "").strip()
    return value or None


def row_body(kind: str, row: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """(id, body) for one CSV row of `kind` (a file named by the URL: /import/products, ...)."""
    if kind == "categories":
        return row["id"].strip(), {"name": row["name"].strip(), "parent_id": _opt(row, "parent_id")}
    if kind == "products":
        prices = {k[6:].upper(): _int(v) for k, v in row.items() if k and k.lower().startswith("price_") and v.strip()}
        body: dict[str, Any] = {"sku": row["sku"].strip(), "name": row["name"].strip(), "prices": prices,
                                "category_id": _opt(row, "category_id"), "active": _bool(row.get("active") or "")}
        for key in ("short_name", "unit", "tax_class", "hs_code"):
            if _opt(row, key) is not None:
                body[key] = row[key].strip()
        if _opt(row, "barcodes"):
            body["barcodes"] = _barcodes(row["barcodes"])
        return row["id"].strip(), body
    if kind == "exchange_rates":
        return row["id"].strip(), {"base": row["base"].strip(), "quote": row["quote"].strip(),
                                   "rate": _int(row["rate"]), "scale": _int(row["scale"]),
                                   "effective_from": row["effective_from"].strip()}
    if kind == "promotions":
        body = json.loads(row["body"]) if _opt(row, "body") else {}
        if not isinstance(body, dict):
            raise ValueError("body: a JSON object")
        body.update({"name": row["name"].strip(), "kind": row["kind"].strip()})
        for key in ("priority", "percent_off_bp"):
            if _opt(row, key) is not None:
                body[key] = _int(row[key])
        for key in ("valid_from", "valid_until"):
            if _opt(row, key) is not None:
                body[key] = row[key].strip()
        return row["id"].strip(), body
    if kind == "users":
        return row["id"].strip(), {"username": row["username"].strip(),
                                   "display_name": (row.get("display_name") or "").strip(),
                                   "role": (row.get("role") or "cashier").strip(), "active": _bool(row.get("active") or "")}
    if kind == "settings":
        text = row["value"]
        try:
            value = json.loads(text)
        except ValueError:
            value = text
        return row["key"].strip(), {"value": value}
    raise AssertionError(kind)


async def import_rows(conn: Any, kind: str, raw: bytes, actor: str) -> dict[str, Any]:
    if kind not in COLUMNS:
        raise HQError(f"Nothing imports {kind!r}: one of {', '.join(COLUMNS)}.", code="not_found", status=404)
    if len(raw) > MAX_BYTES:
        raise HQError("A CSV file is at most 20 MiB.", code="payload_too_large", status=413)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InvalidError({"file": "not UTF-8"}) from err
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS[kind] if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidError({"file": f"missing columns: {', '.join(missing)}"})
    counts = {"created": 0, "updated": 0, "unchanged": 0, "deleted": 0}
    entity = ENTITY_OF[kind]
    for line, row in enumerate(reader, start=2):
        if line - 1 > MAX_ROWS:
            raise InvalidError({"file": f"at most {MAX_ROWS} rows"})
        try:
            if kind == "prices":
                row_id = row["product_id"].strip()
                current = await reference.get_row(conn, "product", row_id)
                if current is None:
                    raise InvalidError({f"line {line}.product_id": "no such product"})
                body = {k: v for k, v in current.items() if k != "id"}
                body["prices"] = {**current.get("prices", {}), row["currency"].strip().upper(): _int(row["amount"])}
            else:
                row_id, body = row_body(kind, row)
            result = await reference.upsert(conn, entity, row_id, body, actor)
        except InvalidError as err:
            raise InvalidError({f"line {line}.{e['field']}": e["message"] for e in err.errors},
                               detail=f"line {line}: {err.detail}") from err
        except (ValueError, KeyError, TypeError) as err:
            raise InvalidError({f"line {line}": str(err) or "not readable"}) from err
        counts[result["result"]] += 1
    return {"kind": kind, **counts}
