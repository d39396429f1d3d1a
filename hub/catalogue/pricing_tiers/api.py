"""/api/v1/pricing-tiers: tiers (a name and an optional percent-off rule) and their per-product
prices per currency. Assigning a tier to a customer comes with the customers."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import JSONBody, Parameter

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.catalogue.pricing_tiers import service
from hub.catalogue.pricing_tiers.schemas import (MAX_PAGE, PriceSet, PricingTier,
                                                 PricingTierCreate, PricingTierPage,
                                                 PricingTierUpdate, TierPriceEntry, TierPricePage,
                                                 TierProductPrices)
from hub.db import pricing_tiers as tiers
from hub.errors import NotFoundError

TierId = Annotated[str, Parameter(max_length=64)]
ProductId = Annotated[str, Parameter(max_length=64)]


def _tier(row: dict[str, Any]) -> PricingTier:
    return msgspec.convert(row, PricingTier)


class PricingTierController(Controller):
    path = "/api/v1/pricing-tiers"
    tags = ["pricing tiers"]

    @get(opt=requires("catalogue.view"), summary="Pricing tiers by name, a page at a time")
    async def list_tiers(
        self, request: Request,
        q: Annotated[str | None, Parameter(max_length=60, description="Part of the name")] = None,
        after: Annotated[str | None, Parameter(max_length=60, description="next_after of the last page")] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
        include_archived: Annotated[bool, Parameter(description="Also list archived tiers")] = False,
    ) -> PricingTierPage:
        rows = await request.app.state.db.read(tiers.list_tiers, after=after, limit=limit,
                                               include_archived=include_archived, q=q)
        items = [_tier(r) for r in rows]
        return PricingTierPage(items=items, next_after=items[-1].name if len(items) == limit else None)

    @get("/{tier_id:str}", opt=requires("catalogue.view"), summary="One pricing tier")
    async def get_tier(self, request: Request, tier_id: TierId) -> PricingTier:
        row = await request.app.state.db.read(tiers.get_tier, tier_id)
        if row is None:
            raise NotFoundError(f"there is no pricing tier {tier_id}")
        return _tier(row)

    @post(opt=requires("prices.manage"), summary="Create a pricing tier")
    async def create_tier(self, request: Request, identity: Caller,
                          data: JSONBody[PricingTierCreate]) -> PricingTier:
        row = await request.app.state.db.write(service.create_tier, identity.actor, name=data.name,
                                               percent_off_bp=data.percent_off_bp)
        return _tier(row)

    @patch("/{tier_id:str}", opt=requires("prices.manage"),
           summary="Rename a tier or change its rule (percent_off_bp: null removes it)")
    async def update_tier(self, request: Request, identity: Caller, tier_id: TierId,
                          data: JSONBody[PricingTierUpdate]) -> PricingTier:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        row = await request.app.state.db.write(service.update_tier, identity.actor, tier_id, changes)
        return _tier(row)

    @post("/{tier_id:str}/archive", status_code=200, opt=requires("prices.manage"),
          summary="Archive a tier: it prices no more baskets, and stays for the sales that name it")
    async def archive_tier(self, request: Request, identity: Caller, tier_id: TierId) -> PricingTier:
        row = await request.app.state.db.write(service.archive_tier, identity.actor, tier_id)
        return _tier(row)

    @get("/{tier_id:str}/prices", opt=requires("catalogue.view"),
         summary="The tier's own product prices, by product id, a page at a time")
    async def list_prices(
        self, request: Request, tier_id: TierId,
        after: Annotated[str | None, Parameter(max_length=64, description="next_after of the last page")] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 100,
    ) -> TierPricePage:
        db = request.app.state.db
        if await db.read(tiers.get_tier, tier_id) is None:
            raise NotFoundError(f"there is no pricing tier {tier_id}")
        rows = await db.read(tiers.prices_page, tier_id, after=after, limit=limit)
        items = [TierPriceEntry(**r) for r in rows]
        return TierPricePage(items=items,
                             next_after=items[-1].product_id if len(items) == limit else None)

    @get("/{tier_id:str}/prices/{product_id:str}", opt=requires("catalogue.view"),
         summary="One product's prices in the tier")
    async def get_prices(self, request: Request, tier_id: TierId,
                         product_id: ProductId) -> TierProductPrices:
        db = request.app.state.db
        if await db.read(tiers.get_tier, tier_id) is None:
            raise NotFoundError(f"there is no pricing tier {tier_id}")
        prices = await db.read(tiers.product_prices, tier_id, product_id)
        if not prices:
            raise NotFoundError(f"the product {product_id} has no price of its own in this tier")
        return TierProductPrices(tier_id=tier_id, product_id=product_id, prices=prices)

    @put("/{tier_id:str}/prices/{product_id:str}", opt=requires("prices.manage"),
         summary="Set a product's prices in the tier: body {currency: minor units}, every currency "
                 "it has (others are removed); a tier price is never converted")
    async def set_prices(self, request: Request, identity: Caller, tier_id: TierId,
                         product_id: ProductId, data: JSONBody[PriceSet]) -> TierProductPrices:
        prices = await request.app.state.db.write(service.set_prices, identity.actor, tier_id,
                                                  product_id, dict(data))
        return TierProductPrices(tier_id=tier_id, product_id=product_id, prices=prices)

    @delete("/{tier_id:str}/prices/{product_id:str}", opt=requires("prices.manage"),
            summary="Remove a product's prices from the tier: it goes back to the rule")
    async def remove_prices(self, request: Request, identity: Caller, tier_id: TierId,
                            product_id: ProductId) -> None:
        await request.app.state.db.write(service.remove_prices, identity.actor, tier_id, product_id)
