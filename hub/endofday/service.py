"""End of day: the walk-through of one trading day (the store's local date) and closing it.

Seven steps, each `done`, `needs_action` or `not_applicable`, with a line that says why and a
link where it is fixed (docs/sales.md, "End of day"):

1. shifts: every shift of the day is closed;
2. tills: no till holds sales it has not uploaded (it reported pending uploads, or the hub has not
   heard from it since before the day's last sale);
3. exceptions: no open exception raised by the day's sales (nor by late sales of the days closed
   in the week before);
4. fiscal: the fiscal issue plugs in at `fiscal_check`; until it does, not set up on this hub;
5. cash-up: the closed shifts' close reports, per currency, never added across currencies;
6. deposit: each currency that had cash has a bank deposit recorded (deposits less reversals);
7. backup: the newest backup was made after the day's last fact and verifies.

Closing the day records a fact with the step states and per-currency figures at that moment;
only when every applicable step is done; a day is closed once. A sale arriving for a closed day
is never refused: the day's page warns of it, and the next days' pages do too.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any, Callable

from hub.audit.portal import day_start
from hub.catalogue._common import found, now
from hub.clock import format_ts, parse_ts
from hub.db import audit, currencies
from hub.db import endofday as rows
from hub.db.audit import Actor
from hub.db.pricing import DEFAULT_TIMEZONE
from hub.db.settings import get_setting
from hub.devices import presence
from hub.errors import ConflictError, FieldErrors
from hub.ids import new_id
from hub.portal.templating import store_zone
from hub.shifts import service as shifts

DONE, NEEDS_ACTION, NOT_APPLICABLE = "done", "needs_action", "not_applicable"
STEPS = (("shifts", "Every shift closed"), ("tills", "No till with unsynced sales"),
         ("exceptions", "Exception queue reviewed"), ("fiscal", "Fiscal day closed"),
         ("cashup", "Cash-up per currency"), ("deposit", "Bank deposit recorded"), ("backup", "Backup done"))
TITLES = dict(STEPS)
MAX_AMOUNT = shifts.MAX_AMOUNT
MAX_TEXT = 100
MAX_REFERENCE = 64
MAX_REASON = 500
MAX_DEPOSITS = 500  # deposits and reversals of one day
LATE_WINDOW_DAYS = 7  # a closed day's late sales show on the pages of the week after it
UNFINISHED_WINDOW_DAYS = 14  # earlier days with activity and no close, offered on the page
MAX_SHIFTS = 1000

# The fiscal issue sets this: (conn, day, since, until) -> (state, explanation, items). None: not set up.
fiscal_check: Callable[[sqlite3.Connection, dt.date, str, str], tuple[str, str, list[dict[str, Any]]]] | None = None


class DayClosedError(ConflictError):
    code = "day_closed"


class DayNotReadyError(ConflictError):
    code = "day_not_ready"


class DepositStateError(ConflictError):
    code = "deposit_state"


# ---- the day --------------------------------------------------------------------------------

def zone_of(conn: sqlite3.Connection) -> dt.tzinfo:
    return store_zone(get_setting(conn, "store.timezone", DEFAULT_TIMEZONE))


def today(conn: sqlite3.Connection) -> dt.date:
    """The store's local date now."""
    return parse_ts(now(conn)).astimezone(zone_of(conn)).date()


def bounds(conn: sqlite3.Connection, day: dt.date) -> tuple[str, str]:
    """The UTC stamps of the day's local midnight and the next one."""
    zone = zone_of(conn)
    since, until = day_start(day.isoformat(), zone), day_start(day.isoformat(), zone, days_after=1)
    assert since is not None and until is not None
    return since, until


EARLIEST = dt.date(2000, 1, 1)  # no store's trading day is older; bounds far dates away from datetime's edges


def day_problem(conn: sqlite3.Connection, day: dt.date) -> str | None:
    if day > today(conn):
        return f"{day.isoformat()} has not come yet: choose today or an earlier day"
    if day < EARLIEST:
        return f"{day.isoformat()} is before any trading day this hub can hold"
    return None


def check_day(conn: sqlite3.Connection, day: dt.date, field: str = "date") -> None:
    problem = day_problem(conn, day)
    if problem:
        raise FieldErrors([(field, problem)])


def _step(key: str, state: str, explanation: str, link: str = "", link_text: str = "",
          items: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    number = [k for k, _ in STEPS].index(key) + 1
    return {"key": key, "number": number, "title": TITLES[key], "state": state, "explanation": explanation,
            "link": link, "link_text": link_text, "items": items or []}


def _item(label: str, detail: str = "", link: str = "") -> dict[str, Any]:
    return {"label": label, "detail": detail, "link": link}


def _plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else (words or word + 's')}"


def _decimals(conn: sqlite3.Connection) -> dict[str, int]:
    return {c["code"]: c["decimals"] for c in currencies.list_currencies(conn, limit=1000)}


def _money(minor: int, code: str, decimals: dict[str, int]) -> str:
    places = decimals.get(code, 2)
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10 ** places)
    return f"{code} {sign}{whole:,}" + (f".{fraction:0{places}d}" if places else "")


def at(stamp: str | None, zone: dt.tzinfo) -> str:
    """A stored UTC stamp as the store's wall-clock time, for the steps' sentences."""
    return parse_ts(stamp).astimezone(zone).strftime("%d %b %Y %H:%M") if stamp else ""


def _till_label(till: dict[str, Any]) -> str:
    return f"{till['name']} ({till['code']})" if till.get("code") else till["name"]


# ---- 1. shifts ------------------------------------------------------------------------------

def day_shifts(conn: sqlite3.Connection, since: str, until: str) -> list[dict[str, Any]]:
    """Shifts opened in the day, and shifts opened earlier that are still open (they hold its sales)."""
    opened = shifts.list_shifts(conn, since=since, until=until, limit=MAX_SHIFTS)
    seen = {s["id"] for s in opened}
    still_open = [s for s in shifts.list_shifts(conn, status="open", until=since, limit=MAX_SHIFTS)
                  if s["id"] not in seen]
    return sorted(opened + still_open, key=lambda s: s["number"] or 0)


def _shift_label(s: dict[str, Any]) -> str:
    return f"Shift {s['number']} at {s['till_name']}, cashier {s['cashier_name'] or s['cashier']}"


def _shifts_step(day_shifts_: list[dict[str, Any]], zone: dt.tzinfo) -> dict[str, Any]:
    open_ = [s for s in day_shifts_ if s["status"] == "open"]
    if not day_shifts_:
        return _step("shifts", NOT_APPLICABLE, "No shift was opened on this day.", "/shifts", "Shifts")
    if open_:
        return _step("shifts", NEEDS_ACTION,
                     f"{_plural(len(open_), 'shift is', 'shifts are')} still open: close "
                     f"{'it' if len(open_) == 1 else 'them'} with the counted cash.",
                     "/shifts?status=open", "Open shifts",
                     [_item(_shift_label(s), "open since " + at(s["opened_at"], zone), f"/shifts/{s['id']}")
                      for s in open_])
    return _step("shifts", DONE, f"All {_plural(len(day_shifts_), 'shift')} of the day are closed.", "/shifts",
                 "Shifts")


# ---- 2. tills -------------------------------------------------------------------------------

def _tills_step(conn: sqlite3.Connection, until: str, last_sale: str | None, zone: dt.tzinfo) -> dict[str, Any]:
    tills = rows.tills(conn, until)
    if not tills:
        return _step("tills", NOT_APPLICABLE, "No till was paired on this day.", "/devices", "Devices")
    # Presence is written at most once per interval: a till seen within it of the last sale counts as seen.
    slack = dt.timedelta(seconds=presence.LAST_SEEN_INTERVAL_S)
    cutoff = format_ts(parse_ts(last_sale) - slack) if last_sale else None
    behind = []
    for till in tills:
        contact = max(filter(None, (till["last_seen_at"], till["last_sale_recorded"])), default=None)
        if till["pending_uploads"] > 0:
            behind.append(_item(_till_label(till), f"reported {_plural(till['pending_uploads'], 'record')} "
                                "not uploaded yet", f"/devices/{till['id']}"))
        elif cutoff is not None and (contact is None or contact < cutoff):
            behind.append(_item(_till_label(till), "not seen since " + (at(contact, zone) or "it was paired")
                                + ", before the day's last sale: it may hold sales", f"/devices/{till['id']}"))
    if behind:
        return _step("tills", NEEDS_ACTION,
                     f"{_plural(len(behind), 'till')} may still hold sales: connect "
                     f"{'it' if len(behind) == 1 else 'them'} to the store network until nothing is pending.",
                     "/devices", "Devices", behind)
    return _step("tills", DONE, f"All {_plural(len(tills), 'till')} have uploaded everything they reported.",
                 "/devices", "Devices")


# ---- 3. exceptions --------------------------------------------------------------------------

def _exceptions_step(conn: sqlite3.Connection, day: dt.date, since: str, until: str) -> dict[str, Any]:
    open_ = rows.exceptions(conn, since, until)
    late = rows.late_exceptions(conn, (day - dt.timedelta(days=LATE_WINDOW_DAYS)).isoformat(), day.isoformat())
    counts = rows.exception_counts(conn, since, until)
    items = [_item(f"{e['kind'].replace('_', ' ').capitalize()} on sale {e['invoice_number']}", "open",
                   f"/exceptions/{e['id']}") for e in open_]
    items += [_item(f"{e['kind'].replace('_', ' ').capitalize()} on sale {e['invoice_number']}",
                    f"a late sale of {e['business_day']}, closed before it arrived", f"/exceptions/{e['id']}")
              for e in late]
    if items:
        return _step("exceptions", NEEDS_ACTION,
                     f"{_plural(len(items), 'exception is', 'exceptions are')} still open: resolve or dismiss "
                     f"{'it' if len(items) == 1 else 'each'} with a note.", "/exceptions?status=open",
                     "Exception queue", items)
    raised = sum(counts.values())
    if raised:
        return _step("exceptions", DONE, f"{_plural(raised, 'exception was', 'exceptions were')} raised by the "
                     "day's sales; all are resolved or dismissed.", "/exceptions", "Exception queue")
    return _step("exceptions", DONE, "No exception was raised by the day's sales.", "/exceptions",
                 "Exception queue")


# ---- 4. fiscal ------------------------------------------------------------------------------

def _fiscal_step(conn: sqlite3.Connection, day: dt.date, since: str, until: str) -> dict[str, Any]:
    if fiscal_check is None:
        return _step("fiscal", NOT_APPLICABLE,
                     "Fiscal receipts are not set up on this hub: there is no fiscal queue to drain nor a fiscal "
                     "day to close. This is not a check that passed.")
    state, explanation, items = fiscal_check(conn, day, since, until)
    return _step("fiscal", state, explanation, "/fiscal", "Fiscal", items)


# ---- 5. cash-up -----------------------------------------------------------------------------

FIGURE_KEYS = ("float", "cash_sales", "pay_in", "pay_out", "safe_drop", "expected", "counted", "variance")


def cash_figures(conn: sqlite3.Connection, day_shifts_: list[dict[str, Any]]) -> tuple[list[dict[str, Any]],
                                                                                       list[dict[str, Any]]]:
    """Per currency, the closed shifts' close figures added up (each currency on its own), and one
    line per shift and currency."""
    totals: dict[str, dict[str, Any]] = {}
    lines = []
    for s in day_shifts_:
        if s["status"] != "closed":
            continue
        report = shifts.close_report(conn, s["id"])
        counted = {c["currency"]: c for c in report["close_lines"] if c["method"] == "cash"}
        for cash in report["cash"]:
            code = cash["currency"]
            close = counted.get(code, {})
            line = {"shift_id": s["id"], "shift_number": s["number"], "till_name": s["till_name"],
                    "cashier": s["cashier"], "currency": code,
                    **{k: int(cash.get(k) or 0) for k in FIGURE_KEYS[:6]},
                    "counted": int(close.get("counted") or 0), "variance": int(close.get("variance") or 0)}
            lines.append(line)
            total = totals.setdefault(code, {"currency": code, "shifts": 0, **dict.fromkeys(FIGURE_KEYS, 0)})
            total["shifts"] += 1
            for k in FIGURE_KEYS:
                total[k] += line[k]
    return [totals[c] for c in sorted(totals)], lines


def _cashup_step(day_shifts_: list[dict[str, Any]], figures: list[dict[str, Any]],
                 decimals: dict[str, int]) -> dict[str, Any]:
    if not day_shifts_:
        return _step("cashup", NOT_APPLICABLE, "No shift was opened on this day: there is no cash to count.")
    open_ = [s for s in day_shifts_ if s["status"] == "open"]
    if open_:
        return _step("cashup", NEEDS_ACTION,
                     f"The cash of {_plural(len(open_), 'open shift')} is not counted yet: it is counted when "
                     "the shift is closed.", "/shifts?status=open", "Open shifts",
                     [_item(_shift_label(s), "not counted", f"/shifts/{s['id']}") for s in open_])
    parts = [f"{f['currency']} variance {'+' if f['variance'] > 0 else ''}"
             f"{_money(f['variance'], f['currency'], decimals)[4:]}" for f in figures]
    return _step("cashup", DONE, "Every shift's cash is counted" + (": " + ", ".join(parts) if parts else "") + ".",
                 "/shifts", "Shifts")


# ---- 6. deposit -----------------------------------------------------------------------------

def deposited(deposits: list[dict[str, Any]]) -> dict[str, int]:
    """Per currency: deposits less reversals."""
    out: dict[str, int] = {}
    for d in deposits:
        out[d["currency"]] = out.get(d["currency"], 0) + (d["amount"] if d["kind"] == "deposit" else -d["amount"])
    return out


def _deposit_step(figures: list[dict[str, Any]], net: dict[str, int], decimals: dict[str, int]) -> dict[str, Any]:
    with_cash = [f for f in figures if f["counted"] + f["safe_drop"] > 0]
    if not with_cash:
        if net:
            return _step("deposit", DONE, "Deposits are recorded; no shift of the day counted cash.",
                         "#deposits", "Deposits")
        return _step("deposit", NOT_APPLICABLE, "No cash was counted on this day: there is nothing to deposit.")
    missing = [f for f in with_cash if net.get(f["currency"], 0) <= 0]
    items = [_item(f"{f['currency']}", f"cash taken in {_money(f['counted'] + f['safe_drop'], f['currency'], decimals)}"
                   f", deposited {_money(net.get(f['currency'], 0), f['currency'], decimals)}", "#deposits")
             for f in with_cash]
    if missing:
        return _step("deposit", NEEDS_ACTION, "Record the bank deposit of the day's "
                     + " and ".join(f["currency"] for f in missing) + " cash.", "#deposit-form", "Record a deposit",
                     items)
    return _step("deposit", DONE, "A bank deposit is recorded for every currency that had cash.", "#deposits",
                 "Deposits", items)


# ---- 7. backup ------------------------------------------------------------------------------

# No backups page yet: the fix is the step's own "Back up now" (backups.manage) or `soko-hub backup create`.
BACKUP_LINK, BACKUP_HOW = "", ""


def _backup_step(last_fact: str | None, newest: dict[str, Any] | None, zone: dt.tzinfo) -> dict[str, Any]:
    if last_fact is None:
        return _step("backup", NOT_APPLICABLE, "Nothing was recorded for this day: there is nothing to back up.")
    if newest is None:
        return _step("backup", NEEDS_ACTION, "There is no backup: make one after the day's last sale.",
                     BACKUP_LINK, BACKUP_HOW)
    item = _item(newest["name"], "made " + at(newest["created_at"], zone))
    if newest["created_at"] <= last_fact:
        return _step("backup", NEEDS_ACTION, "The newest backup was made before the day's last sale, shift close or "
                     "deposit: make one now.", BACKUP_LINK, BACKUP_HOW, [item])
    if not newest["verified"]:
        return _step("backup", NEEDS_ACTION, "The newest backup does not verify (" + newest["problem"]
                     + "): make another.", BACKUP_LINK, BACKUP_HOW, [item])
    return _step("backup", DONE, "A backup made after the day's last sale verifies.", BACKUP_LINK, BACKUP_HOW, [item])


# ---- the walk-through -----------------------------------------------------------------------

def _last_fact(day_sales: dict[str, Any], day_shifts_: list[dict[str, Any]],
               deposits: list[dict[str, Any]]) -> str | None:
    stamps = [day_sales["last_recorded_at"], *(s["closed_at"] for s in day_shifts_),
              *(d["recorded_at"] for d in deposits)]
    return max(filter(None, stamps), default=None)


def walk(conn: sqlite3.Connection, day: dt.date, *, newest_backup: dict[str, Any] | None = None) -> dict[str, Any]:
    """The day's steps, figures, deposits, warnings and (once closed) its record."""
    check_day(conn, day)
    since, until = bounds(conn, day)
    decimals = _decimals(conn)
    zone = zone_of(conn)
    sales = rows.day_sales(conn, since, until)
    shifts_ = day_shifts(conn, since, until)
    figures, shift_lines = cash_figures(conn, shifts_)
    deposits = rows.deposits(conn, day.isoformat())
    net = deposited(deposits)
    for f in figures:
        f["deposited"] = net.get(f["currency"], 0)
    for code in sorted(set(net) - {f["currency"] for f in figures}):
        figures.append({"currency": code, "shifts": 0, **dict.fromkeys(FIGURE_KEYS, 0), "deposited": net[code]})
    last_fact = _last_fact(sales, shifts_, deposits)
    steps = [_shifts_step(shifts_, zone), _tills_step(conn, until, sales["last_occurred_at"], zone),
             _exceptions_step(conn, day, since, until), _fiscal_step(conn, day, since, until),
             _cashup_step(shifts_, figures, decimals), _deposit_step(figures, net, decimals),
             _backup_step(last_fact, newest_backup, zone)]
    closed = rows.closed_day(conn, day.isoformat())
    warnings = []
    if closed is not None:
        late = [r for r in rows.late_sales(conn, day.isoformat(), (day + dt.timedelta(days=1)).isoformat())]
        for r in late:
            warnings.append(f"{_plural(r['count'], 'sale')} of this day arrived after it was closed "
                            f"(the last at {at(r['last_recorded_at'], zone)}); the close record keeps the figures "
                            "as they were.")
    earlier = rows.late_sales(conn, (day - dt.timedelta(days=LATE_WINDOW_DAYS)).isoformat(), day.isoformat())
    for r in earlier:
        warnings.append(f"{_plural(r['count'], 'sale')} of {r['business_day']} arrived after that day was closed "
                        f"(the last at {at(r['last_recorded_at'], zone)}): check them and their exceptions.")
    blocking = [s["key"] for s in steps if s["state"] == NEEDS_ACTION]
    per_currency = rows.sales_per_currency(conn, since, until)  # voided sales count in neither
    return {"date": day.isoformat(), "timezone": get_setting(conn, "store.timezone", DEFAULT_TIMEZONE),
            "starts_at": since, "ends_at": until, "status": "closed" if closed else "open",
            "can_close": closed is None and not blocking, "blocking": blocking, "steps": steps,
            "sales": per_currency, "sale_count": sum(s["count"] for s in per_currency),
            "last_sale_at": sales["last_occurred_at"], "currencies": figures, "shift_lines": shift_lines,
            "shifts": [{k: s[k] for k in ("id", "number", "status", "till_name", "cashier", "cashier_name",
                                          "opened_at", "closed_at")} for s in shifts_],
            "deposits": deposits, "closed": closed, "warnings": warnings,
            "unfinished_days": unfinished_days(conn, day)}


def unfinished_days(conn: sqlite3.Connection, day: dt.date) -> list[str]:
    """The days of the two weeks before `day` that had sales or shifts and were not closed, newest first."""
    first = day - dt.timedelta(days=UNFINISHED_WINDOW_DAYS)
    closed = rows.closed_days(conn, first.isoformat(), day.isoformat())
    out = []
    for n in range(1, UNFINISHED_WINDOW_DAYS + 1):
        d = day - dt.timedelta(days=n)
        if d.isoformat() not in closed and rows.has_activity(conn, *bounds(conn, d)):
            out.append(d.isoformat())
    return out


# ---- deposits -------------------------------------------------------------------------------

def _text(data: dict[str, Any], name: str, limit: int, errors: list[tuple[str, str]], what: str) -> str:
    value = (data.get(name) or "").strip()
    if not value:
        errors.append((name, f"say {what}"))
    elif len(value) > limit:
        errors.append((name, f"must be at most {limit} characters"))
    return value


def deposit_problems(conn: sqlite3.Connection, data: dict[str, Any]) -> list[tuple[str, str]]:
    """What is wrong with a deposit, field by field (a None date, amount or time was already
    refused by the form that read it, and is not checked again)."""
    errors: list[tuple[str, str]] = []
    day = data.get("date")
    problem = day_problem(conn, day) if day is not None else None
    if problem:
        errors.append(("date", problem))
    known = {c["code"] for c in currencies.list_currencies(conn, active=True, limit=1000)}
    if data["currency"] not in known:
        errors.append(("currency", f"is not one of the store's currencies: {', '.join(sorted(known))}"))
    _text(data, "bank", MAX_TEXT, errors, "which bank")
    _text(data, "reference", MAX_REFERENCE, errors, "the deposit slip's number or reference")
    _text(data, "deposited_by", MAX_TEXT, errors, "who took the cash to the bank")
    moment = data.get("deposited_at")
    if moment is not None:
        try:
            stamp = format_ts(moment)
        except OverflowError:  # a year at datetime's edge, out of range once in UTC
            stamp = "9" if moment.year > 2000 else ""
        if stamp > now(conn):
            errors.append(("deposited_at", "is in the future"))
        elif stamp < format_ts(dt.datetime.combine(EARLIEST, dt.time(), dt.timezone.utc)) or (
                day is not None and problem is None and stamp < bounds(conn, day)[0]):
            errors.append(("deposited_at", "is before the trading day began"))
    return errors


def record_deposit(conn: sqlite3.Connection, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """Record a bank deposit of one currency for a trading day; one audit entry. Never edited."""
    errors = deposit_problems(conn, data)
    if data.get("deposited_at") is None:
        errors.append(("deposited_at", "say when the cash was deposited"))
    if errors:
        raise FieldErrors(errors)
    day = data["date"]
    _refuse_closed(conn, day.isoformat(), "record a deposit for it")
    stamp = now(conn)
    at_stamp = format_ts(data["deposited_at"])
    bank, reference, by = (data[k].strip() for k in ("bank", "reference", "deposited_by"))
    if rows.deposit_count(conn, day.isoformat()) >= MAX_DEPOSITS:
        raise ConflictError(f"{day.isoformat()} already has {MAX_DEPOSITS} deposits", code="too_many_deposits")
    row = {"id": new_id(), "business_day": day.isoformat(), "kind": "deposit", "reverses": None,
           "currency": data["currency"], "amount": data["amount"], "bank": bank, "reference": reference,
           "deposited_by": by, "deposited_at": at_stamp, "reason": "", "recorded_by": actor.user_id,
           "recorded_by_name": actor.username, "recorded_at": stamp}
    rows.insert_deposit(conn, row)
    audit.append(conn, actor, "deposit.recorded", "bank_deposit", row["id"], after={
        k: row[k] for k in ("business_day", "currency", "amount", "bank", "reference", "deposited_by",
                            "deposited_at")})
    return found(rows.deposit(conn, row["id"]), "deposit")


def reverse_deposit(conn: sqlite3.Connection, actor: Actor, deposit_id: str, reason: str) -> dict[str, Any]:
    """Cancel a deposit recorded by mistake with a reversing entry and a reason; one audit entry."""
    original = found(rows.deposit(conn, deposit_id), f"deposit {deposit_id}")
    if original["kind"] != "deposit":
        raise DepositStateError("a reversal cannot be reversed: record the deposit again instead")
    if original["reversed_by"] is not None:
        raise DepositStateError(f"this deposit was already reversed at {at(original['reversed_at'], zone_of(conn))}",
                                extra={"reversed_by": original["reversed_by"]})
    reason = reason.strip()
    if not reason:
        raise FieldErrors([("reason", "say why the deposit is reversed")])
    _refuse_closed(conn, original["business_day"], "reverse its deposits")
    if rows.deposit_count(conn, original["business_day"]) >= MAX_DEPOSITS:
        raise ConflictError(f"{original['business_day']} already has {MAX_DEPOSITS} deposits",
                            code="too_many_deposits")
    row = {"id": new_id(), "business_day": original["business_day"], "kind": "reversal", "reverses": deposit_id,
           "currency": original["currency"], "amount": original["amount"], "bank": original["bank"],
           "reference": original["reference"], "deposited_by": "", "deposited_at": None, "reason": reason,
           "recorded_by": actor.user_id, "recorded_by_name": actor.username, "recorded_at": now(conn)}
    rows.insert_deposit(conn, row)
    audit.append(conn, actor, "deposit.reversed", "bank_deposit", deposit_id, after={
        "reversal": row["id"], "business_day": row["business_day"], "currency": row["currency"],
        "amount": row["amount"], "reason": reason})
    return found(rows.deposit(conn, row["id"]), "deposit")


def _refuse_closed(conn: sqlite3.Connection, day: str, what: str) -> None:
    """A closed day's record is final: its figures were kept as they were when it closed."""
    closed = rows.closed_day(conn, day)
    if closed is not None:
        raise DayClosedError(f"{day} was closed at {at(closed['closed_at'], zone_of(conn))}; its record is "
                             f"final, so you cannot {what}")


def list_deposits(conn: sqlite3.Connection, day: dt.date) -> list[dict[str, Any]]:
    return rows.deposits(conn, day.isoformat())


# ---- closing --------------------------------------------------------------------------------

def close_day(conn: sqlite3.Connection, actor: Actor, day: dt.date, *,
              newest_backup: dict[str, Any] | None = None) -> dict[str, Any]:
    """Close the trading day when every applicable step is done (409 `day_not_ready` naming the
    blocking steps otherwise; 409 `day_closed` the second time); one audit entry."""
    state = walk(conn, day, newest_backup=newest_backup)
    if state["closed"] is not None:
        c = state["closed"]
        raise DayClosedError(f"{day.isoformat()} was closed at {at(c['closed_at'], zone_of(conn))} "
                             f"by {c['closed_by_name'] or 'someone'}",
                             extra={"closed_at": c["closed_at"]})
    blocking = [s for s in state["steps"] if s["state"] == NEEDS_ACTION]
    if blocking:
        raise DayNotReadyError(
            f"{day.isoformat()} cannot be closed yet: " + "; ".join(f"{s['title']}: {s['explanation']}"
                                                                  for s in blocking),
            extra={"blocking": [{"step": s["key"], "title": s["title"], "explanation": s["explanation"]}
                                for s in blocking]})
    steps = [{k: s[k] for k in ("key", "title", "state", "explanation")} for s in state["steps"]]
    figures = {"currencies": state["currencies"], "sales": state["sales"], "sale_count": state["sale_count"]}
    row = {"business_day": day.isoformat(), "starts_at": state["starts_at"], "ends_at": state["ends_at"],
           "closed_at": now(conn), "closed_by": actor.user_id, "closed_by_name": actor.username,
           "steps": steps, "figures": figures}
    rows.insert_day(conn, row)
    audit.append(conn, actor, "endofday.closed", "trading_day", day.isoformat(), after={
        "steps": {s["key"]: s["state"] for s in steps},
        "currencies": [{k: f[k] for k in ("currency", "expected", "counted", "variance", "deposited")}
                       for f in state["currencies"]]})
    return walk(conn, day, newest_backup=newest_backup)
