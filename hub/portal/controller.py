"""The base of every portal controller: CSRF on unsafe methods, security headers, no OpenAPI entry."""

from __future__ import annotations

from litestar import Controller
from litestar.datastructures import ResponseHeader

from hub.portal.session import csrf_guard

# Everything a page uses comes from the hub itself: no CDN, no inline script, no framing.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self'; style-src 'self'; "
                               "script-src 'self'; object-src 'none'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class PortalController(Controller):
    """Registered straight on the app (no wrapping router: each nesting level copies every handler)."""

    guards = [csrf_guard]
    response_headers = [ResponseHeader(name=k, value=v) for k, v in SECURITY_HEADERS.items()]
    include_in_schema = False
