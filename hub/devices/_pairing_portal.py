"""The "Pair a till" page: a manager makes a one-time code and shows it, with its QR code, to a till.

The hub keeps only a code's hash, so the page shows the code from a cookie that the form's
redirect sets: HttpOnly, SameSite=Strict, sent only to /devices/pair, gone when the code
expires, and naming the user who made it (another user signing in on that browser sees nothing).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.response import Template

from hub.auth.access import requires
from hub.clock import parse_ts, utc_now
from hub.db import devices
from hub.devices import service
from hub.devices.api import pairing_qr
from hub.licenses import service as licensing
from hub.portal import session, shell
from hub.portal.controller import PortalController

PAIRING_COOKIE = "soko_pairing"
PAGE_PATH = "/devices/pair"
MAX_COOKIE_CHARS = 1000
FIELDS = ("id", "code", "expires_at", "user")


def code_cookie(request: Request, row: dict[str, Any], user_id: str | None) -> Cookie:
    """The cookie that shows a new code (a row of service.create_pairing_code) on the pairing page."""
    payload = json.dumps({"id": row["id"], "code": row["code"], "expires_at": row["expires_at"],
                          "user": user_id})
    value = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return Cookie(key=PAIRING_COOKIE, value=value, max_age=service.PAIRING_CODE_TTL_S, path=PAGE_PATH,
                  httponly=True, samesite="strict", secure=session.secure(request))


def read_code_cookie(request: Request, user_id: str | None) -> dict[str, str] | None:
    """The code this user made last, from its cookie; None when there is none or it is not theirs."""
    raw = request.cookies.get(PAIRING_COOKIE, "")
    if not raw or len(raw) > MAX_COOKIE_CHARS:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in FIELDS):
        return None
    return data if data["user"] == user_id else None


def labelled(svg: str) -> str:
    """The QR code's SVG, named for screen readers (it is shown inline: no request for an image)."""
    named = '<svg role="img" aria-label="QR code of the pairing code" class="qr-code" '
    return svg.replace("<svg ", named, 1)


class PairingPortal(PortalController):
    path = PAGE_PATH

    async def _code(self, request: Request, shown: dict[str, str]) -> dict[str, Any] | None:
        """The cookie's code as it stands now: live (with its QR code), used (by which till) or expired."""
        db = request.app.state.db
        stored = service.normalise_code(shown["code"])
        found = await db.read(devices.find_code, stored) if stored else None
        if found is None or found["id"] != shown["id"]:
            return None
        if found["device_id"] is not None:
            return {**shown, "state": "used", "used_at": found["used_at"],
                    "device": await db.read(devices.get_device, found["device_id"])}
        left = int((parse_ts(found["expires_at"]) - utc_now()).total_seconds())
        if left <= 0:
            return {**shown, "state": "expired"}
        ident = getattr(request.app.state, "identity", None) or {}
        svg = await pairing_qr(request, {"code": shown["code"], "hub_id": ident.get("hub_id"),
                                         "store_id": ident.get("store_id")})
        return {**shown, "state": "live", "seconds_left": left, "qr": labelled(svg)}

    @get(opt=requires("devices.manage"))
    async def pairing(self, request: Request) -> Template:
        shown = read_code_cookie(request, request.state.identity.user_id)
        code = await self._code(request, shown) if shown else None
        seats = (await request.app.state.db.read(licensing.overview))["summary"]
        return await shell.page(request, "devices/pair.html", key="devices.pair", code=code, seats=seats,
                                trial_devices=licensing.TRIAL_DEVICES, now=utc_now(),
                                ttl_minutes=service.PAIRING_CODE_TTL_S // 60)

    @post(opt=requires("devices.manage"), status_code=303)
    async def create_code(self, request: Request) -> Response:
        identity = request.state.identity
        row = await request.app.state.db.write(service.create_pairing_code, identity.actor)
        return shell.redirect(request, PAGE_PATH, cookies=[code_cookie(request, row, identity.user_id)])
