"""HQ's errors and their mapping to RFC 9457 problem documents with a stable `code`."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://soko.example/problems/"


class HQError(Exception):
    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, detail: str, *, code: str | None = None, status: int | None = None,
                 extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        if status:
            self.status = status
        self.extra = extra or {}
        self.headers = headers or {}


class InvalidError(HQError):
    status, code, title = 422, "invalid_fields", "The request is not valid"

    def __init__(self, errors: dict[str, str] | list[tuple[str, str]], detail: str | None = None,
                 **kwargs: Any) -> None:
        pairs = list(errors.items()) if isinstance(errors, dict) else list(errors)
        self.errors = [{"field": f, "message": m} for f, m in pairs]
        super().__init__(detail or "; ".join(f"{f}: {m}" for f, m in pairs),
                         extra={**kwargs.pop("extra", {}), "errors": self.errors}, **kwargs)


class UnauthenticatedError(HQError):
    status, code, title = 401, "unauthenticated", "Authentication required"


class ForbiddenError(HQError):
    status, code, title = 403, "forbidden", "Not allowed"


class NotFoundError(HQError):
    status, code, title = 404, "not_found", "Not found"


class ConflictError(HQError):
    status, code, title = 409, "conflict", "Conflict"


class GoneError(HQError):
    status, code, title = 410, "gone", "No longer available"


class TooLargeError(HQError):
    status, code, title = 413, "payload_too_large", "Request body too large"


class OverloadedError(HQError):
    status, code, title = 429, "overloaded", "Too many requests"


_HTTP_CODES = {
    400: ("bad_request", "Bad request"), 401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Not allowed"), 404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"), 413: ("payload_too_large", "Request body too large"),
    415: ("unsupported_media_type", "Unsupported media type"), 429: ("rate_limited", "Too many requests"),
}


def problem(status: int, code: str, title: str, detail: str, request: Request | None,
            extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Response:
    from cloud_bridge.hq.clock import iso_now

    body: dict[str, Any] = {"type": PROBLEM_TYPE_BASE + code, "title": title, "status": status,
                            "detail": detail, "code": code, "hq_time": iso_now()}
    if request is not None:
        body["instance"] = request.url.path
    if extra:
        body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def handle_hq_error(request: Request, exc: HQError) -> Response:
    return problem(exc.status, exc.code, exc.title, exc.detail, request, exc.extra, exc.headers)


def handle_http_exception(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, ValidationException):
        errors = exc.extra if isinstance(exc.extra, list) else None
        return problem(400, "invalid_request", "The request could not be read", exc.detail or "validation failed",
                       request, {"errors": errors} if errors else None)
    code, title = _HTTP_CODES.get(exc.status_code, ("http_error", "Error"))
    return problem(exc.status_code, code, title, exc.detail or title, request, headers=exc.headers)


def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(500, "internal_error", "Internal error", "HQ hit an unexpected error.", request)


EXCEPTION_HANDLERS = {HQError: handle_hq_error, HTTPException: handle_http_exception, Exception: handle_unexpected}
