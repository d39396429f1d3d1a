"""Customers, credit accounts and vouchers through the real API, for the customer tests, the
endpoint x role test and the audit test."""

from __future__ import annotations

from typing import Any

from tests.people import People, unique
from tests.sales import recipes as selling
from tests.sales.build import line

CUSTOMERS = "/api/v1/customers"
VOUCHERS = "/api/v1/vouchers"


def till(hub: Any, paired_by: Any = None) -> selling.Till:
    """A paired till with the demo cashier signed in and an open shift it sells in."""
    t = selling.Till(hub, paired_by=paired_by)
    t.shift_id = t.shift()  # type: ignore[attr-defined]
    return t


def credit_sale(t: selling.Till, customer_id: str | None, amount: int, currency: str = "USD") -> dict[str, Any]:
    return t.body([line(amount, tax_rate_bp=0)], [{"method": "credit_account", "currency": currency,
                                                    "amount": amount}],
                  customer_id=customer_id, shift_id=getattr(t, "shift_id", None), currency=currency)


def tendered_sale(t: selling.Till, amount: int, tenders: list[dict], customer_id: str | None = None) -> dict[str, Any]:
    return t.body([line(amount, tax_rate_bp=0)], tenders, customer_id=customer_id,
                  shift_id=getattr(t, "shift_id", None))


def customer(p: People, **fields: Any) -> str:
    """A new customer made by root; its id."""
    r = p.root.post(CUSTOMERS, json={"name": unique("Customer "), **fields})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def voucher(p: People, amount: int = 500) -> str:
    r = p.root.post(VOUCHERS, json={"currency": "USD", "amount": amount})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def payment_body() -> dict[str, Any]:
    return {"currency": "USD", "amount": 100, "method": "cash", "reference": "R1"}


def voucher_code(p: People) -> str:
    r = p.root.post(VOUCHERS, json={"currency": "USD", "amount": 500})
    assert r.status_code == 201, r.text
    return r.json()["code"]


def card(p: People) -> str:
    """The card of a new customer."""
    number = unique("CARD-")
    customer(p, card=number)
    return number


def _tills(p: People) -> Any:
    """Pairing under a big test license, made once per People (the trial's seats would run out)."""
    from tests.pairing import Tills

    if getattr(p, "tills", None) is None:
        p.tills = Tills.licensed(p.hub, p.root)  # type: ignore[attr-defined]
    return p.tills  # type: ignore[attr-defined]


def customer_with_sale(p: People) -> tuple[str, str]:
    """A business customer and a credit sale of theirs: (customer id, sale id)."""
    cid = customer(p, registered_name="Portal Trading (Pvt) Ltd", tin="2000999888")
    t = till(p.hub, paired_by=_tills(p))
    return cid, t.sell(body=credit_sale(t, cid, 1_500))["id"]


def payment(p: People) -> tuple[str, str]:
    """A customer and a payment on their account: (customer id, payment id)."""
    cid = customer(p)
    r = p.root.post(f"{CUSTOMERS}/{cid}/payments", json=payment_body())
    assert r.status_code == 201, r.text
    return cid, r.json()["id"]


def customer_form(**extra: str) -> dict[str, str]:
    return {"name": unique("Portal Customer "), "phone": "", "email": "", "card": "", "tier_id": "", "notes": "",
            "registered_name": "", "trade_name": "", "tin": "", "vat_number": "", "address": "", **extra}
