"""A trading day through the real API, for the end-of-day tests and the shared oracles: two
paired tills with open shifts (USD and ZWG floats) and sales on them, and deposit bodies."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.hubtest import Hub
from tests.sales.build import cash, line
from tests.sales.recipes import EXCEPTIONS, Till

EOD = "/api/v1/end-of-day"
SHIFTS = "/api/v1/shifts"
FLOATS = [{"currency": "USD", "amount": 5000}, {"currency": "ZWG", "amount": 20000}]


def open_till(hub: Hub, who: str = "cashier") -> tuple[Till, str]:
    """A freshly paired till with `who` signed in and their shift open."""
    till = Till(hub, who)
    r = till.http.post(SHIFTS, json={"floats": FLOATS})
    assert r.status_code == 201, r.text
    return till, r.json()["id"]


def sell(till: Till, shift_id: str, price: int = 150, currency: str = "USD") -> dict[str, Any]:
    """A cash sale of one line the catalogue does not know (it raises an unknown_product exception)."""
    body = till.body([line(price, tax_rate_bp=0)], [cash(price, currency)], currency=currency, shift_id=shift_id,
                     clock=dt.datetime.now(dt.timezone.utc))
    return till.sell(body)


def close_shift(client: Any, shift_id: str, counted: dict[str, int]) -> dict[str, Any]:
    r = client.post(f"{SHIFTS}/{shift_id}/close", json={
        "counted": [{"currency": c, "amount": a} for c, a in counted.items()]})
    assert r.status_code == 200, r.text
    return r.json()


def resolve_all(client: Any) -> int:
    """Resolve every open exception; how many there were."""
    items = client.get(EXCEPTIONS, params={"status": "open", "limit": 200}).json()["items"]
    for e in items:
        r = client.post(f"{EXCEPTIONS}/{e['id']}/resolve", json={"note": "Checked at end of day"})
        assert r.status_code == 200, r.text
    return len(items)


def deposit_body(day: str, currency: str = "USD", amount: int = 5150, **extra: Any) -> dict[str, Any]:
    return {"date": day, "currency": currency, "amount": amount, "bank": "CBZ Bank", "reference": "SLIP-1001",
            "deposited_by": "Tendai Moyo", "deposited_at": dt.datetime.now(dt.timezone.utc).isoformat(), **extra}


def today(client: Any) -> str:
    r = client.get(EOD)
    assert r.status_code == 200, r.text
    return r.json()["date"]


def deposit(client: Any, **extra: Any) -> str:
    """A deposit recorded today by `client`; its id."""
    r = client.post(f"{EOD}/deposits", json=deposit_body(today(client), **extra))
    assert r.status_code == 201, r.text
    return r.json()["id"]


_DAYS = iter(range(100_000))


def quiet_day() -> str:
    """A past day nothing happened on, a new one each call: it can be closed at once."""
    return (dt.date(2001, 1, 1) + dt.timedelta(days=next(_DAYS))).isoformat()


PAST_DAY = "2026-01-02"  # a day whose deposits can be recorded at any later moment
