"""POST /api/v1/pricing/quote: price a basket with the store's catalogue (the portal's "try a
basket" preview, and what quotations call)."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, post
from litestar.params import JSONBody

from hub.auth.access import requires
from hub.pricing import quote as quoting
from hub.pricing.schemas import Quote, QuoteRequest


class PricingController(Controller):
    path = "/api/v1/pricing"
    tags = ["pricing"]

    @post("/quote", status_code=200, opt=requires("catalogue.view"),
          summary="Price a basket: line prices, discounts with their promotions, tax per class, "
                  "totals; changes nothing. A line that cannot be priced is a 422 naming it")
    async def quote(self, request: Request, data: JSONBody[QuoteRequest]) -> Quote:
        result = await request.app.state.db.read(quoting.quote, msgspec.to_builtins(data))
        return msgspec.convert(result, Quote)
