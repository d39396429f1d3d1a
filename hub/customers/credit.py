"""Credit accounts: a limit and a balance per currency from an append-only ledger (credit sales
add, payments subtract), statements, aging, and payments (docs/customers.md, "Credit accounts").

`post_sale` is what ingest calls for a sale's `credit_account` tenders: the ledger gets the
tender's amount in its own currency; a sale beyond the limit is accepted and raises exactly one
`credit_limit_exceeded` exception, never refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from typing import Any

from hub.catalogue._common import found
from hub.clock import parse_ts
from hub.customers import service
from hub.db import audit, credit as rows, customers as customer_rows
from hub.db.audit import Actor
from hub.db.sales import currency_specs
from hub.errors import ConflictError, FieldErrors
from hub.exceptions.service import raise_exception

BUCKETS = ("current", "30", "60", "90+")  # days since the charge: 0-29, 30-59, 60-89, 90 and more
PAYMENT_METHODS = ("cash", "card", "mobile_money", "bank_transfer")


class PaymentIdReusedError(ConflictError):
    code = "payment_id_reused"


def _currencies(conn: sqlite3.Connection, names: list[tuple[str, str]]) -> None:
    specs = currency_specs(conn)
    bad = [(where, f"the store does not hold {code}") for where, code in names if code not in specs]
    if bad:
        raise FieldErrors(bad)


def set_limits(conn: sqlite3.Connection, actor: Actor, customer_id: str, limits: dict[str, int]) -> dict[str, Any]:
    """Replace the credit limits ({currency: minor units}); the same limits again write nothing."""
    service._active(conn, customer_id)
    _currencies(conn, [(f"limits.{c}", c) for c in sorted(limits)])
    before = rows.limits(conn, customer_id)
    after = dict(sorted(limits.items()))
    if before != after:
        rows.set_limits(conn, customer_id, after)
        customer_rows.bump(conn, customer_id, service.now(conn))
        service.publish(conn, customer_id)
        audit.append(conn, actor, "credit.limits_set", "customer", customer_id,
                     before={"limits": before}, after={"limits": after})
    return account(conn, customer_id)


def account(conn: sqlite3.Connection, customer_id: str, today: dt.date | None = None) -> dict[str, Any]:
    """Per currency: limit, balance, available (limit - balance) and aging buckets."""
    c = found(customer_rows.get(conn, customer_id), f"customer {customer_id}")
    view = service.credit_view(conn, customer_id)
    return {"customer_id": customer_id, "name": c["name"], "currencies": [
        {"currency": cur, "limit": v["limit"], "balance": v["balance"], "available": v["limit"] - v["balance"],
         "aging": aging(conn, customer_id, cur, today)} for cur, v in view.items()]}


def aging(conn: sqlite3.Connection, customer_id: str, currency: str, today: dt.date | None = None) -> dict[str, int]:
    """What is owed, by the age of the charges not yet paid: payments and credits settle the oldest
    charges first (first in, first out)."""
    today = today or today_in(conn)
    charges: list[list[Any]] = []  # [day, amount left]
    credit = 0
    for e in rows.entries(conn, customer_id, currency):
        if e["amount"] > 0:
            charges.append([parse_ts(e["occurred_at"]).date(), e["amount"]])
        else:
            credit += -e["amount"]
    buckets = dict.fromkeys(BUCKETS, 0)
    for charge in charges:
        used = min(credit, charge[1])
        credit -= used
        left = charge[1] - used
        if left:
            days = (today - charge[0]).days
            buckets["current" if days < 30 else "30" if days < 60 else "60" if days < 90 else "90+"] += left
    if credit:  # paid ahead: a credit balance shows as a negative current amount
        buckets["current"] -= credit
    return buckets


def statement(conn: sqlite3.Connection, customer_id: str, currency: str, *, since: str | None = None,
              until: str | None = None) -> dict[str, Any]:
    """Opening balance, each entry with its running balance, closing balance; one currency."""
    c = found(customer_rows.get(conn, customer_id), f"customer {customer_id}")
    opening = rows.balance_before(conn, customer_id, currency, since) if since else 0
    running, lines = opening, []
    for e in rows.entries(conn, customer_id, currency, since=since, until=until):
        running += e["amount"]
        lines.append({**e, "balance": running})
    return {"customer_id": customer_id, "name": c["name"], "currency": currency, "since": since, "until": until,
            "opening": opening, "entries": lines, "closing": running,
            "limit": rows.limits(conn, customer_id).get(currency, 0)}


def statement_for_days(conn: sqlite3.Connection, customer_id: str, currency: str, date_from: str | None = None,
                       date_to: str | None = None) -> dict[str, Any]:
    """The statement over the store-local days `date_from` through `date_to` (YYYY-MM-DD, both
    included, either open): the opening balance is everything before the first day. 422 naming
    the field for a day that is not a date or a period that ends before it starts."""
    from hub.sales.service import store_days

    days: dict[str, dt.date | None] = {}
    problems = []
    for field, value in (("date_from", date_from), ("date_to", date_to)):
        try:
            days[field] = dt.date.fromisoformat(value) if value else None
        except ValueError:
            problems.append((field, "a day as YYYY-MM-DD"))
    if not problems and days["date_from"] and days["date_to"] and days["date_to"] < days["date_from"]:
        problems.append(("date_to", "on or after the first day"))
    if problems:
        raise FieldErrors(problems)
    since, until = store_days(conn, days["date_from"], days["date_to"])
    got = statement(conn, customer_id, currency, since=since, until=until)
    return {**got, "date_from": date_from or None, "date_to": date_to or None}


def record_payment(conn: sqlite3.Connection, actor: Actor, customer_id: str, *, payment_id: str, currency: str,
                   amount: int, method: str, provider: str = "", reference: str = "", note: str = "",
                   device_id: str | None = None) -> tuple[dict[str, Any], bool]:
    """A payment against the account: the payment row, a ledger row of -amount, one audit entry.
    Idempotent by `payment_id` (a till's or the sync upload's id): the same payment again changes
    nothing; another body under it is 409 payment_id_reused. Returns (payment, created)."""
    body = {"customer_id": customer_id, "currency": currency, "amount": amount, "method": method,
            "provider": provider.strip(), "reference": reference.strip(), "note": note.strip()}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    held = rows.get_payment(conn, payment_id)
    if held is not None:
        if held["body_hash"] != digest:
            raise PaymentIdReusedError(f"payment {payment_id} was recorded with other contents")
        return held, False
    target = found(customer_rows.get(conn, customer_id), f"customer {customer_id}")
    if target["status"] == "merged":  # a payment made offline for a customer merged since
        target = customer_rows.survivor(conn, customer_id) or target
    _currencies(conn, [("currency", currency)])
    if method not in PAYMENT_METHODS:
        raise FieldErrors([("method", f"one of {', '.join(PAYMENT_METHODS)}")])
    at = service.now(conn)
    user = conn.execute("SELECT display_name, username FROM users WHERE id = ?", (actor.user_id,)).fetchone()
    rows.insert_payment(conn, {**body, "customer_id": target["id"], "id": payment_id, "device_id": device_id,
                               "received_by": actor.user_id,
                               "received_by_name": (user[0] or user[1]) if user else (actor.username or ""),
                               "received_at": at, "body_hash": digest})
    rows.post(conn, {"customer_id": target["id"], "currency": currency, "kind": "payment", "amount": -amount,
                     "source_type": "credit_payment", "source_id": payment_id, "occurred_at": at, "recorded_at": at})
    customer_rows.bump(conn, target["id"], at)
    service.publish(conn, target["id"])
    payment = rows.get_payment(conn, payment_id)
    assert payment is not None
    audit.append(conn, actor, "credit.payment_recorded", "customer", target["id"], after={
        "payment_id": payment_id, "number": payment["number"], "currency": currency, "amount": amount,
        "method": method, "balance": rows.balance(conn, target["id"], currency)})
    return payment, True


# ---- ingest: credit sales ---------------------------------------------------------------------

def post_sale(conn: sqlite3.Connection, sale: Any, row: dict[str, Any], tenders: list[dict[str, Any]]) -> list[str]:
    """Post a sale's credit_account tenders to its customer's ledger (called by ingest_sale in the
    sale's transaction). Never refuses: a sale with no known customer raises `unknown_customer`, a
    balance beyond the limit `credit_limit_exceeded` (one each per sale). Returns the kinds raised."""
    credit = [t for t in tenders if t["method"] == "credit_account"]
    if not credit:
        return []
    raised: list[str] = []
    target = customer_rows.survivor(conn, sale.customer_id)
    if target is None:
        if raise_exception(conn, "unknown_customer", "sale", sale.id, sale_id=sale.id, device_id=row["device_id"],
                           detail={"customer_id": sale.customer_id,
                                   "amounts": {t["currency"]: t["amount"] for t in credit}}):
            raised.append("unknown_customer")
        return raised
    per_currency: dict[str, int] = {}
    for t in credit:
        per_currency[t["currency"]] = per_currency.get(t["currency"], 0) + t["amount"]
    limits = rows.limits(conn, target["id"])
    over = {}
    for currency, amount in sorted(per_currency.items()):
        rows.post(conn, {"customer_id": target["id"], "currency": currency, "kind": "sale", "amount": amount,
                         "source_type": "sale", "source_id": sale.id, "occurred_at": row["occurred_at"],
                         "recorded_at": row["recorded_at"]})
        balance = rows.balance(conn, target["id"], currency)
        if balance > limits.get(currency, 0):
            over[currency] = {"limit": limits.get(currency, 0), "balance": balance, "charged": amount}
    if over and raise_exception(conn, "credit_limit_exceeded", "sale", sale.id, sale_id=sale.id,
                                device_id=row["device_id"], detail={"customer_id": target["id"],
                                                                    "customer_name": target["name"],
                                                                    "currencies": over}):
        raised.append("credit_limit_exceeded")
    customer_rows.bump(conn, target["id"], row["recorded_at"])
    service.publish(conn, target["id"])
    return raised


def reverse_sale(conn: sqlite3.Connection, sale_id: str, kind: str, source_type: str, source_id: str,
                 amounts: dict[str, int], at: str) -> None:
    """Take a voided or refunded credit sale's money off the account it was posted to."""
    row = conn.execute("SELECT customer_id FROM credit_ledger WHERE source_type = 'sale' AND source_id = ?"
                       " AND kind = 'sale' LIMIT 1", (sale_id,)).fetchone()
    if row is None:
        return
    target = customer_rows.survivor(conn, row[0]) or {"id": row[0]}
    for currency, amount in sorted(amounts.items()):
        if amount:
            rows.post(conn, {"customer_id": target["id"], "currency": currency, "kind": kind, "amount": -amount,
                             "source_type": source_type, "source_id": source_id, "occurred_at": at,
                             "recorded_at": at})
    customer_rows.bump(conn, target["id"], at)
    service.publish(conn, target["id"])


def today_in(conn: sqlite3.Connection) -> dt.date:
    """Today in the store's time zone (UTC when it is not set or unknown)."""
    import zoneinfo

    from hub.db.settings import get_setting

    try:
        zone: dt.tzinfo = zoneinfo.ZoneInfo(get_setting(conn, "store.timezone", None) or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = dt.timezone.utc
    return dt.datetime.now(dt.timezone.utc).astimezone(zone).date()
