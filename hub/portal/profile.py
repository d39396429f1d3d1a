"""The signed-in user's own profile: display name, password and PIN (the rules of hub.auth.service)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Template

from hub.auth import service, signin
from hub.auth.access import authenticated
from hub.auth.hashing import hash_secret
from hub.errors import HubError, InvalidInputError, RateLimitedError
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Page
from hub.users.service import check_secrets

PAGES = (
    Page("profile", "Profile", "/profile", "Home", sidebar=False,
         keywords="me my account name password pin change"),
)
SECRET_MAX = 256


def _message(err: HubError) -> str:
    if isinstance(err, RateLimitedError):
        return f"Too many wrong attempts. Try again in {err.extra.get('retry_after_s', 60)} seconds."
    return err.detail[0].upper() + err.detail[1:] + ("" if err.detail.endswith(".") else ".")


class ProfileController(PortalController):
    path = "/profile"

    async def _page(self, request: Request, errors: dict[str, str] | None = None,
                    status: int = 200) -> Template:
        me = await request.app.state.db.read(service.me, request.state.identity.user_id)
        return await shell.page(request, "portal/profile.html", key="profile", me=me,
                                errors=errors or {}, status=status)

    @get(opt=authenticated())
    async def profile(self, request: Request) -> Template:
        return await self._page(request)

    @post(opt=authenticated(), status_code=303)
    async def update_name(self, request: Request) -> Response:
        identity = request.state.identity
        try:
            name = Form(await request.form()).text("display_name", "Display name", max_length=80)
            await request.app.state.db.write(service.update_me, identity.actor, identity.user_id, name)
        except HubError as err:
            return await self._page(request, {"name": _message(err)}, err.status)
        return shell.redirect(request, "/profile", "Your display name is saved.")

    @post("/password", opt=authenticated(), status_code=303)
    async def change_password(self, request: Request) -> Response:
        identity, state = request.state.identity, request.app.state
        try:
            form = Form(await request.form())
            current = form.text("current_password", "Current password", max_length=SECRET_MAX, strip=False)
            new = self._confirmed(form, "new_password", "New password")
            check_secrets(new, None)
            await signin.check_own_secret(request, identity, current)
            new_hash = await hash_secret(state, new)
            await state.db.write(service.change_password, identity.actor, identity.user_id, new_hash,
                                 keep_token_id=identity.token_id)
        except HubError as err:
            return await self._page(request, {"password": _message(err)}, err.status)
        return shell.redirect(request, "/profile",
                              "Your password is changed. Your other sessions and API tokens were signed out.")

    @post("/pin", opt=authenticated(), status_code=303)
    async def change_pin(self, request: Request) -> Response:
        identity, state = request.state.identity, request.app.state
        try:
            form = Form(await request.form())
            new = self._confirmed(form, "new_pin", "New PIN")
            check_secrets(None, new)
            current_password = form.get("current_password")
            if current_password:
                await signin.check_own_secret(request, identity, current_password[:SECRET_MAX])
            else:
                current_pin = form.text("current_pin", "Your current password or PIN", max_length=8)
                await signin.check_own_secret(request, identity, current_pin, kind="pin")
            new_hash = await hash_secret(state, new)
            await state.db.write(service.change_pin, identity.actor, identity.user_id, new_hash)
        except HubError as err:
            return await self._page(request, {"pin": _message(err)}, err.status)
        return shell.redirect(request, "/profile", "Your PIN is changed.")

    @staticmethod
    def _confirmed(form: Form, name: str, label: str) -> Any:
        value = form.text(name, label, max_length=SECRET_MAX, strip=False)
        if form.get(name + "_again") != value:
            raise InvalidInputError(f"{label} and its repetition differ", code="mismatch")
        return value


ROUTES = [ProfileController]
