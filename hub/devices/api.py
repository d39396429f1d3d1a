"""/api/v1/devices: pairing codes, pairing a till, listing, renaming and revoking devices, their license."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody, Parameter

from hub.auth.access import public, requires
from hub.auth.identity import Caller
from hub.auth.ratelimit import LoginRateLimiter
from hub.db import devices
from hub.devices import service
from hub.devices.qr import qr_svg
from hub.devices.schemas import (MAX_PAGE, Device, DeviceCreate, DeviceCreated, DeviceLicenseUpdate,
                                 DevicePage, DeviceRevoked, DeviceUpdate, PairingCode)
from hub.errors import HubError, NotFoundError, RateLimitedError
from hub.http import current_request_id
from hub.licenses import service as licensing

DeviceId = Annotated[str, Parameter(max_length=64)]
LIMITER_KEY = "pairing_limiter"


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


def pairing_limiter_for(state: Any) -> LoginRateLimiter:
    """Failed pairings per client address, sized like the login limit (a test may put its own first)."""
    limiter = getattr(state, LIMITER_KEY, None)
    if limiter is None:
        limiter = LoginRateLimiter(state.settings.login_attempts, state.settings.login_window_s)
        setattr(state, LIMITER_KEY, limiter)
    return limiter


def _addresses(request: Request) -> list[str]:
    """How this caller reached the hub (the Host they used), then the socket's own address."""
    server = request.scope.get("server")
    return [a for a in (request.url.hostname, server[0] if server else None) if a]


async def pairing_qr(request: Request, code: dict[str, Any]) -> str:
    """The SVG QR code of a new pairing code (a row of service.create_pairing_code) for this request."""
    scheme = request.url.scheme
    payload = service.pairing_payload(
        hub_id=code["hub_id"], store_id=code["store_id"], code=code["code"],
        key_pin=getattr(request.app.state, "tls_pin", None), scheme=scheme,
        addresses=_addresses(request), port=request.url.port or (443 if scheme == "https" else 80))
    return await asyncio.to_thread(qr_svg, payload)  # tens of ms of pure Python on a Pi


class DeviceController(Controller):
    path = "/api/v1/devices"
    tags = ["devices"]

    @post("/pairing-codes", opt=requires("devices.manage"),
          summary="Make a one-time pairing code (and its QR code) for a new till")
    async def create_pairing_code(self, request: Request, identity: Caller) -> PairingCode:
        """The code is single use and expires after 10 minutes.

        `qr_svg` encodes compact JSON with sorted keys: `{"type": "soko-hub-pairing", "version": 1,
        "hub_id", "store_id", "code" (XXXX-XXXX), "key_pin" (base64 SPKI SHA-256 of the hub's TLS
        key; null before the hub has one), "scheme" ("https" | "http"), "addresses" (the host this page was
        reached by, then the hub's own address on that connection), "port"}`. A till scanning it
        calls `POST {scheme}://{address}:{port}/api/v1/devices/pair`, pinning `key_pin`.
        """
        row = await request.app.state.db.write(service.create_pairing_code, identity.actor)
        svg = await pairing_qr(request, row)
        return PairingCode(id=row["id"], code=row["code"], expires_at=row["expires_at"], qr_svg=svg)

    @post("/pair", opt=public(), summary="A till pairs with a code; its device token is shown once")
    async def pair(self, request: Request, data: JSONBody[DeviceCreate]) -> DeviceCreated:
        """Rate-limited per client address. Refusals: 401 `pairing_code_invalid`, 410
        `pairing_code_used` / `pairing_code_expired`, 403 `license_seats_exhausted` / `license_expired`."""
        state, address = request.app.state, _address(request)
        limiter = pairing_limiter_for(state)
        wait = limiter.acquire(None, address)
        if wait is not None:
            raise RateLimitedError(f"too many failed pairing attempts; try again in {wait} s",
                                   headers={"Retry-After": str(wait)}, extra={"retry_after_s": wait})
        try:
            row = await state.db.write(
                service.pair, service.normalise_code(data.code), name=data.name,
                platform=data.platform, app_version=data.app_version, serial=data.serial,
                address=address, request_id=current_request_id())
        except HubError as err:
            if not err.code.startswith("pairing_code_"):  # the code was right: not a guess
                limiter.succeeded("", address)
            raise
        limiter.succeeded("", address)  # no username: only the address was counted
        return DeviceCreated(**row, key_pin=getattr(state, "tls_pin", None))

    @get(opt=requires("devices.view"), summary="Paired devices in pairing order, a page at a time")
    async def list_devices(
        self, request: Request,
        include_revoked: Annotated[bool, Parameter(description="Also list revoked devices")] = False,
        after: Annotated[str | None, Parameter(max_length=64,
                                               description="next_after of the last page")] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 100,
    ) -> DevicePage:
        rows = await request.app.state.db.read(devices.list_devices, include_revoked=include_revoked,
                                               after=after, limit=limit)
        items = [msgspec.convert(r, Device) for r in rows]
        return DevicePage(items=items, next_after=items[-1].id if len(items) == limit else None)

    @get("/{device_id:str}", opt=requires("devices.view"), summary="One device")
    async def get_device(self, request: Request, device_id: DeviceId) -> Device:
        row = await request.app.state.db.read(devices.get_device, device_id)
        if row is None:
            raise NotFoundError(f"there is no device {device_id}")
        return msgspec.convert(row, Device)

    @patch("/{device_id:str}", opt=requires("devices.manage"), summary="Rename a device")
    async def update_device(self, request: Request, identity: Caller, device_id: DeviceId,
                            data: JSONBody[DeviceUpdate]) -> Device:
        row = await request.app.state.db.write(service.rename, identity.actor, device_id, data.name)
        return msgspec.convert(row, Device)

    @post("/{device_id:str}/revoke", status_code=200, opt=requires("devices.manage"),
          summary="Revoke a device: its next request and its users' sign-ins on it are refused")
    async def revoke(self, request: Request, identity: Caller, device_id: DeviceId) -> DeviceRevoked:
        """`pending_uploads` is how many sales and other facts the till last said it still holds."""
        row = await request.app.state.db.write(service.revoke, identity.actor, device_id)
        return msgspec.convert(row, DeviceRevoked)

    @post("/{device_id:str}/license", status_code=200, opt=requires("licenses.manage"),
          summary="Give a device a seat of a license (or take it off with null)")
    async def link_license(self, request: Request, identity: Caller, device_id: DeviceId,
                           data: JSONBody[DeviceLicenseUpdate]) -> Device:
        row = await request.app.state.db.write(licensing.link, identity.actor, device_id, data.license_id)
        return msgspec.convert(row, Device)
