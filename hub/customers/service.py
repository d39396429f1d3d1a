"""Rules for customers: create, edit, duplicate warnings, merge (docs/customers.md). Each public
change runs inside one `db.write` transaction: it checks, changes, publishes the customer on the
till feed (entity `customer`) and appends exactly one audit entry, or raises and changes nothing.
"""

from __future__ import annotations

import difflib
import re
import sqlite3
from typing import Any

from hub.catalogue._common import found
from hub.db import audit, credit as ledger_rows, customers as rows
from hub.db.audit import Actor
from hub.errors import ConflictError, FieldErrors
from hub.ids import new_id

ENTITY = "customer"
SIMILAR = 0.88  # difflib ratio of two name keys above which names are "very similar"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class CustomerMergedError(ConflictError):
    code = "customer_merged"


def now(conn: sqlite3.Connection) -> str:
    return conn.stamp()  # type: ignore[attr-defined]


def credit_view(conn: sqlite3.Connection, customer_id: str) -> dict[str, dict[str, int]]:
    """{currency: {limit, balance}} for every currency with a limit or a balance."""
    limits, balances = ledger_rows.limits(conn, customer_id), ledger_rows.balances(conn, customer_id)
    return {c: {"limit": limits.get(c, 0), "balance": balances.get(c, 0)} for c in sorted(set(limits) | set(balances))}


def publish(conn: sqlite3.Connection, customer_id: str) -> None:
    rows.publish(conn, customer_id, credit_view(conn, customer_id))


def customer(conn: sqlite3.Connection, customer_id: str) -> dict[str, Any]:
    """The customer with its credit per currency and duplicate candidates."""
    c = found(rows.get(conn, customer_id), f"customer {customer_id}")
    c["credit"] = credit_view(conn, customer_id)
    c["duplicates"] = duplicates(conn, customer_id, c["name"], c["phone"], c["email"]) if c["status"] == "active" else []
    return c


def duplicates(conn: sqlite3.Connection, customer_id: str, name: str, phone: str, email: str) -> list[dict[str, Any]]:
    """Other active customers with the same phone or e-mail, or a very similar name; each with why."""
    found_: dict[str, dict[str, Any]] = {}
    pkey, mail = rows.phone_key(phone), email.strip().lower()
    for r in rows.same_contact(conn, customer_id, phone, email):
        reasons = (["same phone"] if pkey and r["phone_key"] == pkey else []) + \
                  (["same e-mail"] if mail and r["email_key"] == mail else [])
        found_[r["id"]] = {"id": r["id"], "name": r["name"], "reasons": reasons}
    key = rows.name_key(name)
    if key:
        for r in rows.names(conn, customer_id):
            if r["id"] in found_ and "similar name" in found_[r["id"]]["reasons"]:
                continue
            matcher = difflib.SequenceMatcher(None, key, r["name_key"])
            if matcher.real_quick_ratio() >= SIMILAR and matcher.quick_ratio() >= SIMILAR and matcher.ratio() >= SIMILAR:
                found_.setdefault(r["id"], {"id": r["id"], "name": r["name"], "reasons": []})["reasons"].append(
                    "similar name")
    return sorted(found_.values(), key=lambda d: (d["name"].lower(), d["id"]))[:20]


def _clean(conn: sqlite3.Connection, values: dict[str, Any], customer_id: str = "") -> dict[str, Any]:
    out = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    problems: list[tuple[str, str]] = []
    if "name" in out and not out["name"]:
        problems.append(("name", "a customer needs a name"))
    if out.get("email") and not EMAIL.match(out["email"]):
        problems.append(("email", "is not an e-mail address such as name@example.com"))
    if out.get("phone") and len(rows.phone_key(out["phone"])) < 7:
        problems.append(("phone", "needs at least 7 digits"))
    if "card" in out:
        out["card"] = out["card"] or None
        if out["card"] and rows.card_holder(conn, out["card"], customer_id):
            problems.append(("card", "another customer has this card"))
    if "tier_id" in out:
        out["tier_id"] = out["tier_id"] or None
        if out["tier_id"] and not rows.tier_exists(conn, out["tier_id"]):
            problems.append(("tier_id", "there is no active pricing tier with this id"))
    if problems:
        raise FieldErrors(problems)
    return out


def create(conn: sqlite3.Connection, actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    """A new customer; its duplicate candidates come back beside it (a warning, never a refusal)."""
    base = {k: "" for k in rows.FIELDS} | {"card": None, "tier_id": None}
    clean = _clean(conn, {**base, **values})
    customer_id = new_id()
    rows.insert(conn, customer_id, clean, now(conn))
    publish(conn, customer_id)
    made = customer(conn, customer_id)
    audit.append(conn, actor, "customer.created", ENTITY, customer_id, after=_audited(made))
    return made


def _audited(c: dict[str, Any]) -> dict[str, Any]:
    return {k: c[k] for k in ("name", *rows.FIELDS[1:]) if c.get(k) not in (None, "")}


def _active(conn: sqlite3.Connection, customer_id: str) -> dict[str, Any]:
    c = found(rows.get(conn, customer_id), f"customer {customer_id}")
    if c["status"] == "merged":
        raise CustomerMergedError(f"this customer was merged into another: {c['merged_into']}",
                                  extra={"merged_into": c["merged_into"]})
    return c


def update(conn: sqlite3.Connection, actor: Actor, customer_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Change some fields; a change that changes nothing writes nothing."""
    before = _active(conn, customer_id)
    clean = _clean(conn, changes, customer_id)
    clean = {k: v for k, v in clean.items() if before[k] != v}
    if not clean:
        return customer(conn, customer_id)
    rows.update(conn, customer_id, clean, now(conn))
    publish(conn, customer_id)
    after = customer(conn, customer_id)
    audit.append(conn, actor, "customer.updated", ENTITY, customer_id,
                 before={k: before[k] for k in clean}, after={k: after[k] for k in clean})
    return after


def merge(conn: sqlite3.Connection, actor: Actor, survivor_id: str, merged_id: str) -> dict[str, Any]:
    """Merge `merged_id` into `survivor_id`: its sales read as the survivor's, its credit balances
    and vouchers move (merge_out / merge_in ledger rows), its row stays marked merged. One audit entry."""
    if survivor_id == merged_id:
        raise FieldErrors([("merge_id", "a customer is not merged into itself")])
    survivor = _active(conn, survivor_id)
    gone = _active(conn, merged_id)
    at = now(conn)
    moved = {}
    for currency, amount in sorted(ledger_rows.balances(conn, merged_id).items()):
        if amount:
            for cid, kind, signed in ((merged_id, "merge_out", -amount), (survivor_id, "merge_in", amount)):
                ledger_rows.post(conn, {"customer_id": cid, "currency": currency, "kind": kind, "amount": signed,
                                        "source_type": "customer_merge", "source_id": merged_id, "occurred_at": at,
                                        "recorded_at": at})
            moved[currency] = amount
    for field in ("phone", "email", "card", "tier_id", "registered_name", "trade_name", "tin", "vat_number",
                  "address"):
        if not survivor[field] and gone[field] and field != "card":
            rows.update(conn, survivor_id, {field: gone[field]}, at)
    card = gone["card"]
    rows.mark_merged(conn, merged_id, survivor_id, at)
    if card and not survivor["card"]:
        rows.update(conn, survivor_id, {"card": card}, at)
    from hub.customers import vouchers  # store credit moves with its customer

    vouchers.move_store_credit(conn, merged_id, survivor_id, at)
    sales_moved = rows.sales_count(conn, merged_id)
    rows.insert_merge(conn, {"id": new_id(), "survivor_id": survivor_id, "merged_id": merged_id,
                             "sales_moved": sales_moved, "merged_by": actor.user_id, "merged_at": at})
    rows.bump(conn, survivor_id, at)
    publish(conn, survivor_id)
    publish(conn, merged_id)
    after = customer(conn, survivor_id)
    audit.append(conn, actor, "customer.merged", ENTITY, survivor_id,
                 before={"merged": {"id": merged_id, "name": gone["name"]}},
                 after={"survivor": survivor_id, "sales_moved": sales_moved, "balances_moved": moved})
    return after
