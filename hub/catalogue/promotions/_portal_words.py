"""A promotion in words for the portal's list and detail pages: the deal ("3 for USD 5.00"), what it
applies to, and when it runs, in the store's time zone."""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.catalogue.promotions._portal_form import KINDS, WEEKDAYS, Refs
from hub.catalogue.promotions._portal_text import format_money, format_percent
from hub.db import products
from hub.portal.templating import local_time

TARGETS = ("target", "buy_target", "get_target")


def product_labels(conn: sqlite3.Connection,
                   promotions: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """id -> {name, sku} of every product the promotions name."""
    ids = sorted({i for p in promotions for t in TARGETS
                  for i in (p.get(t) or {}).get("products") or ()})
    return {p["id"]: {"name": p["name"], "sku": p["sku"]} for p in products.get_products(conn, ids)}


def money(amounts: dict[str, int] | None, refs: Refs) -> str:
    """{"USD": 500, "ZWG": 13000} -> "USD 5.00 or ZWG 130.00"."""
    return " or ".join(f"{code} {format_money(amount, refs.decimals(code))}"
                       for code, amount in sorted((amounts or {}).items(),
                                                  key=lambda item: _currency_order(item[0], refs)))


def _currency_order(code: str, refs: Refs) -> int:
    codes = [c["code"] for c in refs.currencies]
    return codes.index(code) if code in codes else len(codes)


class Words:
    """Names for the ids a promotion holds, and sentences about it."""

    def __init__(self, refs: Refs, labels: dict[str, dict[str, str]]) -> None:
        self.refs = refs
        self.labels = labels
        self.categories = {c["id"]: c["path"] for c in refs.categories}
        self.tiers = {t["id"]: t["name"] for t in refs.tiers}

    def target(self, target: dict[str, Any] | None) -> str:
        target = target or {}
        if target.get("basket"):
            return "the whole basket"
        if target.get("categories"):
            names = [self.categories.get(c, c) for c in target["categories"]]
            noun = "the category " if len(names) == 1 else "the categories "
            return noun + ", ".join(names) + " (with every category below)"
        names = [self.labels[i]["name"] if i in self.labels else i
                 for i in target.get("products") or ()]
        if len(names) > 4:
            return f"{', '.join(names[:3])} and {len(names) - 3} more products"
        return ", ".join(names) or "nothing"

    def deal(self, p: dict[str, Any]) -> str:
        kind = p["kind"]
        if kind == "percent_off":
            return f"{format_percent(p.get('percent_off_bp'))} % off {self.target(p.get('target'))}"
        if kind == "amount_off":
            each = "" if (p.get("target") or {}).get("basket") else " each unit of"
            return f"{money(p.get('amounts'), self.refs)} off{each} {self.target(p.get('target'))}"
        if kind == "multi_buy":
            price = money(p.get("amounts"), self.refs)
            return f"{p.get('quantity')} for {price}: {self.target(p.get('target'))}"
        if kind == "buy_x_get_y":
            off = p.get("percent_off_bp", 10_000)
            reward = "free" if off == 10_000 else f"{format_percent(off)} % off"
            return (f"Buy {p.get('buy')} of {self.target(p.get('buy_target'))}, "
                    f"get {p.get('get')} of {self.target(p.get('get_target'))} {reward}")
        if p.get("percent_off_bp") is not None:
            reward = f"{format_percent(p['percent_off_bp'])} % off"
        else:
            reward = f"{money(p.get('amounts'), self.refs)} off"
        spend = money(p.get("thresholds"), self.refs)
        return f"Spend {spend} or more on {self.target(p.get('target'))}: {reward}"

    def when(self, p: dict[str, Any]) -> str:
        zone = self.refs.zone
        parts = []
        if p.get("valid_from"):
            parts.append(f"from {local_time(p['valid_from'], zone)}")
        if p.get("valid_until"):
            parts.append(f"until {local_time(p['valid_until'], zone)}")
        if p.get("days"):
            names = dict(WEEKDAYS)
            parts.append("on " + ", ".join(names[d] for d in p["days"]))
        if p.get("time_from"):
            parts.append(f"between {p['time_from']} and {p['time_until']}")
        text = " ".join(parts)
        return text[:1].upper() + text[1:] if parts else "Always"

    def facts(self, p: dict[str, Any]) -> list[tuple[str, str]]:
        """(label, text) of everything the promotion says, for its page."""
        facts = [("Kind", KINDS[p["kind"]]), ("Deal", self.deal(p)), ("When", self.when(p)),
                 ("Customers", ", ".join(self.tiers.get(t, t) for t in p["tiers"]) + " tier only"
                  if p.get("tiers") else "Every customer, with or without a tier"),
                 ("Priority", f"{p['priority']} (smaller applies first)"),
                 ("Stacks", "Yes: it works on what earlier promotions left" if p.get("stackable")
                  else "No: a line it discounts gets no later promotion")]
        if p.get("max_applications"):
            facts.append(("At most", f"{p['max_applications']} times in one basket"))
        if p.get("max_discount"):
            most = money(p["max_discount"], self.refs)
            facts.append(("Largest discount", f"{most} in one basket"))
        facts.append(("Made by", "HQ" if p.get("source") == "hq" else "This store"))
        return facts
