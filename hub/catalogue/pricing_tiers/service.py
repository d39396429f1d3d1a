"""Rules for pricing tiers. Each public function runs as one `db.write` transaction: it checks,
changes, publishes on the change feed and appends exactly one audit entry, or raises and changes
nothing.

Once the hub is enrolled with HQ, every field of a tier and its prices is HQ's
(hub/catalogue/ownership.toml `[pricing_tiers]`): local changes are refused with 409 `hq_owned`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.catalogue import ownership
from hub.db import audit, catalogue_refs
from hub.db import pricing_tiers as tiers
from hub.db.audit import Actor
from hub.errors import ConflictError, FieldErrors, NotFoundError

ENTITY = "pricing_tier"


def _tier(conn: sqlite3.Connection, tier_id: str) -> dict[str, Any]:
    tier = tiers.get_tier(conn, tier_id)
    if tier is None:
        raise NotFoundError(f"there is no pricing tier {tier_id}")
    return tier


def _check_name(conn: sqlite3.Connection, name: str, except_id: str = "") -> str:
    name = name.strip()
    if not name:
        raise FieldErrors({"name": "a tier needs a name"})
    if tiers.name_taken(conn, name, except_id=except_id):
        raise FieldErrors({"name": f"there is already a tier named {name!r}"}, code="name_taken")
    return name


def create_tier(conn: sqlite3.Connection, actor: Actor, *, name: str,
                percent_off_bp: int | None) -> dict[str, Any]:
    ownership.require_store_owned(conn, "pricing_tiers", ["name", "percent_off_bp"])
    tier = tiers.create_tier(conn, name=_check_name(conn, name), percent_off_bp=percent_off_bp)
    audit.append(conn, actor, "pricing_tier.created", ENTITY, tier["id"], after=tier)
    return tier


def update_tier(conn: sqlite3.Connection, actor: Actor, tier_id: str,
                changes: dict[str, Any]) -> dict[str, Any]:
    """Rename or change the rule; a change that changes nothing writes nothing."""
    tier = _tier(conn, tier_id)
    if "name" in changes:
        changes["name"] = _check_name(conn, changes["name"], tier_id)
    changes = {k: v for k, v in changes.items() if tier[k] != v}
    if not changes:
        return tier
    ownership.require_store_owned(conn, "pricing_tiers", changes)
    updated = tiers.update_tier(conn, tier_id, **changes)
    audit.append(conn, actor, "pricing_tier.updated", ENTITY, tier_id, before=tier, after=updated)
    return updated


def archive_tier(conn: sqlite3.Connection, actor: Actor, tier_id: str) -> dict[str, Any]:
    """Archive: the tier stops pricing baskets; it stays for the sales that name it."""
    tier = _tier(conn, tier_id)
    if not tier["active"]:
        return tier
    ownership.require_store_owned(conn, "pricing_tiers", ["active"])
    updated = tiers.update_tier(conn, tier_id, active=False)
    audit.append(conn, actor, "pricing_tier.archived", ENTITY, tier_id, before=tier, after=updated)
    return updated


def _priceable(conn: sqlite3.Connection, tier_id: str, product_id: str) -> dict[str, Any]:
    tier = _tier(conn, tier_id)
    if not tier["active"]:
        raise ConflictError(f"the tier {tier['name']!r} is archived", code="tier_archived")
    if catalogue_refs.active_product(conn, product_id) is None:
        raise NotFoundError(f"there is no product {product_id}")
    ownership.require_store_owned(conn, "pricing_tiers", ["prices"])
    return tier


def set_prices(conn: sqlite3.Connection, actor: Actor, tier_id: str, product_id: str,
               prices: dict[str, int]) -> dict[str, int]:
    """Replace the product's prices in the tier by `prices` ({currency: minor units})."""
    _priceable(conn, tier_id, product_id)
    known = catalogue_refs.existing(conn, "currencies", prices)
    unknown = [(c, "there is no such currency") for c in sorted(prices) if c not in known]
    if unknown:
        raise FieldErrors(unknown)
    before = tiers.product_prices(conn, tier_id, product_id)
    if before == prices:
        return before
    after = tiers.set_product_prices(conn, tier_id, product_id, prices)
    audit.append(conn, actor, "pricing_tier.prices_set", ENTITY, tier_id,
                 before={"product_id": product_id, "prices": before},
                 after={"product_id": product_id, "prices": after})
    return after


def remove_prices(conn: sqlite3.Connection, actor: Actor, tier_id: str, product_id: str) -> None:
    """The product goes back to the tier's rule (or its normal price) in every currency."""
    _priceable(conn, tier_id, product_id)
    before = tiers.product_prices(conn, tier_id, product_id)
    if not before:
        raise NotFoundError(f"the product {product_id} has no price of its own in this tier")
    tiers.remove_product_prices(conn, tier_id, product_id)
    audit.append(conn, actor, "pricing_tier.prices_removed", ENTITY, tier_id,
                 before={"product_id": product_id, "prices": before})
