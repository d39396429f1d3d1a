"""Test helpers for the portal over real HTTP: a session cookie from a login, a valid CSRF pair.

A portal session cookie holds a hub access token, so a test can sign in through the API
(cheap) and present the token as the cookie, exactly as a browser that signed in would.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from hub.auth.identity import SESSION_COOKIE
from hub.portal.session import CSRF_COOKIE, CSRF_FIELD
from tests.hubtest import Hub

CSRF = "portal-test-csrf-0123456789abcdefABCDEF"  # any 32-64 URL-safe characters will do
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class Portal:
    """Calls portal pages as a browser would, without following redirects or keeping cookies."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.http = hub.client()

    def call(self, method: str, path: str, token: str | None = None, form: dict[str, Any] | None = None,
             *, csrf: str | None = CSRF, headers: dict[str, str] | None = None) -> httpx.Response:
        """`method path` with the session `token` (None: anonymous) and, for a form, the CSRF pair."""
        cookies = {}
        if token:
            cookies[SESSION_COOKIE] = token
        if csrf:
            cookies[CSRF_COOKIE] = csrf
        data = dict(form or {})
        if method in UNSAFE and csrf and CSRF_FIELD not in data:
            data[CSRF_FIELD] = csrf
        header = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
        try:
            return self.http.request(method, path, data=data or None, headers={**header, **(headers or {})},
                                     follow_redirects=False)
        finally:
            self.http.cookies.clear()  # every call states its cookies itself

    def token(self, username: str, password: str | None = None) -> str:
        return self.hub.login(username, password)["access_token"]


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """name -> the full Set-Cookie line, for checking flags."""
    return {line.split("=", 1)[0]: line for line in response.headers.get_list("set-cookie")}


def csrf_from(html: str) -> str:
    """The CSRF token a rendered form carries."""
    found = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found[1]
