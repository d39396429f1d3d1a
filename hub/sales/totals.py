"""What a shift took, per tender and per currency: pure reads for the shift's X and close reports
(hub.shifts) and end of day. Money in different currencies is never added together.

`shift_tenders`: per (method, provider, currency), the net amount received in that currency.
Cash is net of the change handed back in that currency, so a shift whose ZWG-paid sales were
given USD change shows USD cash below zero for those sales (the USD drawer paid out). A voided
sale's money leaves the shift the void happened in (the till's shift, else the sale's own); a refund's money leaves the shift it was made in (the refund's
`shift_id`), per tender it was handed back on and in that tender's currency (store credit issued
shows as `store_credit` below zero). A price correction counts in the shift it was made in too:
a charge's tenders add, a credit's subtract.

`shift_sales`: per receipt currency, the number of sales, their total and tax, less the totals and
tax of the refunds made in the shift, plus price charges and less price credits made in it
(`count` stays the number of sales).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from hub.db import sales as rows


@dataclass(frozen=True, slots=True)
class TenderTotal:
    method: str  # cash, card, mobile_money, bank_transfer, credit_account, voucher, store_credit
    provider: str  # EcoCash, OneMoney, InnBucks, a card acquirer ... ('' for cash)
    currency: str
    amount: int  # minor units of `currency`, net (cash less change given in that currency)


@dataclass(frozen=True, slots=True)
class CurrencyTotal:
    currency: str  # the receipt currency
    count: int
    total: int  # minor units of `currency`
    tax: int


def shift_tenders(conn: sqlite3.Connection, shift_id: str) -> list[TenderTotal]:
    """Net money received in a shift per (method, provider, currency), ordered by those."""
    totals: dict[tuple[str, str, str], int] = {}
    for r in rows.shift_tender_rows(conn, shift_id):
        key = (r["method"], r["provider"], r["currency"])
        totals[key] = totals.get(key, 0) + r["amount"]
    for r in rows.shift_change_rows(conn, shift_id):
        key = ("cash", "", r["currency"])
        totals[key] = totals.get(key, 0) - r["amount"]
    for r in rows.shift_voided_tender_rows(conn, shift_id):
        key = (r["method"], r["provider"], r["currency"])
        totals[key] = totals.get(key, 0) - r["amount"]
    for r in rows.shift_voided_change_rows(conn, shift_id):
        key = ("cash", "", r["currency"])
        totals[key] = totals.get(key, 0) + r["amount"]
    for r in rows.shift_refund_tender_rows(conn, shift_id):
        key = (r["method"], r["provider"], r["currency"])
        totals[key] = totals.get(key, 0) - r["amount"]
    for r in rows.shift_correction_tender_rows(conn, shift_id):  # signed: a credit is below zero
        key = (r["method"], r["provider"], r["currency"])
        totals[key] = totals.get(key, 0) + r["amount"]
    return [TenderTotal(method, provider, currency, amount)
            for (method, provider, currency), amount in sorted(totals.items())]


def shift_sales(conn: sqlite3.Connection, shift_id: str) -> list[CurrencyTotal]:
    """Per receipt currency: how many sales a shift holds, their total and tax less the refunds
    and with the price corrections made in it, by currency."""
    found = {r["currency"]: [r["count"], r["total"], r["tax"]] for r in rows.shift_sale_rows(conn, shift_id)}
    for r in rows.shift_voided_rows(conn, shift_id):
        got = found.setdefault(r["currency"], [0, 0, 0])
        got[1] -= r["total"]
        got[2] -= r["tax"]
    for r in rows.shift_refund_rows(conn, shift_id):
        got = found.setdefault(r["currency"], [0, 0, 0])
        got[1] -= r["total"]
        got[2] -= r["tax"]
    for r in rows.shift_correction_rows(conn, shift_id):  # signed: a credit is below zero
        got = found.setdefault(r["currency"], [0, 0, 0])
        got[1] += r["total"]
        got[2] += r["tax"]
    return [CurrencyTotal(currency, *found[currency]) for currency in sorted(found)]
