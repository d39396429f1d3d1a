"""GET/PUT /api/v1/settings/pricing: the store's tax mode (and its base currency, read-only)."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, get, put
from litestar.params import JSONBody

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.catalogue.pricing_settings import service
from hub.catalogue.pricing_settings.schemas import PricingSettings, PricingSettingsUpdate


class PricingSettingsController(Controller):
    path = "/api/v1/settings/pricing"
    tags = ["settings"]

    @get(opt=requires("settings.view"), summary="The store's tax mode and base currency")
    async def get_pricing(self, request: Request) -> PricingSettings:
        return msgspec.convert(await request.app.state.db.read(service.get_pricing), PricingSettings)

    @put(opt=requires("settings.manage"),
         summary="Set the store's tax mode: prices include tax (inclusive) or tax is added (exclusive)")
    async def update_pricing(self, request: Request, identity: Caller,
                             data: JSONBody[PricingSettingsUpdate]) -> PricingSettings:
        row = await request.app.state.db.write(service.update_pricing, identity.actor, data.tax_mode)
        return msgspec.convert(row, PricingSettings)
