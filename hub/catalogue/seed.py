"""The reference data every store starts with: currencies, units, tax classes, the tax mode.

`seed_reference_data` is the one place this data is written. `hub.setup.create_database` calls
it for every new database (demo or real). Databases made before it existed get it at start-up:
the database subsystem calls `seed_reference_data` after migrating, beside granting new
permissions, and it does nothing once the store has any currency (currencies are archived,
never deleted, so "no currency" means "never seeded"). It is a start-up step and not a
migration because a migration's effect is fixed forever once shipped, while this is data a
store then owns and edits; a migration may still call it (it takes a plain connection of the
hub's kind and is idempotent).
"""

from __future__ import annotations

import sqlite3

from hub.catalogue.pricing_settings.service import DEFAULT_TAX_MODE, TAX_MODE_KEY
from hub.db import audit, currencies, taxes, units
from hub.db.settings import get_setting, put_setting

CURRENCIES = (
    # ISO 4217: ZWG is Zimbabwe Gold (ZiG), the Reserve Bank of Zimbabwe's currency since April 2024.
    {"code": "USD", "name": "US Dollar", "symbol": "US$", "decimals": 2, "is_base": True},
    {"code": "ZWG", "name": "Zimbabwe Gold", "symbol": "ZiG", "decimals": 2},
)
UNITS = (
    {"code": "each", "name": "Each", "decimals": 0},
    {"code": "kg", "name": "Kilogram", "decimals": 3},
    {"code": "l", "name": "Litre", "decimals": 3},
)
# Zimbabwe's standard VAT rate. The law counts from midnight in Zimbabwe (CAT, UTC+2, no daylight
# saving), so each start is 22:00 UTC the evening before.
# - 15 % from 1 January 2023: Finance (No. 2) Act 2022, s. 17 (14.5 % since 1 January 2020
#   before that), as ZIMRA's public notice of January 2023 told operators to set fiscal devices.
# - 15.5 % from 1 January 2026: the 2026 National Budget Statement (27 November 2025), enacted
#   by the Finance Act (No. 7) of 2025. (ZIMRA's FDMS test environment lists its 15.5 % tax from
#   2025-12-15: tax ids and dates there are the environment's; fiscal/ZIMRA-FDMS.md.)
VAT_HISTORY = ((1500, "2022-12-31T22:00:00.000000Z"), (1550, "2025-12-31T22:00:00.000000Z"))
TAX_CLASSES = (
    {"code": "VAT", "name": "VAT standard rate", "exempt": False, "rates": VAT_HISTORY},
    {"code": "ZERO", "name": "Zero-rated", "exempt": False,
     "rates": ((0, "2022-12-31T22:00:00.000000Z"),)},
    {"code": "EXEMPT", "name": "Exempt", "exempt": True, "rates": ()},
)


def seed_reference_data(conn: sqlite3.Connection, actor: audit.Actor) -> bool:
    """Give a store with no currencies its starting reference data, published on the change feed,
    with one audit entry; False (and nothing written) when it has currencies already. Run it
    inside a transaction. ZIMRA tax ids stay null: the fiscal device's configuration maps them."""
    if currencies.count_currencies(conn):
        return False
    for currency in CURRENCIES:
        currencies.create_currency(conn, **currency)
    for unit in UNITS:
        units.create_unit(conn, **unit)
    for tax_class in TAX_CLASSES:
        taxes.create_tax_class(conn, **tax_class)
    if get_setting(conn, TAX_MODE_KEY) is None:
        put_setting(conn, TAX_MODE_KEY, DEFAULT_TAX_MODE)
    audit.append(conn, actor, "catalogue.seeded", "catalogue", None, detail={
        "currencies": [c["code"] for c in CURRENCIES], "units": [u["code"] for u in UNITS],
        "tax_classes": [t["code"] for t in TAX_CLASSES], "tax_mode": get_setting(conn, TAX_MODE_KEY)})
    return True
