"""Refunds through the real API, for the endpoint x role test and the audit test: a sale recorded
at one till, and a refund body for it to send from a till where someone who may refund signed in."""

from __future__ import annotations

import datetime as dt
import itertools

from hub.ids import new_id
from tests.hubtest import Hub
from tests.pairing import Tills
from tests.sales.recipes import SALES, Till, recorded_sale

_limits = itertools.count(1000)


def refund_body(lines: list[dict] | None = None, **extra) -> dict:
    return {"id": new_id(), "device_clock": dt.datetime.now(dt.timezone.utc).isoformat(),
            "reason": "Customer brought it back", "lines": lines or [{"line_no": 0, "quantity": 1000}], **extra}


def refund_url(hub: Hub, paired_by: Tills | None = None) -> str:
    """The refunds of a fresh sale (one line of one unit)."""
    return f"{SALES}/{recorded_sale(hub, paired_by)['id']}/refunds"


def refunding_till(hub: Hub, who: str = "supervisor", paired_by: Tills | None = None) -> Till:
    return Till(hub, who, paired_by=paired_by)


def limits() -> dict:
    """Refund limits that differ from the last ones set (a PUT that changes something)."""
    return {"limits": {"USD": next(_limits)}}


def correction_body(**extra) -> dict:
    """A USD 0.10 charge on the whole sale, paid in cash."""
    return {"id": new_id(), "kind": "charge", "device_clock": dt.datetime.now(dt.timezone.utc).isoformat(),
            "reason": "Charged the old price", "lines": [{"amount": 10}],
            "tenders": [{"method": "cash", "currency": "USD", "amount": 10}], **extra}


def correction_url(hub: Hub, paired_by: Tills | None = None) -> str:
    return f"{SALES}/{recorded_sale(hub, paired_by)['id']}/corrections"
