"""A page inside the shell (top bar, sidebar, Jump to, profile menu); a redirect after a form."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any, Iterable

from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from hub.db.settings import get_setting
from hub.portal import registry, session
from hub.portal.support import SUPPORT_CONTACT
from hub.portal.templating import store_zone, zone_label

log = logging.getLogger(__name__)

Crumb = tuple[str, str | None]  # (label, link or None)


def store_basics(conn: sqlite3.Connection) -> dict[str, Any]:
    """What every page shows of the store: its name and time zone."""
    return {"name": get_setting(conn, "store.name", "Soko store"),
            "timezone": get_setting(conn, "store.timezone", "UTC")}


async def store_of(request: Request) -> dict[str, Any]:
    store = await request.app.state.db.read(store_basics)
    store["zone"] = store_zone(store["timezone"])
    request.app.state.portal_zone = store["zone"]  # error pages cannot read the database
    return store


def jump_entries(pages: Iterable[registry.Page]) -> list[dict[str, str]]:
    return [{"title": p.title, "path": p.path, "group": p.group, "keywords": p.keywords} for p in pages]


def trail(key: str, crumbs: Iterable[Crumb]) -> list[Crumb]:
    """Home / group / page / ...crumbs; the last entry is the current page (no link)."""
    current = registry.page(key)
    base: list[Crumb] = [("Home", "/")]
    if current.path != "/":
        base += [(current.group, None)] if current.group != "Home" else []
        base += [(current.title, current.path)]
    items = base + list(crumbs)
    return items[:-1] + [(items[-1][0], None)]


async def banners_of(request: Request, identity: Any) -> list[dict[str, str]]:
    """The warnings the features have for this user now (registry.Banner); a failing one is skipped."""
    shown = []
    for banner in registry.banners_for(identity):
        try:
            text = await request.app.state.db.read(banner.read)
        except Exception:  # a banner must never take the page down with it
            log.exception("the %s banner could not be read", banner.key)
            continue
        if text:
            shown.append({"key": banner.key, "text": text, "link": banner.link, "link_text": banner.link_text})
    return shown


def shell_cookies(request: Request, had_flash: bool) -> list[Cookie]:
    cookies = [c for c in (session.csrf_cookie(request),) if c is not None]
    if had_flash:
        cookies.append(session.expired(request, session.FLASH_COOKIE))
    return cookies


async def page(request: Request, template: str, *, key: str, title: str | None = None,
               crumbs: Iterable[Crumb] = (), status: int = 200, **context: Any) -> Template:
    """`template` inside the shell, for the signed-in user; `key` is the registry page it belongs to."""
    identity = request.state.identity
    store = await store_of(request)
    flash = session.read_flash(request)
    csrf = session.csrf_token(request)  # before the cookies: it may make a new token
    allowed = registry.pages_for(identity)
    current = registry.page(key)
    cookies = shell_cookies(request, flash is not None)
    banners = await banners_of(request, identity)
    return Template(template_name=template, status_code=status, cookies=cookies,
                    context={
                        "identity": identity, "store": store, "zone": store["zone"],
                        "zone_label": zone_label(store["zone"]),
                        "sidebar": registry.sidebar_for(identity), "jump": jump_entries(allowed),
                        "current": current, "title": title or current.title,
                        "crumbs": trail(key, crumbs), "flash": flash, "banners": banners,
                        "csrf": csrf, "support": SUPPORT_CONTACT, **context,
                    })


async def bare(request: Request, template: str, *, title: str, status: int = 200,
               cookies: Iterable[Cookie] = (), **context: Any) -> Template:
    """`template` on the plain layout (sign-in), which needs no signed-in user."""
    store = await store_of(request)
    flash = session.read_flash(request)
    csrf = session.csrf_token(request)  # before the cookies: it may make a new token
    return Template(template_name=template, status_code=status,
                    cookies=[*shell_cookies(request, flash is not None), *cookies],
                    context={"store": store, "title": title, "flash": flash,
                             "csrf": csrf, "support": SUPPORT_CONTACT, **context})


def redirect(request: Request, path: str, notice: str | None = None, kind: str = "ok",
             cookies: Iterable[Cookie] = ()) -> Redirect:
    """303 to `path` (Post/Redirect/Get), with a one-shot notice for the page it lands on."""
    jar = [*cookies]
    if notice:
        jar.append(session.flash_cookie(request, notice, kind))
    return Redirect(path, status_code=303, cookies=jar)

