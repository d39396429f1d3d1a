"""0003 catalogue: currencies and rates, units, categories, suppliers, tax, products, prices,
barcodes, tiers, promotions, the shelf-label queue and pending opening stock.

Money is integer minor units of the named currency; quantities are integer thousandths; rates
are basis points; exchange rates are integers scaled by `rate_scale` (docs/pricing.md). Nothing a
sale may reference is ever deleted: rows are archived (`active = 0`).
"""

from __future__ import annotations

import sqlite_utils

_STAMPS = "version INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL, updated_at TEXT NOT NULL"

STATEMENTS = (
    f"""CREATE TABLE currencies (
        code TEXT PRIMARY KEY CHECK (length(code) = 3 AND code = upper(code)),
        name TEXT NOT NULL,
        symbol TEXT NOT NULL DEFAULT '',
        decimals INTEGER NOT NULL DEFAULT 2 CHECK (decimals BETWEEN 0 AND 4),
        is_base INTEGER NOT NULL DEFAULT 0 CHECK (is_base IN (0, 1)),
        -- a product with no own price in this currency is priced from the base currency
        derive_prices INTEGER NOT NULL DEFAULT 0 CHECK (derive_prices IN (0, 1)),
        round_step INTEGER NOT NULL DEFAULT 1 CHECK (round_step >= 1),
        round_mode TEXT NOT NULL DEFAULT 'half_up' CHECK (round_mode IN ('half_up', 'up', 'down')),
        cash_rounding INTEGER NOT NULL DEFAULT 1 CHECK (cash_rounding >= 1),  -- smallest coin, minor units
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        {_STAMPS}
    ) WITHOUT ROWID""",
    "CREATE UNIQUE INDEX currencies_one_base ON currencies (is_base) WHERE is_base = 1",
    # History, never edited: the rate in force is the latest effective_from <= the moment.
    # 1 unit of `base` = rate / rate_scale units of `quote`.
    """CREATE TABLE exchange_rates (
        id TEXT PRIMARY KEY,
        base TEXT NOT NULL REFERENCES currencies (code),
        quote TEXT NOT NULL REFERENCES currencies (code),
        rate INTEGER NOT NULL CHECK (rate > 0),
        rate_scale INTEGER NOT NULL DEFAULT 1000000 CHECK (rate_scale > 0),
        effective_from TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('official', 'store', 'hq')),
        set_by TEXT,
        note TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        CHECK (base <> quote)
    )""",
    "CREATE INDEX exchange_rates_pair ON exchange_rates (base, quote, effective_from)",
    f"""CREATE TABLE units (
        id TEXT PRIMARY KEY,
        code TEXT NOT NULL UNIQUE COLLATE NOCASE,
        name TEXT NOT NULL,
        decimals INTEGER NOT NULL DEFAULT 0 CHECK (decimals BETWEEN 0 AND 3),
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        {_STAMPS}
    )""",
    f"""CREATE TABLE categories (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        parent_id TEXT REFERENCES categories (id),
        sort_order INTEGER NOT NULL DEFAULT 0,
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        {_STAMPS}
    )""",
    "CREATE INDEX categories_parent ON categories (parent_id)",
    f"""CREATE TABLE suppliers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        contact_name TEXT NOT NULL DEFAULT '',
        phone TEXT NOT NULL DEFAULT '',
        email TEXT NOT NULL DEFAULT '',
        address TEXT NOT NULL DEFAULT '',
        tin TEXT NOT NULL DEFAULT '',
        payment_terms_days INTEGER NOT NULL DEFAULT 0 CHECK (payment_terms_days BETWEEN 0 AND 365),
        lead_time_days INTEGER NOT NULL DEFAULT 0 CHECK (lead_time_days BETWEEN 0 AND 365),
        notes TEXT NOT NULL DEFAULT '',
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        {_STAMPS}
    )""",
    "CREATE INDEX suppliers_name ON suppliers (name COLLATE NOCASE)",
    # zimra_tax_id stays NULL until the fiscal issue maps it from FDMS getConfig.
    f"""CREATE TABLE tax_classes (
        id TEXT PRIMARY KEY,
        code TEXT NOT NULL UNIQUE COLLATE NOCASE,
        name TEXT NOT NULL,
        exempt INTEGER NOT NULL DEFAULT 0 CHECK (exempt IN (0, 1)),
        zimra_tax_id INTEGER,
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        {_STAMPS}
    )""",
    """CREATE TABLE tax_rates (
        id TEXT PRIMARY KEY,
        tax_class_id TEXT NOT NULL REFERENCES tax_classes (id),
        rate_bp INTEGER NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000),
        effective_from TEXT NOT NULL,
        created_by TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (tax_class_id, effective_from)
    )""",
    f"""CREATE TABLE products (
        id TEXT PRIMARY KEY,
        sku TEXT NOT NULL UNIQUE COLLATE NOCASE,
        name TEXT NOT NULL,
        receipt_name TEXT NOT NULL DEFAULT '',
        description TEXT NOT NULL DEFAULT '',
        category_id TEXT REFERENCES categories (id),
        unit_id TEXT NOT NULL REFERENCES units (id),
        tax_class_id TEXT NOT NULL REFERENCES tax_classes (id),
        hs_code TEXT NOT NULL DEFAULT '' CHECK (hs_code = '' OR hs_code GLOB '[0-9][0-9][0-9][0-9]'
                                               OR hs_code GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'),
        cost_price INTEGER NOT NULL DEFAULT 0 CHECK (cost_price >= 0),  -- base currency, minor units
        stock_tracked INTEGER NOT NULL DEFAULT 1 CHECK (stock_tracked IN (0, 1)),
        low_stock_threshold INTEGER NOT NULL DEFAULT 0 CHECK (low_stock_threshold >= 0),  -- thousandths
        sold_by_weight INTEGER NOT NULL DEFAULT 0 CHECK (sold_by_weight IN (0, 1)),
        plu TEXT UNIQUE,  -- item code inside weight/price-embedded barcodes
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        archived_at TEXT,
        {_STAMPS}
    )""",
    "CREATE INDEX products_category ON products (category_id)",
    "CREATE INDEX products_name ON products (name COLLATE NOCASE)",
    # price: owned by HQ once enrolled (else by the store); override_price: the store's own.
    """CREATE TABLE product_prices (
        product_id TEXT NOT NULL REFERENCES products (id),
        currency TEXT NOT NULL REFERENCES currencies (code),
        price INTEGER CHECK (price >= 0),
        override_price INTEGER CHECK (override_price >= 0),
        updated_at TEXT NOT NULL,
        PRIMARY KEY (product_id, currency),
        CHECK (price IS NOT NULL OR override_price IS NOT NULL)
    ) WITHOUT ROWID""",
    """CREATE TABLE price_history (
        id TEXT PRIMARY KEY,
        product_id TEXT NOT NULL REFERENCES products (id),
        currency TEXT NOT NULL,
        old_price INTEGER,
        new_price INTEGER,
        source TEXT NOT NULL CHECK (source IN ('manual', 'scheduled', 'bulk', 'import', 'hq', 'override')),
        reason TEXT NOT NULL DEFAULT '',
        changed_by TEXT,
        effective_at TEXT NOT NULL
    )""",
    "CREATE INDEX price_history_product ON price_history (product_id, effective_at)",
    """CREATE TABLE scheduled_prices (
        id TEXT PRIMARY KEY,
        product_id TEXT NOT NULL REFERENCES products (id),
        currency TEXT NOT NULL REFERENCES currencies (code),
        price INTEGER NOT NULL CHECK (price >= 0),
        effective_from TEXT NOT NULL,
        created_by TEXT,
        created_at TEXT NOT NULL,
        applied_at TEXT,
        cancelled_at TEXT
    )""",
    "CREATE INDEX scheduled_prices_due ON scheduled_prices (effective_from) WHERE applied_at IS NULL AND cancelled_at IS NULL",
    # pack_quantity: how much one scan sells, in thousandths (a case of 12 = 12000).
    """CREATE TABLE barcodes (
        code TEXT PRIMARY KEY,
        product_id TEXT NOT NULL REFERENCES products (id),
        pack_quantity INTEGER NOT NULL DEFAULT 1000 CHECK (pack_quantity > 0),
        created_at TEXT NOT NULL
    ) WITHOUT ROWID""",
    "CREATE INDEX barcodes_product ON barcodes (product_id)",
    """CREATE TABLE product_suppliers (
        product_id TEXT NOT NULL REFERENCES products (id),
        supplier_id TEXT NOT NULL REFERENCES suppliers (id),
        supplier_code TEXT NOT NULL DEFAULT '',
        cost INTEGER CHECK (cost >= 0),
        currency TEXT REFERENCES currencies (code),
        pack_size INTEGER NOT NULL DEFAULT 1000 CHECK (pack_size > 0),
        preferred INTEGER NOT NULL DEFAULT 0 CHECK (preferred IN (0, 1)),
        PRIMARY KEY (product_id, supplier_id)
    ) WITHOUT ROWID""",
    f"""CREATE TABLE pricing_tiers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        percent_off_bp INTEGER CHECK (percent_off_bp BETWEEN 0 AND 10000),
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        {_STAMPS}
    )""",
    """CREATE TABLE tier_prices (
        tier_id TEXT NOT NULL REFERENCES pricing_tiers (id),
        product_id TEXT NOT NULL REFERENCES products (id),
        currency TEXT NOT NULL REFERENCES currencies (code),
        price INTEGER NOT NULL CHECK (price >= 0),
        PRIMARY KEY (tier_id, product_id, currency)
    ) WITHOUT ROWID""",
    # definition: the kind's own fields in the JSON shape of docs/pricing.md (target, amounts, ...).
    f"""CREATE TABLE promotions (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('percent_off', 'amount_off', 'multi_buy', 'buy_x_get_y',
                                           'spend_threshold')),
        priority INTEGER NOT NULL DEFAULT 100,
        stackable INTEGER NOT NULL DEFAULT 0 CHECK (stackable IN (0, 1)),
        definition TEXT NOT NULL,
        valid_from TEXT,
        valid_until TEXT,
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        {_STAMPS}
    )""",
    # Products whose shelf label shows an old price, until a label is printed.
    """CREATE TABLE label_queue (
        product_id TEXT PRIMARY KEY REFERENCES products (id),
        reason TEXT NOT NULL,
        queued_at TEXT NOT NULL
    ) WITHOUT ROWID""",
    # Opening stock entered before the stock ledger exists (the inventory issue posts these as
    # audited opening-balance movements); never an editable on-hand number.
    """CREATE TABLE opening_stock_pending (
        id TEXT PRIMARY KEY,
        product_id TEXT NOT NULL REFERENCES products (id),
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        unit_cost INTEGER NOT NULL DEFAULT 0 CHECK (unit_cost >= 0),
        entered_by TEXT,
        entered_at TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        posted_at TEXT
    )""",
)


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
