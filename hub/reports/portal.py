"""Portal pages of the reports (group "Reports", reports.view): the list of reports, and each report
over a period in the store's time zone with its charts (one per currency), its table, the totals
per currency and the combined figure labelled as converted at recorded rates; a CSV download of
the same figures; print CSS leaves only the report on paper. Read-only."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, get
from litestar.params import Parameter, QueryParameter
from litestar.response import Response, Template

from hub.auth.access import requires
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.registry import Page

VIEW = "reports.view"
# (name, title, keywords): kept here, not imported from the catalogue, so the sidebar costs no import.
_PAGES = (
    ("sales-by-day", "Sales by day", "daily takings net refunds corrections chart"),
    ("sales-by-hour", "Sales by hour", "busy hours peak time of day"),
    ("sales-by-product", "Sales by product", "best sellers items quantity"),
    ("sales-by-category", "Sales by category", "departments"),
    ("sales-by-cashier", "Sales by cashier", "staff operator performance"),
    ("sales-by-till", "Sales by till", "devices lanes"),
    ("sales-by-tender", "Sales by tender", "payment methods cash card ecocash mobile money"),
    ("sales-by-currency", "Sales by currency", "usd zwg zig exchange rate converted"),
    ("discounts", "Discounts and promotions", "markdowns promotions approvals"),
    ("voids-refunds", "Voids, refunds and corrections", "returns cancelled who why"),
    ("gross-margin", "Gross margin", "profit cost margin"),
    ("tax", "Tax per class", "vat zimra tax return"),
    ("stock-valuation", "Stock valuation", "inventory value cost"),
    ("movers", "Slow and fast movers", "best sellers dead stock slow moving"),
    ("loss-prevention", "Loss prevention per cashier", "deleted lines cancelled baskets overrides no sale drawer"),
    ("credit-aging", "Credit aging", "customer accounts debtors owed overdue"),
    ("shift-variance", "Shift variance", "cash short over drawer count"),
)
SIDEBAR = {"sales-by-day", "sales-by-product", "gross-margin", "shift-variance"}
PAGES = (
    Page("reports", "All reports", "/reports", "Reports", VIEW, keywords="reports analytics figures csv export",
         summary="Sales, margin, tax, stock and shift reports over any period, per currency"),
    *(Page(f"reports.{name}", title, f"/reports/{name}", "Reports", VIEW, sidebar=name in SIDEBAR,
           keywords="report " + words) for name, title, words in _PAGES),
)
Name = Annotated[str, Parameter(max_length=40)]
PeriodName = Annotated[str, Parameter(pattern=r"^(today|yesterday|week|month|custom)$")]
Day = Annotated[str, QueryParameter(name="from", max_length=10)]
DayTo = Annotated[str, QueryParameter(name="to", max_length=10)]


def _read(conn: Any, name: str, period: str, date_from: str, date_to: str) -> dict[str, Any]:
    from hub.errors import FieldErrors
    from hub.reports import catalog, periods, queries

    specs = queries.decimals(conn)
    try:
        chosen = periods.resolve(conn, period, date_from, date_to)
    except FieldErrors as refused:
        return {"errors": {e["field"]: e["message"] for e in refused.errors}, "decimals": specs}
    return {"found": catalog.run(conn, name, chosen), "period": chosen, "decimals": specs, "errors": {}}


def _known(name: str) -> Any:
    from hub.errors import NotFoundError
    from hub.reports.catalog import REPORTS

    if name not in REPORTS:
        raise NotFoundError(f"there is no report {name!r}")
    return REPORTS[name]


def _charts(report: Any, found: dict[str, Any], decimals: dict[str, int]) -> list[dict[str, Any]]:
    from hub.reports.catalog import cell, REPORTS  # noqa: F401
    from hub.reports.charts import bars

    if not report.chart or not found["rows"]:
        return []
    label, value = report.chart
    by_currency: dict[str, list[tuple[str, str, int]]] = {}
    for row in found["rows"]:
        if row.get(value) is None:
            continue
        by_currency.setdefault(row["currency"], []).append((str(row[label]), str(row[label])[-12:], row[value]))
    charts = []
    for currency, points in sorted(by_currency.items()):
        points = points[:31]
        places = decimals.get(currency, 2)

        def short(v: int, places: int = places) -> str:
            units = v / 10 ** places
            return f"{units / 1000:,.1f}k" if abs(units) >= 1000 else f"{units:,.0f}"

        charts.append({"currency": currency, "svg": bars(f"{report.title} in {currency}", points, short)})
    return charts


def _error_text(errors: dict[str, str]) -> dict[str, str]:
    return {k: v[0].upper() + v[1:] + "." if v else v for k, v in errors.items()}


class ReportsPortal(PortalController):
    path = "/reports"

    @get(opt=requires(VIEW))
    async def index(self, request: Request) -> Template:
        from hub.reports.catalog import REPORTS

        return await shell.page(request, "reports/index.html", key="reports", reports=list(REPORTS.values()))

    @get("/{name:str}", opt=requires(VIEW))
    async def report(self, request: Request, name: Name, period: PeriodName = "today", date_from: Day = "",
                     date_to: DayTo = "") -> Template:
        from hub.reports.catalog import cell

        report = _known(name)
        data = await request.app.state.db.read(_read, name, period, date_from, date_to)
        errors = _error_text(data["errors"])
        decimals = data["decimals"]
        kept = {"period": period, "from": date_from if period == "custom" else "",
                "to": date_to if period == "custom" else ""}
        query = urlencode({k: v for k, v in kept.items() if v})
        found = data.get("found")

        def show(column: Any, row: dict[str, Any]) -> str:
            return cell(column, row, decimals, grouped=True) or "—"

        def money(minor: int, code: str) -> str:
            from hub.inventory import _format
            return _format.money(minor, decimals.get(code, 2), code)

        from hub.reports.periods import PERIODS
        return await shell.page(
            request, "reports/report.html", key=f"reports.{name}", status=422 if errors else 200,
            report=report, found=found, period=data.get("period"), filters=kept, errors=errors, periods=PERIODS,
            charts=_charts(report, found, decimals) if found else [], show=show, money=money,
            csv_link=f"/reports/{name}/csv?{query}")

    @get("/{name:str}/csv", opt=requires(VIEW))
    async def csv(self, request: Request, name: Name, period: PeriodName = "today", date_from: Day = "",
                  date_to: DayTo = "") -> Response[str]:
        from hub.errors import FieldErrors
        from hub.reports import catalog

        _known(name)
        data = await request.app.state.db.read(_read, name, period, date_from, date_to)
        if data["errors"]:
            raise FieldErrors(list(data["errors"].items()))
        text = catalog.to_csv(name, data["found"], data["decimals"])
        day = data["period"].first.isoformat() + ("" if data["period"].first == data["period"].last
                                                   else "_" + data["period"].last.isoformat())
        return Response(text, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}_{day}.csv"'})


ROUTES = [ReportsPortal]
