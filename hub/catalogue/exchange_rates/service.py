"""Rules for exchange rates: history is never edited (a correction is a new row), a later start
schedules a rate, and HQ's rates come only from HQ.

`create_rate` runs as one `db.write` transaction with exactly one audit entry; the readers run
inside `db.read`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.catalogue import in_force
from hub.catalogue._common import check_after, instant, now
from hub.catalogue.exchange_rates.scaled import (
    RateTextError, format_scaled, is_power_of_ten, parse_scaled,
)
from hub.db import audit, currencies, exchange_rates
from hub.db.audit import Actor
from hub.errors import FieldErrors, NotFoundError


def _with_status(row: dict[str, Any], current: dict[str, Any] | None, at_now: str) -> dict[str, Any]:
    return {**row, "rate_text": format_scaled(row["rate"], row["rate_scale"])
            if is_power_of_ten(row["rate_scale"]) else str(row["rate"]),
            "status": in_force.status(row, current, at_now)}


def _current_by_pair(conn: sqlite3.Connection, at: str, base: str | None = None,
                     quote: str | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    pairs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in exchange_rates.latest_starts(conn, at, base=base, quote=quote):
        pairs.setdefault((row["base"], row["quote"]), []).append(row)
    return {pair: in_force.in_force(rows, at) for pair, rows in pairs.items()}  # type: ignore[misc]


def _base_code(conn: sqlite3.Connection, base: str | None) -> str | None:
    if base:
        return base.upper()
    row = currencies.base_currency(conn)
    return row["code"] if row else None


def list_rates(conn: sqlite3.Connection, *, base: str | None, quote: str | None, history: bool,
               after: str | None, limit: int) -> list[dict[str, Any]]:
    """Newest start first; without `history`, only rates in force now and scheduled ones."""
    if after is not None:
        check_after(exchange_rates.exists(conn, after))
    at_now = now(conn)
    base, quote = (base.upper() if base else None), (quote.upper() if quote else None)
    current = _current_by_pair(conn, at_now, base, quote)
    only = None if history else [r["id"] for r in current.values()]
    rows = exchange_rates.list_rates(conn, base=base, quote=quote, only=only, now=at_now,
                                     after=after, limit=limit)
    return [_with_status(r, current.get((r["base"], r["quote"])), at_now) for r in rows]


def current_rate(conn: sqlite3.Connection, *, base: str | None, quote: str,
                 at: str | None) -> dict[str, Any]:
    """The rate in force for base -> quote at `at` (default now); 404 `no_rate` when none."""
    at_now = now(conn)
    moment = instant("at", at) if at else at_now
    base_code, quote = _base_code(conn, base), quote.upper()
    if base_code is None:
        raise FieldErrors([("base", "the store has no base currency; name the base")])
    rate = _current_by_pair(conn, moment, base_code, quote).get((base_code, quote))
    if rate is None:
        raise NotFoundError(f"no {base_code} -> {quote} rate was in force at {moment}", code="no_rate")
    current_now = _current_by_pair(conn, at_now, base_code, quote).get((base_code, quote))
    return _with_status(rate, current_now, at_now)


def _check_currency(conn: sqlite3.Connection, field: str, code: str | None,
                    errors: list[tuple[str, str]]) -> None:
    if code is None:
        errors.append((field, "the store has no base currency; name the base"))
        return
    row = currencies.get_currency(conn, code)
    if row is None:
        errors.append((field, f"the store has no currency {code}"))
    elif not row["active"]:
        errors.append((field, f"{code} is archived"))


def _scaled_rate(fields: dict[str, Any], errors: list[tuple[str, str]]) -> int | None:
    rate, text, scale = fields.get("rate"), fields.get("rate_text"), fields["rate_scale"]
    if not is_power_of_ten(scale):
        errors.append(("rate_scale", "must be a power of ten (1, 10, 100, ... 1000000000000)"))
        return None
    if (rate is None) == (text is None):
        errors.append(("rate", "give either rate (a scaled integer) or rate_text, not both"
                               if rate is not None else "give rate (a scaled integer) or rate_text"))
        return None
    if text is None:
        return rate
    try:
        return parse_scaled(text, scale)
    except RateTextError as err:
        errors.append(("rate_text", str(err)))
        return None


def create_rate(conn: sqlite3.Connection, actor: Actor, fields: dict[str, Any]) -> dict[str, Any]:
    """Append a rate; every problem with the request is named at once, by field."""
    errors: list[tuple[str, str]] = []
    base, quote = _base_code(conn, fields.get("base")), fields["quote"].upper()
    _check_currency(conn, "base", base, errors)
    _check_currency(conn, "quote", quote, errors)
    if base == quote:
        errors.append(("quote", "must differ from the base"))
    if fields.get("source") == "hq":
        errors.append(("source", "hq rates arrive only from HQ's feed; set official or store here"))
    rate = _scaled_rate(fields, errors)
    effective_from = None
    if fields.get("effective_from") is not None:
        try:
            effective_from = instant("effective_from", fields["effective_from"])
        except FieldErrors as err:
            errors.extend((e["field"], e["message"]) for e in err.errors)
    if errors:
        raise FieldErrors(errors)
    assert base is not None and rate is not None
    row = exchange_rates.create_rate(
        conn, base=base, quote=quote, rate=rate, rate_scale=fields["rate_scale"],
        effective_from=effective_from or conn.stamp(), source=fields.get("source") or "store",
        set_by=actor.user_id, note=fields.get("note") or "")
    at_now = conn.stamp()
    current = _current_by_pair(conn, at_now, base, quote).get((base, quote))
    created = _with_status(row, current, at_now)
    audit.append(conn, actor, "exchange_rate.created", "exchange_rate", row["id"], after=created)
    return created
