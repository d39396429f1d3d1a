"""The chain's stores as HQ knows them."""

from __future__ import annotations

import re
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from cloud_bridge.hq import clock
from cloud_bridge.hq.errors import InvalidError, NotFoundError

STORE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")


def check_store(code: str, name: str, time_zone: str, currencies: list[str]) -> None:
    errors = {}
    if not STORE_CODE.match(code or ""):
        errors["code"] = "1 to 32 letters, digits, dash or underscore"
    if not name or len(name) > 200:
        errors["name"] = "1 to 200 characters"
    try:
        ZoneInfo(time_zone)
    except Exception:
        errors["time_zone"] = "an IANA time zone such as Africa/Harare"
    if not currencies or len(currencies) > 10 or not all(CURRENCY.match(c) for c in currencies) \
            or len(set(currencies)) != len(currencies):
        errors["currencies"] = "1 to 10 distinct ISO codes, the cost currency first"
    if errors:
        raise InvalidError(errors)


async def create_store(conn: Any, code: str, name: str, time_zone: str, currencies: list[str]) -> dict[str, Any]:
    check_store(code, name, time_zone, currencies)
    row = await (await conn.execute(
        "INSERT INTO stores (id, code, name, time_zone, currencies) VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT (code) DO NOTHING RETURNING id, created_at",
        (str(uuid.uuid4()), code, name, time_zone, currencies))).fetchone()
    if row is None:
        raise InvalidError({"code": "a store has this code already"}, status=409)
    return {"id": row["id"], "code": code, "name": name, "time_zone": time_zone, "currencies": currencies,
            "fence": 0, "created_at": clock.iso(row["created_at"])}


async def store_by_code(conn: Any, code: str) -> dict[str, Any]:
    row = await (await conn.execute("SELECT id, code, name, time_zone, currencies, fence, created_at FROM stores"
                                    " WHERE code = %s", (code,))).fetchone()
    if row is None:
        raise NotFoundError(f"No store {code}.", code="store_unknown")
    return {**row, "currencies": list(row["currencies"]), "created_at": clock.iso(row["created_at"])}


async def list_stores(conn: Any) -> list[dict[str, Any]]:
    rows = await (await conn.execute("SELECT id, code, name, time_zone, currencies, fence, created_at FROM stores"
                                     " ORDER BY code")).fetchall()
    return [{**r, "currencies": list(r["currencies"]), "created_at": clock.iso(r["created_at"])} for r in rows]
