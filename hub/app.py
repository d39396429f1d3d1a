"""`create_app(settings)`: the hub's Litestar application. Nothing happens at import time."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from typing import Any, AsyncIterator, Sequence

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.events.emitter import SimpleEventEmitter
from litestar.exceptions import ImproperlyConfiguredException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

import hub
from hub import portal
from hub._deferred_routes import App
from hub.apidocs import LITESTAR_SCHEMA_PATH, ApiDocsController, hidden_router
from hub.auth.identity import access_guard, provide_identity
from hub.errors import EXCEPTION_HANDLERS
from hub.health.api import HealthController
from hub.http import RequestContextMiddleware
from hub.settings import Settings
from hub.subsystems import Uptime, default_subsystems

log = logging.getLogger(__name__)


# Features whose API module exports CONTROLLERS (a list), in order; newer features add theirs here
# instead of importing each controller below.
FEATURE_APIS = (
    "hub.inventory.transfers.api",
    "hub.inventory.unapplied.api",
    "hub.shifts.api",
    "hub.sales.api",
    "hub.exceptions.api",
    "hub.endofday.api",
    "hub.sync.down_api",
    "hub.sync.up_api",
    "hub.printing.api",
    "hub.events.api",
    "hub.customers.api",
    "hub.quotations.api",
    "hub.reports.api",
    "hub.fiscal.api",
    "hub.bridge.api",
    "hub.ops.api",
)


def api_handlers() -> list[Any]:
    """Every controller of the API; later features add theirs here."""
    from hub.audit.api import AuditController
    from hub.auth.api import AuthController
    from hub.backup.api import BackupController
    from hub.catalogue.categories.api import CategoryController
    from hub.catalogue.currencies.api import CurrencyController
    from hub.catalogue.exchange_rates.api import ExchangeRateController
    from hub.catalogue.labels.api import LabelQueueController
    from hub.catalogue.pricing_settings.api import PricingSettingsController
    from hub.catalogue.pricing_tiers.api import PricingTierController
    from hub.catalogue.products.api import ProductController
    from hub.catalogue.products.barcode_settings import BarcodeSettingsController
    from hub.catalogue.products.files_api import BulkPriceController, ProductFileController
    from hub.catalogue.promotions.api import PromotionController
    from hub.catalogue.suppliers.api import SupplierController
    from hub.catalogue.taxes.api import TaxClassController
    from hub.catalogue.units.api import UnitController
    from hub.devices.api import DeviceController
    from hub.inventory.adjustments.api import (AdjustmentController, AdjustmentSettingsController,
                                               SupplierReturnController)
    from hub.inventory.api import InventoryController
    from hub.inventory.purchasing.api import PurchaseOrderController
    from hub.inventory.receiving.api import ReceiptController
    from hub.inventory.stocktake.api import StockTakeController
    from hub.licenses.api import LicenseController
    from hub.pricing.api import PricingController
    from hub.roles.api import PermissionController, RoleController
    from hub.store.api import StoreSettingsController
    from hub.users.api import UserController

    return [HealthController, AuditController, BackupController, AuthController, UserController,
            RoleController, PermissionController, StoreSettingsController, DeviceController,
            LicenseController, ProductController, ProductFileController, BulkPriceController,
            LabelQueueController, BarcodeSettingsController,
            PricingTierController, PromotionController, PricingController,
            CurrencyController, ExchangeRateController, UnitController, CategoryController,
            SupplierController, TaxClassController, PricingSettingsController, InventoryController, StockTakeController,
            ReceiptController, PurchaseOrderController,
            AdjustmentController, SupplierReturnController, AdjustmentSettingsController,
            *(c for name in FEATURE_APIS for c in importlib.import_module(name).CONTROLLERS)]


def portal_handlers() -> list[Any]:
    """The back-office portal: its pages (one module per feature) and static files."""
    return portal.portal_handlers()


class ListenersOnlyEmitter(SimpleEventEmitter):
    """Litestar's event emitter, started only when the app has event listeners. The hub has none
    (its events go on its own bus, hub.events); started, it imported anyio's task groups and
    memory streams and ran a worker task for nothing, a tenth of the time from the app's start to
    its first answer."""

    __slots__ = ()

    async def __aenter__(self) -> "ListenersOnlyEmitter":
        if self.listeners:
            await super().__aenter__()
        return self

    def emit(self, event_id: str, *args: Any, **kwargs: Any) -> None:
        if not self.listeners:  # Litestar's refusal of an event no one listens to
            raise ImproperlyConfiguredException(f"no event listeners are registered for event ID: {event_id}")
        super().emit(event_id, *args, **kwargs)


class FirstAnswer:
    """Sets `app.state.answered` once the app has answered an HTTP request, then takes itself out
    of the app's handler chain, so later requests do not pass through it. The lifespan puts it
    outermost; subsystems wait for it before first rounds no request needs (so that those rounds
    do not hold up the first answer)."""

    def __init__(self, app: Litestar, handler: Any) -> None:
        self.app = app
        self.handler = handler

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.handler(scope, receive, send)
        if scope["type"] == "http" and self.app.asgi_handler is self:
            self.app.asgi_handler = self.handler
            if (answered := getattr(self.app.state, "answered", None)) is not None:
                answered.set()


def create_app(settings: Settings, *, subsystems: Sequence[Any] | None = None) -> Litestar:
    """Build the app; its lifespan starts `subsystems` in order and stops them in reverse."""
    parts = list(subsystems) if subsystems is not None else default_subsystems(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        started = []
        app.state.answered = asyncio.Event()  # set by FirstAnswer (hub.subsystems.after_first_answer)
        if not isinstance(app.asgi_handler, FirstAnswer):
            app.asgi_handler = FirstAnswer(app, app.asgi_handler)
        try:
            for part in parts:
                await part.start(app.state)
                started.append(part)
                log.debug("started %s", part.name)
            app.state.uptime = Uptime()
            yield
        finally:
            for part in reversed(started):
                try:
                    await part.stop()
                except Exception:  # keep stopping the rest
                    log.exception("stopping %s failed", part.name)

    openapi = OpenAPIConfig(
        title="Soko Hub API",
        version=hub.__version__,
        description="The store hub's local API. Errors are RFC 9457 problem documents with a stable `code`.",
        render_plugins=[],  # the bundled UIs load JavaScript from the internet; see hub.apidocs
        components=Components(security_schemes={
            "bearer": SecurityScheme(type="http", scheme="bearer",
                                     description="A token from POST /api/v1/auth/login or an API token"),
            "device": SecurityScheme(type="apiKey", name="X-Device-Token", security_scheme_in="header",
                                     description="A till's device token from POST /api/v1/devices/pair; "
                                                 "sent by a till on every call beside the cashier's bearer token"),
        }),
        use_handler_docstrings=True,
        path=LITESTAR_SCHEMA_PATH,
        openapi_router=hidden_router(),
    )
    # Each route handler's signature and parameter model are made on its first call (see App).
    app = App(
        route_handlers=[*api_handlers(), ApiDocsController, *portal_handlers()],
        template_config=portal.template_config(),
        lifespan=[lifespan],
        guards=[access_guard],
        dependencies={"identity": Provide(provide_identity, sync_to_thread=False)},
        # Problem documents on API paths, HTML error pages on the portal's.
        exception_handlers=portal.portal_aware(EXCEPTION_HANDLERS),  # type: ignore[arg-type]
        openapi_config=openapi,
        event_emitter_backend=ListenersOnlyEmitter,
        request_max_body_size=settings.max_body_bytes,
        state=State({"settings": settings}),
        logging_config=None,
        debug=False,
    )
    # Outermost, so unmatched routes (404/405) and body-size refusals get a request id too.
    app.asgi_handler = RequestContextMiddleware(app.asgi_handler)
    return app
