"""Building the HTTP server around the app: HTTPS with the hub's own certificate by default.

`serve` and the tests use this one function, so what is tested is what runs in a store.
"""

from __future__ import annotations

import logging
from typing import Any, Sequence

import uvicorn

from hub.app import create_app
from hub.identity.subsystem import TlsSubsystem, current_identity
from hub.settings import Settings
from hub.subsystems import default_subsystems

log = logging.getLogger(__name__)

PLAIN_HTTP_WARNING = (
    "PLAIN HTTP DEVELOPMENT MODE: tills cannot verify this hub and everything, passwords "
    "included, crosses the network in clear text. Never run a store like this (set tls = true)."
)


def build_server(settings: Settings, *, host: str | None = None, port: int | None = None,
                 subsystems: Sequence[Any] | None = None) -> uvicorn.Server:
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
    config = uvicorn.Config(app, host=host or settings.host, port=port or settings.port,
                            log_config=None, access_log=False, lifespan="on",
                            timeout_graceful_shutdown=10, **ssl_kwargs)
    config.load()  # makes config.ssl, the context the TLS subsystem reloads on re-issue
    for part in parts:
        if isinstance(part, TlsSubsystem):
            part.ssl_context = config.ssl
    return uvicorn.Server(config)
