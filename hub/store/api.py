"""GET/PATCH /api/v1/settings/store: the store's profile; GET .../logo.png its receipt logo."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, Response, get, patch
from litestar.params import JSONBody

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.errors import NotFoundError
from hub.store import service
from hub.store.schemas import StoreProfile, StoreProfileUpdate



class StoreSettingsController(Controller):
    path = "/api/v1/settings/store"
    tags = ["settings"]

    @get(opt=requires("settings.view"), summary="The store's profile")
    async def get_profile(self, request: Request) -> StoreProfile:
        return msgspec.convert(await request.app.state.db.read(service.get_profile), StoreProfile)

    @patch(opt=requires("settings.manage"), summary="Change the store's profile (only the fields given)")
    async def update_profile(self, request: Request, identity: Caller,
                             data: JSONBody[StoreProfileUpdate]) -> StoreProfile:
        changes = msgspec.structs.asdict(data)
        changes = {k: v for k, v in changes.items() if v is not None}
        if "address" in changes:
            changes["address"] = msgspec.structs.asdict(data.address)
        profile = await request.app.state.db.write(service.update_profile, identity.actor, changes)
        return msgspec.convert(profile, StoreProfile)

    @get("/logo.png", opt=requires("settings.view"), summary="The store's receipt logo (PNG)",
         media_type="image/png")
    async def logo(self, request: Request) -> Response[bytes]:
        data = await request.app.state.db.read(service.get_logo)
        if data is None:
            raise NotFoundError("the store has no logo")
        return Response(data, media_type="image/png")
