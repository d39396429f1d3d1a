"""The promotion form of the portal: its inputs to the API's flat promotion shape and back, and the
service's field paths (`target.products[2]`, `amounts.USD`) to the inputs they are about.

The form has the same fields for every kind, shown in groups by kind (`KIND_FIELDS`). Products are
typed as SKUs or barcodes and resolved here; categories and tiers are chosen from lists. Nothing
here changes the store: the portal sends the result to hub.catalogue.promotions.service.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import msgspec

from hub.catalogue.promotions import rules
from hub.catalogue.promotions._portal_text import (TextError, format_percent, local_input,
                                                   parse_count, parse_local, parse_money,
                                                   parse_percent, parse_signed, plain_money)
from hub.catalogue.promotions.schemas import MAX_IDS, MAX_MONEY, PromotionCreate
from hub.db import categories, currencies, pricing_tiers, products

KINDS = {
    "percent_off": "Percent off",
    "amount_off": "Amount off",
    "multi_buy": "Multi-buy (3 for 5.00)",
    "buy_x_get_y": "Buy X, get Y",
    "spend_threshold": "Spend over a threshold",
}
KIND_HINTS = {
    "percent_off": "A percentage off products, categories or the whole basket.",
    "amount_off": "A fixed amount off each unit of products or categories, or off the whole "
                  "basket.",
    "multi_buy": "A number of units for one price: 3 for 5.00. Groups repeat: 6 units make 2 "
                 "groups.",
    "buy_x_get_y": "Buy some units, get others free or cheaper: buy 2, get 1 free.",
    "spend_threshold": "Spend at least an amount, get a percentage or an amount off.",
}
TARGETS = ("target", "buy_target", "get_target")
TARGET_TYPES = (("products", "Products"), ("categories", "Categories"),
                ("basket", "The whole basket"))
MONEY = {"amounts": "amount", "thresholds": "threshold", "max_discount": "max_discount"}
WEEKDAYS = ((1, "Mon"), (2, "Tue"), (3, "Wed"), (4, "Thu"), (5, "Fri"), (6, "Sat"), (7, "Sun"))
PRIORITY_RANGE = (-1_000_000, 1_000_000)
MAX_NAME = 120
_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
_CODES = re.compile(r"[\n,;]+")
# The service's words for fields and kinds, as the form names them.
_WORDS = {"percent_off_bp": "percent off", "amounts": "amount", "thresholds": "threshold",
          "max_discount": "max discount", "max_applications": "max applications",
          "buy_target": "what to buy", "get_target": "what they get",
          "target": "what it applies to", "valid_from": "the start", "valid_until": "the end",
          "time_from": "time from", "time_until": "time until", "basket: true": "the whole basket",
          "percent_off": "percent-off", "amount_off": "amount-off", "multi_buy": "multi-buy",
          "buy_x_get_y": "buy X get Y", "spend_threshold": "spend-threshold"}
# Inputs in the order of the form (the error summary follows it).
ORDER = ("name", "kind", "priority", "stackable", "target_type", "target_products",
         "target_categories", "buy", "buy_target_type", "buy_target_products",
         "buy_target_categories", "get", "get_target_type", "get_target_products",
         "get_target_categories", "percent", "quantity", "amount", "threshold",
         "max_applications", "valid_from", "valid_until", "day", "time_from", "time_until",
         "tier", "max_discount")
_LABELS = {"name": "Name", "kind": "Kind", "priority": "Priority", "stackable": "Stacks",
           "target_type": "Applies to", "target_products": "Products",
           "target_categories": "Categories", "buy": "Buy how many",
           "buy_target_type": "What to buy", "buy_target_products": "Products to buy",
           "buy_target_categories": "Categories to buy", "get": "Get how many",
           "get_target_type": "What they get", "get_target_products": "Products they get",
           "get_target_categories": "Categories they get", "percent": "Percent off",
           "quantity": "Units in a group", "amount": "Amount", "threshold": "Spend at least",
           "max_applications": "At most, times in a basket", "valid_from": "Starts",
           "valid_until": "Ends", "day": "Days of the week", "time_from": "From (time of day)",
           "time_until": "Until (time of day)", "tier": "Tiers", "max_discount": "Largest discount"}


def label(name: str) -> str:
    """The label of a form input (`amount_USD` -> "Amount in USD")."""
    for prefix in MONEY.values():
        if name.startswith(prefix + "_"):
            return f"{_LABELS[prefix]} in {name[len(prefix) + 1:]}"
    return _LABELS.get(name, name)


def kind_fields(kind: str) -> frozenset[str]:
    """The API fields a promotion of `kind` may carry."""
    required, optional = rules.KINDS[kind]
    return rules.COMMON | required | optional


@dataclass
class Refs:
    """What the form offers: the store's currencies, categories and tiers, and its time zone."""

    currencies: list[dict[str, Any]]  # {code, decimals}, base first
    categories: list[dict[str, Any]]  # {id, path}, by path
    tiers: list[dict[str, Any]]  # {id, name}
    zone: Any = None

    def decimals(self, code: str) -> int:
        return next((c["decimals"] for c in self.currencies if c["code"] == code), 2)


def load_refs(conn: sqlite3.Connection) -> Refs:
    """The active currencies (base first), categories with their paths, and tiers."""
    rows = currencies.list_currencies(conn, active=True, limit=200)
    listed = sorted(({"code": r["code"], "decimals": r["decimals"], "base": r["is_base"]}
                     for r in rows), key=lambda c: (not c["base"], c["code"]))
    every = {c["id"]: c for c in categories.all_categories(conn)}
    paths = []
    for cat in every.values():
        if cat["active"]:
            names, seen, node = [], set(), cat
            while node is not None and node["id"] not in seen:
                seen.add(node["id"])
                names.append(node["name"])
                node = every.get(node["parent_id"]) if node["parent_id"] else None
            paths.append({"id": cat["id"], "path": " / ".join(reversed(names))})
    tiers = [{"id": t["id"], "name": t["name"]} for t in pricing_tiers.list_tiers(conn, limit=200)]
    return Refs(listed, sorted(paths, key=lambda c: c["path"].casefold()), tiers)


@dataclass
class Parsed:
    """The form read: API fields (None: absent), the codes still to resolve, errors by input."""

    fields: dict[str, Any]
    codes: dict[str, list[str]] = field(default_factory=dict)  # target field -> typed codes
    errors: dict[str, str] = field(default_factory=dict)


def read(form: Any, kind: str, refs: Refs) -> Parsed:
    """The promotion the form describes (only the fields of `kind`), checked as text."""
    allowed = kind_fields(kind)
    parsed = Parsed({f: None for f in rules.ALL_FIELDS})
    out, errors = parsed.fields, parsed.errors
    out["kind"] = kind
    name = form.get("name").strip()
    if len(name) > MAX_NAME:
        errors["name"] = f"at most {MAX_NAME} characters"
    out["name"] = name
    out["stackable"] = form.get("stackable") in ("on", "1", "true", "yes")

    def number(api: str, name: str, parse: Any) -> None:
        text = form.get(name).strip()
        if api in allowed and text:
            try:
                out[api] = parse(text)
            except TextError as err:
                errors[name] = str(err)

    priority = form.get("priority").strip()
    try:
        out["priority"] = parse_signed(priority, *PRIORITY_RANGE) if priority else 100
    except TextError as err:
        errors["priority"] = str(err)
    for api in ("quantity", "buy", "get", "max_applications"):
        number(api, api, lambda text: parse_count(text, 1, 10_000))
    number("percent_off_bp", "percent", _percent)
    for api, prefix in MONEY.items():
        if api in allowed:
            out[api] = _amounts(form, prefix, refs, errors)
    for api in ("valid_from", "valid_until"):
        number(api, api, lambda text: parse_local(text, refs.zone))
    for api in ("time_from", "time_until"):
        text = form.get(api).strip()[:5]
        if text and not _TIME.match(text):
            errors[api] = "a time of day such as 16:00"
        out[api] = text or None
    days = form.getall("day")
    if days:
        if not all(d in {str(n) for n, _ in WEEKDAYS} for d in days):
            errors["day"] = "weekdays from the list"
        else:
            out["days"] = sorted(int(d) for d in days)
    out["tiers"] = form.getall("tier")[:MAX_IDS] or None
    for api in TARGETS:
        if api in allowed:
            out[api] = _target(form, api, parsed)
    return parsed


def _percent(text: str) -> int:
    value = parse_percent(text)
    if value > 10_000:
        raise TextError("at most 100 (%)")
    return value


def _amounts(form: Any, prefix: str, refs: Refs, errors: dict[str, str]) -> dict[str, int] | None:
    found = {}
    for currency in refs.currencies:
        name = f"{prefix}_{currency['code']}"
        text = form.get(name).strip()
        if text:
            try:
                found[currency["code"]] = parse_money(text, currency["decimals"])
            except TextError as err:
                errors[name] = str(err)
                continue
            if found[currency["code"]] > MAX_MONEY:
                errors[name] = "too large"
    return found or None


def _target(form: Any, api: str, parsed: Parsed) -> dict[str, Any] | None:
    kind = form.get(f"{api}_type")
    if kind == "basket":
        return {"basket": True}
    if kind == "categories":
        return {"categories": form.getall(f"{api}_categories")[:MAX_IDS]}
    if kind == "products":
        typed = [c.strip() for c in _CODES.split(form.get(f"{api}_products")) if c.strip()]
        parsed.codes[api] = typed[:MAX_IDS]
        return {"products": []}  # filled by resolve()
    return None


def resolve(conn: sqlite3.Connection, parsed: Parsed) -> Parsed:
    """Turn the typed SKUs and barcodes of every product target into product ids (one read)."""
    for api, typed in parsed.codes.items():
        ids: list[str] = []
        wrong: list[str] = []
        for code in typed:
            try:
                found = products.lookup(conn, code)
            except products.MisreadBarcodeError:
                found = None
            if found is None or not found["product"]["active"]:
                wrong.append(f"no active product has the SKU or barcode {code}")
            elif found["product"]["id"] in ids:
                wrong.append(f"{code} is listed twice")
            else:
                ids.append(found["product"]["id"])
        if wrong:
            parsed.errors[f"{api}_products"] = "; ".join(wrong)
        parsed.fields[api] = {"products": ids}
    return parsed


def present(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields given (absent ones left out), as the create route takes them."""
    return {k: v for k, v in fields.items() if v is not None}


def type_problems(fields: dict[str, Any]) -> dict[str, str]:
    """What the API's struct would refuse on decoding (400 there), by input."""
    try:
        msgspec.convert(present(fields), PromotionCreate)
    except msgspec.ValidationError as err:
        text = str(err)
        path = text.rsplit("$.", 1)[-1].rstrip("`") if "$." in text else "name"
        return {input_of(path): text.split(" - at ")[0]}
    return {}


def input_of(api_field: str) -> str:
    """The form input a service field path is about: `target.products[2]` -> `target_products`."""
    head, _, rest = api_field.partition(".")
    base = head.split("[", 1)[0]
    if base in TARGETS:
        sub = rest.split("[", 1)[0]
        return f"{base}_{sub}" if sub in ("products", "categories") else f"{base}_type"
    if base in MONEY:
        return f"{MONEY[base]}_{rest}" if rest else MONEY[base]
    return {"percent_off_bp": "percent", "tiers": "tier", "days": "day"}.get(base, base)


def humane(message: str) -> str:
    """A service message in the form's words: "a multi_buy promotion needs quantity" -> "A
    multi-buy promotion needs quantity"."""
    for word in sorted(_WORDS, key=len, reverse=True):
        message = re.sub(rf"(?<![\w.]){re.escape(word)}(?![\w.])", _WORDS[word], message)
    return message[:1].upper() + message[1:]


def field_errors(errors: list[dict[str, str]]) -> dict[str, str]:
    """FieldErrors' `errors` by input; several about one input are joined."""
    found: dict[str, str] = {}
    for error in errors:
        name, message = input_of(error["field"]), humane(error["message"])
        found[name] = f"{found[name]}; {message}" if name in found else message
    return found


def ordered(errors: dict[str, str]) -> list[tuple[str, str]]:
    """(input, message) in the order of the form, for the summary at the top."""
    def position(name: str) -> int:
        base = next((p for p in MONEY.values() if name.startswith(p + "_")), name)
        return ORDER.index(base) if base in ORDER else len(ORDER)
    return sorted(errors.items(), key=lambda item: position(item[0]))


def values_of(promotion: dict[str, Any], refs: Refs, skus: dict[str, str]) -> dict[str, Any]:
    """A stored promotion as the form's inputs, to edit it."""
    values: dict[str, Any] = {
        "name": promotion["name"], "kind": promotion["kind"],
        "priority": str(promotion["priority"]),
        "stackable": promotion.get("stackable", False),
        "percent": format_percent(promotion.get("percent_off_bp")),
        "valid_from": local_input(promotion.get("valid_from"), refs.zone),
        "valid_until": local_input(promotion.get("valid_until"), refs.zone),
        "time_from": promotion.get("time_from") or "",
        "time_until": promotion.get("time_until") or "",
        "day": [str(d) for d in promotion.get("days") or ()],
        "tier": list(promotion.get("tiers") or ()),
    }
    for api in ("quantity", "buy", "get", "max_applications"):
        values[api] = "" if promotion.get(api) is None else str(promotion[api])
    for api, prefix in MONEY.items():
        for code, amount in (promotion.get(api) or {}).items():
            values[f"{prefix}_{code}"] = plain_money(amount, refs.decimals(code))
    for api in TARGETS:
        target = promotion.get(api) or {}
        values[f"{api}_type"] = next((k for k in ("products", "categories", "basket")
                                      if target.get(k)), "products")
        values[f"{api}_products"] = "\n".join(skus.get(i, i) for i in target.get("products") or ())
        values[f"{api}_categories"] = list(target.get("categories") or ())
    return values


def typed_values(form: Any, refs: Refs) -> dict[str, Any]:
    """What was typed, to show the form again after a refusal."""
    values: dict[str, Any] = {name: form.get(name) for name in ORDER if name not in ("day", "tier")}
    values["stackable"] = form.get("stackable") in ("on", "1", "true", "yes")
    values["day"], values["tier"] = form.getall("day"), form.getall("tier")
    for api in TARGETS:
        values[f"{api}_categories"] = form.getall(f"{api}_categories")
    for prefix in MONEY.values():
        for currency in refs.currencies:
            values[f"{prefix}_{currency['code']}"] = form.get(f"{prefix}_{currency['code']}")
    return values


def blank(kind: str) -> dict[str, Any]:
    """A new promotion's form: priority 100, products as its target."""
    return {"kind": kind, "priority": "100", "target_type": "products",
            "buy_target_type": "products", "get_target_type": "products", "day": [], "tier": [],
            "target_categories": [], "buy_target_categories": [], "get_target_categories": []}
