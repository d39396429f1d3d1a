"""Errors on portal pages as HTML: a page with the code, request id and time (what support asks for).

`portal_aware(handlers)` wraps the API's exception handlers (hub.errors): API paths keep their
RFC 9457 problem documents; every other path gets an HTML page, and an anonymous or expired
session is sent to sign in, keeping the page it wanted.
"""

from __future__ import annotations

import html
import logging
from typing import Any, Callable
from urllib.parse import quote, urlsplit

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from hub.auth.identity import SESSION_COOKIE, is_api_path
from hub.clock import UTC, utc_now
from hub.errors import AuthenticationError, HubError, PermissionDeniedError
from hub.http import current_request_id
from hub.portal import session
from hub.portal.support import SUPPORT_CONTACT
from hub.portal.templating import local_time, zone_label

log = logging.getLogger(__name__)

# status -> (code, headline) for errors that are not the hub's own
_HTTP = {
    400: ("bad_request", "The request could not be read"),
    403: ("forbidden", "You do not have access to this page"),
    404: ("not_found", "This page does not exist"),
    405: ("method_not_allowed", "This page cannot be used that way"),
    413: ("payload_too_large", "What you sent is too large"),
    415: ("unsupported_media_type", "The form could not be read"),
    429: ("rate_limited", "Too many attempts"),
    500: ("internal_error", "Something went wrong on the hub"),
}


def _wanted_page(request: Request) -> str:
    """Where to return after signing in: this page, or for a form the page it was sent from."""
    if request.method in session.SAFE_METHODS:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:
        referer = urlsplit(request.headers.get("referer", ""))
        same_host = referer.netloc == request.headers.get("host", "")
        target = referer.path + (f"?{referer.query}" if referer.query else "") if same_host else "/"
    return session.safe_next(target)


def _context(request: Request, status: int, code: str, title: str, detail: str) -> dict[str, Any]:
    zone = getattr(request.app.state, "portal_zone", UTC)
    now = utc_now()
    return {"status": status, "code": code, "title": title, "detail": detail,
            "request_id": current_request_id() or "-",
            "time_local": f"{local_time(now, zone, '%d %b %Y %H:%M:%S')} {zone_label(zone, now)}",
            "time_utc": local_time(now, UTC, "%Y-%m-%d %H:%M:%S UTC"),
            "signed_in": bool(request.cookies.get(SESSION_COOKIE)),
            "support": SUPPORT_CONTACT, "csrf": session.csrf_token(request)}


def render_error(request: Request, status: int, code: str, title: str, detail: str,
                 headers: dict[str, str] | None = None, cookies: list[Any] | None = None) -> Response:
    """The error page; a plain fallback if even the template cannot render."""
    context = _context(request, status, code, title, detail)
    try:
        body = request.app.template_engine.get_template("portal/error.html").render(**context)
    except Exception:  # the page that reports errors must not fail itself
        log.exception("rendering the error page failed")
        body = (f"<!doctype html><title>{status}</title><h1>{status} {html.escape(title)}</h1>"
                f"<p>Request id {html.escape(context['request_id'])}, {context['time_utc']}</p>")
    jar = [c for c in (session.csrf_cookie(request), *(cookies or ())) if c is not None]
    return Response(body, status_code=status, media_type="text/html; charset=utf-8",
                    headers=headers, cookies=jar)


def sign_in_redirect(request: Request, exc: AuthenticationError) -> Response:
    """303 to the sign-in page with `next`; a dead session cookie is dropped and explained."""
    location = "/login?next=" + quote(_wanted_page(request), safe="/")
    cookies = []
    if request.cookies.get(SESSION_COOKIE):
        cookies = [session.expired(request, SESSION_COOKIE),
                   session.flash_cookie(request, "Your session has ended. Sign in again to continue.",
                                        "error")]
    return render_error(request, 303, "sign_in_required", "Sign in to continue",
                        "This page needs you to sign in.", headers={"Location": location},
                        cookies=cookies)


def html_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, AuthenticationError):
        return sign_in_redirect(request, exc)
    if isinstance(exc, session.CsrfError):
        return render_error(request, 403, exc.code, exc.title, exc.detail)
    if isinstance(exc, PermissionDeniedError) and exc.code == "forbidden":
        return render_error(request, 403, exc.code, _HTTP[403][1],
                            f"{exc.detail[0].upper()}{exc.detail[1:]}. Ask a manager if you need it.")
    if isinstance(exc, HubError):
        title = _HTTP.get(exc.status, (exc.code, exc.title))[1] if exc.status == 404 else exc.title
        return render_error(request, exc.status, exc.code, title, exc.detail)
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        status = 400 if isinstance(exc, ValidationException) else exc.status_code
        code, title = _HTTP.get(status, ("http_error", "The request could not be served"))
        detail = {404: "Check the address, or use Jump to or the menu to find the page."}.get(
            status, exc.detail or title)
        return render_error(request, status, code, title, detail)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return render_error(request, 500, *_HTTP[500],
                        "The hub hit an unexpected error. Try again; if it happens again, call "
                        "support with the request id below.")


Handler = Callable[[Request, Any], Response]


def portal_aware(api_handlers: dict[Any, Handler]) -> dict[Any, Handler]:
    """The same exception types, answered as problem JSON on API paths and as HTML pages elsewhere."""

    def wrap(api_handler: Handler) -> Handler:
        def handler(request: Request, exc: Exception) -> Response:
            if is_api_path(request.url.path):
                return api_handler(request, exc)
            return html_error(request, exc)
        return handler

    return {exc_type: wrap(h) for exc_type, h in api_handlers.items()}
