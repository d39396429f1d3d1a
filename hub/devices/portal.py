"""Portal pages for tills: the list, one till (rename), revoking it, and pairing a new one (code and QR).

Every change goes through hub.devices.service in one `db.write`, exactly as the API's does, so
the same rules hold and each change writes one audit entry. Pairing codes: hub.devices._pairing_portal.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.clock import utc_now
from hub.db import devices, users
from hub.devices import service
from hub.devices._pairing_portal import PairingPortal
from hub.errors import HubError, NotFoundError
from hub.licenses import service as licensing
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Page

PAGES = (
    Page("devices", "Devices", "/devices", "Store", "devices.view",
         keywords="tills devices pairing revoke last seen uploads",
         summary="Paired tills: when they were last seen, what they still hold; pair or revoke one"),
    Page("devices.pair", "Pair a till", "/devices/pair", "Store", "devices.manage", sidebar=False,
         keywords="pairing code qr new till add device"),
)
DeviceId = Annotated[str, Parameter(max_length=64)]
MAX_LISTED = 500  # a store has a handful of tills; revoked ones pile up slowly
STATUSES = (("active", "Active"), ("revoked", "Revoked"), ("all", "All, revoked too"))


def _sentence(err: HubError) -> str:
    return err.detail[0].upper() + err.detail[1:] + ("" if err.detail.endswith(".") else ".")


def license_label(device: dict[str, Any], by_id: dict[str, dict[str, Any]], trial: bool) -> dict[str, Any]:
    """What covers a till: its license (customer and id), the trial (no active license), or nothing."""
    if device["license_id"] is None:
        return {"name": "Trial" if trial else "No license seat", "id": None}
    lic = by_id.get(device["license_id"], {"customer": device["license_id"], "status": "active"})
    expired = " (expired)" if lic["status"] == "expired" else ""
    return {"name": lic["customer"] + expired, "id": device["license_id"]}


def matches(device: dict[str, Any], status: str) -> bool:
    return status == "all" or (device["revoked_at"] is None) == (status == "active")


class DevicePortal(PortalController):
    path = "/devices"

    async def _licensed(self, request: Request, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """`rows` with a `license` label each."""
        overview = await request.app.state.db.read(licensing.overview)
        by_id = {lic["id"]: lic for lic in overview["licenses"]}
        trial = overview["summary"]["trial_seats"] > 0
        return [{**d, "license": license_label(d, by_id, trial)} for d in rows]

    @get(opt=requires("devices.view"))
    async def list_devices(self, request: Request,
                           status: Annotated[str, Parameter(pattern="^(active|revoked|all)$")] = "active",
                           ) -> Template:
        rows = await request.app.state.db.read(devices.list_devices, include_revoked=True, limit=MAX_LISTED)
        listed = await self._licensed(request, [d for d in rows if matches(d, status)])
        revoked = sum(d["revoked_at"] is not None for d in rows)
        return await shell.page(request, "devices/list.html", key="devices", devices=listed,
                                show=status, statuses=STATUSES, revoked=revoked, now=utc_now(),
                                total=len(rows))

    async def _device(self, request: Request, device_id: str) -> dict[str, Any]:
        device = await request.app.state.db.read(devices.get_device, device_id)
        if device is None:
            raise NotFoundError(f"there is no device {device_id}")
        [device] = await self._licensed(request, [device])
        revoker = None
        if device["revoked_by"]:
            revoker = await request.app.state.db.read(users.get_user, device["revoked_by"])
        return {**device, "revoked_by_username": revoker["username"] if revoker else None}

    async def _device_page(self, request: Request, device_id: str, error: str | None = None,
                           status: int = 200) -> Template:
        device = await self._device(request, device_id)
        return await shell.page(request, "devices/device.html", key="devices", title=device["name"],
                                crumbs=[(device["name"], None)], device=device, error=error,
                                status=status, now=utc_now())

    @get("/{device_id:str}", opt=requires("devices.view"))
    async def device(self, request: Request, device_id: DeviceId) -> Template:
        return await self._device_page(request, device_id)

    @post("/{device_id:str}", opt=requires("devices.manage"), status_code=303)
    async def rename(self, request: Request, device_id: DeviceId) -> Response:
        form = Form(await request.form())
        try:
            name = form.text("name", "Name", max_length=80)
            row = await request.app.state.db.write(service.rename, request.state.identity.actor,
                                                   device_id, name)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._device_page(request, device_id, _sentence(err), err.status)
        return shell.redirect(request, f"/devices/{device_id}", f"The till is now called {row['name']}.")

    async def _revoke_page(self, request: Request, device_id: str, error: str | None = None,
                           status: int = 200) -> Template:
        device = await self._device(request, device_id)
        return await shell.page(request, "devices/revoke.html", key="devices",
                                title=f"Revoke {device['name']}",
                                crumbs=[(device["name"], f"/devices/{device_id}"), ("Revoke", None)],
                                device=device, error=error, status=status, now=utc_now())

    @get("/{device_id:str}/revoke", opt=requires("devices.manage"))
    async def confirm_revoke(self, request: Request, device_id: DeviceId) -> Template:
        return await self._revoke_page(request, device_id)

    @post("/{device_id:str}/revoke", opt=requires("devices.manage"), status_code=303)
    async def revoke(self, request: Request, device_id: DeviceId) -> Response:
        try:
            row = await request.app.state.db.write(service.revoke, request.state.identity.actor, device_id)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._revoke_page(request, device_id, _sentence(err), err.status)
        ended = row["revoked_tokens"]
        notice = f"{row['name']} is revoked: its next request is refused"
        notice += f" and {ended} sign-in{'' if ended == 1 else 's'} on it ended." if ended else "."
        return shell.redirect(request, f"/devices/{device_id}", notice)


ROUTES = [PairingPortal, DevicePortal]
