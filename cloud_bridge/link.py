"""The HTTP client of the hub <-> HQ protocol (docs/cloud-bridge.md).

It imports nothing from `hub`: the hub hands it HQ's URL, the token, the hub id and HQ's pinned
CA, and gets plain dicts back. Transport trouble (refused, reset, timed out, a cut body) is
`HQUnreachable`; an answer HQ gave is `HQError` with its status, problem `code` and, on 429/503,
`retry_after` seconds.

httpx is imported when the first Link is made: a hub that is not enrolled never loads it (nor
the rich and pygments that httpx's own command line imports with it, some 6 MiB resident),
while the outbox and the worker use this module's hashing and errors from the start.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    import httpx

API = "/api/hq/v1"
GZIP_OVER = 4096  # a request body over 4 KiB goes gzip-compressed


def canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def fact_hash(data: Any) -> str:
    """SHA-256 (hex) of `data` as canonical JSON: a fact's `hash`."""
    return hashlib.sha256(canonical(data)).hexdigest()


class HQUnreachable(Exception):
    """HQ could not be reached or its answer did not arrive whole."""


class HQError(Exception):
    """HQ answered with an error: `status`, problem `code`, the problem document as `body`."""

    def __init__(self, status: int, code: str, body: dict[str, Any] | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(f"HQ answered {status} {code}: {(body or {}).get('detail') or ''}".rstrip(": "))
        self.status = status
        self.code = code
        self.body = body or {}
        self.retry_after = retry_after


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _error(response: httpx.Response) -> HQError:
    try:
        body = response.json()
    except ValueError:
        body = {"detail": response.text[:200]}
    if not isinstance(body, dict):
        body = {"detail": str(body)[:200]}
    code = str(body.get("code") or f"http_{response.status_code}")
    return HQError(response.status_code, code, body, _retry_after(response))


class Link:
    """One HQ, over one pooled HTTP client."""

    def __init__(self, url: str, *, token: str | None = None, hub_id: str | None = None,
                 ca_pem: str | None = None, timeout: float = 30.0, user_agent: str = "soko-hub") -> None:
        import httpx

        verify: Any = True
        if ca_pem:
            import ssl

            verify = ssl.create_default_context(cadata=ca_pem)
        headers = {"Accept-Encoding": "gzip", "User-Agent": user_agent}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if hub_id:
            headers["X-Soko-Hub"] = hub_id
        self.url = url.rstrip("/")
        self.client = httpx.Client(base_url=self.url, headers=headers, verify=verify,
                                   timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)))

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "Link":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _call(self, method: str, path: str, *, body: Any = None, params: dict[str, Any] | None = None,
              timeout: float | None = None) -> dict[str, Any]:
        import httpx

        headers = {}
        content = None
        if body is not None:
            content = canonical(body)
            headers["Content-Type"] = "application/json"
            if len(content) > GZIP_OVER:
                content = gzip.compress(content, compresslevel=6)
                headers["Content-Encoding"] = "gzip"
        extra = {"timeout": timeout} if timeout is not None else {}
        # Every call of the protocol is idempotent (facts are kept once per event), so a call cut
        # off on the way (a kept-alive connection the other end had closed, a reset) is tried once
        # more at once on a fresh connection before HQ counts as unreachable.
        for attempt in (1, 2):
            try:
                response = self.client.request(method, API + path, content=content, params=params,
                                               headers=headers, **extra)
                break
            except (httpx.TransportError, zlib.error) as err:
                if attempt == 2 or isinstance(err, httpx.TimeoutException):
                    raise HQUnreachable(f"{type(err).__name__}: {err}") from err
        if response.status_code >= 400:
            raise _error(response)
        try:
            answer = response.json()
        except ValueError as err:
            raise HQUnreachable(f"HQ's answer to {path} was not JSON") from err
        return answer if isinstance(answer, dict) else {"value": answer}

    def put_backup(self, name: str, path: Any, *, timeout: float = 600.0) -> dict[str, Any]:
        """Upload an (encrypted) backup file to HQ, streamed from disk; HQ answers its size and
        SHA-256. Uploading the same name again replaces HQ's copy, so a retry is safe."""
        import httpx

        try:
            with open(path, "rb") as body:
                response = self.client.request(
                    "PUT", f"{API}/backups/{name}", content=iter(lambda: body.read(1 << 20), b""),
                    headers={"Content-Type": "application/octet-stream"}, timeout=timeout)
        except httpx.TransportError as err:
            raise HQUnreachable(f"{type(err).__name__}: {err}") from err
        if response.status_code >= 400:
            raise _error(response)
        return response.json()

    def enrol(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/enrol", body=body)

    def push(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/facts", body=body)

    def changes(self, cursor: str, *, limit: int = 500, wait: int = 0) -> dict[str, Any]:
        return self._call("GET", "/changes", params={"cursor": cursor, "limit": limit, "wait": wait},
                          timeout=wait + 30.0)

    def status(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/status", body=body)

    def request_result(self, request_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", f"/requests/{request_id}/result", body=body)

    def snapshot(self) -> Iterator[dict[str, Any]]:
        """The snapshot's lines, header first; raises HQUnreachable when it was cut off (no
        `end` line, another count, or a gzip stream that does not end cleanly)."""
        import httpx

        try:
            with self.client.stream("GET", API + "/snapshot", timeout=300.0) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _error(response)
                yield from _ndjson(response.iter_bytes())
        except (httpx.TransportError, zlib.error, EOFError) as err:
            raise HQUnreachable(f"the snapshot download broke off: {type(err).__name__}: {err}") from err


def _ndjson(chunks: Iterator[bytes]) -> Iterator[dict[str, Any]]:
    """Lines of an NDJSON stream that may be gzip inside (when HQ sent it as a gzip body rather
    than with Content-Encoding, which httpx already undid)."""
    inflater: Any = None
    buffer = b""
    rows = 0
    ended = False
    first = True
    for chunk in chunks:
        if first and chunk:
            first = False
            if chunk[:2] == b"\x1f\x8b":
                inflater = zlib.decompressobj(wbits=31)
        data = inflater.decompress(chunk) if inflater is not None else chunk
        buffer += data
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get("end"):
                if row.get("count") != rows:
                    raise HQUnreachable(f"the snapshot ended at {rows} rows but says {row.get('count')}")
                ended = True
                continue
            if "entity" in row:
                rows += 1
            yield row
    if inflater is not None:
        buffer += inflater.flush()
        if not inflater.eof:
            raise HQUnreachable("the snapshot's gzip stream did not end cleanly")
    if buffer.strip():
        row = json.loads(buffer)
        if row.get("end") and row.get("count") == rows:
            ended = True
    if not ended:
        raise HQUnreachable("the snapshot has no end line: it was cut off")
