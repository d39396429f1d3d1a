"""The demo store's catalogue, generated from a seed: no network, no data files.

`generate(n, seed)` makes `n` products from the word lists of a Zimbabwean supermarket
(hub.catalogue._demo_words): brand x variant x pack size, each with a price in US cents, a cost,
sometimes its own ZWG price (the rest derive from USD at the official rate), an EAN-13 under a
prefix no real product carries, a pack barcode for the supplier's case, an HS code, a supplier
and its code. Produce and meat are sold by the kilogram from a scale, by PLU. The same `n` and
`seed` always give the same products (ids are made when they are installed). `catalogue(seed)`
is the demo store's: about 2,000 products with pricing tiers and promotions of every kind;
benchmarks take `generate(50_000, seed)`.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from dataclasses import dataclass, field
from typing import Any

from hub.catalogue import _demo_words as words
from hub.catalogue.barcodes import with_check_digit

DEMO_SEED = 263  # Zimbabwe's calling code
DEMO_PRODUCTS = 2000
# GS1 has not assigned prefixes 140-199: no product in any shop carries a code starting 199, and
# in-store codes (20-29) stay free for scale labels.
BARCODE_PREFIX = "199"
# 1 USD = 26.7834 ZWG (the scaled integer of docs/pricing.md), in force from the start of 2025.
ZWG_RATE, ZWG_RATE_SCALE = 26_783_400, 1_000_000
RATE_FROM = "2025-01-01T00:00:00.000000Z"
ZWG_ROUND_STEP = 10  # derived ZWG prices go to the nearest 0.10
OWN_ZWG_SHARE = 12  # percent of products with a ZWG price of their own
_QUALIFIERS = ("Value", "Family Pack", "Economy", "Select", "Premium", "Classic", "Lite", "Extra",
               "Original Recipe", "Promo Pack")


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    name: str
    receipt_name: str
    path: tuple[str, ...]
    unit: str  # each | kg
    tax: str  # VAT | ZERO | EXEMPT
    hs_code: str
    cost_price: int  # US cents
    prices: dict[str, int]  # currency -> minor units (USD always)
    barcodes: tuple[tuple[str, int], ...]  # (code, pack quantity in thousandths)
    supplier: str
    supplier_code: str
    sold_by_weight: bool = False
    plu: str | None = None
    stock_tracked: bool = True
    low_stock_threshold: int = 0  # thousandths


@dataclass
class DemoCatalogue:
    products: list[DemoProduct]
    tiers: list[dict[str, Any]] = field(default_factory=list)  # {name, percent_off_bp, prices: {sku: {cur: p}}}
    promotions: list[dict[str, Any]] = field(default_factory=list)  # document shape; skus and paths

    @property
    def category_paths(self) -> list[tuple[str, ...]]:
        """Every category (each prefix of every product's path), parents before children."""
        paths = {p.path[:depth] for p in self.products for depth in range(1, len(p.path) + 1)}
        return sorted(paths, key=lambda path: (len(path), path))

    @property
    def suppliers(self) -> list[str]:
        return sorted({p.supplier for p in self.products})


def ean13(number: int) -> str:
    """The `number`-th code under the demo prefix, scattered (a real shelf's codes are not in a row)."""
    item = (number * 7919 + 104_729) % 10**9  # 7919 is prime to 10^9: a permutation
    return with_check_digit(f"{BARCODE_PREFIX}{item:09d}")


def _shelf_price(cents: int) -> int:
    """To 5 cents, and a round 50 cents becomes .49/.99 as shelves like it."""
    price = max(5, (cents + 2) // 5 * 5)
    return price - 1 if price >= 100 and price % 50 == 0 else price


def _receipt_name(text: str, size: str, width: int = 24) -> str:
    """Upper case, whole words that fit before the size (a receipt line is narrow)."""
    room = width - len(size) - 1
    head = ""
    for word in text.upper().split():
        if len(head) + len(word) + bool(head) > room:
            break
        head = f"{head} {word}" if head else word
    return f"{head or text.upper()[:room]} {size.upper()}".strip()[:width]


def _candidates(rng: random.Random) -> list[list[tuple]]:
    """Per family, its products as (family, brand, variant, size), shuffled; weighed items apart."""
    per_family = []
    for family in words.FAMILIES:
        combos = [(family, b, v, s) for b, v, s in itertools.product(family.brands, family.variants,
                                                                    family.sizes)]
        rng.shuffle(combos)
        per_family.append(combos)
    return per_family


def generate(n: int, seed: int = DEMO_SEED) -> list[DemoProduct]:
    """`n` products, the same for the same `n` and `seed`: weighed produce and meat first, then
    shelf products taken in turn from every family, then qualified ranges past the word lists."""
    rng = random.Random(seed)
    made: list[DemoProduct] = []
    plu = itertools.count(101)
    for weighed in words.WEIGHED:
        for name, per_kg in weighed.items:
            if len(made) < n:
                made.append(_weighed(rng, weighed, name, per_kg, len(made), str(next(plu))))
    names = {p.name for p in made}
    queues = _candidates(rng)
    order = [c for group in itertools.zip_longest(*queues) for c in group if c is not None]
    for round_ in itertools.count():
        for family, brand, variant, size in order:
            if len(made) >= n:
                return made
            qualifier = "" if round_ == 0 else (
                _QUALIFIERS[(round_ - 1) % len(_QUALIFIERS)]
                + ("" if round_ <= len(_QUALIFIERS) else f" {(round_ - 1) // len(_QUALIFIERS) + 1}"))
            product = _shelf(rng, family, brand, variant, size, qualifier, len(made))
            if product.name in names:  # the same words in two families (vanilla yoghurt, ice cream)
                product = dataclasses.replace(product, name=f"{product.name} ({family.path[-1]})")
            while product.name in names:
                product = dataclasses.replace(product, name=f"{product.name} #{len(made)}")
            names.add(product.name)
            made.append(product)
    return made


def _weighed(rng: random.Random, weighed: words.Weighed, name: str, per_kg: int, index: int,
             plu: str) -> DemoProduct:
    price = _shelf_price(per_kg * rng.randint(96, 104) // 100)
    return DemoProduct(
        sku=f"{weighed.dept}-{index + 1:05d}", name=f"{name} per kg",
        receipt_name=_receipt_name(name, "KG"), path=weighed.path, unit="kg", tax=weighed.tax,
        hs_code=weighed.hs, cost_price=price * rng.randint(70, 82) // 100, prices={"USD": price},
        barcodes=(), supplier=weighed.supplier, supplier_code=f"{weighed.supplier[:3].upper()}{plu}",
        sold_by_weight=True, plu=plu, low_stock_threshold=5000)


def _shelf(rng: random.Random, family: words.Family, brand: words.Brand, variant: words.Brand,
           size: words.Size, qualifier: str, index: int) -> DemoProduct:
    (brand_name, brand_pct), (variant_name, variant_pct), (size_label, cents) = brand, variant, size
    words_ = [w for w in (brand_name, qualifier, variant_name) if w]
    text = " ".join(words_)
    price = _shelf_price(cents * brand_pct * variant_pct * rng.randint(97, 103) // 1_000_000)
    prices = {"USD": price}
    # Staples (zero-rated) more often carry a ZWG price of their own.
    if rng.randint(1, 100) <= (3 * OWN_ZWG_SHARE if family.tax == "ZERO" else OWN_ZWG_SHARE // 2):
        # A ZWG price of its own, a little above the converted one, to the half ZiG.
        zwg = price * ZWG_RATE * rng.randint(100, 104) // (ZWG_RATE_SCALE * 100)
        prices["ZWG"] = max(50, (zwg + 25) // 50 * 50)
    barcodes = [(ean13(2 * index), 1000)]
    if family.case:
        barcodes.append((ean13(2 * index + 1), family.case * 1000))
    return DemoProduct(
        sku=f"{family.dept}-{index + 1:05d}", name=f"{text} {size_label}",
        receipt_name=_receipt_name(text, size_label), path=family.path, unit=family.unit,
        tax=family.tax, hs_code=family.hs, cost_price=price * rng.randint(72, 86) // 100,
        prices=prices, barcodes=tuple(barcodes), supplier=family.supplier,
        supplier_code=f"{family.supplier[:3].upper()}{rng.randint(10000, 99999)}",
        stock_tracked=family.tracked,
        low_stock_threshold=rng.choice((6, 12, 24)) * 1000 if family.tracked else 0)


def catalogue(seed: int = DEMO_SEED, products: int = DEMO_PRODUCTS) -> DemoCatalogue:
    """The demo store: `products` products, three pricing tiers and promotions of every kind."""
    made = generate(products, seed)
    return DemoCatalogue(products=made, tiers=_tiers(made), promotions=_promotions(made))


def _find(products: list[DemoProduct], *needles: str, limit: int = 6) -> list[str]:
    """SKUs of products whose name holds every needle (case-insensitive), in catalogue order."""
    found = [p.sku for p in products if all(n.lower() in p.name.lower() for n in needles)]
    return found[:limit]


def _tiers(products: list[DemoProduct]) -> list[dict[str, Any]]:
    bulk = [p for p in products if p.name.endswith(("10kg", "20kg", "20L", "5L", "5kg"))][:60]
    staff = [p for p in products if p.path[-1] in ("Bread", "Fresh Milk")][:24]
    return [
        {"name": "Wholesale", "percent_off_bp": 500,
         "prices": {p.sku: {"USD": p.prices["USD"] * 90 // 100} for p in bulk}},
        {"name": "Staff", "percent_off_bp": None,
         "prices": {p.sku: {"USD": p.prices["USD"] * 85 // 100} for p in staff}},
        {"name": "Loyalty Gold", "percent_off_bp": 200, "prices": {}},
    ]


def _promotions(products: list[DemoProduct]) -> list[dict[str, Any]]:
    """Document-shaped promotions; targets name SKUs (`products`) and category paths joined by
    ' / ' (`categories`), and `tiers` names tier names: the installer turns them into ids."""
    promotions = [
        {"name": "Tanganda tea 10% off", "kind": "percent_off", "priority": 10,
         "target": {"products": _find(products, "Tanganda")}, "percent_off_bp": 1000},
        {"name": "Cleaning week: 10% off all cleaning", "kind": "percent_off", "priority": 40,
         "target": {"categories": ["Household / Cleaning"]}, "percent_off_bp": 1000},
        {"name": "Olivine cooking oil: 50c off", "kind": "amount_off", "priority": 10,
         "target": {"products": _find(products, "Olivine", "2L")}, "amounts": {"USD": 50, "ZWG": 1300}},
        {"name": "Any 3 Mazoe 2L for $12", "kind": "multi_buy", "priority": 20,
         "target": {"products": _find(products, "Mazoe", "2L")}, "quantity": 3, "amounts": {"USD": 1200}},
        {"name": "Soft drinks 500ml: 3 for $2", "kind": "multi_buy", "priority": 20, "max_applications": 4,
         "target": {"products": _find(products, "500ml", "Coca-Cola") + _find(products, "500ml", "Fanta")
                    + _find(products, "500ml", "Sprite")},
         "quantity": 3, "amounts": {"USD": 200, "ZWG": 5400}},
        {"name": "Geisha soap: buy 2, get 1 free", "kind": "buy_x_get_y", "priority": 30, "buy": 2,
         "get": 1, "buy_target": {"products": _find(products, "Geisha")},
         "get_target": {"products": _find(products, "Geisha")}, "max_applications": 3},
        {"name": "Buy a braai pack of boerewors, get rolls half price", "kind": "buy_x_get_y",
         "priority": 35, "buy": 1, "get": 1, "percent_off_bp": 5000,
         "buy_target": {"products": _find(products, "Boerewors")},
         "get_target": {"categories": ["Fresh / Bakery / Rolls & Buns"]}},
        {"name": "Happy hour: 10% off lager, Friday and Saturday 16:00-19:00", "kind": "percent_off",
         "priority": 50, "target": {"categories": ["Alcohol / Beer / Lager"]}, "percent_off_bp": 1000,
         "days": [5, 6], "time_from": "16:00", "time_until": "19:00"},
        {"name": "Spend $50, get $2 off", "kind": "spend_threshold", "priority": 90, "stackable": True,
         "target": {"basket": True}, "thresholds": {"USD": 5000, "ZWG": 134000},
         "amounts": {"USD": 200, "ZWG": 5400}},
        {"name": "Wholesale: 2% off baskets over $200", "kind": "spend_threshold", "priority": 95,
         "stackable": True, "target": {"basket": True}, "thresholds": {"USD": 20000},
         "percent_off_bp": 200, "tiers": ["Wholesale"], "max_discount": {"USD": 2000}},
    ]
    return [p for p in promotions if all(
        (p.get(t) or {}).get("products", True) for t in ("target", "buy_target", "get_target"))]
