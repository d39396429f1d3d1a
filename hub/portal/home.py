"""The Home page: the store's name and a link to every page the user may open (a dashboard later)."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from hub.auth.access import authenticated
from hub.portal import registry, shell
from hub.portal.controller import PortalController
from hub.portal.registry import Page

PAGES = (
    Page("home", "Home", "/", "Home", keywords="start dashboard overview"),
)


class HomeController(PortalController):
    path = "/"

    @get(opt=authenticated())
    async def home(self, request: Request) -> Template:
        groups = [(group, [p for p in pages if p.key != "home"])
                  for group, pages in registry.sidebar_for(request.state.identity)]
        return await shell.page(request, "portal/home.html", key="home",
                                groups=[(g, pages) for g, pages in groups if pages])


ROUTES = [HomeController]
