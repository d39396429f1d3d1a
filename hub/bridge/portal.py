"""The HQ link page (group "Store", hq.manage): the link's state (enrolled store, last push, pull
and contact, backlog and its age, last error, HQ's cursor, whether another hub replaced this one)
and enrolment with a code or HQ's enrolment file; leaving HQ hands the HQ-owned fields back to the
store (docs/cloud-bridge.md, "Hub side").

Enrolment calls HQ (in a thread, never on the event loop), then records the enrolment in one
write with one audit entry (`hq.enrolled`); leaving is one write, `hq.left`. A refusal re-renders
the form with the typed values kept and the reason beside the field.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue._refdata_portal import Refusal, refusal
from hub.clock import utc_now
from hub.errors import ConflictError, FieldErrors, HubError
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Page

MANAGE = "hq.manage"
PAGES = (
    Page("hq", "HQ link", "/hq", "Store", MANAGE,
         keywords="hq head office cloud bridge enrol enrolment code chain sync push backlog outbox fence",
         summary="The link to HQ: enrolment, what is waiting to be sent, last push and pull, last error"),
)
STATES = {
    "not_enrolled": ("Not enrolled", ""),
    "current": ("Up to date", "ok"),
    "behind": ("Sending", "warn"),
    "unreachable": ("HQ unreachable", "warn"),
    "replaced": ("Replaced by another hub", "danger"),
}


def _view(conn: sqlite3.Connection) -> dict[str, Any]:
    from hub.bridge.state import bridge_status
    from hub.db import meta

    return {"link": bridge_status(conn), "demo": meta.is_demo(conn)}


async def _enrol_input(form: Form) -> dict[str, Any]:
    """The enrolment file's fields when one was uploaded, else the typed URL and code."""
    from hub.bridge import enrol as enrolment

    upload = form.data.get("file") if hasattr(form.data, "get") else None
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(enrolment.MAX_FILE_BYTES + 1)
        return {**enrolment.parse_file(data), "via": "file"}
    return {"hq_url": form.get("hq_url"), "code": form.get("code"), "store_code": None, "ca_pem": None,
            "via": "code"}


def _leave(conn: sqlite3.Connection, actor: Any, data_dir: Any) -> dict[str, Any]:
    from hub.bridge import state
    from hub.db import audit, meta

    before = state.values(conn)
    if "hq_url" not in before:
        raise ConflictError("this hub is not enrolled with HQ", code="not_enrolled")
    for key in (*state.ENROLMENT_KEYS, "replaced", "reachable", "last_error", "last_error_at"):
        state.put(conn, key, None)
    conn.execute("DELETE FROM meta WHERE key = 'hq_enrolled'")
    meta.put(conn, "hq_left_at", conn.stamp())
    audit.append(conn, actor, "hq.left", "hq", before.get("store_id"),
                 before={k: before.get(k) for k in ("hq_url", "store_id", "store_code", "fence")})
    return before


class HQPortal(PortalController):
    path = "/hq"

    async def _page(self, request: Request, *, refused: Refusal | None = None,
                    values: dict[str, str] | None = None) -> Template:
        data = await request.app.state.db.read(_view)
        refused = refused or Refusal()
        label, tone = STATES.get(data["link"]["state"], (data["link"]["state"], ""))
        return await shell.page(request, "bridge/hq.html", key="hq", status=refused.status, refused=refused,
                                values=values or {}, state_label=label, state_tone=tone, now=utc_now(), **data)

    @get(opt=requires(MANAGE))
    async def overview(self, request: Request) -> Template:
        return await self._page(request)

    @post("/enrol", opt=requires(MANAGE), status_code=303)
    async def enrol(self, request: Request) -> Response:
        from hub.bridge import enrol as enrolment

        form = Form(await request.form())
        values = {k: v for k, v in form.values().items() if k in ("hq_url", "code")}
        db = request.app.state.db
        identity = request.state.identity
        try:
            given = await _enrol_input(form)
            status = await asyncio.to_thread(
                enrolment.enrol, db.write_sync, db.write_sync, request.app.state.settings.data_dir,
                identity.actor, url=given["hq_url"], code=given["code"], store_code=given["store_code"],
                ca_pem=given["ca_pem"], via=given["via"])
        except HubError as err:
            found = refusal(err, "The hub was not enrolled")
            if isinstance(err, FieldErrors) and "file" in found.errors:
                found = Refusal(found.status, found.summary, {"file": found.errors["file"]})
            return await self._page(request, refused=found, values=values)
        bridge = getattr(request.app.state, "bridge", None)
        if bridge is not None:
            bridge.poke()
        store = status.get("store") or {}
        return shell.redirect(request, "/hq", f"Enrolled with HQ for {store.get('name') or store.get('code')}: "
                                              f"{status['backlog']} facts will be sent.")

    @post("/leave", opt=requires(MANAGE), status_code=303)
    async def leave(self, request: Request) -> Response:
        from hub.bridge import state

        identity = request.state.identity
        try:
            before = await request.app.state.db.write(_leave, identity.actor, request.app.state.settings.data_dir)
        except HubError as err:
            return await self._page(request, refused=refusal(err, "Nothing changed"))
        folder = state.credentials_dir(request.app.state.settings.data_dir)
        await asyncio.to_thread(_forget_token, folder)
        return shell.redirect(request, "/hq", f"This hub left HQ ({before.get('store_code')}); the store owns "
                                              "its whole catalogue again. Facts stay queued until it enrols again.")


def _forget_token(folder: Any) -> None:
    from hub.bridge.state import CREDENTIALS

    try:
        (folder / CREDENTIALS).unlink()
    except FileNotFoundError:
        pass


ROUTES = [HQPortal]
