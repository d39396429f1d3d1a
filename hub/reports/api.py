"""/api/v1/reports: the manager's reports (reports.view), each as JSON or CSV, over a period in
the store's time zone (docs/reports.md). Read on reader connections: a report never holds the
writer a sale commits through."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import Parameter, QueryParameter
from litestar.response import Response

from hub.auth.access import requires

VIEW = "reports.view"
PERIOD = r"^(today|yesterday|week|month|custom)$"
Name = Annotated[str, Parameter(max_length=40, description="A report's name, from GET /api/v1/reports")]
Day = Annotated[str, Parameter(max_length=10, description="YYYY-MM-DD in the store's time zone (custom period)")]


def read_report(conn: Any, name: str, period: str, date_from: str, date_to: str) -> dict[str, Any]:
    from hub.reports import catalog, periods, queries

    found = catalog.run(conn, name, periods.resolve(conn, period, date_from, date_to))
    found["decimals"] = queries.decimals(conn)
    return found


def known(name: str) -> None:
    from hub.errors import NotFoundError
    from hub.reports.catalog import REPORTS

    if name not in REPORTS:
        raise NotFoundError(f"there is no report {name!r}: GET /api/v1/reports lists them", code="report_unknown")


class ReportsController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]

    @get(opt=requires(VIEW), summary="The reports and what each shows")
    async def list_reports(self, request: Request) -> list[dict[str, Any]]:
        from hub.reports.catalog import REPORTS

        return [{"name": r.name, "title": r.title, "summary": r.summary, "dated": r.dated,
                 "path": f"/api/v1/reports/{r.name}"} for r in REPORTS.values()]

    @get("/{name:str}", opt=requires(VIEW), summary="One report over a period, as JSON or CSV")
    async def report(
        self, request: Request, name: Name,
        period: Annotated[str, Parameter(pattern=PERIOD, description="today, yesterday, week (from Monday), "
                                         "month, or custom (from and to)")] = "today",
        date_from: Annotated[str, QueryParameter(name="from", max_length=10)] = "",
        date_to: Annotated[str, QueryParameter(name="to", max_length=10)] = "",
        format: Annotated[str, Parameter(pattern=r"^(json|csv)$")] = "json",
    ) -> Response[Any]:
        """Rows per currency (never summed across currencies), totals per currency, and where a
        report has one, the `combined` figure in the base currency, converted at recorded rates.
        A custom period is at most 92 days; `from`/`to` are store-local days, both included."""
        from hub.reports import catalog

        known(name)
        found = await request.app.state.db.read(read_report, name, period, date_from, date_to)
        if format == "csv":
            text = catalog.to_csv(name, found, found["decimals"])
            return Response(text, media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
        found.pop("decimals")
        return Response(found)


CONTROLLERS: list = [ReportsController]
