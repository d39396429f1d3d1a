"""0020 customers: customers, their credit accounts (a ledger per currency), credit payments,
vouchers and store credit (a balance ledger), and quotations (docs/customers.md).

- `customers`: a person or business the store knows; `phone_key` is the phone's digits (for
  duplicate warnings and till lookup); `card` is a loyalty or account card number scanned at a
  till (unique when set). A merged customer keeps its row with `status` 'merged' and
  `merged_into` the survivor; its sales and balances moved to the survivor (`customer_merges`).
- `credit_limits`: the credit limit per customer and currency (minor units). No row: limit 0.
- `credit_ledger`: append-only (triggers refuse UPDATE and DELETE). `amount` is signed, in the
  row's currency: above zero the customer owes more (a credit sale), below zero less (a payment,
  a void or refund of a credit sale). The balance of (customer, currency) is the sum of its rows.
  Never summed across currencies.
- `credit_payments`: money a customer paid against the account; idempotent by its id.
- `vouchers`: a gift voucher or a customer's store credit (`kind`), one currency each, with a
  unique `code`; `voucher_ledger` is append-only like the credit ledger: issue (+), redeem (-),
  expire (-, what was left), and `balance` is the sum.
- `quotations` and `quotation_lines`: priced by hub.pricing (the same engine as the tills);
  status draft, sent, accepted, expired, converted.
"""

from __future__ import annotations

import sqlite_utils

_APPEND_ONLY = ("credit_ledger", "voucher_ledger", "credit_payments", "customer_merges")

STATEMENTS = (
    """CREATE TABLE customers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        phone TEXT NOT NULL DEFAULT '',
        phone_key TEXT NOT NULL DEFAULT '',
        email TEXT NOT NULL DEFAULT '',
        card TEXT,
        tier_id TEXT REFERENCES pricing_tiers (id),
        notes TEXT NOT NULL DEFAULT '',
        registered_name TEXT NOT NULL DEFAULT '',
        trade_name TEXT NOT NULL DEFAULT '',
        tin TEXT NOT NULL DEFAULT '',
        vat_number TEXT NOT NULL DEFAULT '',
        address TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'merged')),
        merged_into TEXT REFERENCES customers (id),
        version INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    "CREATE UNIQUE INDEX customers_card ON customers (card) WHERE card IS NOT NULL",
    "CREATE INDEX customers_name ON customers (name_key, id)",
    "CREATE INDEX customers_phone ON customers (phone_key) WHERE phone_key != ''",
    "CREATE INDEX customers_email ON customers (lower(email)) WHERE email != ''",
    "CREATE INDEX sales_customer ON sales (customer_id, occurred_at) WHERE customer_id IS NOT NULL",
    """CREATE TABLE customer_merges (
        id TEXT PRIMARY KEY,
        survivor_id TEXT NOT NULL REFERENCES customers (id),
        merged_id TEXT NOT NULL REFERENCES customers (id),
        sales_moved INTEGER NOT NULL,
        merged_by TEXT,
        merged_at TEXT NOT NULL
    )""",
    """CREATE TABLE credit_limits (
        customer_id TEXT NOT NULL REFERENCES customers (id),
        currency TEXT NOT NULL REFERENCES currencies (code),
        credit_limit INTEGER NOT NULL CHECK (credit_limit >= 0),
        PRIMARY KEY (customer_id, currency)
    ) WITHOUT ROWID""",
    """CREATE TABLE credit_payments (
        id TEXT PRIMARY KEY,
        number INTEGER NOT NULL UNIQUE,
        customer_id TEXT NOT NULL REFERENCES customers (id),
        currency TEXT NOT NULL,
        amount INTEGER NOT NULL CHECK (amount > 0),
        method TEXT NOT NULL CHECK (method IN ('cash', 'card', 'mobile_money', 'bank_transfer')),
        provider TEXT NOT NULL DEFAULT '',
        reference TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT '',
        device_id TEXT,
        received_by TEXT,
        received_by_name TEXT NOT NULL DEFAULT '',
        received_at TEXT NOT NULL,
        body_hash TEXT NOT NULL
    )""",
    "CREATE INDEX credit_payments_customer ON credit_payments (customer_id, received_at)",
    # kind: sale (+), payment (-), void (-), refund (-), merge_in / merge_out (a merge moving a balance).
    """CREATE TABLE credit_ledger (
        seq INTEGER PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customers (id),
        currency TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('sale', 'payment', 'void', 'refund', 'merge_in', 'merge_out')),
        amount INTEGER NOT NULL CHECK (amount != 0),
        source_type TEXT NOT NULL,
        source_id TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        UNIQUE (source_type, source_id, customer_id, currency, kind)
    )""",
    "CREATE INDEX credit_ledger_customer ON credit_ledger (customer_id, currency, occurred_at)",
    """CREATE TABLE vouchers (
        id TEXT PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('voucher', 'store_credit')),
        customer_id TEXT REFERENCES customers (id),
        currency TEXT NOT NULL REFERENCES currencies (code),
        expires_on TEXT,
        note TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX vouchers_customer ON vouchers (customer_id, kind, currency) WHERE customer_id IS NOT NULL",
    # kind: issue (+), redeem (-), expire (-), merge_in / merge_out.
    """CREATE TABLE voucher_ledger (
        seq INTEGER PRIMARY KEY,
        voucher_id TEXT NOT NULL REFERENCES vouchers (id),
        kind TEXT NOT NULL CHECK (kind IN ('issue', 'redeem', 'expire', 'merge_in', 'merge_out')),
        amount INTEGER NOT NULL CHECK (amount != 0),
        source_type TEXT NOT NULL,
        source_id TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        UNIQUE (voucher_id, source_type, source_id, kind)
    )""",
    "CREATE INDEX voucher_ledger_voucher ON voucher_ledger (voucher_id, seq)",
    """CREATE TABLE quotations (
        id TEXT PRIMARY KEY,
        number INTEGER NOT NULL UNIQUE,
        customer_id TEXT NOT NULL REFERENCES customers (id),
        currency TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'draft'
            CHECK (status IN ('draft', 'sent', 'accepted', 'expired', 'converted')),
        valid_until TEXT NOT NULL,
        follow_up_on TEXT,
        note TEXT NOT NULL DEFAULT '',
        tax_mode TEXT NOT NULL,
        tier_id TEXT,
        subtotal INTEGER NOT NULL,
        discount_total INTEGER NOT NULL,
        tax_total INTEGER NOT NULL,
        total INTEGER NOT NULL,
        priced_at TEXT NOT NULL,
        conversion TEXT CHECK (conversion IN ('pay_at_till', 'on_account')),
        sale_id TEXT,
        created_by TEXT,
        version INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    "CREATE INDEX quotations_status ON quotations (status, follow_up_on)",
    "CREATE INDEX quotations_customer ON quotations (customer_id, created_at)",
    """CREATE TABLE quotation_lines (
        quotation_id TEXT NOT NULL REFERENCES quotations (id),
        line_no INTEGER NOT NULL,
        product_id TEXT NOT NULL,
        name TEXT NOT NULL,
        sku TEXT NOT NULL DEFAULT '',
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        unit_price INTEGER NOT NULL,
        gross INTEGER NOT NULL,
        discount INTEGER NOT NULL,
        net INTEGER NOT NULL,
        tax_class TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (quotation_id, line_no)
    ) WITHOUT ROWID""",
)


def _append_only(table: str) -> tuple[str, str]:
    return tuple(f"""CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} rows are facts: never edited'); END""" for verb in ("UPDATE", "DELETE"))


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
    for table in _APPEND_ONLY:
        for trigger in _append_only(table):
            db.execute(trigger)
