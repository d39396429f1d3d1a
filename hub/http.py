"""The request id and the access log line, as one small ASGI middleware.

Each request gets an id (a sane incoming `X-Request-ID` is kept, otherwise a new UUIDv7, see hub.ids.new_request_id); it is
returned in the `X-Request-ID` header, put on every log record emitted while serving the request
(see `RequestIdFilter`), written in the one access log line and in problem documents.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
from typing import Any

from hub.ids import new_request_id
from hub.privacy import masking_receive

access_log = logging.getLogger("hub.access")
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def current_request_id() -> str | None:
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record ('-' outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get() or "-"
        return True


class RequestContextMiddleware:
    """Pure ASGI: assigns the request id and logs one line per HTTP request."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = next((v.decode("latin-1") for k, v in scope.get("headers", ())
                         if k == b"x-request-id"), "")
        request_id = incoming if _SANE_ID.match(incoming) else new_request_id()
        token = _request_id.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        if scope["type"] == "http":
            receive = masking_receive(scope, receive)  # no card number enters the hub (hub.privacy)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if scope["type"] == "http":
                access_log.info(
                    "%s %s %s %.1fms", scope["method"], scope["path"], status,
                    (time.perf_counter() - started) * 1000, extra={"request_id": request_id},
                )
            _request_id.reset(token)
