"""/api/v1/licenses: install a signed license file and see seats, expiry and features."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import JSONBody

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.licenses import service
from hub.licenses.keys import trusted_keys
from hub.licenses.schemas import License, LicenseCreate, LicenseOverview



class LicenseController(Controller):
    path = "/api/v1/licenses"
    tags = ["licenses"]

    @get(opt=requires("licenses.view"), summary="Installed licenses, seats in use and a portal banner")
    async def list_licenses(self, request: Request) -> LicenseOverview:
        return msgspec.convert(await request.app.state.db.read(service.overview), LicenseOverview)

    @post(opt=requires("licenses.manage"), summary="Install a license file (verified offline)")
    async def install(self, request: Request, identity: Caller, data: JSONBody[LicenseCreate]) -> License:
        """Refusals (422): `license_malformed`, `license_key_unknown`, `license_signature_invalid`,
        `license_wrong_store`; an installed license again is 409 `license_duplicate`. Devices with no
        active license take the new license's seats."""
        row: dict[str, Any] = await request.app.state.db.write(
            service.install, identity.actor, data.text, trusted_keys(request.app.state))
        return msgspec.convert(row, License)
