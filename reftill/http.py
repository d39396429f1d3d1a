"""The till's HTTP client: the hub's URL, its key pin, the device token and a cashier's token.

Every failure is one of two kinds: `HubUnreachableError` (no answer: the till works offline and
tries again later) or `HubRefusedError` (an answer with a problem document, RFC 9457: its status
and `code` say what to do).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from typing import Any

import httpx

from reftill.transport import PinnedTransport

TIMEOUT_S = 10.0  # one request; a long poll adds its wait
APP_VERSION = "reftill-1"
PROTOCOL_VERSION = 1


class HubUnreachableError(Exception):
    """No answer from the hub (refused, timed out, cut off): try again later."""


class HubRefusedError(Exception):
    """The hub answered with an error; `status`, `code` and `problem` say which."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        self.code = str(problem.get("code") or "")
        super().__init__(f"{status} {self.code}: {problem.get('detail') or problem.get('title') or ''}")


class PinError(HubUnreachableError):
    """The server at the hub's address does not hold the pinned key: never send it anything."""


class HubClient:
    def __init__(self, url: str, pin: str | None = None, device_token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.transport = PinnedTransport(pin) if self.url.startswith("https:") else httpx.HTTPTransport()
        self.http = httpx.Client(base_url=self.url, transport=self.transport, timeout=TIMEOUT_S)
        self.device_token = device_token
        self.bearer: str | None = None

    def close(self) -> None:
        self.http.close()

    @property
    def seen_pin(self) -> str | None:
        """The key pin of the last TLS connection (None over plain HTTP)."""
        return getattr(self.transport, "seen", None)

    def headers(self, bearer: bool = True) -> dict[str, str]:
        h = {}
        if self.device_token:
            h["X-Device-Token"] = self.device_token
        if bearer and self.bearer:
            h["Authorization"] = f"Bearer {self.bearer}"
        return h

    def call(self, method: str, path: str, *, json_body: Any = None, params: dict[str, Any] | None = None,
             bearer: bool = True, timeout: float | None = None) -> tuple[int, Any]:
        """One request; the status and the decoded JSON body of a 2xx answer."""
        backend = getattr(self.transport, "backend", None)
        if backend is not None:
            backend.mismatch = None
        try:
            r = self.http.request(method, path, json=json_body, params=params, headers=self.headers(bearer),
                                  timeout=timeout or TIMEOUT_S)
        except httpx.TransportError as err:
            if backend is not None and backend.mismatch is not None:
                raise PinError(str(err)) from err
            raise HubUnreachableError(f"{type(err).__name__}: {err}") from err
        return self._answer(r)

    @staticmethod
    def _answer(r: httpx.Response) -> tuple[int, Any]:
        try:
            body = r.json() if r.content else None
        except ValueError:
            body = None
        if r.status_code >= 400:
            if r.status_code >= 500 and not isinstance(body, dict):
                raise HubUnreachableError(f"{r.status_code} from the hub")
            raise HubRefusedError(r.status_code, body if isinstance(body, dict) else {"detail": r.text[:200]})
        return r.status_code, body

    def stream_lines(self, path: str) -> Iterator[dict[str, Any]]:
        """The JSON lines of a (gzip-compressed) NDJSON download, decoded as they arrive."""
        try:
            with self.http.stream("GET", path, headers={**self.headers(), "Accept-Encoding": "gzip"},
                                  timeout=max(TIMEOUT_S, 60.0)) as r:
                if r.status_code >= 400:
                    r.read()
                    self._answer(r)
                # httpx undoes Content-Encoding: gzip; a body gzipped without that header is undone here.
                raw = r.iter_bytes() if r.headers.get("content-encoding") else _gunzip(r.iter_raw())
                yield from _lines(raw)
        except httpx.TransportError as err:
            raise HubUnreachableError(f"{type(err).__name__}: {err}") from err


def _gunzip(chunks: Iterator[bytes]) -> Iterator[bytes]:
    first = True
    d = None
    for chunk in chunks:
        if first:
            first = False
            if chunk[:2] == b"\x1f\x8b":
                d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        yield d.decompress(chunk) if d else chunk
    if d:
        yield d.flush()


def _lines(chunks: Iterator[bytes]) -> Iterator[dict[str, Any]]:
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        *whole, buffer = buffer.split(b"\n")
        for line in whole:
            if line.strip():
                yield json.loads(line)
    if buffer.strip():
        yield json.loads(buffer)

