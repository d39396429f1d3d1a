"""The named permissions and the built-in roles.

Every route declares one access rule (see hub.auth.access). Later features add their permissions
here and to the committed oracle `tests/fixtures/access.toml`; the endpoint x role test compares
the running app against that oracle.
"""

from __future__ import annotations

PERMISSIONS: dict[str, str] = {
    "users.view": "See users and their roles",
    "users.manage": "Create, edit, deactivate users; reset passwords and PINs",
    "roles.view": "See roles and their permissions",
    "roles.manage": "Create, edit and delete custom roles",
    "audit.view": "Read the audit log",
    "settings.view": "See store settings",
    "settings.manage": "Change store settings",
    "backups.manage": "Create, list and verify backups",
    "devices.view": "See paired tills, when they were last seen and what they still hold",
    "devices.manage": "Make pairing codes; rename and revoke tills",
    "licenses.view": "See licenses, seats and expiry",
    "licenses.manage": "Install licenses and give tills their seats",
    "catalogue.view": "See products, categories, units, suppliers, tax classes, currencies and rates",
    "catalogue.manage": "Create and edit products, barcodes, categories, units and suppliers; import",
    "prices.manage": "Change prices, schedule price changes, bulk price changes, pricing tiers",
    "promotions.manage": "Create, edit and end promotions",
    "currencies.manage": "Set the store's currencies and exchange rates",
    "taxes.manage": "Edit tax classes and their rates",
    "inventory.view": "See stock levels, stock movements, low stock and the stock valuation",
    "inventory.adjust": "Adjust stock with a reason (damaged, expired, theft, found, correction)",
    "inventory.receive": "Receive goods from suppliers and return goods to them",
    "inventory.count": "Count stock in a stock take (blind when the stock take says so)",
    "inventory.approve": "Approve and post stock takes, and adjustments above the approval value",
    "inventory.transfer": "Send stock to and receive it from the chain's other stores",
    "purchasing.manage": "Create, send and close purchase orders",
}
_STOCK = frozenset({"inventory.view", "inventory.adjust", "inventory.receive", "inventory.count",
                    "inventory.approve", "inventory.transfer", "purchasing.manage"})

_ALL = frozenset(PERMISSIONS)

BUILTIN_ROLES: dict[str, tuple[str, frozenset[str]]] = {
    "admin": ("Everything, including roles, settings and backups", _ALL),
    "manager": (
        "Runs the store: users, reports, audit log, settings",
        frozenset({"users.view", "users.manage", "roles.view", "audit.view",
                   "settings.view", "settings.manage", "backups.manage",
                   "devices.view", "devices.manage", "licenses.view", "licenses.manage",
                   "catalogue.view", "catalogue.manage", "prices.manage", "promotions.manage",
                   "currencies.manage"}) | _STOCK,
    ),
    # A supervisor takes deliveries, counts and makes small adjustments; approving a stock take
    # or a large adjustment is the manager's.
    "supervisor": (
        "Leads a shift: approves overrides, sees users and settings",
        frozenset({"users.view", "roles.view", "settings.view", "devices.view", "catalogue.view",
                   "inventory.view", "inventory.adjust", "inventory.receive", "inventory.count"}),
    ),
    # Counting only: a blind count shows a cashier nothing of what the ledger expects.
    "cashier": ("Sells at a till", frozenset({"inventory.count"})),
}


def unknown(permissions: set[str] | frozenset[str]) -> set[str]:
    return set(permissions) - _ALL
