"""Hypothesis strategies: small random catalogues and baskets in the shapes of docs/pricing.md."""

from __future__ import annotations

from hypothesis import strategies as st

from hub.pricing.rounding import ROUND_MODES

PRODUCTS = ("p0", "p1", "p2", "p3")
CATEGORIES = {"food": {"parent": None}, "bakery": {"parent": "food"},
              "sweet": {"parent": "bakery"}, "drinks": {"parent": None}}
TAX_CLASSES = ("VAT", "LOW", "EXEMPT")
SINCE = "2026-01-01T00:00:00Z"
KINDS = ("percent_off", "amount_off", "multi_buy", "buy_x_get_y", "spend_threshold")

money = st.integers(0, 100_000)
percent = st.integers(1, 10_000)


def _amounts(values=money) -> st.SearchStrategy[dict]:
    """Per-currency amounts: USD always, ZWG sometimes."""
    return st.fixed_dictionaries({"USD": values}, optional={"ZWG": values})


_item_target = st.one_of(
    st.lists(st.sampled_from(PRODUCTS), min_size=1, max_size=3).map(lambda p: {"products": p}),
    st.lists(st.sampled_from(sorted(CATEGORIES)), min_size=1, max_size=2)
    .map(lambda c: {"categories": c}),
)
_target = st.one_of(_item_target, st.just({"basket": True}))


@st.composite
def promotion(draw, kinds=KINDS) -> dict:
    kind = draw(st.sampled_from(kinds))
    spec = {"kind": kind, "priority": draw(st.integers(0, 3)), "stackable": draw(st.booleans())}
    if kind == "percent_off":
        spec.update(target=draw(_target), percent_off_bp=draw(percent))
    elif kind == "amount_off":
        spec.update(target=draw(_target), amounts=draw(_amounts(st.integers(1, 2000))))
    elif kind == "multi_buy":
        spec.update(target=draw(_target), quantity=draw(st.integers(1, 4)),
                    amounts=draw(_amounts(st.integers(0, 5000))))
    elif kind == "buy_x_get_y":
        spec.update(buy_target=draw(_item_target), get_target=draw(_item_target),
                    buy=draw(st.integers(1, 3)), get=draw(st.integers(1, 2)))
        if draw(st.booleans()):
            spec["percent_off_bp"] = draw(percent)
    else:
        spec.update(target=draw(_target), thresholds=draw(_amounts(st.integers(0, 20_000))))
        if draw(st.booleans()):
            spec["percent_off_bp"] = draw(percent)
        else:
            spec["amounts"] = draw(_amounts(st.integers(0, 5000)))
    if kind in ("multi_buy", "buy_x_get_y") and draw(st.booleans()):
        spec["max_applications"] = draw(st.integers(0, 4))
    if draw(st.integers(0, 3)) == 0:
        spec["max_discount"] = draw(_amounts(st.integers(0, 3000)))
    if draw(st.integers(0, 5)) == 0:
        spec["days"] = draw(st.lists(st.integers(1, 7), min_size=1, max_size=7, unique=True))
    return spec


@st.composite
def product(draw) -> dict:
    made = {"category": draw(st.sampled_from(sorted(CATEGORIES))),
            "tax_class": draw(st.sampled_from(TAX_CLASSES)),
            "prices": draw(_amounts(st.integers(1, 20_000)))}
    if draw(st.booleans()):
        made["tier_prices"] = {"staff": draw(_amounts(st.integers(0, 20_000)))}
    return made


@st.composite
def catalogues(draw, kinds=KINDS) -> dict:
    promotions = draw(st.lists(promotion(kinds), min_size=1, max_size=5))
    return {
        "timezone": "Africa/Harare",
        "currencies": {
            "USD": {"decimals": 2},
            "ZWG": {"decimals": 2, "derive_from": "USD",
                    "rate": draw(st.integers(1_000_000, 50_000_000)), "rate_scale": 1_000_000,
                    "round_step": draw(st.sampled_from([1, 5, 10, 100])),
                    "round_mode": draw(st.sampled_from(ROUND_MODES))},
        },
        "categories": CATEGORIES,
        "tax_classes": {
            "VAT": {"exempt": False,
                    "rates": [{"from": SINCE, "rate_bp": draw(st.integers(0, 3000))}]},
            "LOW": {"exempt": False,
                    "rates": [{"from": SINCE, "rate_bp": draw(st.integers(0, 800))}]},
            "EXEMPT": {"exempt": True, "rates": []},
        },
        "tiers": {"wholesale": {"percent_off_bp": draw(percent)},
                  "staff": {"percent_off_bp": None}},
        "products": {pid: draw(product()) for pid in PRODUCTS},
        "promotions": {f"P{n}": spec for n, spec in enumerate(promotions)},
    }


quantities = st.one_of(st.integers(1, 12_000), st.integers(1, 12).map(lambda units: units * 1000))


@st.composite
def baskets(draw, catalogue: dict, tax_mode: str | None = None) -> dict:
    ids = list(catalogue["promotions"])
    lines = draw(st.lists(st.tuples(st.sampled_from(PRODUCTS), quantities), min_size=1, max_size=8))
    # Most promotions are in force: a basket without any tests little.
    left_out = draw(st.sets(st.sampled_from(ids), max_size=1)) if ids else set()
    return {
        "currency": draw(st.sampled_from(["USD", "USD", "ZWG"])),
        "at": draw(st.sampled_from(["2026-11-25T12:30:00Z", "2026-11-28T23:00:00Z"])),
        "tax_mode": tax_mode or draw(st.sampled_from(["inclusive", "exclusive"])),
        "tier": draw(st.sampled_from([None, "wholesale", "staff"])),
        "promotions": [pid for pid in draw(st.permutations(ids)) if pid not in left_out],
        "lines": [{"line": number, "product": pid, "quantity": quantity}
                  for number, (pid, quantity) in enumerate(lines, start=1)],
    }


@st.composite
def priced(draw, kinds=KINDS, tax_mode: str | None = None) -> tuple[dict, dict]:
    """A catalogue and a basket priced against it."""
    made = draw(catalogues(kinds))
    return made, draw(baskets(made, tax_mode))
