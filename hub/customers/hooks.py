"""What sales, voids and refunds do to customers' accounts, called from their own transactions
(hub.sales.ingest, voids, refunds): one function each, so those modules hold a one-line hunk.

- a sale's `credit_account` tenders post to its customer's credit ledger (beyond the limit:
  `credit_limit_exceeded`); its `voucher` / `store_credit` tenders redeem from the voucher ledger
  (a second redemption: `voucher_redeemed_again`);
- a void takes the credit back off the account and gives voucher redemptions back;
- a refund to store credit issues it to the sale's customer; a refund to a credit_account tender
  takes it off the account; one to a voucher or store_credit tender puts it back on that voucher.
"""

from __future__ import annotations

import sqlite3
from typing import Any

ACCOUNT_METHODS = frozenset({"credit_account", "voucher", "store_credit"})


def on_sale(conn: sqlite3.Connection, sale: Any, row: dict[str, Any], tenders: list[dict[str, Any]]) -> list[str]:
    """The exception kinds raised (empty when no tender touches an account)."""
    if not any(t["method"] in ACCOUNT_METHODS for t in tenders):
        return []
    from hub.customers import credit, vouchers

    return credit.post_sale(conn, sale, row, tenders) + vouchers.redeem_sale(conn, sale, row, tenders)


def on_void(conn: sqlite3.Connection, sale: dict[str, Any], void: dict[str, Any]) -> None:
    tenders = conn.execute("SELECT seq, method, currency, amount FROM sale_tenders WHERE sale_id = ?"
                           " ORDER BY seq", (sale["id"],)).fetchall()
    if not any(t["method"] in ACCOUNT_METHODS for t in tenders):
        return
    from hub.customers import credit
    from hub.db import credit as rows

    owed: dict[str, int] = {}
    for t in tenders:
        if t["method"] == "credit_account":
            owed[t["currency"]] = owed.get(t["currency"], 0) + t["amount"]
    if owed:
        credit.reverse_sale(conn, sale["id"], "void", "sale_void", void["id"], owed, void["recorded_at"])
    for e in conn.execute("SELECT voucher_id, amount, source_id FROM voucher_ledger WHERE source_type = 'sale'"
                          " AND kind = 'redeem' AND source_id LIKE ? || '#%'", (sale["id"],)).fetchall():
        rows.post_voucher(conn, {"voucher_id": e["voucher_id"], "kind": "issue", "amount": -e["amount"],
                                 "source_type": "sale_void", "source_id": e["source_id"],
                                 "recorded_at": void["recorded_at"]})


def on_refund(conn: sqlite3.Connection, sale: dict[str, Any], refund: dict[str, Any],
              tenders: list[dict[str, Any]]) -> None:
    if not any(t["method"] in ACCOUNT_METHODS for t in tenders):
        return
    from hub.customers import credit, vouchers

    from hub.db import credit as rows

    owed: dict[str, int] = {}
    for t in tenders:
        if t["method"] == "store_credit" and t["sale_tender_seq"] is None:
            vouchers.issue_refund_credit(conn, refund["id"], sale, t["currency"], t["amount"])
        elif t["method"] in ("voucher", "store_credit"):  # back onto the voucher the sale spent
            spent = conn.execute("SELECT voucher_id FROM voucher_ledger WHERE source_type = 'sale' AND kind = 'redeem'"
                                 " AND source_id = ?", (f"{sale['id']}#{t['sale_tender_seq']}",)).fetchone()
            if spent is not None:
                rows.post_voucher(conn, {"voucher_id": spent[0], "kind": "issue", "amount": t["amount"],
                                         "source_type": "sale_refund", "source_id": f"{refund['id']}#{t['seq']}",
                                         "recorded_at": refund["recorded_at"]})
        elif t["method"] == "credit_account":
            owed[t["currency"]] = owed.get(t["currency"], 0) + t["amount"]
    if owed:
        credit.reverse_sale(conn, sale["id"], "refund", "sale_refund", refund["id"], owed, refund["recorded_at"])
