"""The one path every price change takes, scheduled price changes, and `apply_due_prices`.

Whatever changes a price (the product form, a schedule coming due, a bulk change, an import),
`set_price` writes the new price, one `price_history` row (old, new, source, reason, who) and,
when the price a customer pays moved, puts the product on the shelf-label queue. The caller then
bumps the product's version, publishes it on the change feed and writes its audit entry, in the
same transaction.

Ownership: before the hub is enrolled with HQ the store sets `price`; once enrolled HQ owns
`price` and the store's changes (manual, scheduled, bulk, import) land on `override_price`, the
price customers pay while it is set (hub/catalogue/ownership.toml).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from hub.catalogue import ownership
from hub.clock import format_ts
from hub.db import audit, currencies, labels, product_prices, products
from hub.db.audit import Actor
from hub.errors import ConflictError, FieldErrors, NotFoundError

PRICE_FIELDS = ("price", "override_price")
SCHEDULER = "scheduler"
DUE_BATCH = 500


def effective(row: dict[str, int | None] | None) -> int | None:
    """The price a customer pays: the store's override when set, else the price."""
    if not row:
        return None
    return row["override_price"] if row.get("override_price") is not None else row.get("price")


def store_price_field(conn: sqlite3.Connection) -> str:
    """Which price the store's own changes write: `price`, or `override_price` once enrolled."""
    return "override_price" if ownership.is_enrolled(conn) else "price"


def _shown(amount: int | None) -> str:
    return "none" if amount is None else str(amount)


def set_price(conn: sqlite3.Connection, product_id: str, currency: str, field: str, new: int | None,
              *, source: str, reason: str, changed_by: str | None, at: str | None = None) -> bool:
    """Change one price of one product; False (and no writes) when it already is `new`."""
    if field not in PRICE_FIELDS:
        raise ValueError(field)
    current = product_prices.get_prices(conn, product_id).get(currency) or {"price": None, "override_price": None}
    old = current[field]
    if old == new:
        return False
    after = {**current, field: new}
    product_prices.put_price_row(conn, product_id, currency, after["price"], after["override_price"])
    product_prices.add_history(conn, product_id=product_id, currency=currency, field=field,
                               old_price=old, new_price=new, source=source, reason=reason,
                               changed_by=changed_by, effective_at=at or conn.stamp())
    before_paid, after_paid = effective(current), effective(after)
    if before_paid != after_paid:
        labels.queue(conn, product_id, f"{currency} {_shown(before_paid)} -> {_shown(after_paid)}")
    return True


def _moment(now: dt.datetime | str) -> str:
    return now if isinstance(now, str) else format_ts(now)


def schedule_price(conn: sqlite3.Connection, actor: Actor, product_id: str, *, currency: str,
                   price: int, effective_from: str) -> dict[str, Any]:
    """Schedule a price change; it lands on the store's price field when it comes due."""
    product = products.get_product(conn, product_id)
    if product is None:
        raise NotFoundError(f"there is no product {product_id}")
    known = currencies.get_currency(conn, currency)
    if known is None or not known["active"]:
        raise FieldErrors([("currency", f"there is no active currency {currency}")])
    if effective_from <= conn.stamp():
        raise FieldErrors([("effective_from", "must be in the future (change the price itself for now)")])
    schedule = product_prices.add_schedule(conn, product_id=product_id, currency=currency, price=price,
                                           effective_from=effective_from, created_by=actor.username)
    products.update_product(conn, product_id, {})
    products.publish(conn, product_id)
    audit.append(conn, actor, "product.price_scheduled", "product", product_id, after=schedule)
    return schedule


def cancel_schedule(conn: sqlite3.Connection, actor: Actor, product_id: str,
                    schedule_id: str) -> dict[str, Any]:
    schedule = product_prices.get_schedule(conn, schedule_id)
    if schedule is None or schedule["product_id"] != product_id:
        raise NotFoundError(f"product {product_id} has no scheduled price {schedule_id}")
    if schedule["status"] != "pending":
        raise ConflictError(f"this scheduled price was already {schedule['status']}",
                            code=f"schedule_{schedule['status']}")
    product_prices.cancel_schedule(conn, schedule_id)
    products.update_product(conn, product_id, {})
    products.publish(conn, product_id)
    after = product_prices.get_schedule(conn, schedule_id)
    audit.append(conn, actor, "product.price_schedule_cancelled", "product", product_id,
                 before=schedule, after=after)
    assert after is not None
    return after


def apply_due_prices(conn: sqlite3.Connection, now: dt.datetime | str) -> list[dict[str, Any]]:
    """Apply every pending scheduled price whose moment is at or before `now`, oldest first.

    Idempotent: an applied schedule is marked and never applied again. Each one goes through
    `set_price` (history, label queue), bumps and publishes its product, and writes one audit
    entry by the system actor "scheduler". Call inside one write transaction.
    """
    moment = _moment(now)
    field = store_price_field(conn)
    actor = Actor.system(SCHEDULER)
    applied: list[dict[str, Any]] = []
    while batch := product_prices.due_schedules(conn, moment, DUE_BATCH):
        for schedule in batch:
            before = product_prices.get_prices(conn, schedule["product_id"]).get(schedule["currency"])
            old = before[field] if before else None
            changed = set_price(
                conn, schedule["product_id"], schedule["currency"], field, schedule["price"],
                source="scheduled", changed_by=schedule["created_by"], at=moment,
                reason=f"scheduled for {schedule['effective_from']}")
            product_prices.mark_applied(conn, schedule["id"], moment)
            products.update_product(conn, schedule["product_id"], {})
            products.publish(conn, schedule["product_id"])
            detail = {"schedule_id": schedule["id"], "currency": schedule["currency"], "field": field,
                      "old_price": old, "new_price": schedule["price"], "changed": changed,
                      "effective_from": schedule["effective_from"]}
            audit.append(conn, actor, "product.price_applied", "product", schedule["product_id"],
                         detail=detail)
            applied.append(detail)
    return applied


def due_now(conn: sqlite3.Connection, now: dt.datetime | str) -> bool:
    """Is any scheduled price due at `now`? (A read, so the scheduler writes only when needed.)"""
    return product_prices.any_due(conn, _moment(now))
