"""Domain errors and their one mapping to RFC 9457 problem documents.

Services raise HubError subclasses; library exceptions are wrapped at the boundary. Every
problem document carries a stable `code` and the request id that also appears in the log line
of that request.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from hub.http import current_request_id

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://soko.example/problems/"  # identifiers, not fetched


class HubError(Exception):
    """Base of every error the API reports on purpose."""

    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, detail: str, *, code: str | None = None, extra: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.extra = extra or {}
        self.headers = headers or {}


class InvalidInputError(HubError):
    status, code, title = 422, "invalid_input", "The request is not valid"


class FieldErrors(InvalidInputError):
    """422 naming every field that is wrong: `errors: [{"field": "target.products[0]", "message": ...}]`.

    Fields are written as paths into the request body (`amounts.ZWG`, `lines[2].quantity`), so a
    form can put each message beside its input.
    """

    code = "invalid_fields"

    def __init__(self, errors: list[tuple[str, str]] | dict[str, str], detail: str | None = None,
                 **kwargs: Any) -> None:
        pairs = list(errors.items()) if isinstance(errors, dict) else list(errors)
        if not pairs:
            raise ValueError("FieldErrors needs at least one field")
        self.errors = [{"field": field, "message": message} for field, message in pairs]
        extra = {**(kwargs.pop("extra", None) or {}), "errors": self.errors}
        text = detail or "; ".join(f"{field}: {message}" for field, message in pairs)
        super().__init__(text, extra=extra, **kwargs)


class NotFoundError(HubError):
    status, code, title = 404, "not_found", "Not found"


class ConflictError(HubError):
    status, code, title = 409, "conflict", "Conflict"


class AuthenticationError(HubError):
    status, code, title = 401, "unauthenticated", "Authentication required"

    def __init__(self, detail: str, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="soko-hub"'})
        super().__init__(detail, **kwargs)


class PermissionDeniedError(HubError):
    status, code, title = 403, "forbidden", "Not allowed"


class GoneError(HubError):
    status, code, title = 410, "gone", "No longer available"


class RateLimitedError(HubError):
    status, code, title = 429, "rate_limited", "Too many attempts"


class DemoDatabaseError(HubError):
    status, code, title = 409, "demo_database", "Not possible on a demo database"


# Litestar's own HTTP errors, by status, to stable codes.
_HTTP_CODES = {
    400: ("bad_request", "Bad request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    413: ("payload_too_large", "Request body too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    429: ("rate_limited", "Too many requests"),
    503: ("unavailable", "Service unavailable"),
}


def problem(status: int, code: str, title: str, detail: str, request: Request | None,
            extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": current_request_id(),
    }
    if request is not None:
        body["instance"] = request.url.path
    if extra:
        body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def handle_hub_error(request: Request, exc: HubError) -> Response:
    return problem(exc.status, exc.code, exc.title, exc.detail, request, exc.extra, exc.headers)


# msgspec names a missing or unknown field only in its message; Litestar's `key` is then the
# object holding it (`data` for the body itself).
_NAMED_FIELD = re.compile(r"(?:missing required|unknown) field `([^`]+)`")


def _field_of(error: dict[str, Any]) -> str:
    """`inner.x` for "Object missing required field `x`" at key `inner`; else the key."""
    key, named = str(error["key"]), _NAMED_FIELD.search(str(error.get("message", "")))
    if named is None:
        return key
    return named[1] if key == "data" else f"{key}.{named[1]}"


def handle_http_exception(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if isinstance(exc, ValidationException):
        errors = exc.extra if isinstance(exc.extra, list) else None
        if errors:  # name the field as FieldErrors does (Litestar calls it `key`)
            errors = [{**e, "field": _field_of(e)} if isinstance(e, dict) and e.get("key") else e
                      for e in errors]
        return problem(
            400, "invalid_request", "The request could not be read",
            exc.detail or "validation failed", request, {"errors": errors} if errors else None,
        )
    code, title = _HTTP_CODES.get(status, ("http_error", "Error"))
    if status >= 500:
        log.error("HTTP %s: %s", status, exc.detail)
    return problem(status, code, title, exc.detail or title, request, headers=exc.headers)


def handle_unreadable_text(request: Request, exc: UnicodeDecodeError) -> Response:
    """msgspec raises UnicodeDecodeError, not its DecodeError, for a JSON string that is not UTF-8:
    when that is the request body being read, the client sent bad input (400); anywhere else it
    is the hub's own error."""
    frames = traceback.extract_tb(exc.__traceback__)
    if any(f.name == "decode_json" and "litestar" in f.filename for f in frames):
        return problem(400, "invalid_request", "The request could not be read",
                       "the body is not valid UTF-8 JSON", request)
    return handle_unexpected(request, exc)


def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(500, "internal_error", "Internal error",
                   "The hub hit an unexpected error; the request id identifies it in the log.",
                   request)


EXCEPTION_HANDLERS = {
    HubError: handle_hub_error,
    HTTPException: handle_http_exception,
    UnicodeDecodeError: handle_unreadable_text,
    Exception: handle_unexpected,
}
