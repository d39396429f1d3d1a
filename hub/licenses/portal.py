"""The Licenses page: seats, expiry and features, the trial, installing a file, a till's license.

Installing and linking go through hub.licenses.service in one `db.write` each, as the API's do:
the same verification, seat rules and one audit entry. `BANNERS` puts the service's expiry
warning above every portal page for users who may see licenses.
"""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.clock import utc_now
from hub.db import devices
from hub.errors import HubError, InvalidInputError
from hub.licenses import service
from hub.licenses.keys import trusted_keys
from hub.licenses.verify import MAX_FILE_CHARS
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Banner, Page

PAGES = (
    Page("licenses", "Licenses", "/licenses", "Store", "licenses.view",
         keywords="license seats trial expiry renew install features tills",
         summary="Seats, expiry and features; install a license file"),
)
DeviceId = Annotated[str, Parameter(max_length=64)]
MAX_TILLS = 500

# Refusal code -> (headline, what to do): every way an install can fail, in a manager's words.
REFUSALS = {
    "license_missing": ("No license file was given.",
                        "Paste the file's text into the box, or choose the file."),
    "license_too_large": ("This is too long to be a license file.",
                          f"A license file is at most {MAX_FILE_CHARS} characters. "
                          "Check you chose the right file."),
    "license_not_text": ("This file is not a text file.",
                         "A license file is a small text file (JSON). Check you chose the right file."),
    "license_malformed": ("This is not a license file.",
                          "Paste the whole file exactly as you received it, from the first { to the last }, "
                          "or upload the file itself."),
    "license_key_unknown": ("This license was signed with a key this hub does not know.",
                            "It may be for another product, or this hub may need an update. Call support."),
    "license_signature_invalid": ("The license file was changed or is not genuine.",
                                  "Upload the file exactly as received (the e-mail attachment, not a retyped "
                                  "copy). If it still fails, call support."),
    "license_wrong_store": ("This license is for another store.",
                            "Ask your supplier for the license of this store."),
    "license_duplicate": ("This license is already installed.", "Nothing needs to be done."),
}


def expiry_banner(conn: sqlite3.Connection) -> str | None:
    """The service's warning (expired, or expiring within its warning period), else None."""
    return service.overview(conn)["banner"]


BANNERS = (
    Banner("licenses", "licenses.view", expiry_banner, link="/licenses", link_text="Open Licenses"),
)


def refusal(err: HubError) -> dict[str, str]:
    """An install error as headline, the service's detail, advice and the code support asks for."""
    headline, advice = REFUSALS.get(err.code, (err.title + ".", ""))
    detail = err.detail[0].upper() + err.detail[1:] + ("" if err.detail.endswith(".") else ".")
    return {"headline": headline, "detail": detail, "advice": advice, "code": err.code}


async def license_text(form: Form) -> str:
    """The uploaded file's text, else the pasted text; InvalidInputError with a REFUSALS code."""
    upload = form.data.get("file") if hasattr(form.data, "get") else None
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_FILE_CHARS * 4 + 1)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise InvalidInputError(f"{upload.filename} is not text", code="license_not_text") from err
    else:
        text = form.get("text")
    if not text.strip():
        raise InvalidInputError("the form held neither text nor a file", code="license_missing")
    if len(text) > MAX_FILE_CHARS:
        raise InvalidInputError(f"the text has {len(text)} characters", code="license_too_large")
    return text


class LicensePortal(PortalController):
    path = "/licenses"

    async def _page(self, request: Request, *, status: int = 200, install_error: dict[str, str] | None = None,
                    text: str = "", link_error: str | None = None) -> Template:
        db = request.app.state.db
        overview = await db.read(service.overview)
        tills = await db.read(devices.list_devices, limit=MAX_TILLS)
        return await shell.page(request, "licenses/list.html", key="licenses", status=status,
                                licenses=overview["licenses"], summary=overview["summary"],
                                tills=tills, trial_devices=service.TRIAL_DEVICES, now=utc_now(),
                                install_error=install_error, text=text, link_error=link_error,
                                max_chars=MAX_FILE_CHARS)

    @get(opt=requires("licenses.view"))
    async def licenses(self, request: Request) -> Template:
        return await self._page(request)

    @post(opt=requires("licenses.manage"), status_code=303)
    async def install(self, request: Request) -> Response:
        form = Form(await request.form())
        try:
            text = await license_text(form)
            row: dict[str, Any] = await request.app.state.db.write(
                service.install, request.state.identity.actor, text, trusted_keys(request.app.state))
        except HubError as err:
            kept = form.get("text")[:MAX_FILE_CHARS]
            return await self._page(request, status=err.status, install_error=refusal(err), text=kept)
        seats = f"{row['seats']} seat{'' if row['seats'] == 1 else 's'}"
        return shell.redirect(request, "/licenses",
                              f"License {row['id']} for {row['customer']} installed: {seats}, "
                              f"{row['used_seats']} in use.")

    @post("/tills/{device_id:str}", opt=requires("licenses.manage"), status_code=303)
    async def link(self, request: Request, device_id: DeviceId) -> Response:
        form = Form(await request.form())
        try:
            license_id = form.text("license_id", "License", max_length=64, required=False) or None
            row = await request.app.state.db.write(service.link, request.state.identity.actor, device_id,
                                                   license_id)
        except HubError as err:
            detail = err.detail[0].upper() + err.detail[1:] + ("" if err.detail.endswith(".") else ".")
            return await self._page(request, status=err.status, link_error=detail)
        notice = (f"{row['name']} now holds a seat of {license_id}." if license_id
                  else f"{row['name']} no longer holds a license seat.")
        return shell.redirect(request, "/licenses", notice)


ROUTES = [LicensePortal]
