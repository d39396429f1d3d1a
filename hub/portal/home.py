"""The Home page: the dashboard (hub.reports.dashboard: today's and the month's sales per currency,
the last seven days as a chart, low stock, open shifts, tills behind, exceptions, the fiscal queue
and the day's status, each panel for those allowed to read it) above a link to every page the
user may open."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from hub.auth.access import authenticated
from hub.portal import registry, shell
from hub.portal.controller import PortalController
from hub.portal.registry import Page

PAGES = (
    Page("home", "Home", "/", "Home", keywords="start dashboard overview today sales low stock open shifts"),
)


def _helpers(decimals: dict[str, int]) -> dict[str, Any]:
    from hub.inventory import _format

    def money(minor: int | None, code: str) -> str:
        return _format.money(minor, decimals.get(code, 2), code)

    def short(minor: int, code: str) -> str:
        """A bar's label: whole units, thousands as k (USD 1,234.56 -> 1.2k)."""
        units = minor / 10 ** decimals.get(code, 2)
        if abs(units) >= 10_000:
            return f"{units / 1000:,.0f}k"
        if abs(units) >= 1000:
            return f"{units / 1000:,.1f}k"
        return f"{units:,.0f}"

    return {"money": money, "short": short, "quantity": _format.quantity}


def _charts(found: dict[str, Any], short: Any) -> list[dict[str, Any]]:
    import datetime as dt

    from hub.reports.charts import bars

    out = []
    for currency, values in sorted(found.get("chart", {}).items()):
        points = [(day, dt.date.fromisoformat(day).strftime("%a %d"), values[day]) for day in found["days"]]
        out.append({"currency": currency, "svg": bars(
            f"Net sales per day in {currency}, last 7 days", points, lambda v, c=currency: short(v, c),
            css="chart chart-week")})
    return out


class HomeController(PortalController):
    path = "/"

    @get(opt=authenticated())
    async def home(self, request: Request) -> Template:
        from hub.reports import dashboard

        identity = request.state.identity
        groups = [(group, [p for p in pages if p.key != "home"])
                  for group, pages in registry.sidebar_for(identity)]
        found = await request.app.state.db.read(dashboard.read, identity.permissions)
        helpers = _helpers(found["decimals"])
        return await shell.page(request, "portal/home.html", key="home", dash=found,
                                charts=_charts(found, helpers["short"]), can=identity.can,
                                groups=[(g, pages) for g, pages in groups if pages], **helpers)


ROUTES = [HomeController]
