"""The About page: what support asks for (version, hub and store ids, key pin, epoch) and whom to call."""

from __future__ import annotations

import platform

from litestar import Request, get
from litestar.response import Template

import hub
from hub.auth.access import authenticated
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.registry import Page

PAGES = (
    Page("about", "About", "/about", "Help", keywords="help support version hub id key pin contact",
         summary="Version, hub identity and how to reach support"),
)


def _uptime(seconds: float) -> str:
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h {minutes} min" if days else f"{hours} h {minutes} min"


class AboutController(PortalController):
    path = "/about"

    @get(opt=authenticated())
    async def about(self, request: Request) -> Template:
        state = request.app.state
        ident = getattr(state, "identity", None) or {}
        uptime = getattr(state, "uptime", None)
        # (label, value, shown as code: ids that support reads back character by character)
        facts = [
            ("Version", f"Soko Hub {hub.__version__}", False),
            ("Hub id", ident.get("hub_id") or "unknown", True),
            ("Store id", ident.get("store_id") or "unknown", True),
            ("Key pin (SPKI SHA-256)", getattr(state, "tls_pin", None) or "no key yet", True),
            ("HTTPS", "on" if getattr(state, "tls_enabled", False)
             else "off: plain-HTTP development mode", False),
            ("Database epoch", ident.get("epoch") or "unknown", True),
            ("Demo store", "yes" if ident.get("demo") == "1" else "no", False),
            ("Running for", _uptime(uptime.seconds()) if uptime else "unknown", False),
            ("Python", platform.python_version(), False),
        ]
        return await shell.page(request, "portal/about.html", key="about", facts=facts)


ROUTES = [AboutController]
