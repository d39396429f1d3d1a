"""Signing in to the portal and out of it: the same login service, rate limit and audit as the API."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, Response, get, post
from litestar.params import QueryParameter

from hub.auth import service, signin
from hub.auth.access import authenticated, public
from hub.auth.identity import SESSION_COOKIE, resolve_identity
from hub.auth.passwords import MAX_PASSWORD_LENGTH
from hub.errors import AuthenticationError, HubError, RateLimitedError
from hub.portal import session, shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form

NextPage = Annotated[str | None, QueryParameter(name="next", max_length=2000, required=False)]


async def _signed_in(request: Request) -> bool:
    try:
        return await resolve_identity(request) is not None
    except AuthenticationError:
        return False


class LoginController(PortalController):
    path = "/"

    @get("/login", opt=public())
    async def login_page(self, request: Request, next_page: NextPage = None) -> Response:
        target = session.safe_next(next_page)
        if await _signed_in(request):
            return shell.redirect(request, target)
        return await shell.bare(request, "portal/login.html", title="Sign in", next=target,
                                username="", error=None)

    @post("/login", opt=public(), status_code=303)
    async def login(self, request: Request) -> Response:
        form = Form(await request.form())
        target = session.safe_next(form.get("next"))
        username = form.get("username").strip()
        password = form.get("password")
        error, status = None, 401
        if not username or not password or len(username) > 64 or len(password) > MAX_PASSWORD_LENGTH:
            error, status = "Enter your username and password.", 422
        else:
            try:
                found = await signin.sign_in(request, username, "password", password)
            except RateLimitedError as err:
                wait = err.extra.get("retry_after_s", 60)
                error, status = f"Too many failed attempts. Try again in {wait} seconds.", 429
            except HubError as err:
                text = service.INVALID_CREDENTIALS if err.code == "invalid_credentials" else err.detail
                error = text[0].upper() + text[1:] + "."
            else:
                cookies = [session.session_cookie(request, found["access_token"]),
                           session.new_csrf_cookie(request)]
                return shell.redirect(request, target, cookies=cookies)
        return await shell.bare(request, "portal/login.html", title="Sign in", status=status,
                                next=target, username=username[:64], error=error)

    @post("/logout", opt=authenticated(), status_code=303)
    async def logout(self, request: Request) -> Response:
        identity = request.state.identity
        await request.app.state.db.write(service.logout, identity.actor, identity.token_id)
        cookies = [session.expired(request, SESSION_COOKIE), session.new_csrf_cookie(request)]
        return shell.redirect(request, "/login", "You are signed out.", cookies=cookies)
