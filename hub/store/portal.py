"""The store settings page: the store's profile (what receipts and invoices print) and its logo.

The form is checked by the API's own struct (hub.store.schemas) and saved by hub.store.service,
so the portal and the API accept exactly the same values and each save is one audit entry.
"""

from __future__ import annotations

import base64
import functools
import re
import zoneinfo
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.response import Template

from hub.auth.access import requires
from hub.errors import HubError, InvalidInputError, NotFoundError
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Page
from hub.store import service
from hub.store.schemas import StoreProfileUpdate

PAGES = (
    Page("settings", "Settings", "/settings", "Store", "settings.view",
         keywords="store profile name address tin vat receipt logo time zone",
         summary="The store's name, tax numbers, address, receipt text and logo"),
)
TEXT_FIELDS = ("name", "legal_name", "code", "timezone", "phone", "email", "tin", "vat_number",
               "receipt_header", "receipt_footer")
ADDRESS_FIELDS = ("house_no", "street", "city", "province")
# Field names msgspec reports -> the labels on the form.
LABELS = {"name": "Store name", "legal_name": "Legal name", "code": "Store code", "timezone": "Time zone",
          "phone": "Phone", "email": "E-mail", "tin": "TIN", "vat_number": "VAT number",
          "receipt_header": "Receipt header", "receipt_footer": "Receipt footer",
          "address.house_no": "House or shop number", "address.street": "Street", "address.city": "City",
          "address.province": "Province"}


@functools.cache
def time_zones() -> list[str]:
    return sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith("Etc/"))


def _invalid(err: msgspec.ValidationError) -> InvalidInputError:
    """A msgspec message (`... - at `$.tin``) as a sentence naming the form's label."""
    text = str(err)
    path = text.rsplit("$.", 1)[-1].rstrip("`") if "$." in text else ""
    field = path.split(".")[0]
    reason = text.split(" - at ")[0]
    label = LABELS.get(path, LABELS.get(field, "A field"))
    longest = re.search(r"length <= (\d+)", reason)
    if "length >= 1" in reason:
        reason = "is required"
    elif longest:
        reason = f"is at most {longest[1]} characters"
    elif "regex" in reason:
        reason = {"tin": "must be 10 digits", "vat_number": "must be 9 digits",
                  "code": "is 2 to 8 capital letters or digits", "email": "is not an e-mail address"}.get(
            field, "has the wrong format")
    return InvalidInputError(f"{label} {reason[0].lower()}{reason[1:]}", code="invalid_input")


async def changes_from(form: Form) -> dict[str, Any]:
    """The profile fields of the form, checked by the API's StoreProfileUpdate struct."""
    raw: dict[str, Any] = {k: form.get(k).strip() for k in TEXT_FIELDS}
    raw["code"] = raw["code"].upper()
    raw["address"] = {k: form.get(f"address_{k}").strip() for k in ADDRESS_FIELDS}
    logo = form.data.get("logo") if hasattr(form.data, "get") else None
    if isinstance(logo, UploadFile) and logo.filename:
        raw["logo_png"] = base64.b64encode(await logo.read()).decode()
    elif form.checked("remove_logo"):
        raw["logo_png"] = ""
    try:
        update = msgspec.convert(raw, StoreProfileUpdate)
    except msgspec.ValidationError as err:
        raise _invalid(err) from err
    changes = {k: v for k, v in msgspec.structs.asdict(update).items() if v is not None}
    changes["address"] = msgspec.structs.asdict(update.address) if update.address else raw["address"]
    return changes


class StoreSettingsPortal(PortalController):
    path = "/settings"

    async def _page(self, request: Request, values: dict[str, Any] | None = None,
                    error: str | None = None, status: int = 200) -> Template:
        profile = await request.app.state.db.read(service.get_profile)
        return await shell.page(request, "store/settings.html", key="settings", profile=profile,
                                values=values or profile, error=error, status=status,
                                editable=request.state.identity.can("settings.manage"),
                                zones=time_zones(), max_logo_kib=service.MAX_LOGO_BYTES // 1024,
                                max_logo_width=service.MAX_LOGO_WIDTH)

    @get(opt=requires("settings.view"))
    async def settings(self, request: Request) -> Template:
        return await self._page(request)

    @post(opt=requires("settings.manage"), status_code=303)
    async def save(self, request: Request) -> Response:
        identity, form = request.state.identity, Form(await request.form())
        try:
            changes = await changes_from(form)
            await request.app.state.db.write(service.update_profile, identity.actor, changes)
        except HubError as err:
            values = {**{k: form.get(k) for k in TEXT_FIELDS},
                      "address": {k: form.get(f"address_{k}") for k in ADDRESS_FIELDS}}
            return await self._page(request, values, err.detail[0].upper() + err.detail[1:] + ".", err.status)
        return shell.redirect(request, "/settings", "Store settings saved.")

    @get("/logo.png", opt=requires("settings.view"), media_type="image/png")
    async def logo(self, request: Request) -> Response[bytes]:
        data = await request.app.state.db.read(service.get_logo)
        if data is None:
            raise NotFoundError("the store has no logo")
        return Response(data, media_type="image/png", headers={"Cache-Control": "no-store"})


ROUTES = [StoreSettingsPortal]
