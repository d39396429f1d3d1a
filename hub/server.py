"""Building the HTTP server around the app: HTTPS with the hub's own certificate by default.

`serve` and the tests use this one function, so what is tested is what runs in a store.

The event loop and the HTTP parser are uvloop and httptools (libuv and llhttp, both C) when they
import: with uvicorn's pure-Python defaults (asyncio and h11), parsing and scheduling cost a till's
barcode lookup more than SQLite did. Both are dependencies with wheels for the Pi (manylinux
aarch64); the pure-Python pair stays the fallback, so a machine without the wheels still serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from typing import Any, Sequence

import uvicorn

from hub.app import create_app
from hub.identity.subsystem import TlsSubsystem, current_identity
from hub.sdnotify import Notifier
from hub.settings import Settings
from hub.subsystems import default_subsystems

log = logging.getLogger(__name__)

PLAIN_HTTP_WARNING = (
    "PLAIN HTTP DEVELOPMENT MODE: tills cannot verify this hub and everything, passwords "
    "included, crosses the network in clear text. Never run a store like this (set tls = true)."
)


def server_stack() -> tuple[str, str]:
    """uvicorn's (loop, http) implementations: the C ones where they import, else pure Python."""
    return _first_importable("uvloop", "asyncio"), _first_importable("httptools", "h11")


def _first_importable(fast: str, fallback: str) -> str:
    try:
        importlib.import_module(fast)
    except ImportError:  # not installed, or a wheel built for another machine
        log.info("%s does not import; serving with %s", fast, fallback)
        return fallback
    return fast


def build_server(settings: Settings, *, host: str | None = None, port: int | None = None,
                 subsystems: Sequence[Any] | None = None) -> "HubServer":
    """A uvicorn server for create_app(settings), its TLS identity made and wired in."""
    tls_dir = settings.tls_path
    ssl_kwargs: dict[str, Any] = {}
    if settings.tls:
        identity = current_identity(tls_dir)
        ssl_kwargs = {"ssl_certfile": str(identity.cert_path), "ssl_keyfile": str(identity.key_path)}
        log.info("serving HTTPS for %s; key pin (SPKI SHA-256) that tills pin: %s",
                 ", ".join(identity.names + identity.addresses), identity.pin)
    else:
        log.warning(PLAIN_HTTP_WARNING)
    parts = list(subsystems) if subsystems is not None else default_subsystems(settings)
    app = create_app(settings, subsystems=parts)
    loop, http = server_stack()
    config = uvicorn.Config(app, host=host or settings.host, port=port or settings.port,
                            loop=loop, http=http,
                            log_config=None, access_log=False, lifespan="on",
                            # Nothing proxies the hub: a client's X-Forwarded-For must not choose the
                            # address the login and pairing limits count it under.
                            proxy_headers=False,
                            timeout_graceful_shutdown=10, **ssl_kwargs)
    config.load()  # makes config.ssl, the context the TLS subsystem reloads on re-issue
    for part in parts:
        if isinstance(part, TlsSubsystem):
            part.ssl_context = config.ssl
    return HubServer(config, settings)


class HubServer(uvicorn.Server):
    """uvicorn's server, which advertises the hub over mDNS (and browses for network printers)
    once it listens, and withdraws the advert before it stops listening."""

    def __init__(self, config: uvicorn.Config, settings: Settings) -> None:
        super().__init__(config)
        self.settings = settings
        self.discovery: Any = None
        self._discovery_start: asyncio.Task | None = None
        self.systemd = Notifier()

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets=sockets)
        if not self.started or self.should_exit:
            return
        state = self.config.app.state
        state.discovered_printers = []
        self.systemd.ready(f"serving on port {self.config.port}")  # Type=notify; feeds WatchdogSec=
        if self.settings.mdns:
            port = self.config.port
            with contextlib.suppress(AttributeError, IndexError, OSError):
                port = self.servers[0].sockets[0].getsockname()[1]
            # In a task: a till is never kept waiting for zeroconf to import and probe.
            self._discovery_start = asyncio.create_task(self._start_discovery(state, port))

    async def _start_discovery(self, state: Any, port: int) -> None:
        from discovery.advertise import HubAdvertiser
        from discovery.matchers import HubAdvert

        identity = getattr(state, "identity", {}) or {}
        pin = getattr(state, "tls_pin", "") if getattr(state, "tls_enabled", False) else ""
        advert = HubAdvert(hub_id=str(identity.get("hub_id") or ""), store=str(identity.get("store_id") or ""),
                           port=port, pin=pin or "")

        def on_printers(printers: list[dict[str, str]]) -> None:
            state.discovered_printers = printers

        advertiser = HubAdvertiser(advert, self.settings.mdns_interfaces, on_printers=on_printers)
        self.discovery = state.mdns = advertiser  # stopped by shutdown even if cancelled half-started
        try:
            await advertiser.start()
        except Exception:  # the hub serves without mDNS; tills fall back to the last known address
            log.exception("mDNS advertising could not start")

    async def shutdown(self, sockets: Any = None) -> None:
        await self.systemd.stopping()
        if self._discovery_start is not None:
            if not self._discovery_start.done():
                self._discovery_start.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._discovery_start
            self._discovery_start = None
        if self.discovery is not None:
            try:
                await self.discovery.stop()  # goodbye first: no till finds a hub that stopped listening
            except Exception:
                log.exception("withdrawing the mDNS advert failed")
            self.discovery = None
        await super().shutdown(sockets=sockets)
