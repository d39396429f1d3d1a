"""Writing a generated catalogue (hub.catalogue.demo) into a store, in the caller's transaction.

Reference data the store already has (a new store starts with USD, ZWG, units and tax classes)
is found by its code and kept; what is missing is made. Products go in with executemany; every
row is published on the change feed as the store modules publish it, and the whole load is one
audit entry, `catalogue.demo_loaded`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.catalogue import demo
from hub.catalogue import seed
from hub.catalogue._demo_words import SUPPLIERS
from hub.catalogue.pricing_settings.service import DEFAULT_TAX_MODE, TAX_MODE_KEY
from hub.catalogue.promotions import rules
from hub.db import (audit, bulk_products, categories, currencies, exchange_rates, pricing_tiers,
                    promotions, suppliers, taxes, units)
from hub.db.settings import get_setting, put_setting
from hub.ids import new_id

# The store's starting reference data (hub.catalogue.seed) by code: a store made before it
# existed may lack some, and the demo makes what is missing the same way.
TAX_CLASSES = {c["code"]: c for c in seed.TAX_CLASSES}
UNITS = {u["code"]: u for u in seed.UNITS}


class CatalogueNotEmptyError(RuntimeError):
    """The store has products already: a generated catalogue goes only into an empty one."""


def install(conn: sqlite3.Connection, catalogue: demo.DemoCatalogue, actor: audit.Actor, *,
            publish: bool = True) -> dict[str, int]:
    """Write `catalogue`; returns what was written. `publish=False` leaves the change feed alone
    (a benchmark's scratch database that no till will ever sync)."""
    if bulk_products.count(conn):
        raise CatalogueNotEmptyError("the store has products already")
    _currencies(conn)
    unit_ids = {code: _unit(conn, code) for code in ("each", "kg")}
    tax_ids = {code: _tax_class(conn, code) for code in ("VAT", "ZERO", "EXEMPT")}
    category_ids: dict[tuple[str, ...], str] = {}
    for order, path in enumerate(catalogue.category_paths):
        category_ids[path] = categories.create_category(
            conn, name=path[-1], parent_id=category_ids.get(path[:-1]), sort_order=order)["id"]
    supplier_ids = {key: _supplier(conn, key) for key in catalogue.suppliers}
    product_ids = _products(conn, catalogue.products, unit_ids, tax_ids, category_ids, supplier_ids,
                            publish=publish)
    tier_ids = {}
    for tier in catalogue.tiers:
        made = pricing_tiers.create_tier(conn, name=tier["name"], percent_off_bp=tier["percent_off_bp"])
        tier_ids[tier["name"]] = made["id"]
        for sku, prices in tier["prices"].items():
            pricing_tiers.set_product_prices(conn, made["id"], product_ids[sku], prices)
    for promotion in catalogue.promotions:
        _promotion(conn, promotion, product_ids, category_ids, tier_ids)
    if get_setting(conn, TAX_MODE_KEY) is None:
        put_setting(conn, TAX_MODE_KEY, DEFAULT_TAX_MODE)
    counts = {"products": len(product_ids), "categories": len(category_ids),
              "suppliers": len(supplier_ids), "tiers": len(tier_ids),
              "promotions": len(catalogue.promotions),
              "barcodes": sum(len(p.barcodes) for p in catalogue.products)}
    audit.append(conn, actor, "catalogue.demo_loaded", "catalogue", None, detail=counts)
    return counts


def _currencies(conn: sqlite3.Connection) -> None:
    if currencies.get_currency(conn, "USD") is None:
        currencies.create_currency(conn, code="USD", name="US Dollar", symbol="US$",
                                   is_base=currencies.base_currency(conn) is None)
    zwg = currencies.get_currency(conn, "ZWG")
    if zwg is None:
        currencies.create_currency(conn, code="ZWG", name="Zimbabwe Gold", symbol="ZiG",
                                   derive_prices=True, round_step=demo.ZWG_ROUND_STEP)
    elif not zwg["derive_prices"] or zwg["round_step"] != demo.ZWG_ROUND_STEP:
        currencies.update_currency(conn, "ZWG", derive_prices=True, round_step=demo.ZWG_ROUND_STEP)
    base = currencies.base_currency(conn)
    if base is not None and base["code"] == "USD" and not exchange_rates.list_rates(
            conn, base="USD", quote="ZWG", limit=1):
        exchange_rates.create_rate(conn, base="USD", quote="ZWG", rate=demo.ZWG_RATE,
                                   rate_scale=demo.ZWG_RATE_SCALE, effective_from=demo.RATE_FROM,
                                   source="official", set_by=None, note="demo store")


def _unit(conn: sqlite3.Connection, code: str) -> str:
    found = units.get_unit_by_code(conn, code)
    if found is not None:
        return found["id"]
    return units.create_unit(conn, **UNITS[code])["id"]


def _tax_class(conn: sqlite3.Connection, code: str) -> str:
    found = taxes.get_tax_class_by_code(conn, code)
    if found is not None:
        return found["id"]
    return taxes.create_tax_class(conn, **TAX_CLASSES[code])["id"]


def _supplier(conn: sqlite3.Connection, key: str) -> str:
    name, terms, lead = SUPPLIERS[key]
    slug = "".join(ch for ch in key if ch.isalnum())
    number = sum(map(ord, key)) % 9000 + 1000  # a made-up Harare number, the same every time
    return suppliers.create_supplier(
        conn, name=name, contact_name="Orders desk", phone=f"+263 24 2{number:04d} 00",
        email=f"orders@{slug}.example", payment_terms_days=terms, lead_time_days=lead,
        notes="Demo supplier")["id"]


def _products(conn: sqlite3.Connection, items: list[demo.DemoProduct], unit_ids: dict[str, str],
              tax_ids: dict[str, str], category_ids: dict[tuple[str, ...], str],
              supplier_ids: dict[str, str], *, publish: bool) -> dict[str, str]:
    ids = {p.sku: new_id() for p in items}
    rows = [{"id": ids[p.sku], "sku": p.sku, "name": p.name, "receipt_name": p.receipt_name,
             "category_id": category_ids[p.path], "unit_id": unit_ids[p.unit],
             "tax_class_id": tax_ids[p.tax], "hs_code": p.hs_code, "cost_price": p.cost_price,
             "stock_tracked": int(p.stock_tracked), "low_stock_threshold": p.low_stock_threshold,
             "sold_by_weight": int(p.sold_by_weight), "plu": p.plu} for p in items]
    bulk_products.insert(
        conn, rows,
        prices=[{"product_id": ids[p.sku], "currency": c, "price": v}
                for p in items for c, v in p.prices.items()],
        codes=[{"code": code, "product_id": ids[p.sku], "pack_quantity": pack}
               for p in items for code, pack in p.barcodes],
        suppliers=[{"product_id": ids[p.sku], "supplier_id": supplier_ids[p.supplier],
                    "supplier_code": p.supplier_code, "cost": p.cost_price, "currency": "USD"}
                   for p in items])
    if publish:
        bulk_products.publish(conn, list(ids.values()))
    return ids


def _promotion(conn: sqlite3.Connection, promotion: dict[str, Any], product_ids: dict[str, str],
               category_ids: dict[tuple[str, ...], str], tier_ids: dict[str, str]) -> None:
    fields = dict(promotion)
    for key in ("target", "buy_target", "get_target"):
        target = fields.get(key)
        if target is None:
            continue
        if "products" in target:
            fields[key] = {"products": [product_ids[sku] for sku in target["products"]]}
        elif "categories" in target:
            fields[key] = {"categories": [category_ids[tuple(path.split(" / "))]
                                          for path in target["categories"]]}
    if "tiers" in fields:
        fields["tiers"] = [tier_ids[name] for name in fields["tiers"]]
    wrong = rules.problems(fields)
    if wrong:  # a mistake in the word lists, caught before a store ever sees it
        raise ValueError(f"demo promotion {fields['name']!r}: {wrong}")
    promotions.insert_promotion(
        conn, name=fields["name"], kind=fields["kind"], priority=fields.get("priority", 100),
        stackable=fields.get("stackable", False), definition=rules.definition(fields),
        valid_from=fields.get("valid_from"), valid_until=fields.get("valid_until"))
