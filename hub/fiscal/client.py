"""The hub's FDMS client: httpx over mutual TLS (the device certificate FDMS issued, its key from a
0600 file), the headers FDMS requires, timeouts, and one `Call` record per request for the call log.

Paths use the Swagger's PascalCase (`/Device/v1/{deviceID}/SubmitReceipt`): the spec's casing is
uncertain and the Swagger one is the safe reading (ZIMRA-FDMS.md §1.3). The model version header
is `DeviceModelVersion` (Swagger and every live implementation), not the spec text's
`DeviceModelVersionNo` (§1.2).

httpx is imported on the first call: a hub with no fiscal device never loads it (nor the rich and
pygments its command line brings, some 6 MiB resident), though the fiscal worker looks at the
queue every few seconds.
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

# The spec's synchronous response timeout is 30 s (§7.4); connecting should be quick.
TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 10.0
PUBLIC_OPERATIONS = {"VerifyTaxpayerInformation", "RegisterDevice"}
METHODS = {"VerifyTaxpayerInformation": "POST", "RegisterDevice": "POST", "GetConfig": "GET", "GetStatus": "GET",
           "Ping": "POST", "OpenDay": "POST", "SubmitReceipt": "POST", "CloseDay": "POST",
           "IssueCertificate": "POST"}


@dataclass
class Call:
    """One FDMS request's outcome. `status` None: no answer (network, TLS, timeout)."""

    operation: str
    status: int | None
    body: dict[str, Any] = field(default_factory=dict)
    operation_id: str = ""
    error_code: str = ""
    error: str = ""
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        """No answer, or an infrastructure error (5xx): try again later (§8.1)."""
        return self.status is None or self.status >= 500

    def log_row(self, fiscal_device_id: str | None, at: str) -> dict[str, Any]:
        return {"fiscal_device_id": fiscal_device_id, "operation": self.operation, "http_status": self.status,
                "operation_id": self.operation_id, "error_code": self.error_code, "error": self.error[:500],
                "duration_ms": self.duration_ms, "at": at}


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    ca_bundle: str  # a PEM file of CAs to trust; empty: the system's
    device_id: int
    model_name: str
    model_version: str
    cert_path: str = ""  # the device certificate (PEM) and its key, for /Device calls
    key_path: str = ""


def _context(endpoint: Endpoint, with_cert: bool) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=endpoint.ca_bundle or None)
    if with_cert:
        ctx.load_cert_chain(endpoint.cert_path, endpoint.key_path)
    return ctx


def timeout() -> httpx.Timeout:
    import httpx

    return httpx.Timeout(TIMEOUT_S, connect=CONNECT_TIMEOUT_S)


def call(endpoint: Endpoint, operation: str, body: dict[str, Any] | None = None, *,
         content: bytes | None = None) -> Call:
    """One request; never raises for what the network or FDMS does (the Call says it)."""
    import httpx

    public = operation in PUBLIC_OPERATIONS
    path = f"/{'Public' if public else 'Device'}/v1/{endpoint.device_id}/{operation}"
    headers = {"DeviceModelName": endpoint.model_name, "DeviceModelVersion": endpoint.model_version,
               "Accept": "application/json"}
    if content is not None:
        headers["Content-Type"] = "application/json"
    started = time.monotonic()
    try:
        with httpx.Client(base_url=endpoint.base_url.rstrip("/"), verify=_context(endpoint, not public),
                          timeout=timeout(), headers=headers) as client:
            if METHODS.get(operation, "POST") == "GET":
                response = client.get(path)
            elif content is not None:
                response = client.post(path, content=content)
            else:
                response = client.post(path, json=body if body is not None else {})
    except (httpx.HTTPError, ssl.SSLError, OSError) as err:
        return Call(operation, None, error=f"{type(err).__name__}: {err}",
                    duration_ms=int((time.monotonic() - started) * 1000))
    elapsed = int((time.monotonic() - started) * 1000)
    try:
        answer = response.json() if response.content else {}
    except ValueError:
        answer = {"detail": response.text[:300]}
    if not isinstance(answer, dict):
        answer = {"value": answer}
    operation_id = str(answer.get("operationID") or response.headers.get("operationId") or "")
    result = Call(operation, response.status_code, answer, operation_id, duration_ms=elapsed)
    if not result.ok:
        result.error_code = str(answer.get("errorCode") or "")
        result.error = str(answer.get("title") or answer.get("detail") or response.reason_phrase)
    return result
