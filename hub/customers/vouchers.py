"""Vouchers and store credit through one balance ledger (docs/customers.md, "Vouchers and store
credit"): issued (+), redeemed (-) by a sale's `voucher` or `store_credit` tender at ingest,
expired (- what is left). A refund's store credit is issued to the sale's customer.

Redemption never refuses a sale: a voucher with nothing left (a second redemption of the same
voucher) raises `voucher_redeemed_again`; an unknown code, an expired voucher, another currency
or an amount beyond what is left raises `voucher_invalid`. The redemption is posted whenever the
voucher is known, so the balance shows the overspend.
"""

from __future__ import annotations

import datetime as dt
import secrets
import sqlite3
from typing import Any

from hub.catalogue._common import found
from hub.db import audit, credit as rows, customers as customer_rows
from hub.db.audit import Actor
from hub.db.sales import currency_specs
from hub.errors import ConflictError, FieldErrors
from hub.exceptions.service import raise_exception
from hub.ids import new_id

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed at a till


class VoucherStateError(ConflictError):
    code = "voucher_state"


def new_code(conn: sqlite3.Connection, prefix: str = "V") -> str:
    while True:
        code = prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(9))
        if not rows.code_taken(conn, code):
            return code


def _now(conn: sqlite3.Connection) -> str:
    return conn.stamp()  # type: ignore[attr-defined]


def issue(conn: sqlite3.Connection, actor: Actor, *, currency: str, amount: int, customer_id: str | None = None,
          code: str | None = None, expires_on: str | None = None, note: str = "",
          kind: str = "voucher") -> dict[str, Any]:
    """A new voucher (or store credit for a customer) with `amount` on it; one audit entry."""
    problems: list[tuple[str, str]] = []
    if currency not in currency_specs(conn):
        problems.append(("currency", f"the store does not hold {currency}"))
    if customer_id:
        c = customer_rows.get(conn, customer_id)
        if c is None or c["status"] != "active":
            problems.append(("customer_id", "there is no active customer with this id"))
    elif kind == "store_credit":
        problems.append(("customer_id", "store credit belongs to a customer"))
    code = (code or "").strip().upper() or new_code(conn, "S" if kind == "store_credit" else "V")
    if rows.code_taken(conn, code):
        problems.append(("code", "another voucher has this code"))
    if expires_on:
        try:
            dt.date.fromisoformat(expires_on)
        except ValueError:
            problems.append(("expires_on", "a day such as 2027-01-31"))
    if problems:
        raise FieldErrors(problems)
    at = _now(conn)
    voucher_id = new_id()
    rows.insert_voucher(conn, {"id": voucher_id, "code": code, "kind": kind, "customer_id": customer_id or None,
                               "currency": currency, "expires_on": expires_on or None, "note": note.strip(),
                               "created_at": at})
    rows.post_voucher(conn, {"voucher_id": voucher_id, "kind": "issue", "amount": amount, "source_type": "manual",
                             "source_id": voucher_id, "recorded_at": at})
    voucher = rows.get_voucher(conn, voucher_id)
    assert voucher is not None
    audit.append(conn, actor, "voucher.issued", "voucher", voucher_id,
                 after={"code": code, "kind": kind, "currency": currency, "amount": amount,
                        "customer_id": customer_id, "expires_on": expires_on})
    return voucher


def expire(conn: sqlite3.Connection, actor: Actor, voucher_id: str) -> dict[str, Any]:
    """Take what is left off the voucher (an `expire` row); 409 when nothing is left or it already expired."""
    v = found(rows.get_voucher(conn, voucher_id), f"voucher {voucher_id}")
    if v["expired"] or v["balance"] <= 0:
        raise VoucherStateError("this voucher has nothing left to expire", extra={"balance": v["balance"]})
    rows.post_voucher(conn, {"voucher_id": voucher_id, "kind": "expire", "amount": -v["balance"],
                             "source_type": "manual", "source_id": voucher_id, "recorded_at": _now(conn)})
    audit.append(conn, actor, "voucher.expired", "voucher", voucher_id,
                 before={"balance": v["balance"]}, after={"balance": 0})
    return found(rows.get_voucher(conn, voucher_id), f"voucher {voucher_id}")


def voucher(conn: sqlite3.Connection, voucher_id: str) -> dict[str, Any]:
    v = found(rows.get_voucher(conn, voucher_id), f"voucher {voucher_id}")
    v["entries"] = rows.voucher_entries(conn, voucher_id)
    return v


# ---- the sale and refund side (called by ingest and refunds, in their transactions) -----------

def redeem_sale(conn: sqlite3.Connection, sale: Any, row: dict[str, Any], tenders: list[dict[str, Any]]) -> list[str]:
    """Post each voucher / store_credit tender of a sale as a redemption; the kinds raised."""
    raised: list[str] = []
    today = row["occurred_at"][:10]
    for t in tenders:
        if t["method"] not in ("voucher", "store_credit"):
            continue
        subject = f"{sale.id}#tender{t['seq']}"
        v = _tender_voucher(conn, sale, t)

        def note(kind: str, **detail: Any) -> None:
            if raise_exception(conn, kind, "sale_tender", subject, sale_id=sale.id, device_id=row["device_id"],
                               detail={"method": t["method"], "code": t["reference"], "currency": t["currency"],
                                       "amount": t["amount"], **detail}):
                raised.append(kind)

        if v is None:
            note("voucher_invalid", reason="unknown voucher" if t["method"] == "voucher" else "no store credit")
            continue
        before = v["balance"]
        rows.post_voucher(conn, {"voucher_id": v["id"], "kind": "redeem", "amount": -t["amount"],
                                 "source_type": "sale", "source_id": f"{sale.id}#{t['seq']}",
                                 "recorded_at": row["recorded_at"]})
        detail = {"voucher_id": v["id"], "balance_before": before}
        if v["currency"] != t["currency"]:
            note("voucher_invalid", reason=f"the voucher is in {v['currency']}", **detail)
        elif v["expired"] or (v["expires_on"] and v["expires_on"] < today):
            note("voucher_invalid", reason="the voucher had expired", **detail)
        elif before <= 0 and v["redemptions"] > 0:
            note("voucher_redeemed_again", reason="the voucher was already redeemed", **detail)
        elif t["amount"] > before:
            note("voucher_invalid", reason="more than the voucher had left", **detail)
    return raised


def _tender_voucher(conn: sqlite3.Connection, sale: Any, tender: dict[str, Any]) -> dict[str, Any] | None:
    if tender["reference"]:
        found_ = rows.voucher_by_code(conn, tender["reference"])
        if found_ is not None:
            return found_
    if tender["method"] == "store_credit":
        owner = customer_rows.survivor(conn, sale.customer_id)
        if owner is not None:
            return rows.store_credit_of(conn, owner["id"], tender["currency"])
    return None


def issue_refund_credit(conn: sqlite3.Connection, refund_id: str, sale: dict[str, Any], currency: str,
                        amount: int) -> str | None:
    """A refund's store credit lands on the sale customer's store credit in the receipt currency
    (a new store-credit voucher when they have none; a voucher with a printed code when the sale
    had no customer). Returns the code credited."""
    if amount <= 0:
        return None
    at = _now(conn)
    owner = customer_rows.survivor(conn, sale.get("customer_id"))
    v = rows.store_credit_of(conn, owner["id"], currency) if owner else None
    if v is None:
        voucher_id = new_id()
        code = new_code(conn, "S")
        rows.insert_voucher(conn, {"id": voucher_id, "code": code, "kind": "store_credit" if owner else "voucher",
                                   "customer_id": owner["id"] if owner else None, "currency": currency,
                                   "expires_on": None, "note": f"Refund of {sale.get('invoice_number', '')}",
                                   "created_at": at})
        v = {"id": voucher_id, "code": code}
    rows.post_voucher(conn, {"voucher_id": v["id"], "kind": "issue", "amount": amount, "source_type": "sale_refund",
                             "source_id": refund_id, "recorded_at": at})
    return v["code"]


def move_store_credit(conn: sqlite3.Connection, from_id: str, to_id: str, at: str) -> None:
    """On a merge: the merged customer's store credit balances move to the survivor's."""
    for v in rows.customer_vouchers(conn, from_id):
        if v["kind"] != "store_credit" or v["balance"] == 0:
            continue
        target = rows.store_credit_of(conn, to_id, v["currency"])
        if target is None:
            target_id = new_id()
            rows.insert_voucher(conn, {"id": target_id, "code": new_code(conn, "S"), "kind": "store_credit",
                                       "customer_id": to_id, "currency": v["currency"], "expires_on": None,
                                       "note": "", "created_at": at})
        else:
            target_id = target["id"]
        rows.post_voucher(conn, {"voucher_id": v["id"], "kind": "merge_out", "amount": -v["balance"],
                                 "source_type": "customer_merge", "source_id": from_id, "recorded_at": at})
        rows.post_voucher(conn, {"voucher_id": target_id, "kind": "merge_in", "amount": v["balance"],
                                 "source_type": "customer_merge", "source_id": from_id, "recorded_at": at})

