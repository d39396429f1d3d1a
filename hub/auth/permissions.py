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
    "sales.sell": "Ring up sales at a till and open one's own shift there",
    "sales.view": "See sales, receipts and the sales history",
    "sales.discount": "Approve discounts and price overrides at a till",
    "sales.void": "Void a whole sale",
    "sales.refund": "Refund or take back goods from a sale, up to the refund limit",
    "sales.refund_unlimited": "Refund above the refund limit",
    "sales.correct": "Charge a price correction after a sale",
    "shifts.view": "See shifts, cash movements, X reports and shift close reports",
    "shifts.cash": "Pay cash in or out and make safe drops on one's own shift",
    "shifts.manage": "Close or resume another cashier's shift",
    "exceptions.view": "See the exception queue",
    "exceptions.resolve": "Resolve exceptions in the queue",
    "endofday.manage": "Run end of day and record bank deposits",
    "customers.view": "See and look up customers, their accounts and vouchers",
    "customers.manage": "Create, edit and merge customers",
    "credit.manage": "Set credit limits and record payments on credit accounts",
    "vouchers.manage": "Issue, cancel and adjust vouchers and store credit",
    "quotations.manage": "Draft, send and convert quotations",
    "reports.view": "See the dashboard figures and the reports, and export them",
    "peripherals.view": "See printers, scanners and print jobs",
    "peripherals.manage": "Configure printers and scanners, assign them, run their tests, retry print jobs",
    "drawer.open": "Open a cash drawer without a sale",
    "fiscal.view": "See the fiscal devices, the fiscal day, its queue, call log and reports",
    "fiscal.manage": "Register fiscal devices, map tax classes, open and close the fiscal day, submit now",
    "hq.manage": "Enrol the hub with HQ, see and retry its sync with HQ",
}
_STOCK = frozenset({"inventory.view", "inventory.adjust", "inventory.receive", "inventory.count",
                    "inventory.approve", "inventory.transfer", "purchasing.manage"})

_SALES_FLOOR = frozenset({"sales.sell", "shifts.cash"})
_SUPERVISION = _SALES_FLOOR | {"sales.view", "sales.discount", "sales.void", "sales.refund",
                               "shifts.view", "shifts.manage", "exceptions.view"}
_SALES = _SUPERVISION | {"sales.refund_unlimited", "sales.correct", "exceptions.resolve",
                         "endofday.manage"}

_ALL = frozenset(PERMISSIONS)

BUILTIN_ROLES: dict[str, tuple[str, frozenset[str]]] = {
    "admin": ("Everything, including roles, settings and backups", _ALL),
    "manager": (
        "Runs the store: users, reports, audit log, settings",
        frozenset({"users.view", "users.manage", "roles.view", "audit.view",
                   "settings.view", "settings.manage", "backups.manage",
                   "devices.view", "devices.manage", "licenses.view", "licenses.manage",
                   "catalogue.view", "catalogue.manage", "prices.manage", "promotions.manage",
                   "currencies.manage", "customers.view", "customers.manage", "credit.manage",
                   "vouchers.manage", "quotations.manage", "reports.view", "peripherals.view",
                   "peripherals.manage", "drawer.open", "fiscal.view", "fiscal.manage", "hq.manage"}) | _STOCK | _SALES,
    ),
    # A supervisor takes deliveries, counts and makes small adjustments; approving a stock take
    # or a large adjustment is the manager's.
    "supervisor": (
        "Leads a shift: approves overrides, sees users and settings",
        frozenset({"users.view", "roles.view", "settings.view", "devices.view", "catalogue.view",
                   "inventory.view", "inventory.adjust", "inventory.receive", "inventory.count",
                   "customers.view", "quotations.manage", "reports.view", "peripherals.view",
                   "drawer.open", "fiscal.view"})
        | _SUPERVISION,
    ),
    # Counting only: a blind count shows a cashier nothing of what the ledger expects.
    "cashier": ("Sells at a till", frozenset({"inventory.count", "customers.view"}) | _SALES_FLOOR),
}


def unknown(permissions: set[str] | frozenset[str]) -> set[str]:
    return set(permissions) - _ALL
