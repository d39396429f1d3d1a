"""Catalogue rows for tests, written with SQL beside a running hub (WAL lets a second writer in).

The catalogue's own APIs (currencies, categories, products, ...) are tested where they are
built; tests of tiers, promotions and the quote need only rows to point at, so they make them
here directly. `load_pricing_catalogue` puts the catalogue of the hand-worked baskets
(tests/fixtures/pricing/baskets.json) into the database with the fixture's own ids, so the
loader can be checked against the very catalogue the baskets were worked from.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any, Iterator

from hub.catalogue.promotions import rules, service
from hub.clock import format_ts
from hub.db import promotions
from hub.db.connection import HubConnection, connect, transaction
from hub.db.settings import put_setting
from hub.ids import new_id
from hub.pricing._time import parse_instant

BASKETS = Path(__file__).resolve().parents[1] / "fixtures" / "pricing" / "baskets.json"
SINCE = "2000-01-01T00:00:00.000000Z"


@contextlib.contextmanager
def writing(db_path: Path) -> Iterator[HubConnection]:
    """One transaction on a connection of its own, closed after."""
    conn = connect(db_path)
    try:
        with transaction(conn):
            yield conn
    finally:
        conn.close()


def _stamp(conn: HubConnection) -> str:
    return conn.stamp()


def currency(conn: HubConnection, code: str, *, base: bool = False, decimals: int = 2,
             derive_from: str | None = None, rate: int | None = None, rate_scale: int = 1_000_000,
             round_step: int = 1, round_mode: str = "half_up", since: str = SINCE) -> None:
    now = _stamp(conn)
    conn.execute(
        "INSERT INTO currencies (code, name, decimals, is_base, derive_prices, round_step, round_mode,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (code, code, decimals, int(base), int(derive_from is not None), round_step, round_mode,
         now, now))
    if derive_from is not None and rate is not None:
        exchange_rate(conn, derive_from, code, rate, rate_scale, since)


def exchange_rate(conn: HubConnection, base: str, quote: str, rate: int, rate_scale: int = 1_000_000,
                  since: str = SINCE) -> None:
    conn.execute(
        "INSERT INTO exchange_rates (id, base, quote, rate, rate_scale, effective_from, source,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, 'official', ?)",
        (new_id(), base, quote, rate, rate_scale, since, _stamp(conn)))


def unit(conn: HubConnection, unit_id: str = "ea", decimals: int = 0) -> str:
    now = _stamp(conn)
    conn.execute("INSERT OR IGNORE INTO units (id, code, name, decimals, created_at, updated_at)"
                 " VALUES (?, ?, ?, ?, ?, ?)", (unit_id, unit_id, unit_id, decimals, now, now))
    return unit_id


def category(conn: HubConnection, category_id: str, parent: str | None = None) -> str:
    now = _stamp(conn)
    conn.execute("INSERT INTO categories (id, name, parent_id, created_at, updated_at)"
                 " VALUES (?, ?, ?, ?, ?)", (category_id, category_id, parent, now, now))
    return category_id


def tax_class(conn: HubConnection, class_id: str, *, exempt: bool = False,
              rates: list[tuple[str, int]] = ()) -> str:
    now = _stamp(conn)
    conn.execute("INSERT INTO tax_classes (id, code, name, exempt, created_at, updated_at)"
                 " VALUES (?, ?, ?, ?, ?, ?)", (class_id, class_id, class_id, int(exempt), now, now))
    for since, rate_bp in rates:
        conn.execute("INSERT INTO tax_rates (id, tax_class_id, rate_bp, effective_from, created_at)"
                     " VALUES (?, ?, ?, ?, ?)",
                     (new_id(), class_id, rate_bp, format_ts(parse_instant(since)), now))
    return class_id


def product(conn: HubConnection, product_id: str, *, tax_class: str, category: str | None = None,
            prices: dict[str, int] | None = None, overrides: dict[str, int] | None = None,
            unit_id: str = "ea", active: bool = True) -> str:
    now = _stamp(conn)
    conn.execute(
        "INSERT INTO products (id, sku, name, category_id, unit_id, tax_class_id, active,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (product_id, product_id, product_id, category, unit_id, tax_class, int(active), now, now))
    for code in sorted(set(prices or {}) | set(overrides or {})):
        conn.execute("INSERT INTO product_prices (product_id, currency, price, override_price,"
                     " updated_at) VALUES (?, ?, ?, ?, ?)",
                     (product_id, code, (prices or {}).get(code), (overrides or {}).get(code), now))
    return product_id


def tier(conn: HubConnection, tier_id: str, percent_off_bp: int | None = None,
         prices: dict[str, dict[str, int]] | None = None) -> str:
    """A tier with `prices` {product: {currency: price}}."""
    now = _stamp(conn)
    conn.execute("INSERT INTO pricing_tiers (id, name, percent_off_bp, created_at, updated_at)"
                 " VALUES (?, ?, ?, ?, ?)", (tier_id, tier_id, percent_off_bp, now, now))
    for product_id, by_currency in (prices or {}).items():
        for code, price in by_currency.items():
            conn.execute("INSERT INTO tier_prices (tier_id, product_id, currency, price)"
                         " VALUES (?, ?, ?, ?)", (tier_id, product_id, code, price))
    return tier_id


def promotion(conn: HubConnection, promotion_id: str, fields: dict[str, Any], *,
              source: str = "store") -> dict[str, Any]:
    """A promotion in the document's shape, stored as the API stores one (not validated)."""
    shaped = service.normalise(fields)
    return promotions.insert_promotion(
        conn, promotion_id=promotion_id, name=shaped["name"], kind=shaped["kind"],
        priority=shaped.get("priority", 100), stackable=shaped.get("stackable", False),
        definition=rules.definition(shaped), valid_from=shaped.get("valid_from"),
        valid_until=shaped.get("valid_until"), source=source)


def clear_reference_data(conn: HubConnection) -> None:
    """Drop the starting currencies, units and tax classes a new store gets (hub.catalogue.seed),
    so a test's own rows can take their codes under ids the test names (`VAT`, `ea`)."""
    for table in ("exchange_rates", "tax_rates", "tax_classes", "units", "currencies"):
        conn.execute(f"DELETE FROM {table}")


def setting(db_path: Path, key: str, value: Any) -> None:
    with writing(db_path) as conn:
        put_setting(conn, key, value)


def basics(db_path: Path) -> dict[str, str]:
    """USD (base) and ZWG (derived at 26.7834, to 0.10), VAT 15.5 % / zero-rated / exempt, two
    categories, and three products: bread (USD 1.50), milk (USD 2.00, exempt), covo (ZWG only)."""
    with writing(db_path) as conn:
        clear_reference_data(conn)
        currency(conn, "USD", base=True)
        currency(conn, "ZWG", derive_from="USD", rate=26_783_400, round_step=10)
        unit(conn)
        tax_class(conn, "VAT", rates=[("2026-01-01T00:00:00Z", 1550)])
        tax_class(conn, "ZERO", rates=[("2023-01-01T00:00:00Z", 0)])
        tax_class(conn, "EXEMPT", exempt=True)
        category(conn, "food")
        category(conn, "bakery", "food")
        product(conn, "bread", tax_class="VAT", category="bakery", prices={"USD": 150})
        product(conn, "milk", tax_class="EXEMPT", category="food", prices={"USD": 200})
        product(conn, "covo", tax_class="ZERO", category="food", prices={"ZWG": 1000})
    return {"product": "bread", "category": "bakery"}


def pricing_fixture() -> dict[str, Any]:
    return json.loads(BASKETS.read_text(encoding="utf-8"))


def load_pricing_catalogue(db_path: Path, catalogue: dict[str, Any]) -> None:
    """The fixture's catalogue (docs/pricing.md shape) as rows, under the fixture's own ids."""
    with writing(db_path) as conn:
        clear_reference_data(conn)
        for code, spec in catalogue["currencies"].items():
            if "derive_from" in spec:
                currency(conn, code, decimals=spec["decimals"], derive_from=spec["derive_from"],
                         rate=spec["rate"], rate_scale=spec["rate_scale"],
                         round_step=spec["round_step"], round_mode=spec["round_mode"])
            else:
                currency(conn, code, base=True, decimals=spec["decimals"])
        unit(conn)
        pending = dict(catalogue["categories"])
        while pending:  # parents first
            for category_id, spec in list(pending.items()):
                if spec["parent"] is None or spec["parent"] not in pending:
                    category(conn, category_id, spec["parent"])
                    del pending[category_id]
        for class_id, spec in catalogue["tax_classes"].items():
            tax_class(conn, class_id, exempt=spec["exempt"],
                      rates=[(r["from"], r["rate_bp"]) for r in spec["rates"]])
        for product_id, spec in catalogue["products"].items():
            product(conn, product_id, tax_class=spec["tax_class"], category=spec.get("category"),
                    prices=spec.get("prices"))
        for tier_id, spec in catalogue["tiers"].items():
            tier(conn, tier_id, spec["percent_off_bp"],
                 {p: s["tier_prices"][tier_id] for p, s in catalogue["products"].items()
                  if tier_id in (s.get("tier_prices") or {})})
        for promotion_id, spec in catalogue["promotions"].items():
            promotion(conn, promotion_id, spec)


def a_product(db_path: Path, product_id: str = "priced-product") -> str:
    """A product priced USD 1.50 under the store's own currency, unit and VAT class (made when
    the store has none); idempotent, so callers need not know who made the rows first."""
    with writing(db_path) as conn:
        now = _stamp(conn)
        conn.execute("INSERT OR IGNORE INTO currencies (code, name, decimals, is_base, created_at,"
                     " updated_at) SELECT 'USD', 'US Dollar', 2,"
                     " NOT EXISTS (SELECT 1 FROM currencies WHERE is_base = 1), :now, :now", {"now": now})
        conn.execute("INSERT OR IGNORE INTO units (id, code, name, created_at, updated_at)"
                     " VALUES ('unit-each', 'each', 'Each', :now, :now)", {"now": now})
        conn.execute("INSERT OR IGNORE INTO tax_classes (id, code, name, created_at, updated_at)"
                     " VALUES ('tax-vat', 'VAT', 'VAT', :now, :now)", {"now": now})
        if conn.execute("SELECT 1 FROM tax_rates r JOIN tax_classes c ON c.id = r.tax_class_id"
                        " WHERE c.code = 'VAT'").fetchone() is None:
            conn.execute("INSERT INTO tax_rates (id, tax_class_id, rate_bp, effective_from, created_at)"
                         " SELECT :id, id, 1550, :since, :now FROM tax_classes WHERE code = 'VAT'",
                         {"id": new_id(), "since": SINCE, "now": now})
        unit_id = conn.execute("SELECT id FROM units WHERE code = 'each'").fetchone()[0]
        vat_id = conn.execute("SELECT id FROM tax_classes WHERE code = 'VAT'").fetchone()[0]
        if conn.execute("SELECT 1 FROM products WHERE id = ?", (product_id,)).fetchone() is None:
            product(conn, product_id, tax_class=vat_id, prices={"USD": 150}, unit_id=unit_id)
    return product_id
