"""Reading sales: one sale with its lines, tenders, change and exceptions, and the filtered list
(dates in the store's time zone). Recording is hub.sales.ingest."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from hub.audit.portal import day_start
from hub.catalogue._common import found
from hub.db import audit, devices, exceptions as exception_rows, sales as rows
from hub.db.audit import Actor
from hub.db.pricing import DEFAULT_TIMEZONE
from hub.db.settings import get_setting
from hub.errors import ConflictError
from hub.portal.templating import store_zone
from hub.sales import corrections, money, refunds


def detail(conn: sqlite3.Connection, sale_id: str) -> dict[str, Any]:
    """The sale, its lines (with discounts, and what is refunded and still refundable), tenders
    (with their FDMS money type), change, the exceptions it raised, its refunds and price corrections; 404 when the
    hub holds no such sale."""
    sale = found(rows.get_sale(conn, sale_id), f"sale {sale_id}")
    parts = rows.parts(conn, sale_id)
    for tender in parts["tenders"]:
        tender.update(money_type=money.money_type(tender["method"]), money_type_code=money.money_type_code(
            tender["method"]))
    refunds.refundable(conn, sale, parts["lines"])
    return {**sale, **parts, "exceptions": exception_rows.for_sale(conn, sale_id),
            "refunds": refunds.of_sale(conn, sale), "corrections": corrections.of_sale(conn, sale)}


def store_days(conn: sqlite3.Connection, date_from: dt.date | None,
               date_to: dt.date | None) -> tuple[str | None, str | None]:
    """UTC bounds of the store-local days from `date_from` through `date_to` (both included)."""
    zone = store_zone(get_setting(conn, "store.timezone", DEFAULT_TIMEZONE))
    since = day_start(date_from.isoformat(), zone) if date_from else None
    until = day_start(date_to.isoformat(), zone, days_after=1) if date_to else None
    return since, until


def list_sales(conn: sqlite3.Connection, *, date_from: dt.date | None = None, date_to: dt.date | None = None,
               **filters: Any) -> list[dict[str, Any]]:
    since, until = store_days(conn, date_from, date_to)
    if filters.get("number") is not None:  # as typed or scanned from the receipt's barcode or QR code
        filters["number"] = filters["number"].strip()
    return rows.list_sales(conn, since=since, until=until, **filters)


def set_till_code(conn: sqlite3.Connection, actor: Actor, device_id: str, code: str) -> dict[str, Any]:
    """Give a till its short code (unique in the store; it starts the till's invoice numbers after
    the store code); one audit entry."""
    device = found(devices.get_device(conn, device_id), f"device {device_id}")
    before = rows.till_code(conn, device_id)
    holder = rows.code_holder(conn, code)
    if holder is not None and holder != device_id:
        raise ConflictError(f"another till has the code {code}", code="till_code_taken", extra={"device_id": holder})
    if before != code:
        rows.set_till_code(conn, device_id, code)
        audit.append(conn, actor, "device.code_set", "device", device_id, before={"code": before},
                     after={"code": code})
    return {"device_id": device_id, "name": device["name"], "code": code}
