"""Rules of shifts and cash; each writing function runs inside one `db.write`.

A cashier opens a shift at a paired till with a float per currency; opening again at the same
till while it is open resumes it (no new shift). Pay-ins, pay-outs and safe drops are facts with a
reason row, never edited. The X report shows, at any time, the float, the cash movements, the
sales and tenders (from hub.sales.totals) and the expected cash per currency (hub.shifts.money).
Closing records the counted cash per currency (a total or a count by denomination) and what the
card and mobile-money providers' statements reported, with the variance of each; a closed shift
is never edited. Only the shift's cashier, or someone holding shifts.manage, moves its cash or
closes it.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.catalogue._common import found, now
from hub.db import audit, currencies
from hub.db import shifts as store
from hub.db.audit import Actor
from hub.db.changes import record_change
from hub.errors import ConflictError, FieldErrors, InvalidInputError, NotFoundError, PermissionDeniedError
from hub.ids import new_id
from hub.shifts import _totals, money

ENTITY = "shift"
MAX_AMOUNT = 10**13  # minor units: far above any drawer, far below SQLite's integer range
MAX_NOTE = 500
MAX_MOVEMENTS = 1000  # cash movements in one shift
MAX_QUANTITY = 100_000  # notes or coins of one denomination in one count
MAX_LINES = 50  # currencies counted or tenders reported at a close


class ShiftClosedError(ConflictError):
    code = "shift_closed"


class ShiftOpenError(ConflictError):
    code = "shift_open"


class NotYourShiftError(PermissionDeniedError):
    code = "not_your_shift"


class TillRequiredError(InvalidInputError):
    code = "till_required"


class MovementReusedError(ConflictError):
    code = "movement_id_reused"


# ---- reading --------------------------------------------------------------------------------

def _label(row: dict[str, Any]) -> str:
    return f"shift {row['number']}" if row.get("number") else f"shift {row['id']}"


def _head(conn: sqlite3.Connection, shift_id: str) -> dict[str, Any]:
    row = found(store.get_shift(conn, shift_id), f"shift {shift_id}")
    row["floats"] = store.floats(conn, shift_id)
    return row


def get_shift(conn: sqlite3.Connection, shift_id: str) -> dict[str, Any]:
    """The shift with its floats, cash movements and (once closed) its close figures."""
    row = _head(conn, shift_id)
    row["movements"] = store.movements(conn, shift_id)
    row["close_lines"] = store.close_lines(conn, shift_id)
    row["counts"] = store.counts(conn, shift_id)
    return row


def list_shifts(conn: sqlite3.Connection, **filters: Any) -> list[dict[str, Any]]:
    rows = store.list_shifts(conn, **filters)
    for row in rows:
        row["floats"] = store.floats(conn, row["id"])
    return rows


def reasons(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return store.reasons(conn)


def denominations(conn: sqlite3.Connection, currency: str | None = None) -> list[dict[str, Any]]:
    return store.denominations(conn, currency)


def _active_currencies(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    return {c["code"]: c for c in currencies.list_currencies(conn, active=True, limit=1000)}


def _figures(conn: sqlite3.Connection, shift: dict[str, Any]) -> dict[str, Any]:
    """Floats, movement totals, sales, tenders and the expected cash per currency, as of now."""
    floats = {f["currency"]: f["amount"] for f in shift["floats"]}
    moved = money.movement_totals(store.movement_sums(conn, shift["id"]))
    tenders = _totals.tenders(conn, shift["id"])
    cash_sales: dict[str, int] = {}
    for tender in tenders:
        if tender["method"] == money.CASH:
            cash_sales[tender["currency"]] = cash_sales.get(tender["currency"], 0) + tender["amount"]
    return {"cash": money.cash_lines(floats, moved, cash_sales), "sales": _totals.sales(conn, shift["id"]),
            "tenders": tenders}


def x_report(conn: sqlite3.Connection, shift_id: str) -> dict[str, Any]:
    """What the drawer should hold now, per currency, and what the shift took on each tender."""
    shift = _head(conn, shift_id)
    return {"shift": shift, "at": now(conn), "movements": store.movements(conn, shift_id), **_figures(conn, shift)}


def own_x_report(conn: sqlite3.Connection, actor: Actor) -> dict[str, Any]:
    """The X report of `actor`'s open shift at the till they are signed in at: what a cashier
    reads at any time without shifts.view, which would show every cashier's shifts."""
    if actor.device_id is None:
        raise TillRequiredError("your own shift is read at a paired till: send its X-Device-Token with "
                                "your sign-in")
    shift = store.open_shift_for(conn, actor.device_id, actor.user_id)
    if shift is None:
        raise NotFoundError("you have no open shift at this till", code="no_open_shift")
    return x_report(conn, shift["id"])


def close_report(conn: sqlite3.Connection, shift_id: str) -> dict[str, Any]:
    """The closed shift's figures as recorded at its close (expected, counted, variance)."""
    shift = _head(conn, shift_id)
    if shift["status"] != "closed":
        raise ShiftOpenError(f"{_label(shift)} is still open: its X report shows it so far")
    lines = store.close_lines(conn, shift_id)
    floats = {f["currency"]: f["amount"] for f in shift["floats"]}
    moved = money.movement_totals(store.movement_sums(conn, shift_id))
    recorded = {line["currency"]: line for line in lines if line["method"] == money.CASH}
    cash = []
    for line in money.cash_lines(floats, moved, None):
        line["expected"] = recorded.get(line["currency"], {}).get("expected")
        cash.append(line)
    for line in cash:  # the cash from sales is what the expected cash recorded at the close held
        if line["expected"] is not None:
            line["cash_sales"] = line["expected"] - line["float"] - sum(
                money.SIGN[k] * line[k] for k in money.KINDS)
    cash += [{"currency": code, "float": 0, "cash_sales": line["expected"], **dict.fromkeys(money.KINDS, 0),
              "expected": line["expected"]} for code, line in recorded.items() if code not in floats | moved]
    return {"shift": shift, "movements": store.movements(conn, shift_id), "sales": _totals.sales(conn, shift_id),
            "cash": sorted(cash, key=lambda c: c["currency"]), "close_lines": lines,
            "counts": store.counts(conn, shift_id)}


# ---- opening --------------------------------------------------------------------------------

def _till_view(conn: sqlite3.Connection, shift_id: str) -> dict[str, Any]:
    row = _head(conn, shift_id)
    return {k: row[k] for k in ("id", "number", "device_id", "cashier_id", "status", "opened_at", "closed_at",
                                "version", "floats")}


def _publish(conn: sqlite3.Connection, shift_id: str) -> None:
    view = _till_view(conn, shift_id)
    record_change(conn, ENTITY, shift_id, view["version"], "upsert", view)


def _floats(conn: sqlite3.Connection, given: list[dict[str, Any]]) -> list[dict[str, Any]]:
    known = _active_currencies(conn)
    errors: list[tuple[str, str]] = []
    seen: set[str] = set()
    out = []
    for i, item in enumerate(given):
        code = item["currency"]
        if code not in known:
            errors.append((f"floats[{i}].currency", f"is not one of the store's currencies: {', '.join(known)}"))
        elif code in seen:
            errors.append((f"floats[{i}].currency", f"{code} is given twice"))
        elif item["amount"] > 0:
            out.append({"currency": code, "amount": item["amount"]})
        seen.add(code)
    if errors:
        raise FieldErrors(errors)
    return out


def open_shift(conn: sqlite3.Connection, actor: Actor, data: dict[str, Any], *,
               can_manage: bool) -> dict[str, Any]:
    """Open a shift for the cashier at the caller's till, or resume the one open there (`resumed`)."""
    device_id = actor.device_id
    if device_id is None:
        raise TillRequiredError("a shift is opened at a paired till: send its X-Device-Token with the cashier's "
                                "sign-in")
    cashier_id = data.get("cashier_id") or actor.user_id
    if cashier_id is None:
        raise TillRequiredError("sign a cashier in at this till first")
    other = cashier_id != actor.user_id
    if other and not can_manage:
        raise NotYourShiftError("resuming another cashier's shift needs the permission 'shifts.manage'",
                                extra={"permission": "shifts.manage"})
    existing = store.open_shift_for(conn, device_id, cashier_id)
    if existing is not None:
        audit.append(conn, actor, "shift.resumed", ENTITY, existing["id"], detail={"number": existing["number"]})
        return get_shift(conn, existing["id"]) | {"resumed": True}
    if other:
        raise NotFoundError("that cashier has no open shift at this till; they open their own")
    floats = _floats(conn, data.get("floats") or [])
    stamp = now(conn)
    # till sync passes the id the till made offline (its sales name it); online the hub makes one
    row = {"id": data.get("id") or new_id(), "number": store.next_number(conn), "device_id": device_id,
           "cashier_id": cashier_id,
           "opened_at": stamp, "opened_by": actor.user_id}
    store.insert_shift(conn, row, floats)
    _publish(conn, row["id"])
    audit.append(conn, actor, "shift.opened", ENTITY, row["id"], after={
        "number": row["number"], "device_id": device_id, "cashier_id": cashier_id, "floats": floats})
    return get_shift(conn, row["id"]) | {"resumed": False}


# ---- cash movements -------------------------------------------------------------------------

def _own(shift: dict[str, Any], actor: Actor, can_manage: bool, doing: str) -> None:
    if shift["cashier_id"] != actor.user_id and not can_manage:
        raise NotYourShiftError(f"{doing} another cashier's shift needs the permission 'shifts.manage'",
                                extra={"permission": "shifts.manage"})


def require_open(shift: dict[str, Any], doing: str) -> None:
    if shift["status"] != "open":
        raise ShiftClosedError(f"{_label(shift)} was closed at {shift['closed_at']}: {doing} goes to an open shift")


def _same_movement(stored: dict[str, Any], shift_id: str, data: dict[str, Any]) -> bool:
    return (stored["shift_id"] == shift_id and stored["kind"] == data["kind"]
            and stored["currency"] == data["currency"] and stored["amount"] == data["amount"]
            and stored["reason_code"] == data["reason_code"] and stored["note"] == (data.get("note") or "").strip())


def add_movement(conn: sqlite3.Connection, actor: Actor, shift_id: str, data: dict[str, Any], *,
                 can_manage: bool) -> dict[str, Any]:
    """Record a pay-in, pay-out or safe drop on an open shift; a retry with the same `id` and body
    returns the movement already recorded."""
    if data.get("id"):
        stored = store.movement(conn, data["id"])
        if stored is not None:
            if _same_movement(stored, shift_id, data):
                return stored
            raise MovementReusedError(f"cash movement {data['id']} was recorded with other details")
    shift = _head(conn, shift_id)
    require_open(shift, "a cash movement")
    _own(shift, actor, can_manage, "moving cash on")
    errors: list[tuple[str, str]] = []
    known = _active_currencies(conn)
    if data["currency"] not in known:
        errors.append(("currency", f"is not one of the store's currencies: {', '.join(known)}"))
    reasons = {r["code"]: r for r in store.reasons(conn, data["kind"]) if r["active"]}
    note = (data.get("note") or "").strip()
    if data["reason_code"] not in reasons:
        errors.append(("reason_code", f"is not a {data['kind'].replace('_', '-')} reason: one of {', '.join(reasons)}"))
    elif data["reason_code"] == "other" and not note:
        errors.append(("note", "say what the cash was for"))
    if len(note) > MAX_NOTE:
        errors.append(("note", f"must be at most {MAX_NOTE} characters"))
    if errors:
        raise FieldErrors(errors)
    if len(store.movements(conn, shift_id, MAX_MOVEMENTS)) >= MAX_MOVEMENTS:
        raise ConflictError(f"{_label(shift)} already has {MAX_MOVEMENTS} cash movements", code="too_many_movements")
    row = {"id": data.get("id") or new_id(), "shift_id": shift_id, "kind": data["kind"],
           "currency": data["currency"], "amount": data["amount"], "reason_code": data["reason_code"],
           "note": note, "user_id": actor.user_id, "username": actor.username, "device_id": actor.device_id,
           "at": now(conn)}
    store.insert_movement(conn, row)
    audit.append(conn, actor, f"cash.{data['kind']}", "cash_movement", row["id"], after={
        k: row[k] for k in ("shift_id", "kind", "currency", "amount", "reason_code", "note")})
    return found(store.movement(conn, row["id"]), "cash movement")


# ---- closing --------------------------------------------------------------------------------

def _counted(conn: sqlite3.Connection, given: list[dict[str, Any]], known: dict[str, Any],
             errors: list[tuple[str, str]]) -> tuple[dict[str, int], list[dict[str, Any]]]:
    counted: dict[str, int] = {}
    counts: list[dict[str, Any]] = []
    for i, item in enumerate(given):
        where, code = f"counted[{i}]", item["currency"]
        if code not in known:
            errors.append((f"{where}.currency", f"is not one of the store's currencies: {', '.join(known)}"))
            continue
        if code in counted:
            errors.append((f"{where}.currency", f"{code} is counted twice"))
            continue
        notes = item.get("denominations")
        amount = item.get("amount")
        if notes is None and amount is None:
            errors.append((f"{where}.amount", "give the counted total or a count by denomination"))
            continue
        if notes is not None:
            valid = {(d["kind"], d["value"]) for d in store.denominations(conn, code)}
            seen: set[tuple[str, int]] = set()
            bad = False
            for j, note in enumerate(notes):
                key = (note["kind"], note["value"])
                if key not in valid:
                    errors.append((f"{where}.denominations[{j}].value", f"is not a {code} {note['kind']}"))
                    bad = True
                elif key in seen:
                    errors.append((f"{where}.denominations[{j}].value", "is counted twice"))
                    bad = True
                seen.add(key)
            if bad:
                continue
            total = money.denomination_total(notes)
            if amount is not None and amount != total:
                errors.append((f"{where}.amount", f"the denominations add up to {total}, not {amount}"))
                continue
            amount = total
            counts += [{"currency": code, "kind": n["kind"], "value": n["value"], "quantity": n["quantity"]}
                       for n in notes if n["quantity"]]
        counted[code] = amount
    return counted, counts


def _reported(given: list[dict[str, Any]], known: dict[str, Any],
              errors: list[tuple[str, str]]) -> dict[tuple[str, str, str], int]:
    reported: dict[tuple[str, str, str], int] = {}
    for i, item in enumerate(given):
        where = f"reported[{i}]"
        key = (item["method"], (item.get("provider") or "").strip(), item["currency"])
        if item["method"] == money.CASH:
            errors.append((f"{where}.method", "cash is counted, not reported: give it under `counted`"))
        elif item["currency"] not in known:
            errors.append((f"{where}.currency", f"is not one of the store's currencies: {', '.join(known)}"))
        elif key in reported:
            errors.append((f"{where}.provider", "this tender is reported twice"))
        else:
            reported[key] = item["amount"]
    return reported


def close_shift(conn: sqlite3.Connection, actor: Actor, shift_id: str, data: dict[str, Any], *,
                can_manage: bool) -> dict[str, Any]:
    """Close an open shift with its counted cash and the providers' reported totals; returns the
    close report. Every currency the drawer should hold must be counted (0 for an empty one)."""
    shift = _head(conn, shift_id)
    require_open(shift, "closing it again")
    _own(shift, actor, can_manage, "closing")
    known = _active_currencies(conn)
    errors: list[tuple[str, str]] = []
    counted, counts = _counted(conn, data.get("counted") or [], known, errors)
    reported = _reported(data.get("reported") or [], known, errors)
    note = (data.get("note") or "").strip()
    if len(note) > MAX_NOTE:
        errors.append(("note", f"must be at most {MAX_NOTE} characters"))
    figures = _figures(conn, shift)
    missing = [line["currency"] for line in figures["cash"] if line["currency"] not in counted]
    if missing:
        errors.append(("counted", f"count the {' and '.join(missing)} cash too (0 if there is none)"))
    if errors:
        raise FieldErrors(errors)
    lines = []
    expected_cash = {line["currency"]: line["expected"] for line in figures["cash"]}
    for code in sorted(set(expected_cash) | set(counted)):
        expected = expected_cash.get(code, 0)
        lines.append({"method": money.CASH, "provider": "", "currency": code, "expected": expected,
                      "counted": counted[code], "variance": money.variance(counted[code], expected)})
    taken = {(t["method"], t["provider"], t["currency"]): t["amount"] for t in figures["tenders"]
             if t["method"] != money.CASH}
    for key in sorted(set(taken) | set(reported)):
        expected, reported_amount = taken.get(key, 0), reported.get(key)
        lines.append({"method": key[0], "provider": key[1], "currency": key[2], "expected": expected,
                      "counted": reported_amount, "variance": money.variance(reported_amount, expected)})
    stamp = now(conn)
    if not store.close_shift(conn, {"id": shift_id, "version": shift["version"], "closed_at": stamp,
                                    "closed_by": actor.user_id, "close_note": note}):
        raise ConflictError(f"{_label(shift)} changed while it was being closed; try again")
    store.insert_close(conn, shift_id, lines, counts)
    _publish(conn, shift_id)
    audit.append(conn, actor, "shift.closed", ENTITY, shift_id, before={"status": "open"}, after={
        "status": "closed", "number": shift["number"], "note": note,
        "lines": [{k: line[k] for k in ("method", "provider", "currency", "expected", "counted", "variance")}
                  for line in lines]})
    return close_report(conn, shift_id)
