"""GET/PUT /api/v1/settings/barcodes: the store's rules for weight- and price-embedded barcodes.

Stored as the setting `barcodes.embedded` (a list of rules, docs/barcodes.md); absent means the
defaults (prefixes 20-29: odd weight in grams, even price in cents, 5-digit PLU, 5-digit value).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, put
from litestar.params import JSONBody

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.catalogue import barcodes as codes
from hub.db import audit, products
from hub.db.audit import Actor
from hub.db.settings import get_setting, put_setting
from hub.errors import FieldErrors

Digits = Annotated[int, msgspec.Meta(ge=1, le=6)]


class EmbeddedRule(msgspec.Struct, forbid_unknown_fields=True):
    """`prefix` + `item_digits` (the PLU) + `value_digits` + a check digit = 13 digits."""

    prefix: Annotated[str, msgspec.Meta(pattern="^[0-9]{1,3}$")]
    kind: Literal["weight", "price"]  # weight: thousandths of the unit (grams); price: base currency minor units
    item_digits: Digits = 5
    value_digits: Digits = 5


class BarcodeSettings(msgspec.Struct):
    embedded: list[EmbeddedRule]
    default: bool  # true while the store has not set its own rules


class BarcodeSettingsUpdate(msgspec.Struct, forbid_unknown_fields=True):
    embedded: Annotated[list[EmbeddedRule], msgspec.Meta(max_length=20)]


def read_settings(conn: Any) -> dict[str, Any]:
    stored = get_setting(conn, products.EMBEDDED_RULES_KEY)
    rules = products.embedded_rules(conn)
    return {"embedded": [r.as_dict() for r in rules], "default": stored is None}


def update_settings(conn: Any, actor: Actor, rules: list[dict[str, Any]]) -> dict[str, Any]:
    problems = codes.rule_problems(rules)
    if problems:
        raise FieldErrors([(f"embedded{f.removeprefix('rules')}", m) for f, m in problems])
    before = read_settings(conn)
    if before["embedded"] == rules and not before["default"]:
        return before
    put_setting(conn, products.EMBEDDED_RULES_KEY, rules)
    audit.append(conn, actor, "settings.barcodes_updated", "settings", products.EMBEDDED_RULES_KEY,
                 before={"embedded": before["embedded"]}, after={"embedded": rules})
    return read_settings(conn)


class BarcodeSettingsController(Controller):
    path = "/api/v1/settings/barcodes"
    tags = ["settings"]

    @get(opt=requires("settings.view"), summary="The store's weight- and price-embedded barcode rules")
    async def get_settings(self, request: Request) -> BarcodeSettings:
        return msgspec.convert(await request.app.state.db.read(read_settings), BarcodeSettings)

    @put(opt=requires("settings.manage"), summary="Replace the store's embedded barcode rules")
    async def put_settings(self, request: Request, identity: Caller,
                           data: JSONBody[BarcodeSettingsUpdate]) -> BarcodeSettings:
        rules = [msgspec.structs.asdict(r) for r in data.embedded]
        row = await request.app.state.db.write(update_settings, identity.actor, rules)
        return msgspec.convert(row, BarcodeSettings)
