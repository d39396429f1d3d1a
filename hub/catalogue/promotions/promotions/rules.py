"""What makes a promotion valid under docs/pricing.md: pure functions over its JSON shape.

`problems(promotion)` lists `(field, message)` for every field that is wrong, with fields written
as paths (`target.products[0]`, `amounts.ZWG`); `references(promotion)` lists the ids it names,
for the caller to look up. A promotion here is a dict in the document's flat shape with absent
optional fields left out (never null).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping

COLUMNS = ("name", "kind", "priority", "stackable", "valid_from", "valid_until")
# Fields every kind may carry; they live in the `definition` JSON unless they are COLUMNS.
COMMON = frozenset({*COLUMNS, "days", "time_from", "time_until", "tiers", "max_discount"})
# kind -> (required fields, optional fields) beyond COMMON.
KINDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "percent_off": (frozenset({"target", "percent_off_bp"}), frozenset()),
    "amount_off": (frozenset({"target", "amounts"}), frozenset()),
    "multi_buy": (frozenset({"target", "quantity", "amounts"}), frozenset({"max_applications"})),
    "buy_x_get_y": (frozenset({"buy", "get", "buy_target", "get_target"}),
                    frozenset({"percent_off_bp", "max_applications"})),
    "spend_threshold": (frozenset({"target", "thresholds"}), frozenset({"percent_off_bp", "amounts"})),
}
KIND_FIELDS = frozenset(f for required, optional in KINDS.values() for f in required | optional)
ALL_FIELDS = COMMON | KIND_FIELDS
TARGET_FIELDS = ("target", "buy_target", "get_target")
MONEY_FIELDS = ("amounts", "thresholds", "max_discount")


def parse_instant(text: str) -> dt.datetime | None:
    """An ISO 8601 instant (one without an offset is UTC), or None when it is not one."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)


def problems(promotion: Mapping) -> list[tuple[str, str]]:
    """Every wrong field of `promotion`, in the order of the document's fields."""
    found: list[tuple[str, str]] = []
    kind = promotion.get("kind")
    if kind not in KINDS:
        return [("kind", f"one of {', '.join(KINDS)}")]
    if not str(promotion.get("name") or "").strip():
        found.append(("name", "a promotion needs a name"))
    required, optional = KINDS[kind]
    for field in sorted(required - set(promotion), key=field_order):
        found.append((field, f"a {kind} promotion needs {field}"))
    for field in sorted(set(promotion) - COMMON - required - optional, key=field_order):
        found.append((field, f"a {kind} promotion has no {field}"
                      if field in ALL_FIELDS else "not a field of a promotion"))
    found += _kind_values(kind, promotion)
    for field in TARGET_FIELDS:
        if field in promotion:
            found += _target(field, promotion[field], basket_allowed=field == "target")
    found += _window(promotion)
    for field in ("tiers",):
        if field in promotion:
            found += _id_list(field, promotion[field], "tier")
    if "max_discount" in promotion:
        found += _amounts("max_discount", promotion["max_discount"], positive=True)
    return found


def field_order(field: str) -> int:
    """Where a field (or a path into one, `amounts.ZWG`) comes in the document's order."""
    field = field.split(".", 1)[0].split("[", 1)[0]
    fields = ("name", "kind", "priority", "stackable", "target", "percent_off_bp", "amounts",
              "quantity", "buy", "get", "buy_target", "get_target", "thresholds", "valid_from",
              "valid_until", "days", "time_from", "time_until", "tiers", "max_applications",
              "max_discount")
    return fields.index(field) if field in fields else len(fields)


def _kind_values(kind: str, p: Mapping) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if "percent_off_bp" in p and not 1 <= p["percent_off_bp"] <= 10000:
        found.append(("percent_off_bp", "between 1 and 10000 basis points (0.01 % to 100 %)"))
    if "amounts" in p:
        # A multi-buy's amount is the group's price, which may be nothing; others take money off.
        found += _amounts("amounts", p["amounts"], positive=kind != "multi_buy")
    if "thresholds" in p:
        found += _amounts("thresholds", p["thresholds"], positive=False)
    if kind == "spend_threshold":
        has_percent, has_amounts = "percent_off_bp" in p, "amounts" in p
        if has_percent == has_amounts:
            found.append(("percent_off_bp", "a spend_threshold promotion takes percent_off_bp or "
                                            "amounts, not both and not neither"))
        elif has_amounts and isinstance(p.get("thresholds"), Mapping):
            # The document: a fixed amount needs its threshold in the basket currency too.
            found += [(f"amounts.{c}", f"no threshold in {c}: add thresholds.{c}")
                      for c in sorted(p["amounts"]) if c not in p["thresholds"]]
    if kind == "multi_buy" and "quantity" in p and p["quantity"] < 2:
        found.append(("quantity", "a multi-buy groups at least 2 units"))
    for field in ("buy", "get", "max_applications"):
        if field in p and p[field] < 1:
            found.append((field, "at least 1"))
    return found


def _amounts(field: str, amounts: object, *, positive: bool) -> list[tuple[str, str]]:
    if not isinstance(amounts, Mapping) or not amounts:
        return [(field, "give an amount in at least one currency")]
    low = 1 if positive else 0
    return [(f"{field}.{c}", f"at least {low} (minor units)") for c, a in amounts.items() if a < low]


def _target(field: str, target: object, *, basket_allowed: bool) -> list[tuple[str, str]]:
    if not isinstance(target, Mapping):
        return [(field, "an object: products, categories or basket")]
    given = [k for k in ("products", "categories", "basket") if target.get(k) is not None]
    if len(given) != 1:
        shapes = "products, categories or basket: true" if basket_allowed else "products or categories"
        return [(field, f"exactly one of {shapes}")]
    key = given[0]
    if key == "basket":
        if not basket_allowed:
            return [(f"{field}.basket", f"{field} cannot be the whole basket")]
        return [] if target["basket"] is True else [(f"{field}.basket", "true, or leave it out")]
    return _id_list(f"{field}.{key}", target[key], {"products": "product", "categories": "category"}[key])


def _id_list(field: str, ids: object, noun: str) -> list[tuple[str, str]]:
    if not isinstance(ids, list) or not ids:
        return [(field, f"name at least one {noun}")]
    seen: set[str] = set()
    found = []
    for index, value in enumerate(ids):
        if value in seen:
            found.append((f"{field}[{index}]", f"{value!r} is listed twice"))
        seen.add(value)
    return found


def _window(p: Mapping) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    moments = {}
    for field in ("valid_from", "valid_until"):
        if field in p:
            moments[field] = parse_instant(p[field])
            if moments[field] is None:
                found.append((field, "an ISO 8601 instant such as 2026-11-25T12:30:00Z"))
    start, end = moments.get("valid_from"), moments.get("valid_until")
    if start is not None and end is not None and end <= start:
        found.append(("valid_until", "after valid_from"))
    if "days" in p:
        days = p["days"]
        if not days:
            found.append(("days", "at least one weekday (1 = Monday ... 7 = Sunday), or leave it out"))
        elif len(set(days)) != len(days):
            found.append(("days", "a weekday is listed twice"))
    if ("time_from" in p) != ("time_until" in p):
        missing = "time_until" if "time_from" in p else "time_from"
        found.append((missing, "a time window needs time_from and time_until"))
    elif "time_from" in p and p["time_from"] == p["time_until"]:
        found.append(("time_until", "equal to time_from: the window would be empty"))
    return found


def references(promotion: Mapping) -> Iterator[tuple[str, str, str]]:
    """`(table, field, id)` for every id the promotion names: products, categories, tiers, currencies."""
    for field in TARGET_FIELDS:
        target = promotion.get(field)
        if isinstance(target, Mapping):
            for key in ("products", "categories"):
                for index, value in enumerate(target.get(key) or ()):
                    yield key, f"{field}.{key}[{index}]", value
    for index, value in enumerate(promotion.get("tiers") or ()):
        yield "pricing_tiers", f"tiers[{index}]", value
    for field in MONEY_FIELDS:
        amounts = promotion.get(field)
        if isinstance(amounts, Mapping):
            for code in amounts:
                yield "currencies", f"{field}.{code}", code


def definition(promotion: Mapping) -> dict:
    """The fields kept in the `definition` JSON: all but the table's own columns."""
    return {k: v for k, v in promotion.items() if k not in COLUMNS}
